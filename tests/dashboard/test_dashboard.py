"""The workshop dashboard on the control plane: the pages (self-contained: nothing from outside the
sandbox), the withdraw route that forwards to Altinn, the walkthrough's fetch through the control
plane, and the sequence diagram's lane mapping kept honest against real events."""
from __future__ import annotations

import re
import socket

import pytest
import requests

from sandbox import launcher
from sandbox.dashboard import BLUEPRINT, INSURER_URL_KEY, install
from sandbox.demo import with_dashboard
from tests.conftest import INSURER_NAME, INSURER_ORG, REDIRECT_URI, free_port_settings

KARI = "15838512329"
URL_ATTRIBUTES = re.compile(r"""\b(?:src|href|action)\s*=\s*["']([^"']*)["']""", re.I)


@pytest.fixture(scope="module")
def running(tmp_path_factory):
    """A sandbox whose control plane has the dashboard installed (as create_app will once wired)."""
    factories = dict(launcher.FACTORIES)
    launcher.FACTORIES["control"] = with_dashboard(factories["control"])
    try:
        settings = free_port_settings(tmp_path_factory.mktemp("dashboard") / "state")
        with launcher.Sandbox(settings) as sandbox, requests.Session() as http:
            http.trust_env = False
            yield sandbox, http
    finally:
        launcher.FACTORIES.clear()
        launcher.FACTORIES.update(factories)


@pytest.fixture(scope="module")
def registered(running):
    sandbox, http = running
    answer = http.post(sandbox.url("control") + "/_sandbox/insurers", timeout=30,
                       json={"org": INSURER_ORG, "name": INSURER_NAME, "redirect_uri": REDIRECT_URI})
    assert answer.status_code == 201, answer.text
    return answer.json()


def own_urls(sandbox) -> tuple[str, ...]:
    return tuple(sandbox.url(name) for name in ("control", "idporten", "maskinporten", "altinn", "nav"))


@pytest.mark.parametrize("path", ["/", "/dashboard", "/walkthrough"])
def test_the_pages_are_html_with_nothing_from_outside(running, registered, path):
    sandbox, http = running
    answer = http.get(sandbox.url("control") + path, timeout=10)
    assert answer.status_code == 200, answer.text
    assert answer.headers["Content-Type"].startswith("text/html")
    html = answer.text
    assert "<svg" in html or 'class="lane-names"' in html
    for lane in ("Citizen (browser)", "Insurer", "ID-porten", "Maskinporten", "Altinn", "NAV"):
        assert lane in html
    allowed = own_urls(sandbox) + ("http://localhost:7200",)   # the registered insurer (REDIRECT_URI)
    for url in URL_ATTRIBUTES.findall(html):
        if "http" in url:
            assert url.startswith(allowed), url
    assert "@import" not in html and "fonts.googleapis" not in html
    assert "/_sandbox/events?since=" in html          # the live view polls the merged timeline


def test_the_walkthrough_links_the_reference_insurer_when_one_is_registered(running, registered):
    sandbox, http = running
    html = http.get(sandbox.url("control") + "/walkthrough", timeout=10).text
    assert f"http://localhost:7200/claims/start?pid={KARI}&amp;first_name=Kari&amp;last_name=Nordmann" in html
    for step in range(1, 8):
        assert f'id="step-{step}"' in html
    assert sandbox.url("altinn") + "/ui/Profile/Consents" in html
    assert sandbox.url("nav") + "/person/personopplysninger/dsop" in html


def test_withdraw_through_the_control_plane(running, registered):
    sandbox, http = running
    altinn, control = sandbox.url("altinn"), sandbox.url("control")
    made = http.post(altinn + "/_sandbox/consents", timeout=10, json={"covered_by": INSURER_ORG, "offered_by": KARI})
    assert made.status_code == 201, made.text
    code = made.json()["AuthorizationCode"]
    assert http.get(f"{altinn}/_sandbox/consents/{code}", timeout=10).json()["consent_state"] == "Active"

    answer = http.post(f"{control}/_sandbox/consents/{code}/withdraw", timeout=10)
    assert answer.status_code == 200, answer.text
    assert http.get(f"{altinn}/_sandbox/consents/{code}", timeout=10).json()["consent_state"] == "Revoked"

    again = http.post(f"{control}/_sandbox/consents/{code}/withdraw", timeout=10)   # Altinn's refusal passed through
    assert again.status_code == 409, again.text
    unknown = http.post(f"{control}/_sandbox/consents/00000000-0000-0000-0000-000000000000/withdraw", timeout=10)
    assert unknown.status_code == 404, unknown.text
    bad = http.post(f"{control}/_sandbox/consents/not%20a%20code/withdraw", timeout=10)
    assert bad.status_code == 400, bad.text


def test_the_fetch_button_says_so_when_the_insurer_does_not_answer(running, registered):
    sandbox, http = running
    app = sandbox.app("control")
    with socket.socket() as probe:       # a port that nothing listens on
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
    app.config[INSURER_URL_KEY] = f"http://127.0.0.1:{closed}"
    try:
        answer = http.post(sandbox.url("control") + "/_sandbox/dashboard/insurer-fetch?pid=" + KARI, timeout=30)
        assert answer.status_code == 502, answer.text
        assert "service_unreachable" in answer.text
        bad = http.post(sandbox.url("control") + "/_sandbox/dashboard/insurer-fetch?pid=123", timeout=30)
        assert bad.status_code == 400, bad.text
    finally:
        app.config.pop(INSURER_URL_KEY)


def test_install_is_idempotent(running):
    sandbox, _ = running
    app = sandbox.app("control")
    assert BLUEPRINT in app.blueprints
    assert install(app) is app


def test_the_demo_command_parses():
    import argparse

    from sandbox.demo import add_command, cmd_demo

    parser = argparse.ArgumentParser()
    commands = parser.add_subparsers(dest="command")

    def settings_options(command):
        command.add_argument("--config")
        command.add_argument("--state-dir")

    add_command(commands, settings_options)
    args = parser.parse_args(["demo", "--open"])
    assert args.open is True and args.run is cmd_demo and args.state_dir is None
