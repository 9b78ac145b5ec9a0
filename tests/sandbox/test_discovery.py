"""Which sandbox a command acts on (issue 13): ``up`` records where it runs in its state directory,
commands find it there or through ``DSOP_SANDBOX_STATE`` / ``DSOP_SANDBOX_URL``, fall back to the
settings only when nothing is recorded as running, and say which sandbox they acted on."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest
import requests

from dsop_sandbox import discovery
from dsop_sandbox.cli import main
from dsop_sandbox.launcher import Sandbox
from dsop_sandbox.mocks.common.admin_access import read_admin_token
from tests.conftest import free_port_settings


@pytest.fixture(scope="module")
def started(tmp_path_factory):
    """Two sandboxes on free ports, each recorded in its own state directory (once per module)."""
    first = Sandbox(free_port_settings(tmp_path_factory.mktemp("first"))).start()
    second = Sandbox(free_port_settings(tmp_path_factory.mktemp("second"))).start()
    try:
        for running in (first, second):
            discovery.write_record(running.settings, running.services)
        yield first, second
    finally:
        first.stop()
        second.stop()


@pytest.fixture
def two(started):
    """Both sandboxes with their calendars back at today."""
    for running in started:
        requests.post(running.url("control") + "/_sandbox/clock", json={"reset": True}, timeout=10)
    return started


def offset_of(sandbox: Sandbox) -> float:
    return requests.get(sandbox.url("control") + "/_sandbox/clock", timeout=10).json()["offset_seconds"]


@pytest.fixture
def no_env(monkeypatch, tmp_path):
    """No discovery variables from the developer's shell; the default state dir an empty folder."""
    for name in (discovery.URL_ENV, discovery.STATE_ENV, discovery.TOKEN_ENV):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DSOP_SANDBOX__STATE_DIR", str(tmp_path / "default-state"))


def test_the_record_says_where_up_runs(two):
    first, _ = two
    path = discovery.record_path(first.settings.state_dir)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    record = json.loads(path.read_text())
    assert record["control_url"] == first.url("control")
    assert record["services"]["nav"] == {"url": first.url("nav"), "port": first.settings.services["nav"].port}
    token_file = Path(record["admin_token_file"])
    assert token_file.read_text().strip() == read_admin_token(first.settings.state_dir)


def test_a_command_with_the_state_variable_acts_on_that_sandbox_and_says_so(two, no_env, monkeypatch, capsys):
    first, second = two
    monkeypatch.setenv(discovery.STATE_ENV, str(second.settings.state_dir))
    assert main(["clock", "advance", "P1D"]) == 0
    assert offset_of(second) == 86400 and offset_of(first) == 0
    said = capsys.readouterr().err
    assert f"acting on the sandbox at {second.url('control')} (${discovery.STATE_ENV}" in said


def test_a_command_with_the_url_variable_acts_on_that_sandbox(two, no_env, monkeypatch, capsys):
    first, second = two
    monkeypatch.setenv(discovery.URL_ENV, first.url("control"))
    assert main(["clock", "advance", "P2D"]) == 0
    assert offset_of(first) == 2 * 86400 and offset_of(second) == 0
    assert f"acting on the sandbox at {first.url('control')} (${discovery.URL_ENV}" in capsys.readouterr().err


def test_the_state_dir_option_finds_the_sandbox_recorded_there(two, no_env, capsys):
    first, second = two
    assert main(["clock", "--state-dir", str(first.settings.state_dir), "advance", "P3D"]) == 0
    assert offset_of(first) == 3 * 86400 and offset_of(second) == 0
    assert "recorded running in" in capsys.readouterr().err


def test_a_state_variable_with_nothing_running_is_an_error_not_the_default(tmp_path, no_env, monkeypatch, capsys):
    monkeypatch.setenv(discovery.STATE_ENV, str(tmp_path / "empty"))
    with pytest.raises(SystemExit) as stopped:
        main(["clock", "show"])
    assert stopped.value.code == 2
    assert "no sandbox runs on" in capsys.readouterr().err


def test_a_dead_record_falls_back_to_the_settings(tmp_path, no_env):
    settings = free_port_settings(tmp_path / "state")
    settings.state_dir.mkdir(parents=True, exist_ok=True)
    discovery.write_record(settings, ("control",), pid=2**22 + 12345)  # no such process
    target = discovery.find_sandbox(None, settings, state_chosen=False, environ={})
    assert target.control_url == settings.base_url("control")
    assert target.why.startswith("from the settings")


def test_an_explicit_url_takes_the_token_of_the_sandbox_recorded_there(two, no_env):
    first, _ = two
    target = discovery.find_sandbox(first.url("control"), first.settings, state_chosen=True, environ={})
    assert target.token == read_admin_token(first.settings.state_dir)
    assert target.why == "--control-url"
