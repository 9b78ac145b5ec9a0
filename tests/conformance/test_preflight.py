"""No verdict without evidence, and no run that cannot start: ``conform`` runs doctor's checks first
and exits 2 with doctor's words (an insurer that is down, a registration made again since the
profile was written); a step the insurer does not answer is NOT RUN with the reason, never a PASS;
a PASS or FAIL with nothing behind it is NOT RUN. One sandbox, in-process; no full run."""

from __future__ import annotations

import argparse

import pytest
import requests

from dsop_sandbox.conformance.cli import add_commands
from dsop_sandbox.conformance.context import Context
from dsop_sandbox.conformance.results import NOT_RUN, PASS
from dsop_sandbox.conformance.runner import run
from dsop_sandbox.examples.reference_insurer.insurer import ReferenceInsurer
from dsop_sandbox.examples.reference_insurer.outcomes import UNAVAILABLE, FetchResult
from dsop_sandbox.launcher import Sandbox
from dsop_sandbox.reference_insurer import ReferenceInsurerServer
from tests.conftest import free_port_settings

NOWHERE = "http://127.0.0.1:9"  # the discard port: nothing listens there


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory):
    with Sandbox(free_port_settings(tmp_path_factory.mktemp("preflight") / "state")) as sandbox:
        yield sandbox


@pytest.fixture(scope="module")
def insurer(sandbox):
    with ReferenceInsurerServer(sandbox, port=0, consent="altinn2") as insurer:
        yield insurer


def conform(profile, control_url: str, capsys, *more: str) -> tuple[int, str]:
    """``dsop-sandbox conform`` as the command line runs it: its exit code and what it printed."""
    parser = argparse.ArgumentParser()
    add_commands(parser.add_subparsers(dest="command"), lambda args: args.control_url)
    args = parser.parse_args(["conform", "--insurer", str(profile), "--control-url", control_url, *more])
    code = args.run(args)
    return code, " ".join(capsys.readouterr().out.split())  # as one line: the console wraps long ones


def test_an_insurer_that_is_down_cannot_start_and_nothing_passes(sandbox, insurer, tmp_path, capsys):
    profile = tmp_path / "insurer.toml"
    profile.write_text(insurer.profile_path.read_text().replace(insurer.url, NOWHERE))
    code, printed = conform(profile, sandbox.url("control"), capsys)
    assert code == 2, printed
    assert "The run could not start" in printed
    # doctor's own lines: which URL, that it is unreachable, and what to do
    assert "insurer start_url" in printed and "is unreachable" in printed
    assert "start the integration, or correct the URL in insurer.toml" in printed
    assert PASS not in printed.replace("PASS:", "")
    result = run(str(profile), sandbox.url("control"))
    assert result.exit_code == 2 and result.scenarios == [] and result.counts()[PASS] == 0


def test_a_registration_made_again_since_the_profile_cannot_start(sandbox, tmp_path, capsys):
    with ReferenceInsurerServer(sandbox, port=0, consent="altinn2", org="310000035", name="Gammel Profil AS") as old:
        answer = requests.post(
            sandbox.url("control") + "/_sandbox/insurers",
            json={"org": old.org, "name": old.name, "redirect_uris": [old.callback_url], "consent": "altinn2"},
            timeout=30,
        )
        assert answer.status_code == 201, answer.text
        code, printed = conform(old.profile_path, sandbox.url("control"), capsys)
    assert code == 2, printed
    assert "registered, but with another Altinn API key than the profile's" in printed
    assert "the org was registered again; use the newest insurer.toml" in printed


def verdicts(result) -> dict[str, tuple[str, str]]:
    return {v.requirement: (v.status, v.why) for s in result.scenarios for v in s.verdicts}


def test_a_callback_that_does_not_answer_is_not_run_never_a_pass(sandbox, insurer, tmp_path):
    profile = tmp_path / "insurer.toml"
    profile.write_text(insurer.profile_path.read_text().replace(insurer.callback_url, NOWHERE + "/claims/callback"))
    assert NOWHERE in profile.read_text()
    result = run(str(profile), sandbox.url("control"), scenarios=["forged_callback"])
    status, why = verdicts(result)["DSOP-CALLBACK-STATE"]
    assert status == NOT_RUN and "did not answer (ConnectionError)" in why
    steps = result.scenarios[0].steps
    assert any("did not answer (ConnectionError)" in step for step in steps)


class FetchesOnlyOnce(ReferenceInsurer):
    """Answers every fetch after the first with 'unavailable', without asking anyone."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fetches = 0

    def fetch(self, pid: str) -> FetchResult:
        self.fetches += 1
        return super().fetch(pid) if self.fetches == 1 else FetchResult(UNAVAILABLE, detail="not today")


def test_no_nav_call_on_the_second_fetch_is_no_verdict_on_token_reuse(sandbox, insurer):
    with ReferenceInsurerServer(
        sandbox, port=0, consent="altinn2", org="310000043", name="Bare En Gang AS", insurer_class=FetchesOnlyOnce
    ) as once:
        result = run(str(once.profile_path), sandbox.url("control"), scenarios=["fetch"])
    got = verdicts(result)
    assert got["DSOP-FETCH"][0] == PASS  # the first fetch worked
    status, why = got["DSOP-MASKINPORTEN-REUSE"]
    assert status == NOT_RUN and "made no NAV call" in why and "'unavailable'" in why


class Nothing:
    """What a verdict-only Context needs of its sandbox, driver and HTTP session: nothing."""


@pytest.mark.parametrize("ok", [True, False])
def test_a_verdict_with_no_evidence_is_no_verdict(insurer, ok):
    from dsop_sandbox.conformance.profile import InsurerProfile

    ctx = Context("fetch", Nothing(), InsurerProfile.load(insurer.profile_path), Nothing(), Nothing(), {})
    assert ctx.judge("DSOP-FETCH", ok, "the insurer fetched", []) is False
    assert ctx.judge("DSOP-FETCH", ok, "the insurer fetched", [{"service": "nav", "status": 200}]) is ok
    first, second = ctx.verdicts
    assert first.status == NOT_RUN and "Nothing the suite saw shows it" in first.why
    assert second.status == ("PASS" if ok else "FAIL") and second.evidence
