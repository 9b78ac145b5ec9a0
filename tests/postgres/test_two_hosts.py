"""Issue 18's acceptance: two ``dsop-sandbox up`` instances (two "hosts": their own state directory
and ports) on one PostgreSQL database act as one sandbox. Every service's public base URL is a
round-robin proxy (tests/postgres/round_robin.py) that sends each request to the next instance, and
the whole conformance suite (``conform`` against the reference insurer, both consent generations)
passes through it. The calendar, a fault and a withdrawal set through one instance are seen by the
other.

The instances share what two hosts of a team's sandbox share: the database, the key directory
(``keys init`` once, copied to each host) and the admin token (a setting)."""

from __future__ import annotations

import secrets

import pytest
import requests

from dsop_sandbox.conformance.sandbox_api import TOKEN_ENV
from dsop_sandbox.mocks.common.admin_access import TOKEN_HEADER
from dsop_sandbox.mocks.common.settings import SERVICE_NAMES
from dsop_sandbox.ports import free_ports
from tests.conformance.test_cli import OWN, profile_of
from tests.keys import with_test_keys
from tests.postgres.round_robin import RoundRobin
from tests.sandbox.test_cli import Running, cli_env, run_cli

pytestmark = pytest.mark.slow
#: A test person (synthetic fødselsnummer) and the reference insurer's organisation.
PERSON, INSURER_ORG = "15838512329", "310000019"


class TwoHosts:
    def __init__(self, url: str, tmp_path):
        self.token = secrets.token_urlsafe(24)
        self.proxies = {name: RoundRobin().start() for name in SERVICE_NAMES}
        self.ports = [dict(zip(SERVICE_NAMES, free_ports(len(SERVICE_NAMES)), strict=True)) for _ in range(2)]
        for name, proxy in self.proxies.items():
            proxy.backends = [ports[name] for ports in self.ports]
        self.hosts: list[Running] = []
        try:
            for place, ports in enumerate(self.ports):
                env = {
                    "DSOP_SANDBOX__STORE_URL": url,
                    "DSOP_SANDBOX__ADMIN_TOKEN": self.token,
                    "DSOP_SANDBOX__STATE_DIR": str(with_test_keys(tmp_path / f"host{place}")),
                    "DSOP_SANDBOX__REFERENCE_INSURER__PORT": "0",
                }
                for name in SERVICE_NAMES:
                    env[f"DSOP_SANDBOX__SERVICES__{name.upper()}__PORT"] = str(ports[name])
                    env[f"DSOP_SANDBOX__SERVICES__{name.upper()}__BASE_URL"] = self.url(name)
                args = ("up", "--with-insurer") if place == 0 else ("up",)  # the insurer beside the first
                host = Running(*args, env=cli_env(env))
                self.hosts.append(host)
                assert "dsop-sandbox is up" in "".join(host.lines), "".join(host.lines)
                assert "state in PostgreSQL at postgresql://" in "".join(host.lines), "".join(host.lines)
        except BaseException:
            self.stop()
            raise

    def url(self, name: str) -> str:
        return f"http://localhost:{self.proxies[name].port}"

    def direct(self, place: int, name: str) -> str:
        """Host ``place``'s own port of ``name``, past the proxy."""
        return f"http://localhost:{self.ports[place][name]}"

    def admin(self, method: str, url: str, **kwargs) -> dict:
        answer = requests.request(method, url, headers={TOKEN_HEADER: self.token}, timeout=30, **kwargs)
        assert answer.status_code < 300, f"{method} {url}: {answer.status_code} {answer.text[:300]}"
        return answer.json()

    def stop(self) -> None:
        for host in self.hosts:
            host.stop()
        for proxy in self.proxies.values():
            proxy.stop()


@pytest.fixture(scope="module")
def hosts(tmp_path_factory, postgres_server):
    running = TwoHosts(postgres_server.new_database(), tmp_path_factory.mktemp("two-hosts"))
    try:
        yield running
    finally:
        running.stop()


@pytest.mark.parametrize("generation", ["altinn3", "altinn2"])
def test_the_whole_conformance_suite_passes_through_the_round_robin(hosts, generation):
    before = {name: dict(proxy.counts) for name, proxy in hosts.proxies.items()}
    done = run_cli(
        "conform",
        "--insurer",
        str(profile_of(hosts.hosts[0], generation)),
        "--control-url",
        hosts.url("control"),
        env=cli_env({TOKEN_ENV: hosts.token}),
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr  # 0: every MUST passed
    assert OWN[generation][0] in done.stdout
    # what a run sets (lifetimes, faults, the calendar) it puts back through whichever host answers, and
    # each host sees it: nothing is left changed but Altinn 2's rotated key (tests/conformance/test_run_twice.py)
    left = done.stdout.partition("Left changed in the sandbox by this run")[2].partition("passed ·")[0]
    assert "lifetimes" not in left and "calendar" not in left and "faults" not in left, left
    for name in ("idporten", "maskinporten", "altinn", "nav"):  # both hosts answered every service
        served = hosts.proxies[name].counts
        assert all(served.get(port, 0) > before[name].get(port, 0) for port in hosts.proxies[name].backends), name


def test_a_withdrawal_through_one_host_is_seen_through_the_other(hosts):
    made = hosts.admin(
        "POST", hosts.direct(0, "altinn") + "/_sandbox/consents", json={"covered_by": INSURER_ORG, "offered_by": PERSON}
    )
    code = made["AuthorizationCode"]
    assert hosts.admin("GET", hosts.direct(1, "altinn") + f"/_sandbox/consents/{code}")["consent_state"] == "Active"
    hosts.admin("POST", hosts.direct(0, "control") + f"/_sandbox/consents/{code}/withdraw")
    assert hosts.admin("GET", hosts.direct(1, "altinn") + f"/_sandbox/consents/{code}")["consent_state"] == "Revoked"


def test_the_calendar_set_through_one_host_is_seen_by_the_other(hosts):
    moved = hosts.admin("POST", hosts.direct(0, "control") + "/_sandbox/clock", json={"offset_seconds": 86400})
    try:
        for name in ("idporten", "maskinporten", "altinn", "nav"):
            for place in (0, 1):
                clock = hosts.admin("GET", hosts.direct(place, name) + "/_sandbox/clock")
                assert clock["offset_seconds"] == 86400, (name, place, clock, moved)
    finally:
        hosts.admin("POST", hosts.direct(0, "control") + "/_sandbox/clock", json={"reset": True})


def test_a_fault_armed_through_one_host_is_seen_by_the_other(hosts):
    operation = hosts.admin("GET", hosts.direct(0, "nav") + "/_sandbox/faults")["operations"][0]
    hosts.admin("POST", hosts.direct(0, "nav") + "/_sandbox/faults", json={"operation": operation, "status": 503})
    try:
        armed = hosts.admin("GET", hosts.direct(1, "nav") + "/_sandbox/faults")
        assert [fault["operation"] for fault in armed["faults"]] == [operation], armed
    finally:
        hosts.admin("DELETE", hosts.direct(0, "nav") + "/_sandbox/faults")
