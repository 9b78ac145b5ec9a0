"""The consent flow end to end, as the issue states it: an insurer registered with
``dsop-sandbox register-insurer`` (the real command, its real files) asks for consent, a scripted
citizen logs in at ID-porten and accepts, the insurer takes the code from its callback, fetches a
consent token, verifies it with plain PyJWT against ``/api/metadata/jwk`` and logs the use; then
the same after declining, withdrawing and moving the calendar past ValidTo, each refused as
Altinn refuses it."""

from __future__ import annotations

import subprocess
import sys
import time
import tomllib
import uuid
from datetime import timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import jwt
import pytest
import requests

from dsop_sandbox.launcher import Sandbox
from dsop_sandbox.mocks.altinn.norwegian_time import OSLO
from tests.altinn.conftest import KARI, Ecosystem
from tests.citizen import Citizen
from tests.conftest import free_port_settings
from tests.idporten.support import Page

ORG, NAME, CALLBACK = "310000035", "Trygg Uføre Forsikring AS", "http://localhost:7200/claims/callback"
REFUSAL = "The API key is not authorized for this operation"


class RegisteredInsurer:
    """What an insurer's integration has after ``register-insurer``: files, and plain HTTP."""

    def __init__(self, out: Path, http: requests.Session):
        self.profile = tomllib.loads((out / "insurer.toml").read_text())
        self.key = (out / "enterprise.key.pem").read_bytes()
        self.chain = (out / "enterprise.cert.pem").read_bytes()
        self.http = http
        self.altinn = self.profile["altinn"]["base_url"]
        self.api_key = self.profile["altinn"]["api_key"]

    def maskinporten_token(self, scope: str) -> str:
        import base64

        from cryptography import x509
        from cryptography.hazmat.primitives import serialization

        mp = self.profile["maskinporten"]
        x5c = [
            base64.b64encode(c.public_bytes(serialization.Encoding.DER)).decode()
            for c in x509.load_pem_x509_certificates(self.chain)[:2]
        ]
        now = int(time.time())  # the insurer's own clock
        assertion = jwt.encode(
            {
                "aud": mp["issuer"],
                "iss": mp["client_id"],
                "scope": scope,
                "iat": now,
                "exp": now + 120,
                "jti": str(uuid.uuid4()),
            },
            self.key,
            algorithm="RS256",
            headers={"x5c": x5c},
        )
        answer = self.http.post(
            mp["token_endpoint"],
            timeout=10,
            data={"grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer", "assertion": assertion},
        )
        assert answer.status_code == 200, answer.text
        return answer.json()["access_token"]

    def ask(self, pid: str, last_name: str, valid_to: str) -> str:
        """Create the consent request; the URL to send the citizen to."""
        answer = self.http.post(
            self.altinn + "/api/consentRequests",
            timeout=10,
            json={
                "CoveredBy": ORG,
                "OfferedBy": pid,
                "OfferedByName": last_name,
                "ValidTo": valid_to,
                "RedirectUrl": CALLBACK + "?claim=4711",
                "RequestResources": [
                    {
                        "ServiceCode": self.profile["altinn"]["service_code"],
                        "ServiceEditionCode": self.profile["altinn"]["service_edition"],
                        "Metadata": {"fraOgMed": "01.01.2024", "tilOgMed": "31.12.2027"},
                    }
                ],
            },
            headers={
                "ApiKey": self.api_key,
                "Accept": "application/hal+json",
                "Authorization": f"Bearer {self.maskinporten_token('altinn:consentrequests.write')}",
            },
        )
        assert answer.status_code == 201, answer.text
        return answer.json()["_links"]["gui"]["href"]

    def consent_token(self, code: str) -> requests.Response:
        return self.http.get(
            f"{self.altinn}/api/authorization/token/{code}", headers={"ApiKey": self.api_key}, timeout=10
        )

    def verified(self, answer: requests.Response) -> dict:
        assert answer.status_code == 200, answer.text
        token = answer.text.strip().strip('"')  # the JWT comes as a JSON string literal
        keys = jwt.PyJWKClient(self.altinn + "/api/metadata/jwk")
        return jwt.decode(token, keys.get_signing_key_from_jwt(token).key, algorithms=["RS256"], issuer="altinn.no")

    def log_use(self, code: str) -> requests.Response:
        return self.http.post(
            f"{self.altinn}/api/authorization/token/{code}/loguse",
            timeout=10,
            headers={"ApiKey": self.api_key},
            json={"ServiceCode": "5252", "ServiceEditionCode": 2, "UsageDateTime": time.strftime("%Y-%m-%dT%H:%M:%S")},
        )


def callback_params(answer: requests.Response) -> dict:
    assert answer.status_code == 302, answer.text
    location = answer.headers["Location"]
    assert location.startswith(CALLBACK + "?claim=4711&")
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


