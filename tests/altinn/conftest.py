"""A running sandbox with a registered insurer, shared by a test module, and the insurer's side of
the consent API: Maskinporten tokens, ApiKey headers, valid consent request bodies."""

from __future__ import annotations

from contextlib import contextmanager
from datetime import timedelta
from urllib.parse import quote

import pytest
import requests

from dsop_sandbox.launcher import Sandbox
from dsop_sandbox.mocks.altinn.norwegian_time import OSLO
from dsop_sandbox.mocks.common.admin_access import TOKEN_HEADER, read_admin_token
from tests.conftest import INSURER_NAME, INSURER_ORG, REDIRECT_URI, free_port_settings
from tests.support import InsurerKeys, grant

KARI = {"pid": "15838512329", "last_name": "Nordmann"}
OLA = {"pid": "02917945651", "last_name": "Hansen"}
OTHER_ORG = "310000027"
OTHER_NAME = "Annen Forsikring ASA"
OTHER_REDIRECT = "https://annen.example/samtykke/retur"
WRITE = "altinn:consentrequests.write"
READ = "altinn:consentrequests.read"


class Insurer:
    """One registered insurer speaking to the sandbox as an integration would."""

    def __init__(self, eco: Ecosystem, facts: dict, redirect_uri: str):
        self.eco, self.facts, self.redirect_uri = eco, facts, redirect_uri
        self.org = facts["org"]
        self.api_key = facts["altinn"]["api_key"]
        self.keys = InsurerKeys.from_pem(facts["certificate"]["key_pem"], facts["certificate"]["chain_pem"])
        self._tokens: dict[str, str] = {}

    def token(self, scope: str = WRITE, fresh: bool = False) -> str:
        if fresh or scope not in self._tokens:
            mp = self.facts["maskinporten"]
            assertion = grant(self.keys, mp["client_id"], mp["issuer"], scope)
            answer = self.eco.http.post(
                mp["token_endpoint"],
                timeout=10,
                data={"grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer", "assertion": assertion},
            )
            assert answer.status_code == 200, answer.text
            self._tokens[scope] = answer.json()["access_token"]
        return self._tokens[scope]

    def headers(self, scope: str | None = WRITE, *, hal: bool = False, api_key: str | None = None) -> dict:
        headers = {
            "ApiKey": self.api_key if api_key is None else api_key,
            "Accept": "application/hal+json" if hal else "application/json",
        }
        if scope:
            headers["Authorization"] = f"Bearer {self.token(scope)}"
        return headers

    def certificate_header(self) -> dict:
        return {"ApiKey": self.api_key, "X-Client-Cert": quote(self.facts["certificate"]["chain_pem"])}


class Ecosystem:
    def __init__(self, sandbox: Sandbox, http: requests.Session):
        self.sandbox, self.http = sandbox, http
        self.altinn = sandbox.url("altinn")
        self.control = sandbox.url("control")

    def register(self, org: str, name: str, redirect_uri: str) -> Insurer:
        answer = self.http.post(
            self.control + "/_sandbox/insurers",
            timeout=30,
            json={"org": org, "name": name, "redirect_uri": redirect_uri},
        )
        assert answer.status_code == 201, answer.text
        return Insurer(self, answer.json(), redirect_uri)

    def calendar_now(self):
        return self.sandbox.app("altinn").extensions["sandbox"].clock.calendar()

    def valid_to(self, days: int = 365) -> str:
        """A ValidTo as Altinn's docs write it: Norwegian time without a zone."""
        return (self.calendar_now() + timedelta(days=days)).astimezone(OSLO).strftime("%Y-%m-%dT%H:%M:%S.000")

    def body(self, insurer: Insurer, **overrides) -> dict:
        body = {
            "CoveredBy": insurer.org,
            "OfferedBy": KARI["pid"],
            "OfferedByName": KARI["last_name"],
            "ValidTo": self.valid_to(),
            "RedirectUrl": insurer.redirect_uri,  # the one it registered
            "RequestResources": [
                {
                    "ServiceCode": "5252",
                    "ServiceEditionCode": 2,
                    "Metadata": {"fraOgMed": "01.01.2024", "tilOgMed": "31.12.2026"},
                }
            ],
        }
        body.update(overrides)
        return {key: value for key, value in body.items() if value is not None}

    def create(self, insurer: Insurer, body: dict | None = None, headers: dict | None = None, **overrides):
        return self.http.post(
            self.altinn + "/api/consentRequests",
            timeout=10,
            json=body if body is not None else self.body(insurer, **overrides),
            headers=headers if headers is not None else insurer.headers(),
        )

    def admin(self, method: str, path: str, **kw):
        """Altinn's admin API as the sandbox's admin (the token from the state dir, as the CLI reads it)."""
        return self.admin_of("altinn", method, path, **kw)

    def admin_of(self, service: str, method: str, path: str, **kw):
        """A service's admin API as the sandbox's admin."""
        headers = {TOKEN_HEADER: read_admin_token(self.sandbox.settings.state_dir), **kw.pop("headers", {})}
        url = self.sandbox.url(service) + "/_sandbox" + path
        return self.http.request(method, url, timeout=10, headers=headers, **kw)

    def accepted_consent(self, insurer: Insurer, **body) -> str:
        answer = self.admin("POST", "/consents", json={"covered_by": insurer.org, "offered_by": KARI["pid"], **body})
        assert answer.status_code == 201, answer.text
        return answer.json()["AuthorizationCode"]

    def consent_token(self, insurer: Insurer, code: str, **kw):
        return self.http.get(
            f"{self.altinn}/api/authorization/token/{code}",
            timeout=10,
            headers={"ApiKey": insurer.api_key, **kw.pop("headers", {})},
            **kw,
        )


@contextmanager
def started(tmp_path_factory, name: str, kind=Ecosystem):
    """A sandbox on free ports in a fresh state directory, seen through ``kind`` (an Ecosystem)."""
    settings = free_port_settings(tmp_path_factory.mktemp(name) / "state")
    with Sandbox(settings) as running, requests.Session() as http:
        http.trust_env = False
        yield kind(running, http)


@pytest.fixture(scope="module")
def eco(tmp_path_factory):
    with started(tmp_path_factory, "altinn") as ecosystem:
        yield ecosystem


@pytest.fixture(scope="module")
def company(eco) -> Insurer:
    """The registered insurer (named apart from tests/conftest.py's ``insurer`` dict fixture)."""
    return eco.register(INSURER_ORG, INSURER_NAME, REDIRECT_URI)


@pytest.fixture(scope="module")
def other_company(eco) -> Insurer:
    return eco.register(OTHER_ORG, OTHER_NAME, OTHER_REDIRECT)


def error_codes(answer) -> list[str]:
    body = answer.json()
    assert isinstance(body, list) and all(set(item) == {"ErrorCode", "ErrorMessage"} for item in body), body
    return [item["ErrorCode"] for item in body]
