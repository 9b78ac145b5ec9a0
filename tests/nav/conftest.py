"""A sandbox with a registered insurer, and the insurer's calls to NAV: a Maskinporten token for
the API's scope, a consent token from Altinn for the person, the person's header.

The module's sandbox runs in process (tests/wsgi_network.py): every service's app, reached through
one transport adapter by the tests' sessions, by the fakes' own outgoing calls (NAV's JWKS
fetches, the citizen login at ID-porten) and by the control plane's fan-out; no socket is opened.
test_end_to_end.py and test_persistence.py serve the same checks over real HTTP."""

from __future__ import annotations

import copy
import uuid
from contextlib import contextmanager
from datetime import timedelta

import jwt
import pytest
import requests

from dsop_sandbox.launcher import Sandbox
from tests.altinn.conftest import OTHER_NAME, OTHER_ORG, OTHER_REDIRECT, Ecosystem, Insurer
from tests.conftest import INSURER_NAME, INSURER_ORG, REDIRECT_URI, free_port_settings
from tests.support import REMOVE
from tests.wsgi_network import InProcessSandbox

UFORE_SCOPE = "nav:helse/v1/uforeopplysninger"
AAP_SCOPE = "nav:arbeid/v1/aap"
NAV_RESOURCE = "nav_samtykke_dsop_aap-ufore"
#: The consent period of :meth:`NavWorld.altinn3_consent` unless a test says otherwise.
A3_PERIOD = {"fraogmed": "01.01.2009", "tilogmed": "31.12.2029"}


def org_party(org: str) -> dict:
    return {"authority": "iso6523-actorid-upis", "ID": f"0192:{org}"}


