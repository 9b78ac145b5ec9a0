"""A small stand-in for Altinn's consent lookup, served over HTTP on a free port.

It serves exactly the contract Maskinporten relies on (Access Management's
``POST /accessmanagement/api/v1/maskinporten/consent/lookup``): a Bearer token with scope
``altinn:maskinporten/consent.read``, a JSON body ``{"id", "from", "to"}``, and the answer
``ConsentInfoMaskinportenDto`` or Altinn's problem details (one problem with its own status,
several as ``STD-00001`` with status 500), judged in the order of ``ConsentService.GetConsent``.
A test puts consents in, reads what Maskinporten sent (``calls``), or makes the next answers
something else (``answer_with``)."""

from __future__ import annotations

import json
import threading
import uuid
from dataclasses import dataclass, field

import jwt
from flask import Flask, Response, request
from werkzeug.serving import make_server

LOOKUP_PATH = "/accessmanagement/api/v1/maskinporten/consent/lookup"
LOOKUP_SCOPE = "altinn:maskinporten/consent.read"
PERSON = "urn:altinn:person:identifier-no:"
ORGANIZATION = "urn:altinn:organization:identifier-no:"

#: Access Management's descriptors (Altinn/altinn-authorization-tmp, Errors/Problems.cs).
NOT_FOUND = ("AM-00001", 404, "Consent not found")
REVOKED = ("AM-00011", 400, "Consent is revoked")
PARTY_MISMATCH = ("AM-00012", 400, "The consented party does not match the party requested")
EXPIRED = ("AM-00013", 400, "Consent is expired")
NOT_ACCEPTED = ("AM-00014", 400, "Consent is not accepted")
MULTIPLE = ("STD-00001", 500, "Multiple problems occurred.")

NAV_RIGHTS = [
    {
        "action": ["consent"],
        "resource": [{"type": "urn:altinn:resource", "value": "nav_samtykke_dsop_aap-ufore"}],
        "metadata": {"fraogmed": "01.01.2024", "tilogmed": "31.12.2026"},
    }
]


def problem_body(descriptor, problems=()) -> dict:
    code, status, title = descriptor
    body = {"type": f"urn:altinn:error:{code}", "title": title, "status": status, "code": code, "traceId": "00-x-y-00"}
    if problems:
        body["problems"] = [problem_body(p) for p in problems]
    return body


@dataclass
class Consent:
    id: str
    from_urn: str
    to_org: str
    status: str = "Accepted"  # Created | Accepted | Rejected | Revoked
    expired: bool = False
    handled_by: str | None = None
    consented: str = "2026-12-04T10:14:05.419279+00:00"
    valid_to: str = "2029-12-04T10:13:27.8970021+00:00"
    rights: list = field(default_factory=lambda: json.loads(json.dumps(NAV_RIGHTS)))

    def dto(self) -> dict:
        return {
            "id": self.id,
            "from": self.from_urn,
            "to": ORGANIZATION + self.to_org,
            "handledBy": ORGANIZATION + self.handled_by if self.handled_by else None,
            "consented": self.consented,
            "validTo": self.valid_to,
            "consentRights": self.rights,
        }


@dataclass
class Call:
    """One lookup Maskinporten made."""

    method: str
    path: str
    headers: dict
    body: object
    token_claims: dict | None


class AltinnStub:
    def __init__(self):
        self.consents: dict[str, Consent] = {}
        self.calls: list[Call] = []
        self.canned: list[tuple[int, str, str]] = []  # (status, content type, body) answered first
        self.app = self._app()
        self.server = make_server("127.0.0.1", 0, self.app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def start(self) -> AltinnStub:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.thread.join(timeout=10)
        self.server.server_close()

    def reset(self) -> None:
        self.consents.clear()
        self.calls.clear()
        self.canned.clear()

    def add(self, pid: str | None = None, to_org: str = "310000019", *, org: str | None = None, **facts) -> Consent:
        """A consent from the person ``pid`` (or the organisation ``org``) to ``to_org``."""
        from_urn = PERSON + pid if pid else ORGANIZATION + org
        consent = Consent(str(uuid.uuid4()), from_urn, to_org, **facts)
        self.consents[consent.id] = consent
        return consent

    def answer_with(self, status: int, body, content_type: str = "application/json", times: int = 1) -> None:
        text = body if isinstance(body, str) else json.dumps(body)
        self.canned.extend([(status, content_type, text)] * times)

    # -- the endpoint -------------------------------------------------------------------------------------
    def _app(self) -> Flask:
        app = Flask("altinn-stub")

        @app.post(LOOKUP_PATH)
        def lookup():
            return self._lookup()

        return app

    def _lookup(self) -> Response:
        authorization = request.headers.get("Authorization", "")
        token = authorization[7:] if authorization.startswith("Bearer ") else None
        claims = jwt.decode(token, options={"verify_signature": False}) if token else None
        body = request.get_json(silent=True)
        self.calls.append(Call(request.method, request.path, dict(request.headers), body, claims))
        if self.canned:
            status, content_type, text = self.canned.pop(0)
            return Response(text, status=status, content_type=content_type)
        if claims is None:
            return Response(status=401, headers={"WWW-Authenticate": "Bearer"})
        if LOOKUP_SCOPE not in str(claims.get("scope", "")).split():
            return Response(status=403)
        if not isinstance(body, dict) or not all(isinstance(body.get(k), str) for k in ("id", "from", "to")):
            return _problem(("STD-00000", 400, "One or more validation errors occurred."))
        consent = self.consents.get(body["id"].lower())
        if consent is None:
            return _problem(NOT_FOUND)
        found = []
        if body["to"] not in (ORGANIZATION + consent.to_org, ORGANIZATION + (consent.handled_by or "")):
            found.append(NOT_FOUND)
        if body["from"] != consent.from_urn:
            found.append(PARTY_MISMATCH)
        if consent.expired:
            found.append(EXPIRED)
        if consent.status == "Revoked":
            found.append(REVOKED)
        elif consent.status != "Accepted":
            found.append(NOT_ACCEPTED)
        if len(found) == 1:
            return _problem(found[0])
        if found:
            return _problem(MULTIPLE, found)
        return Response(json.dumps(consent.dto()), status=200, content_type="application/json; charset=utf-8")


def _problem(descriptor, problems=()) -> Response:
    return Response(
        json.dumps(problem_body(descriptor, problems)), status=descriptor[1], content_type="application/problem+json"
    )
