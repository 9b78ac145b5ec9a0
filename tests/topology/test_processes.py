"""One service per OS process (what docker-compose.yml runs), started by dsop_sandbox.topology: the
key authority's init step first, then the services on a read-only key directory."""

from __future__ import annotations

import os
import signal
import socket
import ssl
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
import requests
from cryptography import x509

from dsop_sandbox.conformance import runner
from dsop_sandbox.mocks.authority import KeyAuthority, pki
from dsop_sandbox.mocks.common.settings import DEFAULT_PORTS, SERVICE_NAMES
from dsop_sandbox.reference_insurer import ReferenceInsurerServer
from dsop_sandbox.topology import ProcessTopology, compose_document
from tests.authority.snapshot import snapshot

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


@pytest.fixture(scope="module")
def topology(tmp_path_factory):
    """One topology for the module (six processes are worth sharing); the test that kills a service
    comes last in this file."""
    running = ProcessTopology(tmp_path_factory.mktemp("topology") / "state").start()
    # what the services found and made on the way up, before any test touches them
    running.overlay_at_start = (running.state_dir / "authority-overlay").exists()
    try:
        yield running
    finally:
        already_gone = {name for name, process in running.processes.items() if process.poll() is not None}
        codes = running.stop()
        assert all(not alive(running.pid(name)) for name in running.services), "a service outlived stop()"
        # SIGINT is a clean stop for every service still running
        assert {name: code for name, code in codes.items() if name not in already_gone} == {
            name: 0 for name in SERVICE_NAMES if name not in already_gone
        }, codes


def served_certificate(port: int, ca_bundle: Path) -> x509.Certificate:
    context = ssl.create_default_context(cafile=str(ca_bundle))
    with (
        socket.create_connection(("127.0.0.1", port), timeout=5) as raw,
        context.wrap_socket(raw, server_hostname="127.0.0.1") as tls,
    ):
        return x509.load_der_x509_certificate(tls.getpeercert(binary_form=True))


def test_the_init_step_runs_first_and_the_services_get_a_read_only_key_directory(topology):
    assert topology.init_seconds is not None and topology.init_seconds > 0
    assert "key authority ready" in topology.log_path("keys").read_text()
    keys = topology.keys_dir
    assert all(not path.stat().st_mode & 0o222 for path in [keys, *keys.rglob("*")])  # chmod -R a-w
    authority = KeyAuthority.open(topology.state_dir, datetime.now(UTC))
    assert authority.read_only
    # the services opened it and made nothing: no overlay
    assert topology.overlay_at_start is False


def test_every_service_is_its_own_healthy_process(topology, http):
    pids = {name: topology.pid(name) for name in SERVICE_NAMES}
    assert len(set(pids.values())) == len(SERVICE_NAMES) and os.getpid() not in pids.values()
    for name in SERVICE_NAMES:
        assert topology.url(name) == f"http://127.0.0.1:{topology.ports[name]}"
        assert http.get(topology.url(name) + "/_sandbox/health", timeout=5).json() == {"status": "ok", "service": name}
    services = http.get(topology.url("control") + "/_sandbox/services", timeout=10).json()["services"]
    assert {name: s["health"] for name, s in services.items()} == dict.fromkeys(SERVICE_NAMES, "ok")
    assert services["maskinporten"]["issuer"] == topology.url("maskinporten") + "/"
    # One key authority for all: every process publishes the keys of the same state directory.
    jwks = http.get(topology.url("maskinporten") + "/jwk", timeout=5).json()
    assert Path(topology.state_dir, "authority", "issuers", "maskinporten", "1.cert.pem").exists()
    assert len(jwks["keys"]) == 1
    assert {p.name for p in topology.state_dir.glob("*.sqlite3")} == {f"{name}.sqlite3" for name in SERVICE_NAMES}


