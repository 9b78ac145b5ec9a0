"""tests/shared_state again, with the state in PostgreSQL: two apps of a service on one state (as two
worker processes, or two hosts, have it) see each other's registrations, faults, lifetimes, calendar,
resets, login denials and rotated keys through the database. The tests and their fixtures are those
modules' own (taken over here, by name); only ``settings`` differs: a fresh database as the store."""

from __future__ import annotations

import pytest

from dsop_sandbox.mocks.common.settings import Settings
from tests.keys import with_test_keys
from tests.shared_state import conftest as shared
from tests.shared_state import test_idporten, test_key_authority, test_maskinporten, test_runtime_state

now, workers = shared.now, shared.workers
for _module in (test_idporten, test_key_authority, test_maskinporten, test_runtime_state):
    globals().update(
        {name: value for name, value in vars(_module).items() if getattr(value, "__module__", None) == _module.__name__}
    )


@pytest.fixture
def settings(tmp_path, postgres_url) -> Settings:
    return Settings.load(environ={}, overrides={"store_url": postgres_url}).with_state_dir(
        with_test_keys(tmp_path / "state")
    )


def test_the_workers_here_keep_their_state_in_postgresql(workers):
    from dsop_sandbox.mocks.common.postgres_store import PostgresStore

    assert all(isinstance(app.extensions["sandbox"].store, PostgresStore) for app in workers("nav"))
