"""Each fake's main flow, with every service's state in PostgreSQL and the HTTP delivered in process: the control plane
registers the insurer, Maskinporten issues its tokens, Altinn 2 and Altinn 3 give consents, NAV
answers and logs the disclosure, and the citizen logs in through ID-porten to read it. The flows are
tests/nav/test_end_to_end.py's, run here with the requests delivered to the apps in
process (tests/wsgi_network.py, ``served_in_process``)."""

from __future__ import annotations

import pytest
import requests

from dsop_sandbox.launcher import Sandbox
from dsop_sandbox.mocks.common.postgres_store import PostgresStore
from tests.conftest import INSURER_NAME, INSURER_ORG, REDIRECT_URI, free_port_settings
from tests.nav import test_end_to_end as flows
from tests.nav.conftest import NavWorld
from tests.wsgi_network import served_in_process


@pytest.fixture(scope="module")
def world(tmp_path_factory, postgres_server):
    """A sandbox whose HTTP is delivered in process (the citizen's own sessions too)."""
    settings = free_port_settings(tmp_path_factory.mktemp("flows") / "state", store_url=postgres_server.new_database())
    with Sandbox(settings) as sandbox, served_in_process(sandbox), requests.Session() as http:
        http.trust_env = False
        yield NavWorld(sandbox, http)


@pytest.fixture(scope="module")
def insurer(world):
    return world.register(INSURER_ORG, INSURER_NAME, REDIRECT_URI)


def test_every_service_keeps_its_state_in_postgresql(world):
    for name, app in world.sandbox.apps.items():
        store = app.extensions["sandbox"].store
        assert isinstance(store, PostgresStore) and store.schema_name == name


def test_the_services_on_postgresql_take_no_turns(world):
    """Each statement waits on the network, and a turn held across it would make the requests of a
    process wait on one another's database round trips (sandbox/launcher.py, mocks/common/turn.py)."""
    assert {name: server.turn for name, server in world.sandbox.servers.items()} == dict.fromkeys(
        world.sandbox.apps, None
    )


def test_an_altinn2_fetch_is_answered_logged_and_shown_to_the_citizen(world, insurer):
    flows.test_an_altinn2_fetch_is_answered_logged_and_shown_to_the_citizen(world, insurer)


def test_an_altinn3_fetch_is_answered_logged_and_shown_to_the_citizen(world, insurer):
    flows.test_an_altinn3_fetch_is_answered_logged_and_shown_to_the_citizen(world, insurer)


def test_a_refusal_has_navs_shape(world, insurer):
    flows.test_a_refusal_over_http_has_navs_shape(world, insurer)
