"""``dsop-sandbox serve SERVICE --workers N``: one service in N processes on its port, and
``--workers 1``: today's single process exactly (no child, no worker header)."""

from __future__ import annotations

import signal

import pytest
import requests

from dsop_sandbox.wsgi_server import WORKER_HEADER
from tests.keys import with_test_keys
from tests.sandbox.test_cli import Running, children_of, cli_env, refuses_connections
from tests.workers.conftest import pid_of, worker_of

pytestmark = pytest.mark.slow


def serving(tmp_path, *args) -> Running:
    running = Running("serve", *args, env=cli_env({"DSOP_SANDBOX__STATE_DIR": str(with_test_keys(tmp_path))}))
    assert running.lines and running.lines[-1].endswith("healthy; Ctrl-C stops\n"), running.lines
    return running


def test_serve_runs_one_service_in_n_workers_on_its_port(tmp_path):
    served = serving(tmp_path, "maskinporten", "--workers", "3")
    try:
        assert set(served.urls) == {"maskinporten"}
        workers = children_of(served.process.pid)
        assert len(workers) == 3
        seen = set()
        for _ in range(300):
            with requests.Session() as http:
                answer = http.get(served.urls["maskinporten"] + "/.well-known/oauth-authorization-server", timeout=10)
            assert answer.status_code == 200
            seen.add(pid_of(worker_of(answer)))
            if len(seen) == 3:
                break
        assert sorted(seen) == sorted(workers)
    finally:
        code = served.stop(signal.SIGINT)
    assert code == 0 and "stopped" in served.rest
    assert refuses_connections(served.urls["maskinporten"])


def test_one_worker_is_one_process_and_names_no_worker(tmp_path):
    served = serving(tmp_path, "nav", "--workers", "1")
    try:
        assert children_of(served.process.pid) == []
        answer = requests.get(served.urls["nav"] + "/_sandbox/health", timeout=10)
        assert answer.json() == {"status": "ok", "service": "nav"} and WORKER_HEADER not in answer.headers
    finally:
        assert served.stop(signal.SIGTERM) == 0
