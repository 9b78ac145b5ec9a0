"""Fixtures for the ID-porten OIDC fake.

In process (fast): one key authority and one client RSA key per test session, a fresh app with
its own state directory and a frozen protocol clock per test, and ``idp`` (:class:`Idp`): a
Flask test client that keeps its cookies like a browser. Over HTTP (the Authlib acceptance test):
``served``, the whole sandbox really served on free ports, once per module.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from dsop_sandbox.launcher import Sandbox
from dsop_sandbox.mocks.authority import KeyAuthority
from dsop_sandbox.mocks.common.clock import Clock
from dsop_sandbox.mocks.common.settings import Settings
from dsop_sandbox.mocks.idporten import create_app
from tests.conftest import free_port_settings
from tests.idporten.support import Idp
from tests.keys import with_test_keys
from tests.support import InsurerKeys

INSURER_ORG, OTHER_ORG = "310000019", "310000027"


@pytest.fixture(scope="session")
def shared_authority(tmp_path_factory) -> KeyAuthority:
    """One test PKI for the run (making RSA keys for every test would be slow)."""
    return KeyAuthority.open(with_test_keys(tmp_path_factory.mktemp("idporten-authority")), datetime.now(UTC))


@pytest.fixture(scope="session")
def client_key():
    """The insurer's private_key_jwt key (registered as a JWK with a kid)."""
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="session")
def stranger_key():
    """A key nobody registered."""
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="session")
def enterprise(shared_authority) -> dict[str, InsurerKeys]:
    """Enterprise certificates (virksomhetssertifikat) from the shared authority, by organisation number."""
    issued = {}
    for org in (INSURER_ORG, OTHER_ORG):
        credentials = shared_authority.issue_enterprise_certificate(org, "Forsikring AS", datetime.now(UTC))
        issued[org] = InsurerKeys.from_pem(credentials.key_pem, credentials.chain_pem)
    return issued


@pytest.fixture
def clock() -> Clock:
    """Protocol time frozen on a whole second near real time (tokens are checked with real clocks too)."""
    frozen = Clock()
    frozen.freeze(float(int(time.time())))
    return frozen


@pytest.fixture
def settings(tmp_path) -> Settings:
    return Settings.load(environ={}).with_state_dir(tmp_path / "state")


@pytest.fixture
def app(settings, shared_authority, clock):
    created = create_app(settings, authority=shared_authority, clock=clock)
    yield created
    created.extensions["sandbox"].store.close()


@pytest.fixture
def idp(app, client_key) -> Idp:
    return Idp(app, app.test_client(), client_key)


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """Every service of the sandbox, really served on free ports (once per module)."""
    with Sandbox(free_port_settings(tmp_path_factory.mktemp("served") / "state")) as running:
        yield running
