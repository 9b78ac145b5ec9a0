"""The /_sandbox admin API every service has: health, clock, lifetimes and reset
(events and faults have their own files)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from dsop_sandbox.mocks.common.clock import Clock, parse_time
from dsop_sandbox.mocks.common.lifetimes import MAX_LIFETIME, LifetimeError, Lifetimes
from dsop_sandbox.mocks.common.shared_state import SharedState
from dsop_sandbox.mocks.common.store import Store

from .conftest import FACTORIES, FROZEN_AT, assert_admin_error, events_of

UTC = UTC


def clock_of(client) -> dict:
    answer = client.get("/_sandbox/clock")
    assert answer.status_code == 200
    return answer.get_json()


def move(client, **body):
    return client.post("/_sandbox/clock", json=body)


# -- health ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("service", sorted(FACTORIES))
def test_health_of_every_service(make_app, service):
    answer = make_app(service).test_client().get("/_sandbox/health")
    assert answer.status_code == 200
    assert answer.get_json() == {"status": "ok", "service": service}


# -- clock -------------------------------------------------------------------------------------------------
def test_clock_get(mp):
    assert clock_of(mp) == {
        "service": "maskinporten",
        "protocol_time": "2026-01-31T12:00:00Z",
        "calendar_time": "2026-01-31T12:00:00Z",
        "offset_seconds": 0.0,
    }


def test_advance_moves_the_calendar_only(mp, clock):
    answer = move(mp, advance="P3Y")
    assert answer.status_code == 200
    body = answer.get_json()
    assert body["calendar_time"] == "2029-01-31T12:00:00Z"
    assert body["protocol_time"] == "2026-01-31T12:00:00Z"  # tokens are never made wrong
    assert body["offset_seconds"] == 1096 * 86400
    assert clock.now() == FROZEN_AT and clock.calendar() == datetime(2029, 1, 31, 12, tzinfo=UTC)
    assert clock_of(mp) == body


def test_advance_clamps_months_and_accumulates(mp):
    assert move(mp, advance="P1M").get_json()["calendar_time"] == "2026-02-28T12:00:00Z"
    assert move(mp, advance="P1M").get_json()["calendar_time"] == "2026-03-28T12:00:00Z"
    assert move(mp, advance="-P2W").get_json()["calendar_time"] == "2026-03-14T12:00:00Z"
    assert move(mp, advance="PT1H30M").get_json()["calendar_time"] == "2026-03-14T13:30:00Z"


def test_set_makes_the_calendar_read_that_time(mp, clock):
    body = move(mp, set="2029-12-01T00:00:00Z").get_json()
    assert body["calendar_time"] == "2029-12-01T00:00:00Z"
    assert body["offset_seconds"] == (parse_time("2029-12-01T00:00:00Z") - FROZEN_AT).total_seconds()
    clock.move(30)  # the calendar keeps running
    assert clock_of(mp)["calendar_time"] == "2029-12-01T00:00:30Z"
    assert move(mp, set="2020-02-29").get_json()["calendar_time"] == "2020-02-29T00:00:00Z"


def test_offset_seconds_and_reset(mp):
    body = move(mp, offset_seconds=3600.5).get_json()
    assert body["offset_seconds"] == 3600.5
    assert body["calendar_time"] == "2026-01-31T13:00:00Z"
    assert move(mp, offset_seconds=-60).get_json()["calendar_time"] == "2026-01-31T11:59:00Z"
    body = move(mp, reset=True).get_json()
    assert body["offset_seconds"] == 0 and body["calendar_time"] == body["protocol_time"]


@pytest.mark.parametrize(
    "body, fragment",
    [
        ({}, "exactly one of"),
        ({"advance": "P1D", "set": "2029-12-01"}, "exactly one of"),
        ({"advance": "P1D", "colour": "red"}, "exactly one of"),
        ({"freeze": True}, "exactly one of"),
        ({"advance": "three years"}, "not an ISO 8601 duration"),
        ({"advance": 3}, "not an ISO 8601 duration"),
        ({"advance": "P8000Y"}, "1-9999"),
        ({"advance": "P999999999D"}, ""),
        ({"set": "tomorrow"}, "not an ISO 8601 time"),
        ({"set": 2029}, "ISO 8601"),
        ({"set": ""}, "ISO 8601"),
        ({"offset_seconds": "3600"}, "offset_seconds must be a number"),
        ({"offset_seconds": True}, "offset_seconds must be a number"),
        ({"offset_seconds": None}, "offset_seconds must be a number"),
        ({"reset": False}, "reset must be true"),
        ({"reset": "yes"}, "reset must be true"),
    ],
)
def test_bad_clock_requests_are_admin_400s(mp, body, fragment):
    error = assert_admin_error(move(mp, **body), 400, "invalid_clock_request")
    assert fragment in error["message"]
    assert clock_of(mp)["offset_seconds"] == 0  # nothing moved


@pytest.mark.parametrize(
    "raw, code",
    [
        ('{"offset_seconds": NaN}', "invalid_request"),  # not JSON at all
        ('{"offset_seconds": Infinity}', "invalid_request"),
        ('{"offset_seconds": 1e12}', "invalid_clock_request"),  # past year 9998
        ('{"offset_seconds": -1e300}', "invalid_clock_request"),
        ('{"set": "9999-12-31T23:59:59Z"}', "invalid_clock_request"),
    ],
)
def test_unusable_offset_seconds_is_refused(mp, raw, code):
    answer = mp.post("/_sandbox/clock", data=raw, content_type="application/json")
    assert_admin_error(answer, 400, code)
    assert mp.get("/_sandbox/clock").status_code == 200
    assert mp.get("/_sandbox/clock").get_json()["offset_seconds"] == 0


def test_calendar_offset_persists_across_a_restart(make_app, settings):
    first = make_app("altinn")
    assert move(first.test_client(), advance="P3Y").status_code == 200
    offset = first.extensions["sandbox"].clock.calendar_offset
    assert offset == 1096 * 86400
    again = make_app("altinn", clock_=Clock())  # a new process: a fresh clock
    assert again.extensions["sandbox"].clock.calendar_offset == offset
    restarted = again.test_client()
    assert clock_of(restarted)["offset_seconds"] == offset
    # the state is per service: another service on the same state directory is not moved
    assert make_app("nav").extensions["sandbox"].clock.calendar_offset == 0


def test_reset_offset_also_persists(make_app):
    client = make_app("nav").test_client()
    move(client, offset_seconds=500)
    move(client, reset=True)
    assert make_app("nav", clock_=Clock()).extensions["sandbox"].clock.calendar_offset == 0


def test_clock_is_per_app_unless_shared(make_app):
    nav = make_app("nav", clock_=Clock())
    altinn = make_app("altinn", clock_=Clock())
    move(nav.test_client(), advance="P1Y")
    assert altinn.extensions["sandbox"].clock.calendar_offset == 0


# -- lifetimes ----------------------------------------------------------------------------------------------
def test_lifetimes_get_update_and_reset(mp):
    assert mp.get("/_sandbox/lifetimes").get_json() == {
        "service": "maskinporten",
        "lifetimes": {"maskinporten.access_token": 120},
    }
    answer = mp.post("/_sandbox/lifetimes", json={"maskinporten.access_token": 5})
    assert answer.status_code == 200
    assert answer.get_json()["lifetimes"] == {"maskinporten.access_token": 5}
    assert mp.get("/_sandbox/lifetimes").get_json()["lifetimes"] == {"maskinporten.access_token": 5}
    assert mp.application.extensions["sandbox"].lifetimes["maskinporten.access_token"] == 5
    reset = mp.delete("/_sandbox/lifetimes")
    assert reset.status_code == 200
    assert reset.get_json()["lifetimes"] == {"maskinporten.access_token": 120}


def test_lifetimes_of_other_services(make_app):
    idporten = make_app("idporten").test_client()
    lifetimes = idporten.get("/_sandbox/lifetimes").get_json()["lifetimes"]
    assert lifetimes["idporten.authorization_code"] == 60 and all(k.startswith("idporten.") for k in lifetimes)
    altinn = make_app("altinn").test_client()
    assert altinn.post("/_sandbox/lifetimes", json={"altinn.consent_token": 2}).get_json()["lifetimes"] == {
        "altinn.consent_token": 2,
        "altinn.citizen_session": 1800,
        "altinn.citizen_login": 600,
        "altinn.consent_events_delay": 300,
    }
    assert make_app("nav").test_client().get("/_sandbox/lifetimes").get_json()["lifetimes"] == {
        "nav.citizen_session": 1800,
        "nav.citizen_login": 600,
    }


def test_unknown_lifetime_is_named_and_nothing_changes(mp):
    body = assert_admin_error(
        mp.post("/_sandbox/lifetimes", json={"maskinporten.access_token": 5, "altinn.consent_token": 2}),
        400,
        "invalid_lifetime",
    )
    assert "altinn.consent_token" in body["message"]
    assert "maskinporten.access_token" in body["message"]  # the known ones are listed
    assert mp.get("/_sandbox/lifetimes").get_json()["lifetimes"] == {"maskinporten.access_token": 120}


@pytest.mark.parametrize("value", [0, -1, MAX_LIFETIME + 1, 1.5, "5", True, None, [5]])
def test_invalid_lifetime_values(mp, value):
    body = assert_admin_error(
        mp.post("/_sandbox/lifetimes", json={"maskinporten.access_token": value}), 400, "invalid_lifetime"
    )
    assert "maskinporten.access_token must be a whole number" in body["message"]
    assert mp.get("/_sandbox/lifetimes").get_json()["lifetimes"] == {"maskinporten.access_token": 120}


def test_a_delay_may_be_zero_where_a_lifetime_may_not(make_app):
    altinn = make_app("altinn").test_client()
    answer = altinn.post("/_sandbox/lifetimes", json={"altinn.consent_events_delay": 0})
    assert answer.status_code == 200 and answer.get_json()["lifetimes"]["altinn.consent_events_delay"] == 0
    body = assert_admin_error(
        altinn.post("/_sandbox/lifetimes", json={"altinn.consent_token": 0}), 400, "invalid_lifetime"
    )
    assert "from 1" in body["message"]
    body = assert_admin_error(
        altinn.post("/_sandbox/lifetimes", json={"altinn.consent_events_delay": -1}), 400, "invalid_lifetime"
    )
    assert "from 0" in body["message"]


def test_empty_lifetimes_update_is_refused(mp):
    assert_admin_error(mp.post("/_sandbox/lifetimes", json={}), 400, "invalid_lifetime")


def test_lifetimes_unit(tmp_path):
    store = Store(tmp_path / "lifetimes.sqlite3")
    lifetimes = Lifetimes({"a.x": 10, "a.y": 20}, SharedState(store))
    assert lifetimes["a.x"] == 10
    assert lifetimes.update({"a.x": 1, "a.y": MAX_LIFETIME}) == {"a.x": 1, "a.y": MAX_LIFETIME}
    with pytest.raises(LifetimeError, match=r"unknown lifetimes: b\.z; known: a\.x, a\.y"):
        lifetimes.update({"b.z": 1})
    with pytest.raises(LifetimeError):
        lifetimes.update({"a.x": 2, "a.y": 0})
    assert lifetimes.as_dict() == {"a.x": 1, "a.y": MAX_LIFETIME}  # all or nothing
    with pytest.raises(LifetimeError):
        lifetimes.update([("a.x", 1)])
    lifetimes.reset()
    assert lifetimes.as_dict() == {"a.x": 10, "a.y": 20}
    snapshot = lifetimes.as_dict()
    snapshot["a.x"] = 99
    assert lifetimes["a.x"] == 10  # a copy, not the live values
    store.close()


# -- reset ----------------------------------------------------------------------------------------------------
def test_reset_clears_events_faults_lifetimes_and_offset(mp_app, mp, make_app):
    mp.get("/jwk")
    mp.post("/_sandbox/faults", json={"operation": "metadata", "status": 503})
    mp.post("/_sandbox/lifetimes", json={"maskinporten.access_token": 5})
    move(mp, advance="P1Y")
    assert len(events_of(mp)) == 4

    answer = mp.post("/_sandbox/reset")  # no body is fine
    assert answer.status_code == 200
    assert answer.get_json() == {"service": "maskinporten", "reset": True, "registrations": False}

    assert [e["operation"] for e in events_of(mp)] == ["admin.reset"]  # only the reset itself
    assert mp.get("/_sandbox/faults").get_json()["faults"] == []
    assert mp.get("/.well-known/oauth-authorization-server").status_code == 200
    assert mp.get("/_sandbox/lifetimes").get_json()["lifetimes"] == {"maskinporten.access_token": 120}
    assert clock_of(mp)["offset_seconds"] == 0
    # the reset offset is what a restart reads too
    assert make_app("maskinporten", clock_=Clock()).extensions["sandbox"].clock.calendar_offset == 0


def test_reset_keeps_registrations_unless_asked(make_app):
    nav = make_app("nav").test_client()
    nav.post("/_sandbox/access-list", json={"org": "310000019", "name": "Eksempel"})
    assert nav.post("/_sandbox/reset", json={}).get_json()["registrations"] is False
    assert [r["org"] for r in nav.get("/_sandbox/access-list").get_json()["access_list"]] == ["310000019"]
    assert nav.post("/_sandbox/reset", json={"registrations": True}).get_json()["registrations"] is True
    assert nav.get("/_sandbox/access-list").get_json()["access_list"] == []


def test_reset_runs_the_service_hooks(mp_app, mp):
    seen = []
    mp_app.extensions["sandbox"].on_reset(seen.append)
    mp.post("/_sandbox/reset", json={"registrations": True})
    mp.post("/_sandbox/reset")
    assert seen == [True, False]


@pytest.mark.parametrize("body", [{"registrations": "yes"}, {"registrations": 1}, {"registrations": None}])
def test_reset_with_a_bad_registrations_flag(make_app, body):
    nav = make_app("nav").test_client()
    nav.post("/_sandbox/access-list", json={"org": "310000019", "name": "Eksempel"})
    assert_admin_error(nav.post("/_sandbox/reset", json=body), 400, "invalid_request")
    assert len(nav.get("/_sandbox/access-list").get_json()["access_list"]) == 1
