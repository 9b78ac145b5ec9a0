"""Altinn (both generations) in process, seen by an Altinn 3 integration: Maskinporten tokens signed
with Maskinporten's key from the key authority (Altinn checks them against those published keys),
valid consent request bodies for NAV's resource, the admin fixtures, a logged-in citizen."""

from __future__ import annotations

import secrets
import uuid
from datetime import timedelta

import jwt

from dsop_sandbox.mocks.altinn.altinn3.urns import organization_urn, person_urn
from dsop_sandbox.mocks.altinn.citizen import login as L
from dsop_sandbox.mocks.altinn.resource_registry.nav import IDENTIFIER as NAV_RESOURCE
from dsop_sandbox.mocks.authority import KeyAuthority
from dsop_sandbox.mocks.common.citizen_login import digest
from dsop_sandbox.mocks.common.remote_keys import TokenError

INSURER_ORG = "310000019"
INSURER_NAME = "Eksempel Forsikring AS"
OTHER_ORG = "310000027"
OTHER_NAME = "Annen Forsikring ASA"
SUPPLIER_ORG = "310000035"
DIGDIR_ORG = "991825827"
KARI = "15838512329"  # Kari Nordmann, a sandbox test person
OLA = "02917945651"
REDIRECT = "https://forsikring.example/samtykke/retur?sak=4711"
WRITE = "altinn:consentrequests.write"
READ = "altinn:consentrequests.read"
LOOKUP = "altinn:maskinporten/consent.read"
CREATE_PATH = "/accessmanagement/api/v1/enterprise/consentrequests"
EVENTS_PATH = CREATE_PATH + "/events"
LOOKUP_PATH = "/accessmanagement/api/v1/maskinporten/consent/lookup"


class AuthorityKeys:
    """Maskinporten's published keys, read from the key authority instead of over HTTP."""

    def __init__(self, authority: KeyAuthority):
        self.authority = authority
        self.verify = True

    def key(self, kid):
        keys = {key.kid: key.private_key.public_key() for key in self.authority.published_keys("maskinporten")}
        if kid is None:
            return next(iter(keys.values()))
        if kid not in keys:
            raise TokenError("unknown_key", f"unknown kid {kid}")
        return keys[kid]


def org_party(org: str) -> dict:
    return {"authority": "iso6523-actorid-upis", "ID": f"0192:{org}"}


