"""Fixtures for the shared machinery, tested in process through the real services' Flask apps.

One key authority is made per test session (RSA key generation is the slow part) and shared by
every app; each test gets its own state directory, so stores, events and meta never leak.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from dsop_sandbox.launcher import create_control_plane
from dsop_sandbox.mocks.altinn import create_app as altinn_app
from dsop_sandbox.mocks.authority import KeyAuthority
from dsop_sandbox.mocks.common.clock import Clock
from dsop_sandbox.mocks.common.settings import Settings
from dsop_sandbox.mocks.idporten import create_app as idporten_app
from dsop_sandbox.mocks.maskinporten import create_app as maskinporten_app
from dsop_sandbox.mocks.nav import create_app as nav_app
from tests.keys import with_test_keys

UTC = UTC
#: A fixed protocol instant for frozen clocks (31 January: month arithmetic has a day to clamp).
FROZEN_AT = datetime(2026, 1, 31, 12, 0, 0, tzinfo=UTC)
#: A small body limit so that 413 is cheap to provoke.
MAX_BODY = 2048

FACTORIES = {
    "maskinporten": maskinporten_app,
    "idporten": idporten_app,
    "altinn": altinn_app,
    "nav": nav_app,
}


@pytest.fixture(scope="session")
def authority(tmp_path_factory) -> KeyAuthority:
    return KeyAuthority.open(with_test_keys(tmp_path_factory.mktemp("authority")), FROZEN_AT)


@pytest.fixture
def settings(tmp_path) -> Settings:
    return Settings.load(environ={}, overrides={"max_body_bytes": MAX_BODY}).with_state_dir(tmp_path / "state")


@pytest.fixture
def clock() -> Clock:
    frozen = Clock()
    frozen.freeze(FROZEN_AT)
    return frozen


@pytest.fixture
def make_app(settings, authority, clock):
    """``make_app("altinn")``: that service's app on this test's state directory and frozen clock."""
    made = []

    def make(service: str, *, settings_=None, clock_=None):
        app = FACTORIES[service](settings_ or settings, authority=authority, clock=clock_ or clock)
        made.append(app)
        return app

    yield make
    for app in made:
        app.extensions["sandbox"].store.close()


@pytest.fixture
def control_app(settings, authority, clock):
    """The control plane (with the dashboard's pages), in process; its fan-out reaches no service."""
    app = create_control_plane(settings, authority=authority, clock=clock)
    yield app
    app.extensions["sandbox"].store.close()


@pytest.fixture
def mp_app(make_app):
    return make_app("maskinporten")


@pytest.fixture
def mp(mp_app):
    """A test client of the Maskinporten fake."""
    return mp_app.test_client()


def events_of(client, **params) -> list[dict]:
    answer = client.get("/_sandbox/events", query_string=params)
    assert answer.status_code == 200, answer.get_data(as_text=True)
    return answer.get_json()["events"]


def assert_admin_error(answer, status: int, code: str | None = None) -> dict:
    """``answer`` is an admin API error: the status, JSON, ``{"error", "message", "trace_id"}``."""
    assert answer.status_code == status, answer.get_data(as_text=True)
    assert answer.mimetype == "application/json"
    body = answer.get_json()
    assert set(body) == {"error", "message", "trace_id"}, body
    assert body["message"] and body["trace_id"]
    if code is not None:
        assert body["error"] == code, body
    return body


def log_disclosure(nav_app, n: int = 0, **fields) -> int:
    """One entry in NAV's disclosure log, written straight into its store (Kari's, no consent token
    unless ``fields`` say so)."""
    values = {
        "person": "15838512329",
        "mottaker": "310000019",
        "tema": "Uføretrygd",
        "behandlingsgrunnlag": f"sak {n}",
        "data": "{}",
        "samtykke_token": None,
        "authorization_code": None,
        "foresporsel": {"n": n},
        "leverandor": None,
        "trace_id": str(n),
        **fields,
    }
    return nav_app.extensions["nav"].disclosures.record(**values)
