"""Altinn in process for the Altinn 3 tests. One app per test session (per xdist worker): building
an app and its key authority is the slow part, so each test instead starts from a full reset
(registrations too: the seed comes back), a protocol clock frozen at the present second, and, for
``world``, the insurer registered as a consumer and on the access list of NAV's resource."""

from __future__ import annotations

import time

import pytest

from dsop_sandbox.mocks.altinn import create_app
from dsop_sandbox.mocks.authority import KeyAuthority
from dsop_sandbox.mocks.common.clock import Clock
from dsop_sandbox.mocks.common.settings import Settings
from tests.altinn.altinn3.world import World
from tests.keys import with_test_keys


@pytest.fixture(scope="session")
def a3_authority(tmp_path_factory):
    return KeyAuthority.open(with_test_keys(tmp_path_factory.mktemp("a3-authority")), Clock().now())


@pytest.fixture(scope="session")
def a3_app(tmp_path_factory, a3_authority):
    state = tmp_path_factory.mktemp("a3-state")
    settings = Settings.load(environ={}, overrides={"max_body_bytes": 64 * 1024}).with_state_dir(state)
    app = create_app(settings, authority=a3_authority, clock=Clock())
    yield app
    app.extensions["sandbox"].store.close()


@pytest.fixture
def bare(a3_app, a3_authority) -> World:
    """Altinn with nothing registered beyond its seed, its clock frozen now."""
    rt = a3_app.extensions["sandbox"]
    rt.reset(registrations=True)
    rt.faults.clear()
    rt.clock.freeze(float(int(time.time())))
    return World(a3_app, a3_authority)


@pytest.fixture
def world(bare) -> World:
    """Altinn with the insurer registered and on NAV's access list."""
    bare.register()
    return bare