class World:
    def __init__(self, app, authority: KeyAuthority):
        self.app = app
        self.client = app.test_client()
        self.service = app.extensions["altinn"]
        self.rt = app.extensions["sandbox"]
        self.clock = self.rt.clock
        self.authority = authority
        self.service.maskinporten_keys = AuthorityKeys(authority)
        self.issuer = self.service.maskinporten_issuer

    # -- Maskinporten tokens --------------------------------------------------------------------------------
    def token(
        self,
        org: str = INSURER_ORG,
        scope: str = WRITE,
        *,
        supplier: str | None = None,
        lifetime: int = 120,
        key=None,
        **claims,
    ) -> str:
        now = self.clock.epoch()
        body = {
            "scope": scope,
            "iss": self.issuer,
            "client_amr": "virksomhetssertifikat",
            "token_type": "Bearer",
            "exp": now + lifetime,
            "iat": now,
            "client_id": f"client-{org}",
            "jti": secrets.token_urlsafe(16),
            "consumer": org_party(org),
        }
        if supplier:
            body["supplier"] = org_party(supplier)
        body.update(claims)
        body = {k: v for k, v in body.items() if v is not None}
        signing = self.authority.signing_key("maskinporten")
        return jwt.encode(body, key or signing.private_key, algorithm="RS256", headers={"kid": signing.kid})

    def auth(self, org: str = INSURER_ORG, scope: str = WRITE, **kw) -> dict:
        return {"Authorization": f"Bearer {self.token(org, scope, **kw)}"}

    # -- registrations ----------------------------------------------------------------------------------------
    def register(self, org: str = INSURER_ORG, name: str = INSURER_NAME, *, access: bool = True) -> None:
        answer = self.client.post(
            "/_sandbox/consumers", json={"org": org, "name": name, "redirect_urls": ["https://forsikring.example/"]}
        )
        assert answer.status_code == 201, answer.get_data(as_text=True)
        if access:
            self.allow(org)

    def allow(self, org: str, resource: str = NAV_RESOURCE) -> None:
        answer = self.client.put(f"/_sandbox/resources/{resource}/access-list/{org}")
        assert answer.status_code in (200, 201), answer.get_data(as_text=True)

    # -- requests ---------------------------------------------------------------------------------------------
    def calendar(self):
        return self.clock.calendar()

    def valid_to(self, days: int = 365) -> str:
        return (self.calendar() + timedelta(days=days)).isoformat()

    def body(self, **overrides) -> dict:
        body = {
            "id": str(uuid.uuid4()),
            "from": person_urn(KARI),
            "to": organization_urn(INSURER_ORG),
            "validTo": self.valid_to(),
            "consentRights": [
                {
                    "action": ["consent"],
                    "resource": [{"type": "urn:altinn:resource", "value": NAV_RESOURCE}],
                    "metadata": {"fraogmed": "01.01.2024", "tilogmed": "31.12.2026"},
                }
            ],
            "redirectUrl": REDIRECT,
        }
        body.update(overrides)
        return body

    def create(self, body: dict | None = None, headers: dict | None = None, **overrides):
        return self.client.post(
            CREATE_PATH,
            json=body if body is not None else self.body(**overrides),
            headers=headers if headers is not None else self.auth(),
        )

    def created(self, **overrides) -> dict:
        answer = self.create(**overrides)
        assert answer.status_code == 201, answer.get_data(as_text=True)
        return answer.get_json()

    def get(self, consent_id: str, headers: dict | None = None):
        headers = self.auth(scope=READ) if headers is None else headers
        return self.client.get(f"{CREATE_PATH}/{consent_id}", headers=headers)

    def lookup(self, body: dict, headers: dict | None = None, path: str = LOOKUP_PATH):
        headers = self.auth(DIGDIR_ORG, LOOKUP) if headers is None else headers
        return self.client.post(path, json=body, headers=headers)

    def events(self, operation: str | None = None) -> list[dict]:
        found = self.rt.events.since(0, 10000)
        return [e for e in found if operation is None or e["operation"] == operation]

    # -- the citizen --------------------------------------------------------------------------------------------
    def log_in(self, pid: str = KARI, client=None) -> None:
        """An Altinn session for ``pid`` in ``client`` (as after ID-porten's login)."""
        token = L.start_session(self.service, pid, L.HIGH, None)
        (client or self.client).set_cookie(L.SESSION_COOKIE, token)

    def csrf(self, client=None) -> str:
        cookie = (client or self.client).get_cookie(L.SESSION_COOKIE)
        row = self.rt.store.query_one("SELECT csrf FROM citizen_sessions WHERE id = ?", (digest(cookie.value),))
        return row["csrf"]


def problem(answer, status: int, code: str) -> dict:
    """``answer`` is Altinn 3 problem details with ``code`` and ``status``."""
    assert answer.status_code == status, answer.get_data(as_text=True)
    assert answer.mimetype == "application/json"
    body = answer.get_json()
    assert body["code"] == code, body
    assert body["type"] == f"urn:altinn:error:{code}" and body["status"] == status, body
    assert body["title"] and body["traceId"] and body["statusDescription"], body
    return body


def validation_codes(answer, status: int = 400) -> list[tuple[str, list[str]]]:
    """The (code, paths) of a ``STD-00000`` answer."""
    body = problem(answer, status, "STD-00000")
    return [(error["code"], error["paths"]) for error in body["validationErrors"]]


def multiple_codes(answer) -> list[str]:
    """The codes inside a ``STD-00001`` answer (HTTP 400 in the sandbox; the real service says 500)."""
    body = problem(answer, 400, "STD-00001")
    return [item["code"] for item in body["problems"]]
