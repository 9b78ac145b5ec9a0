"""The walkthrough's controls on the control plane, in process (every service's app behind one WSGI
adapter, one frozen clock): "three years later" counts from today however often it is pressed,
"reset for the next group" resets the sandbox and every reference insurer it holds a key for (and
says which it could not), and a withdrawal from the controls is a hop the diagram draws."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from flask import Flask, request

from dsop_sandbox import control_plane
from dsop_sandbox.control_plane.walkthrough import RESET_ROUTE, YEARS_LATER_ROUTE
from dsop_sandbox.mocks.common.clock import Duration
from tests.conftest import free_port_settings
from tests.wsgi_network import InProcessSandbox

T0 = datetime(2026, 12, 7, 14, 0, tzinfo=UTC)
HEADER = "X-Reference-Insurer-Reset-Key"
KEY = "k3y-only-the-starter-knows"
INSURER = "http://localhost:7290"
ORG = "310000019"
KARI = "15838512329"


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    from dsop_sandbox.mocks.common.clock import Clock

    clock = Clock()
    clock.freeze(T0)
    with InProcessSandbox(free_port_settings(tmp_path_factory.mktemp("controls") / "state"), clock=clock) as sandbox:
        yield sandbox, sandbox.app("control").test_client(), clock


@pytest.fixture
def fresh(world):
    sandbox, client, clock = world
    clock.freeze(T0)
    assert client.post("/_sandbox/reset", json={}).status_code == 200
    cp = sandbox.app("control").extensions["control"]
    cp.insurer_resets.clear()
    cp.reference_insurers.clear()
    return world


def fake_insurer(sandbox, answers: list[int]) -> list[dict]:
    """A reference insurer at INSURER that answers its reset with ``answers`` in turn; what it was sent."""
    app = Flask("fake-insurer")
    sent: list[dict] = []

    @app.post("/conformance/reset")
    def reset():
        sent.append({"key": request.headers.get(HEADER)})
        status = answers.pop(0)
        return ({"status": "ok", "claims_forgotten": 3} if status == 200 else {"status": "error"}), status

    sandbox.adapter.add(INSURER, app)
    sandbox.adapter.mount_on(sandbox.app("control").extensions["control"].fanout.session)
    return sent


def calendars(client) -> set[str]:
    answer = client.get("/_sandbox/clock").get_json()
    return {answer["calendar_time"], *(s["calendar_time"] for s in answer["services"].values())}


def test_three_years_later_counts_from_today_however_often_it_is_pressed(fresh):
    _, client, _ = fresh
    assert client.post("/_sandbox/clock", json={"advance": "P1Y"}).status_code == 200
    expected = Duration.parse("P3Y1D").added_to(T0).strftime("%Y-%m-%dT%H:%M:%SZ")
    for _ in range(2):
        answer = client.post(YEARS_LATER_ROUTE)
        assert answer.status_code == 200, answer.get_data(as_text=True)
        assert answer.get_json()["calendar_time"] == expected == "2029-12-08T14:00:00Z"
        assert calendars(client) == {expected}  # every service's calendar, not the control plane's alone
    assert client.post(YEARS_LATER_ROUTE, json={"advance": "P1Y"}).status_code == 200  # a body is not read


def test_reset_for_the_next_group_resets_the_sandbox_and_the_insurer_with_its_key(fresh):
    sandbox, client, _ = fresh
    sent = fake_insurer(sandbox, [200])
    control_plane.allow_insurer_reset(sandbox.app("control"), INSURER + "/", HEADER, KEY)
    client.post(YEARS_LATER_ROUTE)
    answer = client.post(RESET_ROUTE, json={})
    assert answer.status_code == 200, answer.get_data(as_text=True)
    body = answer.get_json()
    assert body["reset"] is True and set(body["services"]) == {"idporten", "maskinporten", "altinn", "nav"}
    assert body["insurers"] == {INSURER: {"status": "reset", "claims_forgotten": 3}}
    assert sent == [{"key": KEY}]  # the key went to the insurer it belongs to, and nowhere else
    assert calendars(client) == {"2026-12-07T14:00:00Z"}  # the calendar is today again
    # the logs start again: each service's own reset, and the control plane's
    events = client.get("/_sandbox/events").get_json()["events"]
    assert sorted(e["operation"] for e in events if e["service"] != "control") == ["admin.reset"] * 4
    [event] = [e for e in events if e["service"] == "control"]
    assert event["operation"] == "reset_for_the_next_group" and event["details"]["insurers"] == [INSURER]


def test_an_insurer_that_refuses_its_reset_is_named_and_the_sandbox_is_reset_all_the_same(fresh):
    sandbox, client, _ = fresh
    fake_insurer(sandbox, [403])
    control_plane.allow_insurer_reset(sandbox.app("control"), INSURER, HEADER, "a wrong key")
    client.post(YEARS_LATER_ROUTE)
    answer = client.post(RESET_ROUTE)
    assert answer.status_code == 502
    body = answer.get_json()
    assert body["error"] == "insurer_reset_failed" and INSURER in body["error_description"]
    assert body["insurers"][INSURER] == {"status": "failed", "detail": "answered 403"}
    assert calendars(client) == {"2026-12-07T14:00:00Z"}


def test_an_insurer_without_a_key_is_left_alone_and_the_answer_says_so(fresh):
    sandbox, client, _ = fresh
    sent = fake_insurer(sandbox, [200])
    control_plane.use_reference_insurer(sandbox.app("control"), INSURER)  # known, but nobody handed a key
    answer = client.post(RESET_ROUTE)
    assert answer.status_code == 200
    assert answer.get_json()["insurers"][INSURER]["status"] == "not_reset" and sent == []


def test_a_withdrawal_from_the_controls_is_a_hop_from_the_sandbox_to_altinn(fresh):
    sandbox, client, _ = fresh
    registered = client.post(
        "/_sandbox/insurers", json={"org": ORG, "name": "Eksempel Forsikring AS", "redirect_uri": INSURER + "/cb"}
    )
    assert registered.status_code == 201, registered.get_data(as_text=True)
    with sandbox.session() as http:
        made = http.post(sandbox.url("altinn") + "/_sandbox/consents", json={"covered_by": ORG, "offered_by": KARI})
    assert made.status_code == 201, made.text
    code = made.json()["AuthorizationCode"]
    answer = client.post(f"/_sandbox/consents/{code}/withdraw")
    assert answer.status_code == 200, answer.get_data(as_text=True)
    withdrawn = [e for e in client.get("/_sandbox/events").get_json()["events"] if e["service"] == "control"][-1]
    assert withdrawn["operation"] == "admin.withdraw_consent"
    assert withdrawn["details"]["hop"] == {"from": "control", "to": "altinn"}
    assert withdrawn["details"]["consent"] == "altinn2" and withdrawn["details"]["on_behalf_of"] == "citizen"
    refused = client.post("/_sandbox/consents/no-such-code/withdraw")
    assert refused.status_code == 404
