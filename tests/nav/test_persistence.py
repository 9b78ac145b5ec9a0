"""The disclosure log lives in the state directory: it survives a restart of NAV."""

from __future__ import annotations

import requests

from dsop_sandbox.launcher import Sandbox
from tests.altinn.conftest import OLA
from tests.conftest import INSURER_NAME, INSURER_ORG, REDIRECT_URI, free_port_settings
from tests.nav.conftest import NavWorld


def test_disclosures_survive_a_restart(tmp_path):
    settings = free_port_settings(tmp_path / "state")
    with requests.Session() as http:
        http.trust_env = False
        with Sandbox(settings) as first:
            world = NavWorld(first, http)
            company = world.register(INSURER_ORG, INSURER_NAME, REDIRECT_URI)
            token = world.consent_token_text(company, world.consent(company, OLA["pid"]))
            assert world.ufore(company, OLA["pid"], token).status_code == 200
            before = world.disclosures(OLA["pid"])
            assert len(before) == 1
        with Sandbox(settings) as second:
            assert NavWorld(second, http).disclosures(OLA["pid"]) == before