def answer_consent(citizen: Citizen, gui_url: str, choice: str) -> requests.Response:
    page = Page(citizen.get(gui_url).text)
    assert "Ja, jeg gir samtykke" in page.text and "Nei, jeg samtykker ikke" in page.text
    csrf = next(i["value"] for i in page.forms[0]["inputs"] if i.get("name") == "csrf")
    return citizen.post(gui_url, {"csrf": csrf, "answer": choice})


def refused(answer: requests.Response, cause: str) -> None:
    assert answer.status_code == 403, answer.text
    body = answer.json()
    assert body[0]["ErrorCode"] == "40300" and body[0]["ErrorMessage"].startswith(REFUSAL)
    assert cause in body[0]["ErrorMessage"]


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    settings = free_port_settings(tmp_path_factory.mktemp("e2e") / "state")
    out = tmp_path_factory.mktemp("insurer")
    with Sandbox(settings) as running, requests.Session() as http:
        http.trust_env = False
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "dsop_sandbox.cli",
                "register-insurer",
                "--org",
                ORG,
                "--name",
                NAME,
                "--redirect-uri",
                CALLBACK,
                "--out",
                str(out),
                "--control-url",
                running.url("control"),
            ],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 0, done.stderr
        yield Ecosystem(running, http), RegisteredInsurer(out, http)


def valid_to(eco: Ecosystem, days: int) -> str:
    return (eco.calendar_now() + timedelta(days=days)).astimezone(OSLO).strftime("%Y-%m-%dT%H:%M:%S")


def test_accept_fetch_verify_and_log_use(world):
    eco, insurer = world
    params = callback_params(
        answer_consent(
            Citizen(eco, KARI["pid"]), insurer.ask(KARI["pid"], "Nordmann", valid_to(eco, 3 * 365)), "accept"
        )
    )
    assert params["Status"] == "OK"
    code = params["AuthorizationCode"]
    claims = insurer.verified(insurer.consent_token(code))
    assert (claims["AuthorizationCode"], claims["OfferedBy"], claims["CoveredBy"]) == (code, KARI["pid"], ORG)
    assert "5252_2" in claims["Services"] and claims["exp"] - claims["nbf"] == 30
    assert insurer.log_use(code).status_code == 204
    again = insurer.verified(insurer.consent_token(code))  # reuse: a fresh token, no new question
    assert again["AuthorizationCode"] == code
    uses = eco.admin("GET", f"/consents/{code}").json()["uses"]
    assert [u["logged_by"] for u in uses] == [ORG]


def test_declined_gives_no_token(world):
    eco, insurer = world
    params = callback_params(
        answer_consent(Citizen(eco, KARI["pid"]), insurer.ask(KARI["pid"], "Nordmann", valid_to(eco, 30)), "reject")
    )
    assert params["Status"] == "Failed" and params["ErrorMessage"] == "User did not give consent"
    refused(insurer.consent_token(params["FailedAuthorizationCode"]), "declined")


def test_withdrawn_by_the_citizen_gives_no_token(world):
    eco, insurer = world
    citizen = Citizen(eco, KARI["pid"])
    code = callback_params(answer_consent(citizen, insurer.ask(KARI["pid"], "Nordmann", valid_to(eco, 365)), "accept"))[
        "AuthorizationCode"
    ]
    insurer.verified(insurer.consent_token(code))
    mine = Page(citizen.get(eco.altinn + "/ui/Profile/Consents").text)
    form = next(f for f in mine.forms if code in f["action"])
    csrf = next(i["value"] for i in form["inputs"] if i.get("name") == "csrf")
    withdrawn = citizen.post(
        eco.altinn + form["action"] if form["action"].startswith("/") else form["action"], {"csrf": csrf}
    )
    assert withdrawn.status_code == 200 and "Trukket tilbake" in withdrawn.text
    refused(insurer.consent_token(code), "withdrawn")
    refused(insurer.log_use(code), "withdrawn")


def test_the_calendar_passing_valid_to_ends_the_consent(world):
    eco, insurer = world
    code = callback_params(
        answer_consent(
            Citizen(eco, KARI["pid"]), insurer.ask(KARI["pid"], "Nordmann", valid_to(eco, 3 * 365)), "accept"
        )
    )["AuthorizationCode"]
    insurer.verified(insurer.consent_token(code))
    moved = eco.http.post(eco.control + "/_sandbox/clock", json={"advance": "P3Y1D"}, timeout=10)
    assert moved.status_code == 200, moved.text
    try:
        refused(insurer.consent_token(code), "expired")
        # the insurer's own tokens are untouched: protocol time did not move
        assert insurer.maskinporten_token("altinn:consentrequests.read")
    finally:
        eco.http.post(eco.control + "/_sandbox/clock", json={"reset": True}, timeout=10)
