"""``doctor`` tells configuration errors apart from conformance failures: each problem a check
of its own, with what to fix."""

from __future__ import annotations

import pytest

from dsop_sandbox.conformance.doctor import diagnose, render
from dsop_sandbox.launcher import Sandbox
from dsop_sandbox.reference_insurer import ReferenceInsurerServer
from tests.conftest import free_port_settings


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    with (
        Sandbox(free_port_settings(tmp_path_factory.mktemp("doctor") / "state")) as sandbox,
        ReferenceInsurerServer(sandbox, port=0, consent="altinn2") as insurer,
    ):
        yield sandbox, insurer


def failing(checks) -> dict[str, str]:
    return {check.name: check.fix for check in checks if not check.ok}


def test_a_ready_setup(setup):
    sandbox, insurer = setup
    checks = diagnose(str(insurer.profile_path), sandbox.url("control"))
    assert failing(checks) == {}
    assert render(checks).endswith("ready for dsop-sandbox conform")


def test_urls_not_filled_in(setup, tmp_path):
    sandbox, insurer = setup
    profile = tmp_path / "insurer.toml"
    profile.write_text(insurer.profile_path.read_text().replace("start_url", "# start_url"))
    assert "profile" in failing(diagnose(str(profile), sandbox.url("control")))


def test_an_org_that_is_not_registered(setup, tmp_path):
    sandbox, insurer = setup
    profile = tmp_path / "insurer.toml"
    profile.write_text(insurer.profile_path.read_text().replace('org = "310000019"', 'org = "310000027"'))
    problems = failing(diagnose(str(profile), sandbox.url("control")))
    assert "register-insurer --org 310000027" in problems["registration"]


def test_an_insurer_that_is_not_running(setup, tmp_path):
    sandbox, insurer = setup
    profile = tmp_path / "insurer.toml"
    profile.write_text(insurer.profile_path.read_text().replace(insurer.url, "http://127.0.0.1:9"))
    problems = failing(diagnose(str(profile), sandbox.url("control")))
    assert {"insurer start_url", "insurer fetch_url"} <= set(problems)


def test_a_moved_calendar_is_mentioned(setup):
    sandbox, insurer = setup
    import requests

    requests.post(sandbox.url("control") + "/_sandbox/clock", json={"advance": "P1D"}, timeout=10)
    try:
        checks = {check.name: check for check in diagnose(str(insurer.profile_path), sandbox.url("control"))}
    finally:
        requests.post(sandbox.url("control") + "/_sandbox/clock", json={"reset": True}, timeout=10)
    assert checks["clock"].ok and "calendar is moved" in checks["clock"].detail


def test_no_sandbox(setup):
    _, insurer = setup
    checks = diagnose(str(insurer.profile_path), "http://127.0.0.1:9")
    assert failing(checks) == {"sandbox": "start it: dsop-sandbox up (or pass --control-url)"}


def test_the_hints_name_the_command_as_the_user_started_it(setup, capsys, monkeypatch, tmp_path):
    """``./dev doctor`` hints ``./dev up``; the command line tells the suite how it was started."""
    from dsop_sandbox import cli
    from dsop_sandbox.conformance import hints

    monkeypatch.setenv(hints.COMMAND_VARIABLE, "./dev")
    monkeypatch.setattr(hints, "_started_as", None)
    _, insurer = setup
    code = cli.main(["doctor", "--insurer", str(insurer.profile_path), "--control-url", "http://127.0.0.1:9"])
    assert code == 2 and "start it: ./dev up (or pass --control-url)" in capsys.readouterr().out
    code = cli.main(["doctor", "--insurer", str(tmp_path / "nope.toml"), "--control-url", "http://127.0.0.1:9"])
    assert code == 2 and "(./dev register-insurer --out DIR writes one)" in capsys.readouterr().out


def test_a_command_line_made_under_dev_leaves_no_hint_behind(monkeypatch):
    """Hints follow how the process runs when they are printed: a command line made while ./dev's
    variable was set (an earlier test, in the same process) must not make later hints say ./dev."""
    from dsop_sandbox import cli
    from dsop_sandbox.conformance import hints

    monkeypatch.delenv(hints.COMMAND_VARIABLE, raising=False)
    with monkeypatch.context() as under_dev:
        under_dev.setenv(hints.COMMAND_VARIABLE, "./dev")
        cli.build_parser()
        assert hints.command() == "./dev"
    assert hints.command() == "dsop-sandbox"
