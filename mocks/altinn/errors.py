"""Altinn 2's error shape and the error codes the consent API answers with.

Altinn 2 REST errors are a JSON list of ``{"ErrorCode", "ErrorMessage"}`` (validation: HTTP 400,
every problem of the request at once). One code is documented: 40332 (an identifier is not a
valid organisation or person number, or the name does not match, release 21.8). Altinn does not
publish the rest of its numbering; the sandbox files each rule it enforces under its own code in
the same 403xx style, listed here once, so that tests and insurers can tell the rules apart.

The token endpoint refuses with 403 and Altinn's one reason for every case (unknown code, not yet
answered, rejected, withdrawn, expired, wrong API key); the sandbox adds the specific cause
after it, so that the real sentence stays a prefix an insurer can match.

The same app serves Altinn 3 (``/accessmanagement/…``, ``/resourceregistry/…``), whose errors are
RFC 7807 problem details: a generic failure there (unknown route, wrong method, body too large,
a fault armed without a body) is written in that shape instead (:mod:`.altinn3.problems`).
Faults are answered outside Flask's request context, so :class:`RequestPath` remembers each
request's path for :func:`error_body`.
"""

from __future__ import annotations

from contextvars import ContextVar

from flask import has_request_context, request

from dsop_sandbox.mocks.common.errors import ErrorShape, ServiceError
from dsop_sandbox.mocks.common.payload import trace_id

from .altinn3.problems import plain_problem

#: Paths of Altinn 3's platform APIs and pages, whose errors are problem details.
ALTINN3_PREFIXES = ("/accessmanagement/", "/resourceregistry/")
_PATH: ContextVar[str] = ContextVar("altinn_request_path", default="")


def is_altinn3_path(path: str) -> bool:
    return path.startswith(ALTINN3_PREFIXES)


def _request_path() -> str:
    return request.path if has_request_context() else _PATH.get()


def error_body(status: int, code: str, message: str, trace_id: str):
    if is_altinn3_path(_request_path()):
        return plain_problem(status, message, trace_id)
    return [{"ErrorCode": code, "ErrorMessage": message}]


class RequestPath:
    """WSGI layer outside the service middleware: the path of the request being answered."""

    def __init__(self, inner):
        self.inner = inner

    def __call__(self, environ, start_response):
        token = _PATH.set(environ.get("PATH_INFO", "") or "/")
        try:
            return self.inner(environ, start_response)
        finally:
            _PATH.reset(token)


ERRORS = ErrorShape(error_body)

# -- authentication and authorisation (inferred codes) -------------------------------------------
API_KEY = "40301"  # ApiKey header missing or unknown (403)
AUTHENTICATION = "40101"  # neither a valid enterprise certificate nor a Maskinporten token (401)
SCOPE = "40302"  # the Maskinporten token lacks the operation's scope (403)
WRONG_PARTY = "40303"  # the authenticated org is not the API key's org / not CoveredBy or HandledBy (403)
SERVICE_OWNER = "40304"  # not the service owner of the asked service (403)

# -- consent request validation (400) -----------------------------------------------------------
UNKNOWN_PARTY = "40332"  # documented: not a valid org/person number, or the name does not match
COVERED_BY = "40330"  # CoveredBy is not a registered consent consumer
SAME_PARTY = "40331"  # CoveredBy equals OfferedBy (Altinn 20.1)
VALID_TO = "40333"  # ValidTo missing, malformed or not in the future
VALID_TO_MAX = "40334"  # ValidTo beyond the service's longest consent
REDIRECT_URL = "40335"  # RedirectUrl missing, malformed or not on the consumer's allowed domains
RESOURCES = "40336"  # RequestResources missing, or an unknown service/edition
METADATA_MISSING = "40337"  # a metadata key of the template is missing or empty (Altinn 20.11)
METADATA_UNKNOWN = "40338"  # a metadata key the template does not have
METADATA_FORMAT = "40339"  # a metadata value in the wrong format
MIXED_TEMPLATES = "40340"  # services with different consent templates in one request
REQUEST_MESSAGE = "40341"  # RequestMessage malformed or not allowed by the template
PORTAL_VIEW_MODE = "40342"  # PortalViewMode is neither Hide nor Show
HANDLED_BY = "40343"  # HandledBy is not a registered consumer
MALFORMED = "40345"  # a field has the wrong JSON type
ALREADY_HANDLED = "40346"  # DELETE of a request the citizen has answered
LOG_USE = "40347"  # loguse body: service not in the consent, or bad UsageDateTime
QUERY = "40348"  # a list query parameter that cannot be understood
NOT_FOUND = "40400"  # no consent request with that code (404)

TOKEN_REFUSED = "40300"
TOKEN_REFUSAL_TEXT = (
    "The API key is not authorized for this operation, or the supplied authorization code is either expired or invalid."
)


def altinn_error(status: int, code: str, message: str) -> ServiceError:
    return ERRORS.error(status, code, message, trace_id())


def validation_errors(problems: list[tuple[str, str]]) -> ServiceError:
    """HTTP 400 listing every problem ``(code, message)`` of the request."""
    body = [{"ErrorCode": code, "ErrorMessage": message} for code, message in problems]
    return ServiceError(400, body, problems[0][0])


def token_refused(cause: str) -> ServiceError:
    return altinn_error(403, TOKEN_REFUSED, f"{TOKEN_REFUSAL_TEXT} ({cause})")
