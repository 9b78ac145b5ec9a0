"""The suite's Chromium driver: the citizen's part played in a real headless browser, for
integrations whose pages need JavaScript. The reference insurer passes the consent scenarios
through it just as through the HTTP driver."""

from __future__ import annotations

from dsop_sandbox.conformance.drivers.playwright_browser import PlaywrightBrowser
from dsop_sandbox.conformance.results import PASS
from dsop_sandbox.conformance.runner import run
from dsop_sandbox.conformance.sandbox_api import SandboxApi
from dsop_sandbox.launcher import Sandbox
from dsop_sandbox.reference_insurer import ReferenceInsurerServer
from tests.conftest import free_port_settings


def test_the_consent_scenarios_pass_in_chromium(browser, tmp_path):
    with (
        Sandbox(free_port_settings(tmp_path / "state")) as sandbox,
        ReferenceInsurerServer(sandbox, port=0, consent="altinn2") as insurer,  # the suite drives Altinn 2
    ):
        api = SandboxApi(sandbox.url("control"))
        api.connect()
        driver = PlaywrightBrowser(api.services, browser=browser)
        result = run(
            str(insurer.profile_path),
            sandbox.url("control"),
            driver=driver,
            scenarios=["consent_granted", "consent_declined", "fetch"],
        )
    verdicts = {v.requirement: (v.status, v.why) for s in result.scenarios for v in s.verdicts}
    assert [s.error for s in result.scenarios] == [None, None, None]
    assert all(status == PASS for status, _ in verdicts.values()), verdicts
    assert {"DSOP-CONSENT-REQUEST", "DSOP-CALLBACK", "DSOP-DECLINED", "DSOP-FETCH"} <= set(verdicts)
