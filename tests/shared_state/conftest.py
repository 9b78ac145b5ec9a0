"""Several processes of one service, in process: ``workers("maskinporten")`` builds two apps of the
service over one settings object and state directory, each with its own store connections, key
authority object and clock (frozen at the same instant), which is what two ``--workers`` processes
have in common and what they do not. A change made through one app must be seen through the other."""

from __future__ import annotations

import time

import pytest

from dsop_sandbox.launcher import create_control_plane
from dsop_sandbox.mocks.authority import KeyAuthority
from dsop_sandbox.mocks.common.clock import Clock
from dsop_sandbox.mocks.common.settings import Settings
from tests.common.conftest import FACTORIES
from tests.keys import with_test_keys

FACTORIES = {**FACTORIES, "control": create_control_plane}


@pytest.fixture
def settings(tmp_path) -> Settings:
    """A state directory of its own, with a copy of the test PKI (the tests rotate keys in it)."""
    return Settings.load(environ={}).with_state_dir(with_test_keys(tmp_path / "state"))


@pytest.fixture
def now() -> float:
    """Protocol time of every worker: frozen on a whole second near real time (the test PKI's
    certificates are valid from when it was made)."""
    return float(int(time.time()))


@pytest.fixture
def workers(settings, now):
    """``workers(service, n=2)``: n apps of ``service`` on one state directory, as n processes."""
    made = []

    def make(service: str, n: int = 2) -> list:
        apps = []
        for _ in range(n):
            clock = Clock()
            clock.freeze(now)
            authority = KeyAuthority.open(settings.state_dir, clock.now())
            apps.append(FACTORIES[service](settings, authority=authority, clock=clock))
        made.extend(apps)
        return apps

    yield make
    for app in made:
        app.extensions["sandbox"].store.close()
