"""What both consent generations share: the answers of the insurer's steps (a claim that could not
start, a callback's outcome, a retrieval's result), the consent period, and small helpers."""

from __future__ import annotations

from dataclasses import dataclass
from zoneinfo import ZoneInfo

OSLO = ZoneInfo("Europe/Oslo")
CONSENT_YEARS = 3
CONSENT_REQUEST_SCOPE = "altinn:consentrequests.write"
OK, CONSENT_REQUIRED, UNAVAILABLE = "ok", "consent_required", "unavailable"
ALREADY_ANSWERED = "Svaret på denne samtykkeforespørselen er allerede mottatt."
UNKNOWN_CLAIM = "Vi kjenner ikke denne saken (ukjent eller manglende claim)."
NO_STATUS = "Svaret fra Altinn mangler Status=OK eller Status=Failed."


class ClaimError(Exception):
    """A claim could not be started. ``status`` is what the citizen's page answers (400 or 502)."""

    def __init__(self, message: str, status: int = 502, details: list[str] | None = None):
        super().__init__(message)
        self.status, self.details = status, details or []


@dataclass
class FetchResult:
    status: str  # ok | consent_required | unavailable
    data: dict | None = None
    detail: str = ""
    retriable: bool = False  # unavailable because something failed that may work later
    claim_id: str | None = None
    attempts: int = 0

    def as_json(self) -> dict:
        body: dict = {"status": self.status}
        if self.status == OK:
            body["data"] = self.data
        if self.detail:
            body["detail"] = self.detail
        if self.claim_id:
            body["claim"] = self.claim_id
        if self.attempts:
            body["attempts"] = self.attempts
        return body


@dataclass
class CallbackOutcome:
    status: int  # the HTTP status of the citizen's page
    kind: str  # consented | declined | refused
    message: str
    claim: dict | None = None


def add_years(value, years: int):
    try:
        return value.replace(year=value.year + years)
    except ValueError:  # 29 February
        return value.replace(year=value.year + years, day=28)


def cause(message: str) -> str:
    """Altinn's reason in brackets at the end of its refusal sentence, or the whole message."""
    if "(" in message and message.rstrip().endswith(")"):
        inner = message.rstrip()[:-1].rsplit("(", 1)[1]
        return inner[:200]
    return message[:200]