class NavWorld(Ecosystem):
    """``sandbox`` is a served :class:`Sandbox` or an :class:`InProcessSandbox`, ``http`` a session
    that reaches it."""

    def __init__(self, sandbox: Sandbox | InProcessSandbox, http: requests.Session):
        super().__init__(sandbox, http)
        self.nav = sandbox.url("nav")
        self.paths = sandbox.settings.nav

    def consent(self, insurer: Insurer, pid: str, **body) -> str:
        answer = self.admin("POST", "/consents", json={"covered_by": insurer.org, "offered_by": pid, **body})
        assert answer.status_code == 201, answer.text
        return answer.json()["AuthorizationCode"]

    def consent_token_text(self, insurer: Insurer, code: str) -> str:
        answer = self.consent_token(insurer, code)
        assert answer.status_code == 200, answer.text
        return answer.json()

    def call(
        self,
        path: str,
        insurer: Insurer,
        pid: str | None,
        consent_token: str | None,
        *,
        scope: str,
        params: dict | None = None,
        headers: dict | None = None,
        person_header: str = "fnr",
    ) -> requests.Response:
        sent = {"Authorization": f"Bearer {insurer.token(scope)}"}
        if pid is not None:
            sent[person_header] = pid
        if consent_token is not None:
            sent["NAV-Samtykke-Token"] = consent_token
        sent.update(headers or {})
        sent = {k: v for k, v in sent.items() if v is not None}
        return self.http.get(self.nav + path, headers=sent, params=params or {}, timeout=15)

    def ufore(self, insurer, pid, token, **kw):
        return self.call(self.paths.ufore_path, insurer, pid, token, scope=UFORE_SCOPE, **kw)

    def vedtak(self, insurer, pid, token, **kw):
        return self.call(self.paths.aap_vedtak_path, insurer, pid, token, scope=AAP_SCOPE, **kw)

    def meldekort(self, insurer, pid, token, **kw):
        return self.call(self.paths.aap_meldekort_path, insurer, pid, token, scope=AAP_SCOPE, **kw)

    # -- Altinn 3: the consent inside the Maskinporten token ------------------------------------------------
    def nav_clock(self):
        return self.sandbox.app("nav").extensions["sandbox"].clock

    def altinn3_consent(self, insurer: Insurer, pid: str, *, metadata: dict | None = None, **fields) -> dict:
        """A ``urn:altinn:consent`` entry as Maskinporten writes it into a token, valid for three
        years on NAV's calendar; ``fields`` replace its fields (``REMOVE`` leaves one out)."""
        calendar = self.nav_clock().calendar()
        entry = {
            "type": "urn:altinn:consent",
            "id": str(uuid.uuid4()),
            "from": f"urn:altinn:person:identifier-no:{pid}",
            "to": org_party(insurer.org),
            "consented": (calendar - timedelta(days=1)).isoformat(),
            "validTo": (calendar + timedelta(days=3 * 365)).isoformat(),
            "consentRights": [
                {
                    "action": ["consent"],
                    "resource": [{"type": "urn:altinn:resource", "value": NAV_RESOURCE}],
                    "metadata": dict(A3_PERIOD if metadata is None else metadata),
                }
            ],
        }
        entry.update(fields)
        return {key: value for key, value in entry.items() if value is not REMOVE}

    def altinn3_token(self, insurer: Insurer, details, *, scope: str = UFORE_SCOPE, **claims) -> str:
        """A Maskinporten access token carrying ``details`` as ``authorization_details`` (a list of
        entries, or any value to send as is), signed with Maskinporten's key from the key authority,
        as Maskinporten issues it for an Altinn 3 consent."""
        key = self.sandbox.authority.signing_key("maskinporten")
        now = self.nav_clock().epoch()
        body = {
            "scope": scope,
            "iss": self.sandbox.settings.issuer("maskinporten"),
            "client_amr": "private_key_jwt",
            "token_type": "Bearer",
            "exp": now + 120,
            "iat": now,
            "client_id": insurer.facts["maskinporten"]["client_id"],
            "jti": uuid.uuid4().hex,
            "consumer": org_party(insurer.org),
            "authorization_details": details if details is REMOVE else copy.deepcopy(details),
        }
        body.update(claims)
        body = {name: value for name, value in body.items() if value is not REMOVE}
        return jwt.encode(body, key.private_key, algorithm="RS256", headers={"kid": key.kid, "typ": "JWT"})

    def with_altinn3(self, path_attr: str, insurer: Insurer, pid: str, token: str, **kw) -> requests.Response:
        """A call to the API at ``self.paths.<path_attr>`` with ``token`` as the access token and no
        Altinn 2 header unless ``consent_token=`` says otherwise."""
        scope = UFORE_SCOPE if path_attr == "ufore_path" else AAP_SCOPE
        headers = {**kw.pop("headers", {}), "Authorization": f"Bearer {token}"}
        consent_token = kw.pop("consent_token", None)
        return self.call(
            getattr(self.paths, path_attr), insurer, pid, consent_token, scope=scope, headers=headers, **kw
        )

    def events(self) -> list[dict]:
        answer = self.http.get(self.nav + "/_sandbox/events", params={"limit": 10000}, timeout=10)
        assert answer.status_code == 200, answer.text
        return answer.json()["events"]

    def last_event(self, operation: str | None = None) -> dict:
        events = [e for e in self.events() if operation is None or e["operation"] == operation]
        return events[-1]

    def disclosures(self, person: str | None = None) -> list[dict]:
        params = {"person": person} if person else {}
        return self.admin_of("nav", "GET", "/disclosures", params=params).json()["disclosures"]


@contextmanager
def in_process(tmp_path_factory, name: str):
    """A NavWorld over an in-process sandbox in a fresh state directory."""
    settings = free_port_settings(tmp_path_factory.mktemp(name) / "state")
    with InProcessSandbox(settings) as sandbox, sandbox.session() as http:
        yield NavWorld(sandbox, http)


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    with in_process(tmp_path_factory, "nav") as world:
        yield world


@pytest.fixture(scope="module")
def company(world) -> Insurer:
    return world.register(INSURER_ORG, INSURER_NAME, REDIRECT_URI)


@pytest.fixture(scope="module")
def other_company(world) -> Insurer:
    return world.register(OTHER_ORG, OTHER_NAME, OTHER_REDIRECT)


def nav_error(answer, status: int, kode: str) -> str:
    assert answer.status_code == status, answer.text
    body = answer.json()
    assert set(body) == {"melding", "kode"} and body["kode"] == kode, body
    return body["melding"]
