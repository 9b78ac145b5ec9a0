"""Reading the sandbox's event log: what the insurer actually did, as the services saw it."""

from __future__ import annotations

CREATE_REQUEST = ("create_consent_request", "create_consent_request_singular")
CONSENT_TOKEN = ("get_consent_token", "get_consent_token_by_query")
LOG_USE = ("log_use",)
NAV_DATA = ("hentUforeopplysninger", "finnVedtakListe", "finnMeldekortListe")
MP_TOKEN = ("token",)
TLS_HANDSHAKE = ("tls_handshake",)


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
        return self.where("altinn", CREATE_REQUEST, status=201, caller=org, subject=pid)

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


def brief(events: list[dict], limit: int = 12) -> list[dict]:
    """The evidence kept in a verdict: the events themselves, at most ``limit`` (first and last)."""
    if len(events) <= limit:
        return list(events)
    half = limit // 2
    return events[:half] + events[-half:]
