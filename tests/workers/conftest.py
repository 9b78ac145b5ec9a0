"""``dsop-sandbox up --workers 2`` as a user runs it (one real process tree per test module), an
insurer registered through it, and sessions held on the worker a test asks for.

A connection stays with the worker that accepted it, so a session whose first answer came from
worker A (its ``X-Sandbox-Worker`` header says so) sends everything after it to A as long as the
connection is kept alive. :meth:`WorkerTree.session` opens fresh connections until one is accepted
by the worker wanted; each answer is then checked to come from it (:func:`worker_of`).
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass

import pytest
import requests

from dsop_sandbox.mocks.common.admin_access import TOKEN_HEADER, read_admin_token
from dsop_sandbox.wsgi_server import WORKER_HEADER
from tests.conftest import INSURER_NAME, INSURER_ORG, REDIRECT_URI
from tests.keys import with_test_keys
from tests.sandbox.test_cli import Running, children_of, cli_env
from tests.support import InsurerKeys, grant

WORKERS = 2
MARKER = re.compile(r"^(\d+)/(\d+) pid (\d+)$")
#: Fresh connections tried before giving up on reaching a particular worker.
ATTEMPTS = 200
JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"


def worker_of(answer: requests.Response) -> str:
    """The worker that gave ``answer`` (``<slot>/<workers> pid <pid>``)."""
    marker = answer.headers.get(WORKER_HEADER, "")
    assert MARKER.match(marker), f"no worker marker on {answer.request.method} {answer.url}: {marker!r}"
    return marker


def pid_of(marker: str) -> int:
    return int(MARKER.match(marker).group(3))


@dataclass
class Pinned:
    """A session whose connection to ``service`` was accepted by ``worker``."""

    http: requests.Session
    worker: str

    def request(self, method: str, url: str, **kw) -> requests.Response:
        answer = self.http.request(method, url, timeout=15, allow_redirects=False, **kw)
        assert worker_of(answer) == self.worker, "the connection moved to another worker"
        return answer

    def close(self) -> None:
        self.http.close()


class WorkerTree:
    """The supervisor (``process``), its workers, and what it printed."""

    def __init__(self, up: Running, state_dir):
        self.up, self.state_dir = up, state_dir
        self.urls = up.urls
        self.admin_headers = {TOKEN_HEADER: read_admin_token(state_dir)}
        self.http = requests.Session()
        self.http.trust_env = False

    @property
    def supervisor(self) -> int:
        return self.up.process.pid

    def worker_pids(self) -> list[int]:
        return sorted(children_of(self.supervisor))

    def session(self, service: str, *, worker: str | None = None, not_worker: str | None = None) -> Pinned:
        """A session on ``service`` held by ``worker`` (or by any worker but ``not_worker``, or by any)."""
        seen = set()
        for _ in range(ATTEMPTS):
            http = requests.Session()
            http.trust_env = False
            marker = worker_of(http.get(self.urls[service] + "/_sandbox/health", timeout=15))
            seen.add(marker)
            if (worker is None or marker == worker) and marker != not_worker:
                return Pinned(http, marker)
            http.close()
        raise AssertionError(f"{ATTEMPTS} fresh connections to {service} reached only {sorted(seen)}")

    def markers(self, service: str, count: int = 40) -> set[str]:
        """The workers that answered ``count`` fresh connections to ``service``."""
        found = set()
        for _ in range(count):
            with requests.Session() as http:
                http.trust_env = False
                found.add(worker_of(http.get(self.urls[service] + "/_sandbox/health", timeout=15)))
        return found

    def admin(self, service: str, method: str, path: str, **kw) -> requests.Response:
        headers = {**self.admin_headers, **kw.pop("headers", {})}
        return self.http.request(method, self.urls[service] + "/_sandbox" + path, headers=headers, timeout=30, **kw)

    def wait_for(self, condition, timeout: float = 15.0, what: str = "the condition"):
        deadline = time.monotonic() + timeout
        while True:
            value = condition()
            if value:
                return value
            assert time.monotonic() < deadline, f"{what} did not hold within {timeout:.0f} s"
            time.sleep(0.05)


class Registered:
    """The insurer registered through the control plane, as an integration holds it."""

    def __init__(self, facts: dict):
        self.facts = facts
        self.org = facts["org"]
        self.keys = InsurerKeys.from_pem(facts["certificate"]["key_pem"], facts["certificate"]["chain_pem"])

    def grant(self, scope: str) -> str:
        mp = self.facts["maskinporten"]
        return grant(self.keys, mp["client_id"], mp["issuer"], scope)

    def token_form(self, scope: str, assertion: str | None = None) -> dict:
        return {"grant_type": JWT_BEARER, "assertion": assertion or self.grant(scope)}


@pytest.fixture(scope="module")
def tree(tmp_path_factory):
    """One ``up --workers 2`` for the module; stopped (if a test has not) when the module is done."""
    state_dir = with_test_keys(tmp_path_factory.mktemp("workers") / "state")
    up = Running("up", "--workers", str(WORKERS), env=cli_env({"DSOP_SANDBOX__STATE_DIR": str(state_dir)}))
    try:
        assert f"{WORKERS} worker processes per service" in "".join(up.lines), "".join(up.lines)
        yield WorkerTree(up, state_dir)
    finally:
        if up.process.poll() is None:
            up.stop()


@pytest.fixture(scope="module")
def insurer(tree) -> Registered:
    answer = tree.http.post(
        tree.urls["control"] + "/_sandbox/insurers",
        json={"org": INSURER_ORG, "name": INSURER_NAME, "redirect_uri": REDIRECT_URI},
        timeout=30,
    )
    assert answer.status_code == 201, answer.text
    return Registered(answer.json())


@pytest.fixture(autouse=True)
def fresh_runtime_state(tree):
    """Each test starts from the same runtime state (registrations stay; the sandbox's own reset)."""
    yield
    if tree.up.process.poll() is None:
        answer = tree.admin("control", "POST", "/reset", json={})
        assert answer.status_code == 200, answer.text
