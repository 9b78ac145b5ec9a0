"""Maskinporten asks Altinn whether a consent may go into an access token, over HTTP.

Access Management's Maskinporten API (Altinn/altinn-authorization-tmp,
``Altinn.AccessManagement.Api.Maskinporten/Controllers/ConsentController.cs``)::

    POST {altinn}/accessmanagement/api/v1/maskinporten/consent/lookup
    Authorization: Bearer <Maskinporten's own token, scope altinn:maskinporten/consent.read>
    Content-Type: application/json

    {"id": "<uuid>", "from": "urn:altinn:person:identifier-no:<pid>",
     "to": "urn:altinn:organization:identifier-no:<the org the consent must be given to>"}

answers 200 ``ConsentInfoMaskinportenDto`` ``{"id", "from", "to", "handledBy", "consented",
"validTo", "consentRights"}`` (parties as URN strings, times ISO 8601 with an offset), or an
RFC 7807 problem with Altinn's ``code``: one problem with its own status (AM-00001 404, AM-00011 to
AM-00014 400) or several as ``STD-00001`` with ``problems[]`` and status 500 (Altinn's own test
``GetConsent_CreatedExpired_Returns500MultipleProblemsExpiredAndNotAccepted``).

:meth:`ConsentLookup.look_up` gives the :class:`ConsentAnswer`, raises :class:`LookupRefused`
when Altinn names problems with the consent, and :class:`LookupFailed` when Altinn cannot be
asked (unreachable, refusing Maskinporten's own token, failing, or answering something that is not
a consent).
"""

from __future__ import annotations

import json
import re
import threading
from dataclasses import dataclass
from datetime import datetime

import requests

from dsop_sandbox.mocks.common.identifiers import is_org_number
from dsop_sandbox.mocks.common.outbound import Outbound

from .consent import ORGANIZATION_PREFIX, ConsentRequest
from .own_token import OwnToken

LOOKUP_PATH = "/accessmanagement/api/v1/maskinporten/consent/lookup"
MULTIPLE_PROBLEMS = "STD-00001"
PROBLEM_CODE = re.compile(r"[A-Z]{2,8}(\.[A-Z]{2,8})?-[0-9]{5}")
TIMEOUT = (3.05, 10.0)  # connect, read
#: How a lookup can fail without Altinn judging the consent (``consent_problem`` in the event).
UNAVAILABLE = "altinn_unavailable"
REFUSED_MASKINPORTEN = "altinn_refused_maskinporten"
ANSWER_INVALID = "altinn_answer_invalid"


@dataclass(frozen=True)
class ConsentAnswer:
    """Altinn's ``ConsentInfoMaskinportenDto``, checked."""

    id: str
    from_urn: str
    to_org: str
    handled_by: str | None
    consented: str
    valid_to: str
    rights: list[dict]  # action, resource (type, value) and metadata when the consent has any


@dataclass(frozen=True)
class Problem:
    code: str
    title: str


class LookupRefused(Exception):
    """Altinn's problem with the consent: ``problem`` and, for ``STD-00001``, the ``inner`` ones."""

    token: str | None = None  # Maskinporten's own token that was sent

    def __init__(self, status: int, problem: Problem, inner: list[Problem]):
        super().__init__(f"{status} {problem.code}")
        self.status = status
        self.problem = problem
        self.inner = inner

    @property
    def codes(self) -> list[str]:
        return [p.code for p in self.inner] or [self.problem.code]

    def describe(self) -> str:
        text = f"{self.problem.code} {self.problem.title}".strip()
        if self.inner:
            text += " (" + "; ".join(f"{p.code} {p.title}".strip() for p in self.inner) + ")"
        return text


class LookupFailed(Exception):
    """Altinn could not be asked: ``reason`` is one of the constants above, ``status`` Altinn's (if any)."""

    token: str | None = None  # Maskinporten's own token that was sent (or would have been)

    def __init__(self, reason: str, message: str, status: int | None = None):
        super().__init__(message)
        self.reason = reason
        self.status = status


class ConsentLookup:
    def __init__(self, altinn_base_url: str, own_token: OwnToken, outbound: Outbound):
        """``outbound``: the service's sessions for its calls to others (trusting the sandbox's CA
        bundle over TLS); one session is taken on the first lookup and kept (its connections too)."""
        self.url = altinn_base_url.rstrip("/") + LOOKUP_PATH
        self.own_token = own_token
        self.outbound = outbound
        self._session: requests.Session | None = None
        self._lock = threading.Lock()

    @property
    def session(self) -> requests.Session:
        with self._lock:
            if self._session is None:
                self._session = self.outbound.session()
            return self._session

    def look_up(self, request: ConsentRequest, to_org: str, trace_id: str) -> tuple[ConsentAnswer, str]:
        """Altinn's answer and the fingerprintable token Maskinporten sent. Altinn refusing the
        token (401) makes Maskinporten mint a new one and ask once more."""
        body = request.lookup_body(to_org)
        for attempt in (1, 2):
            token = self.own_token.get()
            try:
                answer = self._post(body, token, trace_id)
                if answer.status_code == 401 and attempt == 1:
                    self.own_token.forget()
                    continue
                return _judge(answer, request), token
            except (LookupRefused, LookupFailed) as exc:
                exc.token = token
                raise
        raise AssertionError("unreachable")  # the loop returns or raises on its second attempt

    def _post(self, body: dict, token: str, trace_id: str) -> requests.Response:
        headers = {
            "Authorization": f"Bearer {token}",
            "Accept": "application/json",
            "X-Correlation-Id": trace_id,  # Altinn's event log then shares the token request's trace id
        }
        try:
            return self.session.post(self.url, json=body, headers=headers, timeout=TIMEOUT)
        except requests.RequestException as exc:
            reason = f"Altinn could not be reached at {self.url} ({type(exc).__name__})"
            raise LookupFailed(UNAVAILABLE, reason) from exc


