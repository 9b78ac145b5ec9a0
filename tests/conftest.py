"""Shared fixtures: settings on free ports and a temporary state directory, a running sandbox,
and a registered insurer."""

from __future__ import annotations

import os

import pytest
import requests
from hypothesis import settings as hypothesis_settings

from dsop_sandbox.launcher import Sandbox
from dsop_sandbox.mocks.common.admin_access import TOKEN_HEADER, read_admin_token
from dsop_sandbox.mocks.common.settings import SERVICE_NAMES, Settings
from tests.budgets import PROFILE
from tests.keys import SHARED, make_template, with_test_keys
from tests.support import InsurerKeys

hypothesis_settings.load_profile(PROFILE)


def pytest_configure(config):
    """Under pytest-xdist the controller makes the session's test PKI once, before it starts the
    workers, which inherit its place in the environment (tests/keys.py): one set of RSA keys, not one
    per worker."""
    if not hasattr(config, "workerinput") and getattr(config.option, "numprocesses", None) and SHARED not in os.environ:
        os.environ[SHARED] = str(make_template())


#: Test files that wait more than they compute (a Docker engine, a browser, pip, many full runs) and
#: take longest, longest first. They start first: pytest-xdist's ``--dist loadfile`` hands files to the
#: workers in collection order, and a long file handed out last ends the run alone, after the other
#: workers are done (measured: 295 s with the compose tests late in the order).
LONG_POLES = (
    "tests/containers/test_compose_http.py",
    "tests/postgres/test_two_hosts.py",
    "tests/browser/test_walkthrough_room.py",
    "tests/containers/test_compose_tls.py",
    "tests/packaging/test_wheel.py",
    "tests/conformance/test_run_twice.py",
    "tests/conformance/test_link_flow.py",
    "tests/containers/test_testcontainers.py",
)


def pytest_collection_modifyitems(config, items):
    """The long poles first (the rest keeps its order): the same order in every worker."""
    rank = {path: place for place, path in enumerate(LONG_POLES)}
    items.sort(key=lambda item: rank.get(item.nodeid.split("::", 1)[0], len(LONG_POLES)))


INSURER_ORG = "310000019"
INSURER_NAME = "Eksempel Forsikring AS"
REDIRECT_URI = "http://localhost:7200/claims/callback"


def free_port_settings(state_dir, **overrides) -> Settings:
    """Settings with port 0 everywhere (never the default ports) and the given state directory,
    which holds the test process's key directory (tests/keys.py)."""
    data = {"state_dir": str(with_test_keys(state_dir)), "services": {name: {"port": 0} for name in SERVICE_NAMES}}
    data.update(overrides)
    return Settings.load(environ={}, overrides=data)


@pytest.fixture
def settings(tmp_path) -> Settings:
    return free_port_settings(tmp_path / "state")


@pytest.fixture
def sandbox(settings):
    with Sandbox(settings) as running:
        yield running


@pytest.fixture
def http(request):
    """A requests session; beside a running ``sandbox``, it sends that sandbox's admin token (read
    from its state directory, as the CLI does), so that nobody types it."""
    with requests.Session() as session:
        session.trust_env = False
        if "sandbox" in request.fixturenames:
            token = read_admin_token(request.getfixturevalue("sandbox").settings.state_dir)
            session.headers[TOKEN_HEADER] = token
        yield session


class Control:
    """The control plane of a running sandbox, over HTTP."""

    def __init__(self, sandbox: Sandbox, http: requests.Session):
        self.sandbox, self.http = sandbox, http
        self.base = sandbox.url("control")

    def get(self, path, **kw):
        return self.http.get(self.base + path, timeout=10, **kw)

    def post(self, path, **kw):
        return self.http.post(self.base + path, timeout=30, **kw)

    def delete(self, path, **kw):
        return self.http.delete(self.base + path, timeout=10, **kw)


@pytest.fixture
def control(sandbox, http) -> Control:
    return Control(sandbox, http)


@pytest.fixture
def insurer(control) -> dict:
    """A registered insurer: the facts of register-insurer plus ``keys`` to sign grants with."""
    answer = control.post(
        "/_sandbox/insurers", json={"org": INSURER_ORG, "name": INSURER_NAME, "redirect_uri": REDIRECT_URI}
    )
    assert answer.status_code == 201, answer.text
    facts = answer.json()
    facts["keys"] = InsurerKeys.from_pem(facts["certificate"]["key_pem"], facts["certificate"]["chain_pem"])
    return facts
