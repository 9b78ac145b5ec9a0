"""One service per OS process (what docker-compose.yml runs), started by sandbox.topology."""
from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest
import requests

from conformance import runner
from mocks.common.settings import SERVICE_NAMES
from sandbox.reference_insurer import ReferenceInsurerServer
from sandbox.topology import ProcessTopology

pytestmark = pytest.mark.slow


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.fixture
def http():
    with requests.Session() as session:
        session.trust_env = False
        yield session


@pytest.fixture
def topology(tmp_path):
    running = ProcessTopology(tmp_path / "state").start()
    try:
        yield running
    finally:
        already_gone = {name for name, process in running.processes.items() if process.poll() is not None}
        codes = running.stop()
        assert all(not alive(running.pid(name)) for name in running.services), "a service outlived stop()"
        # SIGINT is a clean stop for every service still running
        assert {name: code for name, code in codes.items() if name not in already_gone} == \
            {name: 0 for name in SERVICE_NAMES if name not in already_gone}, codes


def test_every_service_is_its_own_healthy_process(topology, http):
    pids = {name: topology.pid(name) for name in SERVICE_NAMES}
    assert len(set(pids.values())) == len(SERVICE_NAMES) and os.getpid() not in pids.values()
    for name in SERVICE_NAMES:
        assert topology.url(name) == f"http://127.0.0.1:{topology.ports[name]}"
        assert http.get(topology.url(name) + "/_sandbox/health", timeout=5).json() == {"status": "ok", "service": name}
    services = http.get(topology.url("control") + "/_sandbox/services", timeout=10).json()["services"]
    assert {name: s["health"] for name, s in services.items()} == {name: "ok" for name in SERVICE_NAMES}
    assert services["maskinporten"]["issuer"] == topology.url("maskinporten") + "/"
    # One key authority for all: every process publishes the keys of the same state directory.
    jwks = http.get(topology.url("maskinporten") + "/jwk", timeout=5).json()
    assert Path(topology.state_dir, "authority", "issuers", "maskinporten", "1.cert.pem").exists()
    assert len(jwks["keys"]) == 1
    assert {p.name for p in topology.state_dir.glob("*.sqlite3")} == {f"{name}.sqlite3" for name in SERVICE_NAMES}


def test_the_reference_insurer_passes_the_conformance_suite_through_separate_processes(topology):
    with ReferenceInsurerServer(topology, port=0) as insurer:
        result = runner.run(str(insurer.profile_path), topology.url("control"))
    failed = [(s.name, s.error, v.requirement, v.status, v.why) for s in result.scenarios for v in s.verdicts
              if v.status != "PASS"]
    assert result.setup_error is None, result.setup_error
    assert result.exit_code == 0, failed


def test_a_killed_service_is_reported_unhealthy_not_a_500(topology, http):
    assert topology.kill("altinn", signal.SIGKILL) == -signal.SIGKILL
    answer = http.get(topology.url("control") + "/_sandbox/services", timeout=30)
    assert answer.status_code == 200, answer.text
    health = {name: s["health"] for name, s in answer.json()["services"].items()}
    assert health == {**{name: "ok" for name in SERVICE_NAMES}, "altinn": "unreachable"}
