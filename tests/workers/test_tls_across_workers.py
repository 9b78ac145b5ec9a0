"""``up --tls --workers 2``: a certificate switch (``/_sandbox/tls``, what the conformance suite's
TLS check uses) made through one worker is presented by every worker at its next handshake, and the
control plane, whichever of its workers is asked, still reaches the switched service."""

from __future__ import annotations

import http.client
import re
import ssl
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests
from cryptography import x509

from dsop_sandbox.mocks.common.admin_access import TOKEN_HEADER, read_admin_token
from dsop_sandbox.wsgi_server import WORKER_HEADER
from tests.keys import with_test_keys
from tests.sandbox.test_cli import Running, cli_env
from tests.workers.conftest import MARKER, WORKERS

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def up(tmp_path_factory):
    state_dir = with_test_keys(tmp_path_factory.mktemp("tls-workers") / "state")
    running = Running(
        "up", "--tls", "--workers", str(WORKERS), env=cli_env({"DSOP_SANDBOX__STATE_DIR": str(state_dir)})
    )
    running.state_dir = state_dir
    running.bundle = re.search(r"trust the CA bundle (\S+)", "".join(running.lines)).group(1)
    try:
        yield running
    finally:
        running.stop()


def presented(url: str) -> dict[str, bytes]:
    """Worker marker -> the leaf certificate (DER) it presents, over fresh unverified connections."""
    host, port = urlsplit(url).hostname, urlsplit(url).port
    context = ssl.create_default_context()
    context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
    seen: dict[str, bytes] = {}
    for _ in range(200):
        connection = http.client.HTTPSConnection(host, port, context=context, timeout=10)
        try:
            connection.request("GET", "/_sandbox/health")
            answer = connection.getresponse()
            answer.read()
            seen[answer.getheader(WORKER_HEADER)] = connection.sock.getpeercert(binary_form=True)
        finally:
            connection.close()
        if len(seen) == WORKERS:
            return seen
    raise AssertionError(f"fresh connections reached only {sorted(seen)}")


def leaf(chain_path: Path) -> bytes:
    from cryptography.hazmat.primitives.serialization import Encoding

    return x509.load_pem_x509_certificates(chain_path.read_bytes())[0].public_bytes(Encoding.DER)


def control_views(up, headers) -> set[str]:
    """What the control plane says nav presents, asked through fresh connections until both workers answered."""
    views, workers = set(), set()
    for _ in range(200):
        with requests.Session() as http:
            http.trust_env = False
            answer = http.get(up.urls["control"] + "/_sandbox/tls", headers=headers, verify=up.bundle, timeout=15)
        assert answer.status_code == 200, answer.text
        workers.add(answer.headers[WORKER_HEADER])
        views.add(answer.json()["services"]["nav"]["certificate"])
        if len(workers) == WORKERS:
            return views
    raise AssertionError(f"fresh connections reached only {sorted(workers)}")


def test_a_certificate_switch_through_one_worker_is_presented_by_every_worker(up):
    headers = {TOKEN_HEADER: read_admin_token(up.state_dir)}
    before = presented(up.urls["nav"])
    assert all(MARKER.match(marker) for marker in before)
    assert len(set(before.values())) == 1, "both workers present the authority's certificate"

    switched = requests.post(
        up.urls["control"] + "/_sandbox/tls",
        json={"service": "nav", "certificate": "untrusted"},
        headers=headers,
        verify=up.bundle,
        timeout=30,
    )
    assert switched.status_code == 200, switched.text
    untrusted = leaf(up.state_dir / "untrusted-tls" / "nav.cert.pem")
    assert set(presented(up.urls["nav"]).values()) == {untrusted}
    with pytest.raises(requests.exceptions.SSLError):  # a client that trusts the bundle refuses either worker
        requests.get(up.urls["nav"] + "/_sandbox/health", verify=up.bundle, timeout=10)
    assert control_views(up, headers) == {"untrusted"}  # every control worker still reaches nav

    restored = requests.delete(up.urls["control"] + "/_sandbox/tls", headers=headers, verify=up.bundle, timeout=30)
    assert restored.status_code == 200, restored.text
    assert set(presented(up.urls["nav"]).values()) == set(before.values())
    assert control_views(up, headers) == {"authority"}
