"""The interface a driver offers the scenarios (write your own for an unusual front end)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

ACCEPT, REJECT = "accept", "reject"


class DriverError(RuntimeError):
    """The driver could not get through the flow (a page it did not recognise, a loop, a timeout)."""


@dataclass
class BrowserOutcome:
    reached_consent_page: bool  # Altinn's consent page was shown to the citizen
    answered: bool  # the driver pressed the answer button
    final_url: str  # where the browser ended (normally the insurer's callback page)
    final_status: int  # the HTTP status of that last page
    visited: list[str] = field(default_factory=list)
    callback_params: dict = field(default_factory=dict)  # what Altinn appended to the RedirectUrl

    @property
    def authorization_code(self) -> str | None:
        return self.callback_params.get("AuthorizationCode") or self.callback_params.get("FailedAuthorizationCode")


class Driver(Protocol):
    def consent(self, start_url: str, person: dict, answer: str) -> BrowserOutcome:
        """Start a claim at ``start_url`` as ``person`` ({pid, name, first_name, last_name}), log in
        at ID-porten as that person, answer the consent page (``accept`` or ``reject``) and follow
        the browser back to the insurer."""
        ...

    def close(self) -> None: ...
