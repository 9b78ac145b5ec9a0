"""The commands that talk to a running sandbox, run in this process against one served sandbox:
options typed anywhere, ``events`` paged to the end and followed, what ``clock`` acted on, the hints
naming the command as it was started."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import requests

from dsop_sandbox import cli
from dsop_sandbox.foreground import print_started
from dsop_sandbox.invocation import COMMAND_VARIABLE, command_name
from dsop_sandbox.launcher import Sandbox
from tests.conftest import free_port_settings

SERVICES = ["control", "idporten", "maskinporten", "altinn", "nav"]


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory):
    with Sandbox(free_port_settings(tmp_path_factory.mktemp("cli") / "state")) as running:
        yield running


@pytest.fixture
def control(sandbox) -> str:
    yield sandbox.url("control")
    assert cli.main(["clock", "reset", "--control-url", sandbox.url("control")]) == 0


def run(capsys, *argv) -> tuple[int, str]:
    capsys.readouterr()
    code = cli.main(list(argv))
    return code, capsys.readouterr().out


def test_the_banner_names_the_command_as_it_was_started(sandbox, capsys, monkeypatch):
    monkeypatch.setenv(COMMAND_VARIABLE, "./dev")
    print_started(sandbox, True)
    assert "insurers     none yet: ./dev register-insurer --help" in capsys.readouterr().out
    monkeypatch.delenv(COMMAND_VARIABLE)
    assert command_name(str(Path(cli.__file__)), environ={}).endswith(" -m dsop_sandbox.cli")
    assert command_name("/opt/x/bin/dsop-sandbox", environ={}) == "/opt/x/bin/dsop-sandbox"  # not the PATH's
    assert command_name("/usr/bin/pytest", environ={}) == "dsop-sandbox"


@pytest.mark.parametrize(
    "argv",
    [
        ["clock", "advance", "P3Y", "--config", "{config}"],
        ["--config", "{config}", "clock", "advance", "P3Y"],
        ["clock", "--config", "{config}", "advance", "P3Y"],
    ],
    ids=["after", "before-the-command", "between"],
)
def test_options_work_wherever_they_are_typed(argv, sandbox, control, tmp_path, capsys):
    config = tmp_path / "sandbox.toml"
    config.write_text(f"[services.control]\nport = {sandbox.settings.services['control'].port}\n")
    code, out = run(capsys, *(part.format(config=config) for part in argv))
    assert code == 0 and "on 5 services" in out
    moved = requests.get(control + "/_sandbox/clock", timeout=10).json()
    assert 3 * 365 * 86400 <= moved["offset_seconds"] <= 3 * 366 * 86400, "the --config file's sandbox moved"


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["clock", "show", "--control-url", "http://x"], {"control_url": "http://x"}),
        (["keys", "--state-dir", "S", "init", "--config", "C"], {"state_dir": "S", "config": "C"}),
        (["--state-dir", "S", "conform", "--insurer", "i.toml"], {"state_dir": "S", "insurer": "i.toml"}),
        (["doctor", "--insurer", "i.toml", "--state-dir", "S"], {"state_dir": "S", "insurer": "i.toml"}),
        (["--config", "C", "events", "--follow"], {"config": "C", "follow": True}),
        (["--state-dir", "S", "up", "--ephemeral"], {"state_dir": "S", "ephemeral": True}),
        (["clock", "show"], {"config": None, "state_dir": None, "control_url": None}),
    ],
)
def test_every_command_takes_its_options_before_and_after_itself(argv, expected):
    args = cli.build_parser().parse_args(argv)
    assert {name: getattr(args, name, None) for name in expected} == expected


def test_clock_counts_the_services_it_moved(control, capsys):
    code, out = run(capsys, "clock", "advance", "P1D", "--control-url", control)
    assert code == 0
    assert f"on 5 services: {', '.join(SERVICES)})" in out


def test_events_pages_to_the_newest_event(control, capsys, monkeypatch):
    for _ in range(3):  # each move is an event in every log: more than a page of two for each
        assert run(capsys, "clock", "advance", "PT1M", "--control-url", control)[0] == 0
    monkeypatch.setattr(cli, "EVENTS_PAGE", 2)
    code, out = run(capsys, "events", "--json", "--control-url", control)
    printed = [json.loads(line) for line in out.splitlines()]
    monkeypatch.setattr(cli, "EVENTS_PAGE", 10_000)
    everything = [
        json.loads(line) for line in run(capsys, "events", "--json", "--control-url", control)[1].splitlines()
    ]
    assert code == 0 and len(printed) > 2 * len(SERVICES)
    assert printed == everything  # all of them, each once, oldest first
    assert [(e["time"], e["service"], e["id"]) for e in printed] == sorted(
        (e["time"], e["service"], e["id"]) for e in printed
    )


def test_events_follow_prints_what_comes_later_until_ctrl_c(control, capsys, monkeypatch):
    polls = []

    def sleep(seconds):  # between polls: something happens, then the user presses Ctrl-C
        polls.append(seconds)
        if len(polls) == 1:
            assert cli.main(["clock", "set", "2031-01-01T00:00:00Z", "--control-url", control]) == 0
        elif len(polls) == 3:
            raise KeyboardInterrupt

    monkeypatch.setattr(cli.time, "sleep", sleep)
    before = len(run(capsys, "events", "--control-url", control)[1].splitlines())
    code, out = run(capsys, "events", "--json", "--follow", "--control-url", control)
    lines = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    assert code == 0 and polls == [cli.FOLLOW_SECONDS] * 3
    later = lines[before:]
    assert {e["service"] for e in later} == set(SERVICES), "the calendar moved on every service after the first poll"
    assert len({(e["service"], e["id"]) for e in lines}) == len(lines), "each event once"
