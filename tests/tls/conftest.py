"""A sandbox started with ``tls: True`` on free ports, and a client that trusts only its CA bundle."""

from __future__ import annotations

import pytest
import requests

from dsop_sandbox.launcher import Sandbox
from tests.conftest import free_port_settings


@pytest.fixture(scope="module")
def tls_sandbox(tmp_path_factory):
    with Sandbox(free_port_settings(tmp_path_factory.mktemp("tls") / "state", tls=True)) as running:
        yield running


@pytest.fixture(scope="module")
def bundle(tls_sandbox) -> str:
    return tls_sandbox.ca_bundle


@pytest.fixture(scope="module")
def trusting(bundle):
    """A session that trusts the sandbox's CA bundle and nothing else."""
    with requests.Session() as session:
        session.trust_env = False
        session.verify = bundle
        yield session
