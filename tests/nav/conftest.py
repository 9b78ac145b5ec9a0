"""A sandbox with a registered insurer, and the insurer's calls to NAV: a Maskinporten token for
the API's scope, a consent token from Altinn for the person, the person's header.

The module's sandbox runs in process (tests/wsgi_network.py): every service's app, reached through
one transport adapter by the tests' sessions, by the fakes' own outgoing calls (NAV's JWKS
fetches, the citizen login at ID-porten) and by the control plane's fan-out; no socket is opened.
test_end_to_end.py and test_persistence.py serve the same checks over real HTTP."""

from __future__ import annotations

from contextlib import contextmanager

import pytest
import requests

from dsop_sandbox.launcher import Sandbox
from tests.altinn.conftest import OTHER_NAME, OTHER_ORG, OTHER_REDIRECT, Ecosystem, Insurer
from tests.conftest import INSURER_NAME, INSURER_ORG, REDIRECT_URI, free_port_settings
from tests.wsgi_network import InProcessSandbox

UFORE_SCOPE = "nav:helse/v1/uforeopplysninger"
AAP_SCOPE = "nav:arbeid/v1/aap"


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

    def disclosures(self, person: str | None = None) -> list[dict]:
        params = {"person": person} if person else {}
        return self.http.get(self.nav + "/_sandbox/disclosures", params=params, timeout=10).json()["disclosures"]


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
