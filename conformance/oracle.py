"""Reading the sandbox's event log: what the insurer actually did, as the services saw it.

Altinn 2 leaves its traces at Altinn (consent requests, consent tokens by authorization code, use
log) and NAV (calls with the consent token's code). Altinn 3 leaves them at Altinn (consent requests
by id), Maskinporten (token requests naming the consent in ``authorization_details``, refused with
Altinn's code when the lookup fails), Altinn's lookup for Maskinporten, and NAV (calls whose token
carries the consent, by id).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

# The operations the oracle reads, as the contract between the fakes and their readers declares them.
from .contract import (
    CONSENT_LINK,
    CONSENT_LOOKUP,
    CONSENT_TOKEN,
    CREATE_REQUEST,
    CREATE_REQUEST3,
    LOG_USE,
    MP_TOKEN,
    NAV_DATA,
    TLS_HANDSHAKE,
)


class Events:
    """A slice of the merged timeline, with the questions scenarios ask of it."""

    def __init__(self, events: list[dict]):
        self.all = events

    def where(
        self,
        service: str,
        operations: tuple[str, ...],
        *,
        status: int | tuple[int, ...] | None = None,
        subject: str | None = None,
        code: str | None = None,
        caller: str | None = None,
        **details,
    ) -> list[dict]:
        statuses = (status,) if isinstance(status, int) else status
        found = []
        for event in self.all:
            if event.get("service") != service or event.get("operation") not in operations:
                continue
            if statuses is not None and event.get("status") not in statuses:
                continue
            if subject is not None and event.get("subject") != subject:
                continue
            if caller is not None and event.get("caller") != caller:
                continue
            got = event.get("details") or {}
            if code is not None and got.get("authorization_code") != code:
                continue
            if any(got.get(key) != value for key, value in details.items()):
                continue
            found.append(event)
        return found

    def requests_made(self, org: str, pid: str | None = None) -> list[dict]:
        """Altinn 2 consent requests ``org`` made (for ``pid``): over REST, or through the parameterised
        link naming ``org`` in ``CoveredBy``, which Altinn turns into a request once the citizen logged in."""
        rest = self.where("altinn", CREATE_REQUEST, status=201, caller=org, subject=pid)
        linked = [
            e
            for e in self.where("altinn", CONSENT_LINK, status=302, subject=pid, covered_by=org)
            if details_of(e).get("authorization_code")
        ]
        return sorted(rest + linked, key=lambda e: (e.get("time") or "", e.get("id") or 0))

    def consent_tokens(self, org: str, code: str | None = None, status=None) -> list[dict]:
        return self.where("altinn", CONSENT_TOKEN, status=status, caller=org, code=code)

    def uses(self, org: str, code: str | None = None) -> list[dict]:
        return self.where("altinn", LOG_USE, status=204, caller=org, code=code)

    def nav_calls(self, org: str | None = None, pid: str | None = None, status=None) -> list[dict]:
        return self.where("nav", NAV_DATA, status=status, caller=org, subject=pid)

    def nav_refused_for(self, problem: str, org: str | None = None) -> list[dict]:
        return [e for e in self.nav_calls(org) if (e.get("details") or {}).get("consent_problem") == problem]

    def tls_refusals(self, service: str) -> list[dict]:
        """Handshakes a client ended because it did not accept ``service``'s certificate."""
        return [event for event in self.where(service, TLS_HANDSHAKE) if event.get("outcome") == "refused"]

    def maskinporten_tokens(self, client_id: str) -> list[dict]:
        return self.where("maskinporten", MP_TOKEN, status=200, caller=client_id)

    # -- Altinn 3 -----------------------------------------------------------------------------------------
    def requests3(self, org: str, pid: str | None = None, status=201) -> list[dict]:
        """Consent requests ``org`` made at Altinn 3 (for ``pid``); ``status=None`` also the refused ones."""
        return self.where("altinn", CREATE_REQUEST3, status=status, caller=org, subject=pid)

    def refused_requests3(self, org: str) -> list[dict]:
        return [e for e in self.requests3(org, status=None) if (e.get("status") or 0) >= 400]

    def consent_grants(self, client_id: str, consent_id: str | None = None, status=None) -> list[dict]:
        """Token requests by ``client_id`` naming a consent in ``authorization_details`` (``consent_id``:
        that one), granted or refused."""
        return [
            e
            for e in self.where("maskinporten", MP_TOKEN, status=status, caller=client_id)
            if (ids := consent_ids(e)) and (consent_id is None or consent_id.lower() in ids)
        ]

    def consent_refusals(self, client_id: str, consent_id: str | None = None, code: str | None = None) -> list[dict]:
        """Token requests Maskinporten refused because Altinn refused the consent (``code``: Altinn's code)."""
        return [
            e
            for e in self.consent_grants(client_id, consent_id)
            if details_of(e).get("consent_lookup") == "refused"
            and (code is None or details_of(e).get("consent_problem") == code)
        ]

    def several_consents(self, client_id: str) -> list[dict]:
        """Token requests that named more than one consent at once."""
        return [e for e in self.consent_grants(client_id) if len(details_of(e).get("consents_asked") or []) > 1]

    def lookups(self, consent_id: str) -> list[dict]:
        """Maskinporten's lookups of ``consent_id`` at Altinn."""
        return self.where("altinn", CONSENT_LOOKUP, consent_id=consent_id)

    def nav_calls3(self, org: str | None = None, consent_id: str | None = None, status=None) -> list[dict]:
        """NAV calls whose Maskinporten token carried an Altinn 3 consent (``consent_id``: that one)."""
        return [
            e
            for e in self.nav_calls(org, status=status)
            if details_of(e).get("consent_generation") == "altinn3"
            and (consent_id is None or str(details_of(e).get("consent_id", "")).lower() == consent_id.lower())
        ]


def details_of(event: dict) -> dict:
    return event.get("details") or {}


def consent_ids(event: dict) -> set[str]:
    """The consent ids a Maskinporten token request named (as asked, and as Maskinporten read them)."""
    details = details_of(event)
    ids = {str(item.get("id", "")).lower() for item in details.get("consents_asked") or [] if isinstance(item, dict)}
    if details.get("consent_id"):
        ids.add(str(details["consent_id"]).lower())
    return ids


def token_end(event: dict, lifetime: float) -> datetime | None:
    """When the token a Maskinporten token event issued expires: its ``exp`` (protocol time, which is
    real time: only the calendar moves), else ``lifetime`` after the event."""
    exp = details_of(event).get("exp")
    if isinstance(exp, (int, float)):
        return datetime.fromtimestamp(exp, UTC)
    try:
        happened = datetime.fromisoformat(str(event.get("time") or "").replace("Z", "+00:00"))
    except ValueError:
        return None
    return happened + timedelta(seconds=lifetime)


def brief(events: list[dict], limit: int = 12) -> list[dict]:
    """The evidence kept in a verdict: the events themselves, at most ``limit`` (first and last)."""
    if len(events) <= limit:
        return list(events)
    half = limit // 2
    return events[:half] + events[-half:]
