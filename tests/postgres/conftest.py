"""A PostgreSQL server per test session and xdist worker (tests/postgres/server.py), a fresh database
per test, and ``store_url``: the test's store on each backend (SQLite in its state directory, or
PostgreSQL). Without PostgreSQL the PostgreSQL cases are skipped, unless ``CI`` is set: CI must really
run them, so there they fail."""

from __future__ import annotations

import pytest

from tests.missing_tools import skip_or_fail
from tests.postgres.server import PostgresServer, missing

BACKENDS = ("sqlite", "postgresql")


@pytest.fixture(scope="session")
def postgres_server():
    reason = missing()
    if reason:
        skip_or_fail("PostgreSQL", reason)
    server = PostgresServer().start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def postgres_url(postgres_server) -> str:
    """A fresh database of its own for the test."""
    return postgres_server.new_database()


@pytest.fixture(params=BACKENDS)
def store_url(request) -> str:
    """``""`` (SQLite, the embedded default) or a fresh PostgreSQL database's URL."""
    if request.param == "sqlite":
        return ""
    return request.getfixturevalue("postgres_url")
