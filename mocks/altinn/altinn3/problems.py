"""Altinn 3's error shape: RFC 7807 problem details as Altinn writes them, and the codes.

The shape is Altinn's ``AltinnProblemDetails`` (altinn-authorization-utils,
https://github.com/Altinn/altinn-authorization-utils, ``src/Altinn.Authorization.ProblemDetails``):

* one problem: ``{"type": "urn:altinn:error:AM-00013", "title", "status", "detail"?, "code",
  "traceId", "statusDescription", <extensions>}``;
* validation: code ``STD-00000`` (400) with ``validationErrors: [{"code": "AM.VLD-00022",
  "title", "paths": [...], "detail"?}]``;
* several problems at once: code ``STD-00001`` with ``problems: [...]``. The real service answers
  it with status **500** ("Multiple problems occurred."; the library's default, and Altinn's own test
  ``GetConsent_CreatedExpired_Returns500MultipleProblemsExpiredAndNotAccepted`` in
  Altinn/altinn-authorization-tmp). The sandbox answers **400** with the same body: every problem
  inside is the client's, the sandbox never answers bad input with a 5xx, and a client that retries
  5xx would retry an answer that can never change. The README says so.

The consent codes (``AM-000xx``, ``AM.VLD-000xx``) are Access Management's published descriptors
(Altinn/altinn-authorization-tmp, ``src/libs/Altinn.Authorization.Api.Contracts/.../Errors/Problems.cs``
and ``ValidationErrors.cs``); the ``STD`` ones are the library's own.

Where the real service answers without a code (401 and 403 from its authentication and
authorization layer carry no body at all, and some rules are the sandbox's own), the sandbox
uses its own domain ``SBX`` in the same shape: ``SBX-000xx`` problems and ``SBX.VLD-000xx``
validation errors. They are listed here once; nothing else in the sandbox invents codes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from http import HTTPStatus

from dsop_sandbox.mocks.common.errors import ServiceError
from dsop_sandbox.mocks.common.payload import trace_id as current_trace_id

TYPE_PREFIX = "urn:altinn:error:"
RFC9110 = "https://tools.ietf.org/html/rfc9110#section-"
#: The RFC 9110 sections ASP.NET links a plain problem's ``type`` to.
RFC9110_SECTIONS = {
    400: "15.5.1",
    401: "15.5.2",
    403: "15.5.4",
    404: "15.5.5",
    405: "15.5.6",
    406: "15.5.7",
    409: "15.5.10",
    413: "15.5.14",
    415: "15.5.16",
    422: "15.5.21",
    429: "15.5.29",
    500: "15.6.1",
    502: "15.6.3",
    503: "15.6.4",
    504: "15.6.5",
}


@dataclass(frozen=True)
class Descriptor:
    """A problem: its code, HTTP status and fixed title."""

    code: str
    status: int
    title: str


@dataclass(frozen=True)
class ValidationDescriptor:
    """A validation error (always inside a ``STD-00000`` problem)."""

    code: str
    title: str


# -- Access Management's consent problems (real) ---------------------------------------------------------
NOT_AUTHORIZED = Descriptor("AM-00000", 403, "Not authorized for consent")
NOT_FOUND = Descriptor("AM-00001", 404, "Consent not found")
CANT_BE_ACCEPTED = Descriptor("AM-00002", 400, "Consent have wrong status to be consented")
UNKNOWN_ORGANIZATION = Descriptor("AM-00003", 400, "Unknown organization. Could not be found")
UNKNOWN_PERSON = Descriptor("AM-00004", 400, "Unknown person. Could not be found")
INVALID_RESOURCE = Descriptor("AM-00005", 400, "Invalid consent resource")
UNKNOWN_METADATA = Descriptor("AM-00006", 400, "Invalid consent metadata")
MISSING_METADATA_VALUE = Descriptor("AM-00007", 400, "Missing metadata value")
MISSING_METADATA = Descriptor("AM-00008", 400, "Missing metadata")
INVALID_COMBINATION = Descriptor("AM-00009", 400, "Invalid resource combination")
CANT_BE_REVOKED = Descriptor("AM-00010", 400, "Consent cant be revoked.Wrong status")
REVOKED = Descriptor("AM-00011", 400, "Consent is revoked")
PARTY_MISMATCH = Descriptor("AM-00012", 400, "The consented party does not match the party requested")
EXPIRED = Descriptor("AM-00013", 400, "Consent is expired")
NOT_ACCEPTED = Descriptor("AM-00014", 400, "Consent is not accepted")
CANT_BE_REJECTED = Descriptor("AM-00015", 400, "Consent cant be rejected. Wrong status")
ID_EXISTS = Descriptor("AM-00016", 400, "Consent with id already exist")

# -- the library's standard problems (real) ---------------------------------------------------------------
VALIDATION = Descriptor("STD-00000", 400, "One or more validation errors occurred.")
#: The real status is 500; the sandbox's is 400 (see the module's docstring).
MULTIPLE = Descriptor("STD-00001", 400, "Multiple problems occurred.")

# -- validation errors (real) ------------------------------------------------------------------------------
REQUIRED = ValidationDescriptor("STD.VLD-00000", "The field is required.")
INVALID_VALUE = ValidationDescriptor("STD.VLD-00002", "The value provided is invalid.")
JSON_ERROR = ValidationDescriptor(
    "STD.VLD-00017",
    "The JSON value failed to deserialize. Check the JSON format and ensure that the property names match "
    "the expected model.",
)
TIME_NOT_IN_FUTURE = ValidationDescriptor("AM.VLD-00022", "The time need to be in the future")
EMPTY_LIST = ValidationDescriptor("AM.VLD-00023", "The list cant be empty")
INVALID_REDIRECT_URL = ValidationDescriptor("AM.VLD-00027", "Redirect URL is not a valid URL")
INVALID_DATE_RANGE = ValidationDescriptor("AM.VLD-00051", "'createdAfter' must be earlier than 'createdBefore'.")
INVALID_EVENT_TYPE = ValidationDescriptor(
    "AM.VLD-00052", "One or more event types are invalid. Valid values are: rejected, accepted, revoked, deleted, used."
)
INVALID_CONTINUATION_TOKEN = ValidationDescriptor("AM.VLD-00053", "The continuation token is invalid.")

# -- the sandbox's own codes (the real service answers these cases without a code, or has no rule) -------
#: No usable Maskinporten token (real: 401 without a body).
SBX_UNAUTHENTICATED = Descriptor("SBX-00001", 401, "The request has no valid Maskinporten token")
#: The token lacks the operation's scope (real: 403 without a body).
SBX_SCOPE = Descriptor("SBX-00002", 403, "The Maskinporten token lacks the scope this operation needs")
#: ``to`` is not the organisation in the token's ``consumer`` (real: 403 without a body).
SBX_TO_NOT_CALLER = Descriptor("SBX-00003", 403, "The consent request must be to the authenticated organization")
#: The resource is unknown, or its access list does not hold the organisation (real: 403 without a body).
SBX_RESOURCE_ACCESS = Descriptor("SBX-00004", 403, "The organization may not request consent for the resource")
#: Only Maskinporten (Digdir) may look consents up (the real service checks the scope only).
SBX_NOT_MASKINPORTEN = Descriptor("SBX-00005", 403, "Only Maskinporten may look up consents")
#: The token's ``consumer`` claim is missing or unreadable (real: 401 problem details without a code).
SBX_NO_CONSUMER = Descriptor("SBX-00006", 401, "The Maskinporten token names no consumer organization")
#: Maskinporten's keys cannot be fetched, so no token can be checked.
SBX_KEYS_UNAVAILABLE = Descriptor("SBX-00007", 503, "Maskinporten's signing keys cannot be read")
#: ``validTo`` is later than the resource owner allows (NAV: three years); the real service has no such rule.
SBX_VALID_TO_TOO_LATE = ValidationDescriptor("SBX.VLD-00001", "ValidTo is later than the resource allows")
#: A metadata value is not in the format the resource owner documents (NAV: dd.MM.yyyy).
SBX_METADATA_FORMAT = ValidationDescriptor("SBX.VLD-00002", "The metadata value is not in the resource's format")
#: ``requestMessage`` is sent, but the resource's consent template does not take one.
SBX_MESSAGE_NOT_ALLOWED = ValidationDescriptor("SBX.VLD-00003", "The consent template does not allow a requestMessage")
#: A party URN form Altinn parses but cannot use for consent (``urn:altinn:party:id``, system users;
#: the real service fails with 500 on them).
SBX_UNSUPPORTED_PARTY = ValidationDescriptor("SBX.VLD-00004", "The party URN form is not supported for consent")
#: The metadata period starts after it ends (``fraogmed`` after ``tilogmed``).
SBX_METADATA_PERIOD = ValidationDescriptor("SBX.VLD-00005", "The metadata period starts after it ends")

#: What each real status is described as (``statusDescription``).
_STATUS_DESCRIPTIONS = {500: "An error occurred while processing your request.", 413: "Content Too Large"}


def status_description(status: int) -> str:
    if status in _STATUS_DESCRIPTIONS:
        return _STATUS_DESCRIPTIONS[status]
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


_HEX32 = re.compile(r"^[0-9a-f]{32}$")


def w3c_trace_id(trace_id: str) -> str:
    """The request's trace id as ASP.NET writes ``Activity.Current.Id`` (``00-<trace>-<span>-00``)."""
    if _HEX32.match(trace_id or ""):
        return f"00-{trace_id}-{trace_id[:16]}-00"
    return trace_id


