"""A served fake's requests take turns at the app (sandbox/wsgi_server.py with mocks/common/turn.py):
one at a time in a process, a stuck one never stalling the others beyond the patience; the fakes'
servers take turns, the reference insurer's does not, and neither do the fakes on PostgreSQL
(tests/postgres/test_flows.py)."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import requests

from dsop_sandbox.launcher import Sandbox
from dsop_sandbox.mocks.common.turn import TURN, Turn
from dsop_sandbox.reference_insurer import ReferenceInsurerServer
from dsop_sandbox.wsgi_server import ServiceServer
from tests.conftest import free_port_settings


class Counting:
    """An app that stays 50 ms and counts how many of its calls were inside at once; ``/hold`` stays
    until :attr:`leave` is set."""

    def __init__(self):
        self.lock, self.now, self.most = threading.Lock(), 0, 0
        self.holding, self.leave = threading.Event(), threading.Event()

    def __call__(self, environ, start_response):
        with self.lock:
            self.now += 1
            self.most = max(self.most, self.now)
        try:
            if environ["PATH_INFO"] == "/hold":
                self.holding.set()
                self.leave.wait(10)
            else:
                time.sleep(0.05)
        finally:
            with self.lock:
                self.now -= 1
        start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "2")])
        return [b"ok"]


def served(app, turn: Turn | None) -> tuple[ServiceServer, str]:
    server = ServiceServer("turns", "127.0.0.1", 0, turn=turn)
    port = server.bind()
    server.start(app)
    return server, f"http://127.0.0.1:{port}"


def six_at_once(url: str) -> list[int]:
    with ThreadPoolExecutor(6) as pool:
        return list(pool.map(lambda _: requests.get(url + "/", timeout=10).status_code, range(6)))


def test_with_a_turn_the_apps_work_runs_one_request_at_a_time():
    app = Counting()
    server, url = served(app, Turn(patience=10))
    try:
        assert six_at_once(url) == [200] * 6
    finally:
        server.stop()
    assert app.most == 1


def test_without_one_requests_run_side_by_side():
    app = Counting()
    server, url = served(app, None)
    try:
        assert six_at_once(url) == [200] * 6
    finally:
        server.stop()
    assert app.most > 1


def test_a_request_stuck_in_its_turn_costs_the_others_the_patience_not_a_stall():
    app = Counting()
    server, url = served(app, Turn(patience=0.2))
    try:
        with ThreadPoolExecutor(1) as pool:
            stuck = pool.submit(requests.get, url + "/hold", timeout=20)
            assert app.holding.wait(5)
            began = time.monotonic()
            assert requests.get(url + "/", timeout=10).status_code == 200
            assert time.monotonic() - began < 2  # not the 10 s the stuck one stays
            assert not stuck.done()
            app.leave.set()
            assert stuck.result().status_code == 200
    finally:
        app.leave.set()
        server.stop()


def test_the_fakes_servers_take_this_processes_turn_and_the_reference_insurers_does_not(tmp_path):
    with Sandbox(free_port_settings(tmp_path / "state")) as sandbox, ReferenceInsurerServer(sandbox, port=0) as insurer:
        assert {name: server.turn for name, server in sandbox.servers.items()} == dict.fromkeys(sandbox.servers, TURN)
        assert insurer.server.turn is None
