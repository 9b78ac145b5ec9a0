"""Taking turns (mocks/common/turn.py): one thread at a time inside ``taken``, never longer than the
patience for whoever waits, and the turn given up around the waits that are foreseen: a fault's
delay, an outgoing call of a fake (Outbound) and the control plane's fan-out."""

from __future__ import annotations

import threading
import time

import pytest

from dsop_sandbox.control_plane.fanout import Fanout
from dsop_sandbox.mocks.common.faults import FAULTS_SCHEMA, FAULTS_TABLE, Faults
from dsop_sandbox.mocks.common.outbound import Outbound
from dsop_sandbox.mocks.common.shared_state import SharedState
from dsop_sandbox.mocks.common.store import Store
from dsop_sandbox.mocks.common.turn import TURN, Turn
from dsop_sandbox.wsgi_server import ServiceServer
from tests.conftest import free_port_settings


def in_thread(target) -> threading.Thread:
    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    return thread


def test_one_thread_at_a_time_inside_and_the_next_goes_in_when_it_leaves():
    turn = Turn(patience=10)
    inside, leave, order = threading.Event(), threading.Event(), []

    def first():
        with turn.taken():
            order.append(("first", turn.held))
            inside.set()
            leave.wait(5)
            order.append(("first leaves", turn.held))

    def second():
        with turn.taken():
            order.append(("second", turn.held))

    a = in_thread(first)
    assert inside.wait(5)
    b = in_thread(second)
    time.sleep(0.2)  # the second waits (its patience is 10 s)
    assert order == [("first", True)] and not turn.free
    leave.set()
    a.join(5), b.join(5)
    assert order == [("first", True), ("first leaves", True), ("second", True)]
    assert turn.free


def test_a_turn_held_too_long_costs_the_others_their_patience_never_more():
    turn = Turn(patience=0.1)
    inside, leave = threading.Event(), threading.Event()

    def holder():
        with turn.taken():
            inside.set()
            leave.wait(10)  # a wait nobody foresaw: the turn is kept

    a = in_thread(holder)
    assert inside.wait(5)
    began = time.monotonic()
    with turn.taken():
        waited = time.monotonic() - began
        assert not turn.held  # it went in without the turn
    assert 0.09 <= waited < 2
    assert not turn.free  # and left the holder's turn alone
    leave.set()
    a.join(5)
    assert turn.free


def test_given_up_lets_another_in_and_takes_the_turn_back():
    turn = Turn(patience=10)
    other_ran = []
    with turn.taken():
        assert turn.held
        with turn.given_up():
            assert not turn.held and turn.free

            def other():
                with turn.taken():
                    other_ran.append(turn.held)

            in_thread(other).join(5)
        assert turn.held and not turn.free
    assert other_ran == [True] and turn.free


def test_inside_a_turn_taking_it_again_goes_on_and_leaving_the_inner_block_keeps_it():
    turn = Turn(patience=10)
    with turn.taken():
        with turn.taken():  # would wait 10 s if it asked the lock again
            assert turn.held
        assert turn.held and not turn.free
    assert turn.free


def test_without_the_turn_given_up_changes_nothing():
    turn = Turn(patience=10)
    with turn.given_up():
        assert not turn.held and turn.free
    assert turn.free


@pytest.fixture
def faults(tmp_path):
    store = Store(tmp_path / "faults.sqlite3", FAULTS_SCHEMA, (FAULTS_TABLE,))
    yield Faults(lambda: ("token",), SharedState(store))
    store.close()


def test_a_faults_delay_is_waited_out_without_the_turn(faults):
    faults.arm({"operation": "token", "delay_ms": 250, "count": 1})
    during = []
    with TURN.taken():
        faults.apply("token", sleep=lambda seconds: during.append((seconds, TURN.held, TURN.free)))
        assert TURN.held  # taken back after the delay
    assert during == [(0.25, False, True)]


@pytest.fixture
def recorder():
    """A server (taking no turn itself) whose answer says whether this process's turn was free while
    it answered; its URL."""
    seen: list[bool] = []

    def app(environ, start_response):
        seen.append(TURN.free)
        start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", "2")])
        return [b"{}"]

    server = ServiceServer("recorder", "127.0.0.1", 0)
    port = server.bind()
    server.start(app)
    try:
        yield f"http://127.0.0.1:{port}", seen
    finally:
        server.stop()


def test_a_fakes_outgoing_call_gives_the_turn_up_while_it_is_out(recorder):
    url, seen = recorder
    with TURN.taken(), Outbound(verify=True).session() as http:
        assert http.get(url + "/", timeout=10).status_code == 200
        assert TURN.held
    assert seen == [True]


def test_the_control_planes_fan_out_gives_the_turn_up_while_it_waits(recorder, tmp_path, monkeypatch):
    url, seen = recorder
    fanout = Fanout(free_port_settings(tmp_path / "state"))
    monkeypatch.setattr(fanout, "url", lambda service, path: url + path)
    with TURN.taken():
        answers = fanout.all("GET", "/_sandbox/health", services=("idporten", "nav"))
        assert TURN.held
    assert answers == {"idporten": {}, "nav": {}} and seen == [True, True]
    with TURN.taken():  # one call, from the request's own thread
        assert fanout.call("nav", "GET", "/_sandbox/health") == {}
    assert seen == [True, True, True]