@dataclass
class ValidationError:
    descriptor: ValidationDescriptor
    paths: list[str]
    detail: str | None = None
    extensions: dict = field(default_factory=dict)

    def body(self) -> dict:
        body: dict = {"code": self.descriptor.code, "title": self.descriptor.title, "paths": list(self.paths)}
        if self.detail:
            body["detail"] = self.detail
        body.update(self.extensions)
        return body


@dataclass
class Problem:
    """One problem instance: a descriptor with an optional detail and extension values."""

    descriptor: Descriptor
    detail: str | None = None
    extensions: dict = field(default_factory=dict)
    errors: list[ValidationError] = field(default_factory=list)  # for STD-00000
    problems: list[Problem] = field(default_factory=list)  # for STD-00001

    @property
    def code(self) -> str:
        return self.descriptor.code

    @property
    def status(self) -> int:
        return self.descriptor.status

    def body(self, trace_id: str) -> dict:
        body: dict = {
            "type": TYPE_PREFIX + self.descriptor.code,
            "title": self.descriptor.title,
            "status": self.descriptor.status,
        }
        if self.detail:
            body["detail"] = self.detail
        body["code"] = self.descriptor.code
        body["traceId"] = w3c_trace_id(trace_id)
        body["statusDescription"] = status_description(self.descriptor.status)
        if self.errors:
            body["validationErrors"] = [error.body() for error in self.errors]
        if self.problems:
            body["problems"] = [problem.body(trace_id) for problem in self.problems]
        body.update(self.extensions)
        return body

    def codes(self) -> list[str]:
        """Every code inside, for the event log (validation errors and nested problems included)."""
        inner = [error.descriptor.code for error in self.errors]
        for problem in self.problems:
            inner += problem.codes() if problem.problems or problem.errors else [problem.code]
        return inner or [self.code]


