"""The suite's Chromium driver: the citizen's part played in a real headless browser, for
integrations whose pages need JavaScript. The reference insurer passes the consent scenarios
through it just as through the HTTP driver, on Altinn 3's consent page and on Altinn 2's."""

from __future__ import annotations

import pytest

from dsop_sandbox.conformance.drivers.playwright_browser import PlaywrightBrowser
from dsop_sandbox.conformance.results import PASS
from dsop_sandbox.conformance.runner import run
from dsop_sandbox.conformance.sandbox_api import SandboxApi
from dsop_sandbox.launcher import Sandbox
from dsop_sandbox.reference_insurer import ReferenceInsurerServer
from tests.conftest import free_port_settings

#: Per generation: the scenarios driven in Chromium (Altinn 3's forged callback also leaves a consent
#: page unanswered), and requirements they must have judged.
DRIVEN = {
    "altinn3": (
        ["consent_granted", "consent_declined", "forged_callback", "fetch"],
        {"DSOP-CONSENT-REQUEST", "DSOP-CALLBACK", "DSOP-DECLINED", "DSOP-CALLBACK-STATE", "DSOP-CONSENT-IN-TOKEN"},
    ),
    "altinn2": (
        ["consent_granted", "consent_declined", "fetch"],
        {"DSOP-CONSENT-REQUEST", "DSOP-CALLBACK", "DSOP-DECLINED", "DSOP-FETCH"},
    ),
}


@pytest.mark.parametrize("generation", list(DRIVEN))
def test_the_consent_scenarios_pass_in_chromium(browser, tmp_path, generation):
    scenarios, judged = DRIVEN[generation]
    with (
        Sandbox(free_port_settings(tmp_path / "state")) as sandbox,
        ReferenceInsurerServer(sandbox, port=0, consent=generation) as insurer,
    ):
        api = SandboxApi(sandbox.url("control"))
        api.connect()
        driver = PlaywrightBrowser(api.services, browser=browser)
        result = run(str(insurer.profile_path), sandbox.url("control"), driver=driver, scenarios=scenarios)
    verdicts = {v.requirement: (v.status, v.why) for s in result.scenarios for v in s.verdicts}
    assert result.generation == generation
    assert [s.error for s in result.scenarios] == [None] * len(scenarios)
    assert all(status == PASS for status, _ in verdicts.values()), verdicts
    assert judged <= set(verdicts)
