"""Consent requests, consents and use logs live in the state directory and survive a restart."""

from __future__ import annotations

import requests

from dsop_sandbox.launcher import Sandbox
from tests.altinn.conftest import Ecosystem
from tests.conftest import INSURER_NAME, INSURER_ORG, REDIRECT_URI, free_port_settings


def test_consents_and_use_logs_survive_a_restart(tmp_path):
    settings = free_port_settings(tmp_path / "state")
    with requests.Session() as http:
        http.trust_env = False
        with Sandbox(settings) as first:
            eco = Ecosystem(first, http)
            company = eco.register(INSURER_ORG, INSURER_NAME, REDIRECT_URI)
            pending = eco.create(company).json()["AuthorizationCode"]
            consent = eco.accepted_consent(company)
            withdrawn = eco.accepted_consent(company)
            eco.admin("POST", f"/consents/{withdrawn}/withdraw")
            used = http.post(
                f"{eco.altinn}/api/authorization/token/{consent}/loguse",
                timeout=10,
                headers={"ApiKey": company.api_key},
                json={"ServiceCode": "5252", "ServiceEditionCode": 2},
            )
            assert used.status_code == 204
            before = eco.admin("GET", "/consents").json()["consents"]
        with Sandbox(settings) as second:
            eco = Ecosystem(second, http)
            after = eco.admin("GET", "/consents").json()["consents"]
            assert [(c["code"], c["status"], c["consent_state"], len(c["uses"])) for c in after] == [
                (c["code"], c["status"], c["consent_state"], len(c["uses"])) for c in before
            ]
            states = {c["code"]: c["consent_state"] for c in after}
            assert states[consent] == "Active" and states[withdrawn] == "Revoked" and states[pending] is None
            assert eco.consent_token(company, consent).status_code == 200
            assert eco.consent_token(company, withdrawn).status_code == 403