def validation_problem(errors: list[ValidationError]) -> Problem:
    return Problem(VALIDATION, errors=list(errors))


def one_or_many(problems: list[Problem]) -> Problem | None:
    """What Altinn's ``MultipleProblemBuilder`` builds: nothing, the one problem, or ``STD-00001``."""
    if not problems:
        return None
    if len(problems) == 1:
        return problems[0]
    return Problem(MULTIPLE, problems=list(problems))


class ProblemError(ServiceError):
    """A problem raised from a handler; the service renders ``body`` and logs ``code``."""

    def __init__(self, problem: Problem, trace_id: str, headers: dict | None = None):
        super().__init__(problem.status, problem.body(trace_id), problem.code, headers)
        self.problem = problem


def fail(problem: Problem, headers: dict | None = None) -> ProblemError:
    """``raise fail(problem)`` inside a request: the problem with this request's trace id."""
    return ProblemError(problem, current_trace_id(), headers)


def plain_problem(status: int, detail: str, trace_id: str) -> dict:
    """ASP.NET's own problem details (no Altinn code): unknown routes, wrong methods, media types."""
    section = RFC9110_SECTIONS.get(status)
    body: dict = {"type": RFC9110 + section if section else "about:blank", "title": status_description(status)}
    body["status"] = status
    if detail:
        body["detail"] = detail
    body["traceId"] = w3c_trace_id(trace_id)
    return body
