"""Faults, lifetimes, the calendar and reset: set through one worker, in effect in the other.

Before issue 18 each of these lived in the memory of the process that was asked (faults and
lifetimes entirely, the calendar offset read from the store only at startup, reset clearing only
the resetting process's copies), so every test here failed: the second worker answered as if
nothing had been set."""

from __future__ import annotations

import pytest


@pytest.fixture
def mp_pair(workers):
    a, b = workers("maskinporten")
    return a.test_client(), b.test_client()


def arm(client, **spec) -> dict:
    answer = client.post("/_sandbox/faults", json=spec)
    assert answer.status_code == 201, answer.get_data(as_text=True)
    return answer.get_json()


def faults_of(client) -> list[dict]:
    return client.get("/_sandbox/faults").get_json()["faults"]


def test_a_fault_with_count_one_fires_once_across_both_workers(mp_pair):
    a, b = mp_pair
    arm(a, operation="jwk", status=503, count=1)
    answer = b.get("/jwk")
    assert answer.status_code == 503
    assert answer.get_json()["error"] == "temporarily_unavailable"
    assert a.get("/jwk").status_code == 200  # used up through B: A does not fire it again
    assert b.get("/jwk").status_code == 200
    assert faults_of(a) == faults_of(b) == []


def test_uses_are_counted_together_and_listed_alike(mp_pair):
    a, b = mp_pair
    armed = arm(b, operation="jwk", status=500, count=3)
    assert [a.get("/jwk").status_code, b.get("/jwk").status_code] == [500, 500]
    [listed] = faults_of(a)
    assert (listed["id"], listed["used"], listed["remaining"]) == (armed["id"], 2, 1)
    assert faults_of(b) == [listed]
    assert a.get("/jwk").status_code == 500
    assert [a.get("/jwk").status_code, b.get("/jwk").status_code] == [200, 200]


def test_concurrent_takes_never_exceed_the_count(workers):
    """Threads in two workers take one fault with count 20 at once: exactly 20 of their 32 calls fail
    (per-process faults failed the 16 calls of the arming worker only)."""
    import threading

    apps = workers("maskinporten")
    arm(apps[0].test_client(), operation="jwk", status=503, count=20)
    statuses: list[int] = []
    lock = threading.Lock()

    def call(app):
        client = app.test_client()
        for _ in range(8):
            status = client.get("/jwk").status_code
            with lock:
                statuses.append(status)

    threads = [threading.Thread(target=call, args=(app,)) for app in apps for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses.count(503) == 20 and statuses.count(200) == 12


def test_a_fault_cleared_through_one_worker_stops_in_the_other(mp_pair):
    a, b = mp_pair
    arm(a, operation="jwk", drop=True)
    with pytest.raises(ConnectionResetError):
        b.get("/jwk")
    assert b.delete("/_sandbox/faults").get_json() == {"cleared": 1}
    assert a.get("/jwk").status_code == 200


def test_lifetimes_set_through_one_worker_are_the_others(workers, mp_pair):
    a, b = mp_pair
    changed = a.post("/_sandbox/lifetimes", json={"maskinporten.access_token": 42}).get_json()["lifetimes"]
    assert changed["maskinporten.access_token"] == 42
    assert b.get("/_sandbox/lifetimes").get_json()["lifetimes"] == changed
    assert b.delete("/_sandbox/lifetimes").status_code == 200
    assert a.get("/_sandbox/lifetimes").get_json()["lifetimes"]["maskinporten.access_token"] != 42


def test_two_lifetimes_changed_through_two_workers_are_both_kept(mp_pair):
    a, b = mp_pair
    a.post("/_sandbox/lifetimes", json={"maskinporten.access_token": 42})
    b.post("/_sandbox/lifetimes", json={"maskinporten.access_token": 43})
    assert a.get("/_sandbox/lifetimes").get_json()["lifetimes"]["maskinporten.access_token"] == 43


@pytest.mark.parametrize("service", ["nav", "altinn"])
def test_the_calendar_moved_through_one_worker_is_the_others(workers, service):
    a, b = workers(service)
    moved = a.test_client().post("/_sandbox/clock", json={"advance": "P3Y"}).get_json()
    seen = b.test_client().get("/_sandbox/clock").get_json()
    assert seen["offset_seconds"] == moved["offset_seconds"] > 0
    assert seen["calendar_time"] == moved["calendar_time"]
    assert b.extensions["sandbox"].clock.calendar() == a.extensions["sandbox"].clock.calendar()


def test_the_control_planes_calendar_is_shared_too(workers):
    a, b = workers("control")
    a.extensions["sandbox"].set_calendar_offset(86400.0)  # what POST /_sandbox/clock ends with
    assert b.test_client().get("/").status_code == 200  # any request (its GET /_sandbox/clock asks the fakes)
    assert b.extensions["sandbox"].clock.calendar_offset == 86400.0


def test_a_reset_through_one_worker_clears_what_the_other_holds(mp_pair):
    a, b = mp_pair
    arm(a, operation="jwk", status=503)
    a.post("/_sandbox/lifetimes", json={"maskinporten.access_token": 42})
    a.post("/_sandbox/clock", json={"advance": "P1Y"})
    assert a.get("/jwk").status_code == 503  # A holds all three
    assert b.post("/_sandbox/reset", json={}).status_code == 200
    assert a.get("/jwk").status_code == 200
    assert a.get("/_sandbox/lifetimes").get_json()["lifetimes"]["maskinporten.access_token"] != 42
    assert a.get("/_sandbox/clock").get_json()["offset_seconds"] == 0


def test_a_new_worker_starts_with_what_the_others_set(workers, settings, now):
    """A worker started (or respawned) later takes up the faults, lifetimes and calendar set before."""
    [a] = workers("maskinporten", 1)
    client = a.test_client()
    arm(client, operation="jwk", status=503, count=1)
    client.post("/_sandbox/lifetimes", json={"maskinporten.access_token": 42})
    client.post("/_sandbox/clock", json={"offset_seconds": 3600})
    [late] = workers("maskinporten", 1)
    late_client = late.test_client()
    assert late_client.get("/_sandbox/lifetimes").get_json()["lifetimes"]["maskinporten.access_token"] == 42
    assert late_client.get("/_sandbox/clock").get_json()["offset_seconds"] == 3600
    assert late_client.get("/jwk").status_code == 503


class Switch:
    """What the server in front of one worker installs (``ServiceRuntime.certificates``)."""

    def __init__(self):
        self.kind = "authority"

    def current(self) -> str:
        return self.kind

    def serve(self, kind: str) -> str:
        self.kind = kind
        return f"root of {kind}"


def test_the_certificate_switched_through_one_worker_is_presented_by_the_others_server(workers):
    a, b = workers("nav")
    switches = []
    for app in (a, b):
        switches.append(Switch())
        app.extensions["sandbox"].certificates = switches[-1]
    answer = a.test_client().post("/_sandbox/tls", json={"certificate": "untrusted"})
    assert answer.get_json()["root_pem"] == "root of untrusted"
    assert b.test_client().get("/_sandbox/tls").get_json()["certificate"] == "untrusted"
    assert switches[1].kind == "untrusted"
    assert b.test_client().post("/_sandbox/reset", json={}).status_code == 200  # a reset keeps it
    [late] = workers("nav", 1)
    late.extensions["sandbox"].certificates = Switch()
    assert late.test_client().get("/_sandbox/tls").get_json()["certificate"] == "untrusted"
    a.test_client().post("/_sandbox/tls", json={"certificate": "authority"})
    b.test_client().get("/_sandbox/health")
    assert switches[1].kind == "authority"
