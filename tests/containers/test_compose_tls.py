"""The HTTPS compose variant (``python -m dsop_sandbox.topology --tls``): up, the key authority's
``ca.pem`` copied out as its header says, ``conform --ca-bundle ca.pem`` from the host passes every
MUST, the TLS checks included."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from .compose_run import committed_probe_codes, conform, musts, start
from .engine import ROOT

# compose up and a conform run share one test's time (the module's first) on a busy machine
pytestmark = [pytest.mark.containers, pytest.mark.timeout(300)]


@pytest.fixture(scope="module")
def tls_sandbox(tmp_path_factory):
    folder = tmp_path_factory.mktemp("compose-tls")
    file = folder / "docker-compose.tls.yml"
    rendered = subprocess.run(
        [sys.executable, "-m", "dsop_sandbox.topology", "--tls"], capture_output=True, text=True, cwd=ROOT, timeout=60
    )
    assert rendered.returncode == 0, rendered.stderr
    file.write_text(rendered.stdout)
    ca_pem = folder / "ca.pem"
    sandbox = start(f"dsoptest{os.getpid()}tls", file, "https", ca_pem)
    try:
        yield sandbox, ca_pem, file
    finally:
        sandbox.compose.down()


def test_conform_with_the_copied_ca_passes_every_must(tls_sandbox, tmp_path):
    sandbox, ca_pem, _ = tls_sandbox
    assert ca_pem.read_bytes().startswith(b"-----BEGIN CERTIFICATE-----")
    done, report = conform(sandbox, tmp_path, ca_pem)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    verdicts = musts(report)
    assert len(verdicts) >= 10 and set(verdicts.values()) == {"PASS"}, verdicts
    assert verdicts.get("DSOP-TLS-VERIFY") == "PASS"  # judged only against an HTTPS sandbox


def test_the_committed_https_healthchecks_pass(tls_sandbox):
    """The project runs with lighter probes (compose_run.light_probe, over https trusting the same CA
    file): each committed probe passes as it is in its container."""
    sandbox, _, file = tls_sandbox
    codes = committed_probe_codes(sandbox, file)
    assert codes == dict.fromkeys(codes, 0) and len(codes) == 6
