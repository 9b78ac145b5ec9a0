"""The interface a driver offers the scenarios (write your own for an unusual front end), and
where the sandbox's consent pages live (both generations: Altinn 2's ``/ui/AccessConsent`` and
Altinn 3's ``/accessmanagement/ui/consent/request?id=…``, on Altinn's base URL)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol
from urllib.parse import parse_qs, urlsplit

ACCEPT, REJECT = "accept", "reject"
#: Reach the consent page and leave it unanswered (the claim stays pending at the insurer).
LEAVE = "leave"
CONSENT_PAGES = ("/ui/AccessConsent/request", "/accessmanagement/ui/consent/request")
ALTINN3_PAGE = CONSENT_PAGES[1]


def on_consent_page(url: str, altinn: str) -> bool:
    return url.startswith(tuple(altinn + path for path in CONSENT_PAGES))


def consent_request_id(url: str, altinn: str) -> str | None:
    """The Altinn 3 consent request id in the consent page's address (``?id=…``), else None."""
    if not url.startswith(altinn + ALTINN3_PAGE):
        return None
    ids = parse_qs(urlsplit(url).query).get("id")
    return ids[0].lower() if ids else None


def is_callback(url: str, services: tuple[str, ...]) -> bool:
    """Whether ``url`` is Altinn sending the browser back to the insurer (not a sandbox service's page)."""
    return not url.startswith(services) and ("Status=" in url or "AuthorizationCode=" in url)


def query_of(url: str) -> dict:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


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
    # Altinn 3: the id of the consent request whose page the citizen answered (from the page's URL);
    # the callback carries no id, so this is how a scenario finds the events of that consent.
    consent_request_id: str | None = None

    @property
    def authorization_code(self) -> str | None:
        return self.callback_params.get("AuthorizationCode") or self.callback_params.get("FailedAuthorizationCode")

    @property
    def consent_handle(self) -> str | None:
        """What names the consent the citizen answered: Altinn 2's authorization code, else Altinn 3's id."""
        return self.authorization_code or self.consent_request_id

    @property
    def callback_status(self) -> str | None:
        """Altinn's ``Status`` on the callback (``OK`` / ``Failed``), when there was one."""
        return self.callback_params.get("Status")


class Driver(Protocol):
    def consent(self, start_url: str, person: dict, answer: str) -> BrowserOutcome:
        """Start a claim at ``start_url`` as ``person`` ({pid, name, first_name, last_name}), log in
        at ID-porten as that person, answer the consent page (``accept`` or ``reject``) and follow
        the browser back to the insurer; ``leave``: stop on the consent page without answering."""
        ...

    def close(self) -> None: ...
