"""``dsop-sandbox up --tls`` as a user runs it: every URL https, and the banner names the CA bundle."""

from __future__ import annotations

import re

import pytest
import requests

from dsop_sandbox.mocks.common.settings import SERVICE_NAMES
from tests.sandbox.test_cli import Running

pytestmark = pytest.mark.slow


def test_up_tls_serves_https_and_prints_the_ca_bundle():
    up = Running("up", "--ephemeral", "--tls")
    try:
        text = "".join(up.lines)
        assert "dsop-sandbox is up" in text, text + up.process.stderr.read() if up.process.poll() is not None else text
        bundle = re.search(r"trust the CA bundle (\S+)", text).group(1)
        assert bundle.endswith("/authority/ca.pem")
        assert set(up.urls) == set(SERVICE_NAMES)
        for _name, url in up.urls.items():
            assert url.startswith("https://")
            assert requests.get(url + "/_sandbox/health", verify=bundle, timeout=5).json()["status"] == "ok"
    finally:
        code = up.stop()
    assert code == 0
