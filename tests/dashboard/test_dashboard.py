"""The workshop dashboard on the control plane: the pages (self-contained: nothing from outside the
sandbox), the withdraw route that forwards to Altinn, the walkthrough's fetch through the control
plane, and the sequence diagram's lane mapping kept honest against real events."""

from __future__ import annotations

import re
import socket
from contextlib import contextmanager

import pytest
import requests

from dsop_sandbox import launcher
from dsop_sandbox.dashboard import BLUEPRINT, INSURER_URL_KEY, HopLog, install
from tests.conftest import INSURER_NAME, INSURER_ORG, REDIRECT_URI, free_port_settings

KARI = "15838512329"
URL_ATTRIBUTES = re.compile(r"""\b(?:src|href|action)\s*=\s*["']([^"']*)["']""", re.I)


@contextmanager
def dashboard_sandbox(state_dir):
    """A sandbox (its control plane serves the dashboard) and a session that uses no proxy."""
    with launcher.Sandbox(free_port_settings(state_dir)) as sandbox, requests.Session() as http:
        http.trust_env = False
        yield sandbox, http


@pytest.fixture(scope="module")
def running(tmp_path_factory):
    with dashboard_sandbox(tmp_path_factory.mktemp("dashboard") / "state") as both:
        yield both


@pytest.fixture(scope="module")
def registered(running):
    sandbox, http = running
    answer = http.post(
        sandbox.url("control") + "/_sandbox/insurers",
        timeout=30,
        json={"org": INSURER_ORG, "name": INSURER_NAME, "redirect_uri": REDIRECT_URI},
    )
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
    allowed = (*own_urls(sandbox), "http://localhost:7200")  # the registered insurer (REDIRECT_URI)
    for url in URL_ATTRIBUTES.findall(html):
        if "http" in url:
            assert url.startswith(allowed), url
    assert "@import" not in html and "fonts.googleapis" not in html
    assert "/_sandbox/events?since=" in html  # the live view polls the merged timeline


def test_the_walkthrough_links_the_reference_insurer_when_one_is_registered(running, registered):
    sandbox, http = running
    html = http.get(sandbox.url("control") + "/walkthrough", timeout=10).text
    assert f"http://localhost:7200/claims/start?pid={KARI}&amp;first_name=Kari&amp;last_name=Nordmann" in html
    # the button goes there through the control plane, which notes the hop (the insurer logs nothing)
    assert (
        f'id="start-claim" href="/_sandbox/dashboard/start?pid={KARI}&amp;first_name=Kari&amp;last_name=Nordmann"'
        in html
    )
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

    again = http.post(f"{control}/_sandbox/consents/{code}/withdraw", timeout=10)  # Altinn's refusal passed through
    assert again.status_code == 409, again.text
    unknown = http.post(f"{control}/_sandbox/consents/00000000-0000-0000-0000-000000000000/withdraw", timeout=10)
    assert unknown.status_code == 404, unknown.text
    bad = http.post(f"{control}/_sandbox/consents/not%20a%20code/withdraw", timeout=10)
    assert bad.status_code == 400, bad.text


def test_the_fetch_button_says_so_when_the_insurer_does_not_answer(running, registered):
    sandbox, http = running
    app = sandbox.app("control")
    with socket.socket() as probe:  # a port that nothing listens on
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
    app.config[INSURER_URL_KEY] = f"http://127.0.0.1:{closed}"
    try:
        before = hops(http, sandbox)["cursor"]
        answer = http.post(sandbox.url("control") + "/_sandbox/dashboard/insurer-fetch?pid=" + KARI, timeout=30)
        assert answer.status_code == 502, answer.text
        assert "service_unreachable" in answer.text
        bad = http.post(sandbox.url("control") + "/_sandbox/dashboard/insurer-fetch?pid=123", timeout=30)
        assert bad.status_code == 400, bad.text
        # the hop is on the diagram as tried and failed; the refused pid never left the control plane
        [hop] = hops(http, sandbox, before)["events"]
        assert hop["operation"] == "insurer_fetch" and hop["details"]["hop"] == {"from": "citizen", "to": "insurer"}
        assert hop["status"] == 0 and hop["outcome"] == "error" and hop["error"] == "service_unreachable"
        assert hop["details"]["target"] == f"http://127.0.0.1:{closed}/conformance/fetch"
    finally:
        app.config.pop(INSURER_URL_KEY)