def test_the_reference_insurer_passes_the_conformance_suite_through_separate_processes(topology, http):
    """The plumbing across processes: consent, token exchange, fetch, use log and Altinn's key
    rotation (the full verdict matrix is the self-test's, tests/conformance)."""
    keys_before = snapshot(topology.keys_dir)
    with ReferenceInsurerServer(topology, port=0, consent="altinn2") as insurer:  # key_rotation is Altinn 2's
        result = runner.run(
            str(insurer.profile_path), topology.url("control"), scenarios=["consent_granted", "key_rotation"]
        )
    failed = [
        (s.name, s.error, v.requirement, v.status, v.why)
        for s in result.scenarios
        for v in s.verdicts
        if v.status != "PASS"
    ]
    assert result.setup_error is None, result.setup_error
    assert result.exit_code == 0, failed
    assert {r.id for r in result.judged()} == {
        "DSOP-CONSENT-REQUEST",
        "DSOP-CALLBACK",
        "DSOP-TOKEN-EXCHANGE",
        "DSOP-KEY-ROTATION",
    }
    # The suite rotated Altinn's key: into the overlay, the read-only key directory untouched ...
    assert snapshot(topology.keys_dir) == keys_before
    overlay = topology.state_dir / "authority-overlay" / "issuers" / "altinn"
    assert (overlay / "state.json").is_file()
    # ... and an authority opened afterwards (a restarted service) publishes what Altinn serves.
    served = http.get(topology.url("altinn") + "/api/metadata/jwk", timeout=10).json()
    reopened = KeyAuthority.open(topology.state_dir, datetime.now(UTC))
    assert reopened.jwks("altinn") == served and len(served["keys"]) == 2


def test_a_killed_service_is_reported_unhealthy_not_a_500(topology, http):
    """Last in the file: it kills Altinn in the module's topology."""
    assert topology.kill("altinn", signal.SIGKILL) == -signal.SIGKILL
    answer = http.get(topology.url("control") + "/_sandbox/services", timeout=30)
    assert answer.status_code == 200, answer.text
    health = {name: s["health"] for name, s in answer.json()["services"].items()}
    assert health == {**dict.fromkeys(SERVICE_NAMES, "ok"), "altinn": "unreachable"}


def test_a_tls_topology_serves_the_init_steps_certificates_read_only(tmp_path, http):
    topology = ProcessTopology(tmp_path / "state", tls=True).start()
    try:
        keys = topology.keys_dir
        bundle = keys / "ca.pem"
        before = snapshot(keys)
        http.verify = str(bundle)
        for name in SERVICE_NAMES:
            assert topology.url(name) == f"https://127.0.0.1:{topology.ports[name]}"
            assert http.get(topology.url(name) + "/_sandbox/health", timeout=5).json() == {
                "status": "ok",
                "service": name,
            }
            # each serves the certificate the init step made in the (read-only) key directory
            made = x509.load_pem_x509_certificates((keys / "tls" / f"{name}.cert.pem").read_bytes())[0]
            assert served_certificate(topology.ports[name], bundle) == made
        # the services reach each other over https (the control plane's fan-out, NAV's JWKS fetch)
        services = http.get(topology.url("control") + "/_sandbox/services", timeout=10).json()["services"]
        assert {name: s["health"] for name, s in services.items()} == dict.fromkeys(SERVICE_NAMES, "ok")
        # the compose file's https healthcheck, pointed at this nav, passes; with another CA it fails
        probe = compose_document(tls=True)["services"]["nav"]["healthcheck"]["test"][3]
        probe = probe.replace(f":{DEFAULT_PORTS['nav']}", f":{topology.ports['nav']}")
        trusted = probe.replace("/state/authority/ca.pem", str(bundle))
        assert subprocess.run([sys.executable, "-c", trusted], capture_output=True, timeout=20).returncode == 0
        foreign = tmp_path / "foreign.pem"
        foreign.write_bytes(pki.cert_pem(pki.self_signed_ca(pki.new_rsa_key(), "foreign", datetime.now(UTC))))
        untrusted = probe.replace("/state/authority/ca.pem", str(foreign))
        assert subprocess.run([sys.executable, "-c", untrusted], capture_output=True, timeout=20).returncode != 0
        assert snapshot(keys) == before
        assert not (topology.state_dir / "authority-overlay").exists()
    finally:
        codes = topology.stop()
    assert codes == dict.fromkeys(SERVICE_NAMES, 0)
    assert topology.keys_dir.stat().st_mode & 0o200  # given back writable after stop