def _judge(answer: requests.Response, request: ConsentRequest) -> ConsentAnswer:
    status = answer.status_code
    body = _json(answer)
    if status == 200:
        try:
            return _consent(body, request)
        except ValueError as exc:
            raise LookupFailed(ANSWER_INVALID, f"Altinn's answer is not a consent: {exc}", status) from exc
    problem, inner = _problem(body)
    if status in (401, 403):
        named = f" {problem.code}" if problem else ""
        raise LookupFailed(REFUSED_MASKINPORTEN, f"Altinn refused Maskinporten's own token ({status}{named})", status)
    if problem is not None and (400 <= status < 500 or (problem.code == MULTIPLE_PROBLEMS and inner)):
        raise LookupRefused(status, problem, inner)
    if status >= 500:
        named = f" {problem.code}" if problem else ""
        raise LookupFailed(UNAVAILABLE, f"Altinn failed to look the consent up ({status}{named})", status)
    raise LookupFailed(ANSWER_INVALID, f"Altinn answered {status} without a problem code", status)


def _json(answer: requests.Response):
    mimetype = answer.headers.get("Content-Type", "").split(";")[0].strip().lower()
    if mimetype != "application/json" and not mimetype.endswith("+json"):
        return None
    try:
        return json.loads(answer.content)
    except (ValueError, UnicodeDecodeError, RecursionError):
        return None


def _problem(body) -> tuple[Problem | None, list[Problem]]:
    """Altinn's problem details: the code and title, and those of ``problems[]`` (STD-00001) or
    ``validationErrors[]`` (STD-00000)."""
    if not isinstance(body, dict) or not _is_code(body.get("code")):
        return None, []
    inner = []
    listed = [body.get(name) for name in ("problems", "validationErrors")]
    for item in [item for items in listed if isinstance(items, list) for item in items]:
        if isinstance(item, dict) and _is_code(item.get("code")):
            inner.append(Problem(item["code"], _text(item.get("title"))))
    return Problem(body["code"], _text(body.get("title"))), inner


def _is_code(value) -> bool:
    """An Altinn problem code: ``AM-00011``, ``STD-00001``, ``AM.VLD-00022``."""
    return isinstance(value, str) and PROBLEM_CODE.fullmatch(value) is not None


def _text(value) -> str:
    """A title to repeat in Maskinporten's answer: short, and valid Unicode."""
    return value[:200].encode("utf-8", "replace").decode("utf-8") if isinstance(value, str) else ""


def _consent(body, request: ConsentRequest) -> ConsentAnswer:
    """The answer, if it is the consent asked for in ``ConsentInfoMaskinportenDto``'s shape."""
    if not isinstance(body, dict):
        raise ValueError("not a JSON object")
    if not isinstance(body.get("id"), str) or body["id"].lower() != request.id:
        raise ValueError(f"id {body.get('id')!r} is not the consent asked for")
    if body.get("from") != request.from_urn:
        raise ValueError(f"from {body.get('from')!r} is not the party asked for")
    to = body.get("to")
    to_org = to[len(ORGANIZATION_PREFIX) :] if isinstance(to, str) and to.startswith(ORGANIZATION_PREFIX) else None
    if not is_org_number(to_org):
        raise ValueError(f"to {to!r} is not an organisation URN")
    handled_by = body.get("handledBy")
    if handled_by is not None and not isinstance(handled_by, str):
        raise ValueError("handledBy is not a URN")
    for name in ("consented", "validTo"):
        _instant(body.get(name), name)
    return ConsentAnswer(
        body["id"],
        body["from"],
        to_org,
        handled_by,
        body["consented"],
        body["validTo"],
        _rights(body.get("consentRights")),
    )


def _instant(value, name: str) -> None:
    """ISO 8601 with a time and an offset, as .NET writes a ``DateTimeOffset``."""
    try:
        moment = datetime.fromisoformat(value) if isinstance(value, str) and "T" in value else None
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        raise ValueError(f"{name} {value!r} is not an ISO 8601 time with an offset")


def _rights(value) -> list[dict]:
    if not isinstance(value, list) or not value:
        raise ValueError("consentRights is not a non-empty array")
    rights = []
    for right in value:
        if not isinstance(right, dict):
            raise ValueError("a consent right is not an object")
        action = right.get("action")
        if not isinstance(action, list) or not action or not all(isinstance(a, str) for a in action):
            raise ValueError("a consent right's action is not an array of strings")
        resources = right.get("resource")
        if not isinstance(resources, list) or not resources:
            raise ValueError("a consent right's resource is not a non-empty array")
        for resource in resources:
            if not isinstance(resource, dict) or not all(isinstance(resource.get(k), str) for k in ("type", "value")):
                raise ValueError("a resource is not {type, value}")
        # Altinn's pages spell it metaData and metadata; the token always says metadata.
        metadata = right["metadata"] if "metadata" in right else right.get("metaData")
        if metadata is not None and (
            not isinstance(metadata, dict) or not all(isinstance(v, str) for v in metadata.values())
        ):
            raise ValueError("a consent right's metadata is not an object of strings")
        entry = {"action": list(action), "resource": [{"type": r["type"], "value": r["value"]} for r in resources]}
        if metadata is not None:
            entry["metadata"] = dict(metadata)
        rights.append(entry)
    return rights
