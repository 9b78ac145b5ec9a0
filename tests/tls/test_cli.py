"""``dsop-sandbox up --tls`` as a user runs it: every URL https, and the banner names the CA bundle."""

from __future__ import annotations

import re

import pytest
import requests

from dsop_sandbox.mocks.common.settings import SERVICE_NAMES
from tests.keys import with_test_keys
from tests.sandbox.test_cli import Running, cli_env

pytestmark = pytest.mark.slow


def test_up_tls_serves_https_and_prints_the_ca_bundle(tmp_path):
    # the README's `up --tls`, on a state directory holding the session's test PKI (its TLS certificates
    # are for localhost and 127.0.0.1, as the sandbox's): making the keys cost ~0.5 s of CPU
    up = Running("up", "--tls", env=cli_env({"DSOP_SANDBOX__STATE_DIR": str(with_test_keys(tmp_path / "state"))}))
    try:
        text = "".join(up.lines)
        assert "dsop-sandbox is up" in text, text + up.err() if up.process.poll() is not None else text
        bundle = re.search(r"trust the CA bundle (\S+)", text).group(1)
        assert bundle.endswith("/authority/ca.pem")
        assert set(up.urls) == set(SERVICE_NAMES)
        for _name, url in up.urls.items():
            assert url.startswith("https://")
            assert requests.get(url + "/_sandbox/health", verify=bundle, timeout=5).json()["status"] == "ok"
    finally:
        code = up.stop()
    assert code == 0
