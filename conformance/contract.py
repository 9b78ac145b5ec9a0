"""The contract between the fakes and those who read their events: the suite's oracle, the dashboard's
diagram and fault targets.

An event's ``operation`` is the Flask endpoint of the view that handled the request (the view
function's name, or the ``endpoint=`` its route names). Renaming a view renames its operation, and a
reader that still looks for the old name silently sees nothing: a verdict turns, an arrow is not
drawn, a fault is refused. So every operation a reader names is declared here, once, by service, and
tests/conformance/test_contract.py checks that each is an endpoint of that service's app (or one of
the few operations a service records without a view, :data:`NOT_VIEWS`), and that the oracle, the
dashboard and the docs name no operation that is not declared.

This module imports nothing: the suite (which sees the sandbox only over HTTP), the dashboard and the
fakes may all import it (tests/test_architecture.py gives it a part of its own).
"""

from __future__ import annotations

# -- Altinn 2 ----------------------------------------------------------------------------------------------
#: A consent request over REST (``POST /api/consentRequests``, and its singular alias).
CREATE_REQUEST = ("create_consent_request", "create_consent_request_singular")
#: The parameterised link (``/ui/AccessConsent/?Resources=…&CoveredBy=…``): once the citizen has logged in,
#: Altinn creates the request and sends the browser to its page (302, ``details.authorization_code``).
CONSENT_LINK = ("consent_link", "consent_link_slash")
#: A consent token by authorization code (path and query forms).
CONSENT_TOKEN = ("get_consent_token", "get_consent_token_by_query")
#: The use log.
LOG_USE = ("log_use",)

# -- Altinn 3 ----------------------------------------------------------------------------------------------
CREATE_REQUEST3 = ("enterprise_create_consent_request",)
GET_REQUEST3 = ("enterprise_get_consent_request",)
CONSENT_EVENTS3 = ("enterprise_consent_events",)
CONSENT_PAGE3 = ("altinn3_consent_page",)
CONSENT_ANSWER3 = ("altinn3_consent_answer",)
ACTIVE_CONSENTS3 = ("altinn3_active_consents",)
REVOKE3 = ("altinn3_revoke_consent",)
#: Maskinporten's lookup of a consent at Altinn while it handles a token request.
CONSENT_LOOKUP = ("maskinporten_consent_lookup",)

# -- Maskinporten, NAV, every service ----------------------------------------------------------------------
MP_TOKEN = ("token",)
NAV_DATA = ("hentUforeopplysninger", "finnVedtakListe", "finnMeldekortListe")
#: A TLS handshake a client refused: recorded by the server, not by a view.
TLS_HANDSHAKE = ("tls_handshake",)

# -- the control plane's walkthrough -----------------------------------------------------------------------
START_CLAIM = ("start_claim",)
INSURER_FETCH = ("insurer_fetch",)

#: Every operation a reader names, by the service whose events carry it.
OPERATIONS: dict[str, tuple[str, ...]] = {
    "altinn": CREATE_REQUEST
    + CONSENT_LINK
    + CONSENT_TOKEN
    + LOG_USE
    + CREATE_REQUEST3
    + GET_REQUEST3
    + CONSENT_EVENTS3
    + CONSENT_PAGE3
    + CONSENT_ANSWER3
    + ACTIVE_CONSENTS3
    + REVOKE3
    + CONSENT_LOOKUP
    + TLS_HANDSHAKE,
    "maskinporten": MP_TOKEN + TLS_HANDSHAKE,
    "nav": NAV_DATA + TLS_HANDSHAKE,
    "idporten": TLS_HANDSHAKE,
    "control": START_CLAIM + INSURER_FETCH,
}
#: Operations recorded without a view of that name.
NOT_VIEWS = frozenset(TLS_HANDSHAKE)

#: The event fields readers take: the event's own, and those of its ``details`` (as ``annotate`` writes
#: them), each with what it holds.
EVENT_FIELDS = {
    "time": "protocol time, ISO 8601 with milliseconds",
    "calendar_time": "the sandbox calendar's time",
    "service": "the service that recorded the event",
    "operation": "the view's endpoint (see OPERATIONS)",
    "method": "the HTTP method",
    "path": "the request path",
    "status": "the HTTP status answered (0: no answer)",
    "outcome": "ok | error | dropped | refused",
    "caller": "who authenticated: an org number, a client id, a service",
    "subject": "the person the request was about (fødselsnummer)",
    "error": "the error code answered",
    "trace_id": "the trace id shared by the requests of one call",
    "details": "what the handler annotated (DETAILS)",
}
DETAILS = {
    "authorization_code": "Altinn 2: the consent request's AuthorizationCode",
    "services": "Altinn 2: the services a consent request asks for (code_edition)",
    "covered_by": "Altinn 2's link: the org the request is for (CoveredBy)",
    "redirect_to": "Altinn's answer: the RedirectUrl's origin and path the browser was sent to",
    "answer": "Altinn's answer page: accepted | rejected",
    "consent_id": "Altinn 3: the consent's id",
    "consents_asked": "Maskinporten: the consents a grant named in authorization_details",
    "consent_lookup": "Maskinporten: what Altinn's lookup said (accepted | refused)",
    "consent_problem": "why a consent was refused (Altinn's code, NAV's reason)",
    "consent_from": "Maskinporten: the person the consent in the token is from",
    "consent_generation": "NAV: altinn3 (consent in the token) | altinn2 (consent token)",
    "token_problem": "NAV: what was wrong with the Maskinporten token",
    "exp": "Maskinporten: when the issued token expires",
    "resources": "Altinn 3: the resources a consent request asks for",
    "to": "Altinn 3: the org a consent request is to",
    "valid_to": "Altinn 3: the consent request's validTo",
    "problems": "the error codes of a refused request",
}


def operations(service: str) -> tuple[str, ...]:
    """The operations readers name for ``service``."""
    return OPERATIONS.get(service, ())


def timeline_order(event: dict) -> tuple:
    """The merged timeline's order (the control plane answers in it): time, then service, then the
    service's own event id. A reader that joins pages of the timeline sorts them back into it."""
    return event["time"], event["service"], event["id"]
