"""The commands that talk to a running sandbox, run in this process against one served sandbox:
options typed anywhere, ``events`` paged to the end and followed, what ``clock`` acted on, the hints
naming the command as it was started, the profile and client authentication ``register-insurer``
hands out."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import pytest
import requests

from dsop_sandbox import cli
from dsop_sandbox.conformance.doctor import diagnose
from dsop_sandbox.conformance.profile import InsurerProfile
from dsop_sandbox.foreground import print_started
from dsop_sandbox.invocation import COMMAND_VARIABLE, command_name
from dsop_sandbox.launcher import Sandbox
from dsop_sandbox.mocks.idporten.client_auth import ASSERTION_TYPE
from tests.conftest import free_port_settings
from tests.idporten.support import client_assertion
from tests.support import REMOVE, InsurerKeys

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

    monkeypatch.setattr(cli, "pause", sleep)
    before = len(run(capsys, "events", "--control-url", control)[1].splitlines())
    code, out = run(capsys, "events", "--json", "--follow", "--control-url", control)
    lines = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    assert code == 0 and polls == [cli.FOLLOW_SECONDS] * 3
    later = lines[before:]
    assert {e["service"] for e in later} == set(SERVICES), "the calendar moved on every service after the first poll"
    assert len({(e["service"], e["id"]) for e in lines}) == len(lines), "each event once"


def register(capsys, control: str, out: Path, *extra) -> dict:
    code, printed = run(
        capsys,
        *("register-insurer", "--org", "310000019", "--name", "Eksempel Forsikring AS", "--out", str(out)),
        *("--redirect-uri", "http://127.0.0.1:9000/claims/callback", "--control-url", control, *extra),
    )
    assert code == 0
    return json.loads(printed)


def test_insurer_toml_names_the_integrations_port_and_every_placeholder_and_doctor_reports_them(
    control, tmp_path, capsys
):
    register(capsys, control, tmp_path)
    written = (tmp_path / "insurer.toml").read_text()
    assert "7200" not in written
    checks = {check.name: check for check in diagnose(str(tmp_path / "insurer.toml"), control)}
    assert not checks["profile"].ok and "needs start_url, fetch_url" in checks["profile"].detail
    (tmp_path / "insurer.toml").write_text(
        written.replace("# start_url = ", "start_url = ").replace("# fetch_url = ", "fetch_url = ")
    )
    profile = InsurerProfile.load(tmp_path / "insurer.toml")
    person = {"pid": "15838512329", "first_name": "Kari", "last_name": "Nordmann"}
    assert profile.start(person) == (
        "http://127.0.0.1:9000/claims/start?pid=15838512329&first_name=Kari&last_name=Nordmann"
    )
    assert profile.fetch(person) == "http://127.0.0.1:9000/conformance/fetch?pid=15838512329"


def idporten_token(facts: dict, **kwargs) -> requests.Response:
    discovery = requests.get(facts["idporten"]["issuer"] + "/.well-known/openid-configuration", timeout=10).json()
    form = {
        "grant_type": "authorization_code",
        "code": "no-such-code",
        "redirect_uri": facts["idporten"]["redirect_uris"][0],
    }
    return requests.post(discovery["token_endpoint"], data={**form, **kwargs.pop("data", {})}, timeout=10, **kwargs)


@pytest.mark.parametrize("method", ["client_secret_basic", "client_secret_post", "private_key_jwt"])
def test_register_insurer_chooses_how_the_idporten_client_authenticates_and_says_so(method, control, tmp_path, capsys):
    facts = register(capsys, control, tmp_path, "--token-endpoint-auth-method", method)
    client = facts["idporten"]
    assert client["token_endpoint_auth_method"] == method
    profile = tomllib.loads((tmp_path / "insurer.toml").read_text())
    assert profile["idporten"]["token_endpoint_auth_method"] == method
    secret = client.get("client_secret")
    keys = InsurerKeys.from_files(tmp_path / "enterprise.key.pem", tmp_path / "enterprise.cert.pem")
    assertion = client_assertion(
        client["client_id"], client["issuer"], keys.private_key, header={"kid": REMOVE, "x5c": keys.x5c()}
    )
    ways = {
        "client_secret_basic": {"auth": (client["client_id"], secret or "")},
        "client_secret_post": {"data": {"client_id": client["client_id"], "client_secret": secret or ""}},
        "private_key_jwt": {
            "data": {
                "client_id": client["client_id"],
                "client_assertion_type": ASSERTION_TYPE,
                "client_assertion": assertion,
            }
        },
    }
    assert (secret is None) == (method == "private_key_jwt")
    for way, how in ways.items():
        answer = idporten_token(facts, **how)
        if way == method:  # authenticated: only the made-up code is wrong
            assert (answer.status_code, answer.json()["error"]) == (400, "invalid_grant"), answer.text
        else:
            assert (answer.status_code, answer.json()["error"]) == (401, "invalid_client"), answer.text
            assert f"registered for {method}" in answer.json()["error_description"]


def test_register_insurer_refuses_an_unknown_client_authentication(control, tmp_path, capsys):
    with pytest.raises(SystemExit) as refused:
        register(capsys, control, tmp_path, "--token-endpoint-auth-method", "none")
    assert refused.value.code == 2 and "invalid choice" in capsys.readouterr().err
    answer = requests.post(
        control + "/_sandbox/insurers",
        json={
            "org": "310000019",
            "name": "X",
            "redirect_uri": "http://127.0.0.1:9000/cb",
            "token_endpoint_auth_method": "none",
        },
        timeout=10,
    )
    assert answer.status_code == 400 and "token_endpoint_auth_method must be one of" in answer.json()["message"]


def test_events_says_which_services_did_not_answer_once(tmp_path, capsys, monkeypatch):
    polls = []

    def sleep(seconds):
        polls.append(seconds)
        if len(polls) == 3:
            raise KeyboardInterrupt

    monkeypatch.setattr(cli, "pause", sleep)
    with Sandbox(free_port_settings(tmp_path / "state"), services=("control",)) as alone:
        code = cli.main(["events", "--follow", "--control-url", alone.url("control")])
    assert code == 0 and len(polls) == 3
    said = capsys.readouterr().err.splitlines()
    assert said == [
        f"dsop-sandbox: acting on the sandbox at {alone.url('control')} (--control-url)",
        "dsop-sandbox: no events from altinn, idporten, maskinporten, nav (not answering)",
    ]
