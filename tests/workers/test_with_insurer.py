"""``up --with-insurer --workers 2``: the reference insurers run once, in one process of their own
beside the workers, and every control-plane worker may reset them (the walkthrough's "reset for
the next group"): the reset keys were made before the workers were forked."""

from __future__ import annotations

import signal

import pytest
import requests

from dsop_sandbox.mocks.common.admin_access import TOKEN_HEADER, read_admin_token
from dsop_sandbox.wsgi_server import WORKER_HEADER
from tests.keys import with_test_keys
from tests.sandbox.test_cli import Running, children_of, cli_env, refuses_connections

pytestmark = pytest.mark.slow


def test_the_insurers_run_once_and_every_control_worker_may_reset_them(tmp_path):
    state_dir = with_test_keys(tmp_path / "state")
    env = cli_env({"DSOP_SANDBOX__STATE_DIR": str(state_dir), "DSOP_SANDBOX__REFERENCE_INSURER__PORT": "0"})
    up = Running("up", "--with-insurer", "--workers", "2", env=env)
    try:
        insurers = [up.urls["reference_insurer"], up.urls["reference_insurer_altinn2"]]
        children = children_of(up.process.pid)
        assert len(children) == 3, "two workers and one process for both insurers"
        for url in insurers:
            answer = requests.get(url + "/health", timeout=10)
            assert answer.status_code == 200 and WORKER_HEADER not in answer.headers
        headers = {TOKEN_HEADER: read_admin_token(state_dir)}
        resetters = set()
        for _ in range(200):
            with requests.Session() as http:
                answer = http.post(
                    up.urls["control"] + "/_sandbox/dashboard/reset", json={}, headers=headers, timeout=30
                )
            assert answer.status_code == 200, answer.text
            assert {url: result["status"] for url, result in answer.json()["insurers"].items()} == dict.fromkeys(
                insurers, "reset"
            )
            resetters.add(answer.headers[WORKER_HEADER])
            if len(resetters) == 2:
                break
        assert len(resetters) == 2, f"fresh connections reached only {resetters}"
    finally:
        code = up.stop(signal.SIGTERM)
    assert code == 0 and "stopped" in up.rest
    assert all(refuses_connections(url) for url in insurers)
