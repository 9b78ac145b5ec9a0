"""Shared fixtures: settings on free ports and a temporary state directory, a running sandbox,
and a registered insurer."""

from __future__ import annotations

import os
from collections import Counter
from pathlib import Path

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


#: The test files that take longest, with their pytest time in seconds (``-n 0``, one file at a time, on
#: the shared 2-core machine; containers with the image built). They start first, longest first:
#: pytest-xdist's ``--dist loadfile`` hands whole files to the workers in collection order (with
#: ``--no-loadscope-reorder``, pyproject.toml: by default xdist reorders them by their number of tests,
#: which put these, with one to five tests each, at the end of the run), and a long file handed out
#: last ends the run alone after the other workers are done. Longest first packs the four workers to
#: within a few seconds of each other (simulated on these times: 189 s against 210 s with xdist's
#: reordering). A file not listed starts after these, in collection order; add a file here once it
#: takes more than about 8 s.
LONG_POLES = {
    "tests/postgres/test_two_hosts.py": 45,
    "tests/containers/test_compose_http.py": 36,
    "tests/browser/test_walkthrough_room.py": 40,
    "tests/containers/test_compose_tls.py": 35,
    "tests/conformance/test_cli.py": 28,
    "tests/conformance/test_run_twice.py": 24,
    "tests/browser/test_dashboard.py": 21,
    "tests/conformance/test_link_flow.py": 20,
    "tests/people/test_strategies.py": 19,
    "tests/conformance/test_self_test_altinn2_d.py": 18,
    "tests/conformance/test_self_test_altinn3_e.py": 17,
    "tests/conformance/test_self_test_altinn2_e.py": 17,
    "tests/topology/test_processes.py": 17,
    "tests/reference_insurer/test_flows.py": 17,
    "tests/conformance/test_self_test_altinn2_f.py": 16,
    "tests/conformance/test_self_test_altinn3_d.py": 16,
    "tests/reference_insurer/test_altinn3.py": 15,
    "tests/conformance/test_self_test_altinn3_f.py": 15,
    "tests/browser/test_conformance_chromium.py": 15,
    "tests/conformance/test_self_test_altinn2_b.py": 14,
    "tests/packaging/test_wheel.py": 14,
    "tests/conformance/test_self_test_altinn2_c.py": 14,
    "tests/conformance/test_self_test_altinn2_a.py": 13,
    "tests/tls/test_conformance.py": 13,
    "tests/conformance/test_self_test_altinn3_a.py": 13,
    "tests/conformance/test_self_test_altinn3_b.py": 12,
    "tests/plugin/test_conform.py": 12,
    "tests/common/test_error_shapes.py": 11,
    "tests/conformance/test_self_test_altinn3_c.py": 11,
    "tests/sandbox/test_cli.py": 10,
    "tests/topology/test_compose.py": 9,
    "tests/browser/test_idporten_login_page.py": 8,
    "tests/postgres/test_shared_state.py": 19,
    "tests/postgres/test_store_contract.py": 19,
    "tests/workers/test_across_workers.py": 13,
    "tests/browser/test_altinn_pages.py": 8,
}
ROOT = Path(__file__).resolve().parents[1]


def pytest_collection_modifyitems(config, items):
    """The long poles first, longest first (the rest keeps its order): the same order in every worker.
    A listed file that is gone (renamed, split) is an error here, not a silent loss of its place."""
    gone = [path for path in LONG_POLES if not (ROOT / path).is_file()]
    if gone:
        raise pytest.UsageError(f"tests/conftest.py LONG_POLES names files that do not exist: {gone}")
    rank = {path: place for place, path in enumerate(sorted(LONG_POLES, key=LONG_POLES.__getitem__, reverse=True))}
    items.sort(key=lambda item: rank.get(item.nodeid.split("::", 1)[0], len(rank)))
    name_each_item_once(items)


def name_each_item_once(items) -> None:
    """Every item gets a node id of its own. schemathesis's ``@schema.parametrize()`` gives all of an
    API's operations one node id (``test_x``; the operation is only in the name, ``test_x[POST
    /token]``), and pytest-xdist schedules by node id, so it ran each such test's first operation and
    silently dropped the rest (19 of 22 contract tests under ./dev test). Such an item's node id takes
    the name's bracket; two items still sharing one is an error, never a silent loss."""
    seen = Counter(item.nodeid for item in items)
    for item in items:
        suffix = item.name[item.name.find("[") :] if "[" in item.name else ""
        if seen[item.nodeid] > 1 and suffix and not item.nodeid.endswith(suffix):
            rename(item, item.nodeid + suffix)
    shared = sorted(nodeid for nodeid, count in Counter(item.nodeid for item in items).items() if count > 1)
    if shared:
        raise pytest.UsageError(f"these tests share a node id, and pytest-xdist would run only one of each: {shared}")


def rename(item, nodeid: str) -> None:
    """Give ``item`` another node id. pytest has no public way: since 9.x a node keeps a structured
    id (``_id``, parsed from a string by its class), before that the string (``_nodeid``)."""
    ident = getattr(item, "_id", None)
    if ident is not None and hasattr(type(ident), "parse"):
        item._id = type(ident).parse(nodeid)
    else:
        item._nodeid = nodeid


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