def hops(http, sandbox, since: int = 0) -> dict:
    answer = http.get(sandbox.url("control") + f"/_sandbox/dashboard/events?since={since}", timeout=10)
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_start_sends_the_browser_to_the_insurer_and_notes_the_hop(running, registered):
    sandbox, http = running
    control = sandbox.url("control")
    before = hops(http, sandbox)["cursor"]
    answer = http.get(control + "/_sandbox/dashboard/start", allow_redirects=False, timeout=10)
    assert answer.status_code == 302, answer.text
    assert (
        answer.headers["Location"]
        == f"http://localhost:7200/claims/start?pid={KARI}&first_name=Kari&last_name=Nordmann"
    )
    assert answer.headers["Cache-Control"] == "no-store"
    other = http.get(
        control + "/_sandbox/dashboard/start?pid=02917945651&first_name=Ola%20Jr&last_name=Hansen",
        allow_redirects=False,
        timeout=10,
    )
    assert other.headers["Location"].endswith("?pid=02917945651&first_name=Ola%20Jr&last_name=Hansen")

    seen = hops(http, sandbox, before)
    first, second = seen["events"]
    assert seen["cursor"] == second["seq"] > first["seq"] > before
    assert first["service"] == "dashboard" and first["operation"] == "start_claim" and first["method"] == "GET"
    assert first["path"] == "/_sandbox/dashboard/start" and first["status"] == 302 and first["subject"] == KARI
    assert first["details"]["hop"] == {"from": "citizen", "to": "insurer"}
    assert first["details"]["target"] == "http://localhost:7200/claims/start"  # no query
    assert first["time"].endswith("Z") and first["time"] <= second["time"] and first["calendar_time"]
    assert second["subject"] == "02917945651"
    assert hops(http, sandbox, seen["cursor"]) == {"events": [], "cursor": seen["cursor"]}


@pytest.mark.parametrize("query", ["pid=123", "pid=1583851232x", "last_name=" + "x" * 101, "first_name=a%0ab"])
def test_start_refuses_a_bad_person_and_notes_nothing(running, registered, query):
    sandbox, http = running
    before = hops(http, sandbox)["cursor"]
    answer = http.get(sandbox.url("control") + "/_sandbox/dashboard/start?" + query, allow_redirects=False, timeout=10)
    assert answer.status_code == 400, answer.text
    assert hops(http, sandbox, before)["events"] == []


def test_without_an_insurer_there_is_nothing_to_start(running, registered, monkeypatch):
    sandbox, http = running
    import dsop_sandbox.dashboard as dashboard

    monkeypatch.setattr(dashboard, "insurer_url", lambda: None)
    answer = http.get(sandbox.url("control") + "/_sandbox/dashboard/start", allow_redirects=False, timeout=10)
    assert answer.status_code == 404, answer.text


def test_the_hops_feed_wants_a_cursor(running):
    sandbox, http = running
    answer = http.get(sandbox.url("control") + "/_sandbox/dashboard/events?since=x", timeout=10)
    assert answer.status_code == 400, answer.text


def test_the_hop_log_keeps_the_start_time_when_an_answer_completes_a_hop():
    from dsop_sandbox.mocks.common.clock import Clock

    log = HopLog(limit=3)
    clock = Clock()
    started = log.add(
        clock,
        operation="insurer_fetch",
        method="POST",
        path="/p",
        hop=("citizen", "insurer"),
        status=None,
        outcome="pending",
        target="http://i.example/conformance/fetch",
    )
    events, cursor = log.since(0)
    assert [e["status"] for e in events] == [None] and cursor == started["seq"]
    log.complete(started["id"], status=200, outcome="refused", error="consent_required", answer_status=None)
    [done], later = log.since(cursor)
    assert done["id"] == started["id"] and done["time"] == started["time"] and later > cursor
    assert done["status"] == 200 and done["error"] == "consent_required"
    assert done["details"] == {
        "hop": {"from": "citizen", "to": "insurer"},
        "target": "http://i.example/conformance/fetch",
    }
    for _ in range(3):
        log.add(
            clock,
            operation="start_claim",
            method="GET",
            path="/s",
            hop=("citizen", "insurer"),
            status=302,
            outcome="redirected",
        )
    assert [e["operation"] for e in log.since(0)[0]] == ["start_claim"] * 3  # only the last ``limit`` stay


def test_a_reset_forgets_the_hops_but_not_the_cursor(tmp_path_factory):
    with dashboard_sandbox(tmp_path_factory.mktemp("dashboard-reset") / "state") as (sandbox, http):
        control = sandbox.url("control")
        made = http.post(
            control + "/_sandbox/insurers",
            timeout=30,
            json={"org": INSURER_ORG, "name": INSURER_NAME, "redirect_uri": REDIRECT_URI},
        )
        assert made.status_code == 201, made.text
        assert http.get(control + "/_sandbox/dashboard/start", allow_redirects=False, timeout=10).status_code == 302
        cursor = hops(http, sandbox)["cursor"]
        assert cursor == 1
        assert http.post(control + "/_sandbox/reset", json={}, timeout=30).status_code == 200
        assert hops(http, sandbox) == {"events": [], "cursor": 1}
        http.get(control + "/_sandbox/dashboard/start", allow_redirects=False, timeout=10)
        [after] = hops(http, sandbox, cursor)["events"]
        assert after["id"] == 2 and after["seq"] == 2


def test_install_is_idempotent(running):
    sandbox, _ = running
    app = sandbox.app("control")
    assert BLUEPRINT in app.blueprints
    assert install(app) is app


def test_the_demo_command_parses():
    import argparse

    from dsop_sandbox.demo import add_command, cmd_demo

    parser = argparse.ArgumentParser()
    commands = parser.add_subparsers(dest="command")
    add_command(commands)
    args = parser.parse_args(["demo", "--open"])
    assert args.open is True and args.run is cmd_demo and args.state_dir is None and args.config is None
