"""The event log: one event per public request (and per admin change), read at /_sandbox/events."""

from __future__ import annotations

import re

import pytest

from dsop_sandbox.mocks.common.events import annotate, token_fingerprint

from .conftest import FROZEN_AT, assert_admin_error, events_of

GENERATED_TRACE = re.compile(r"^[0-9a-f]{32}$")


def test_one_event_per_public_request(mp):
    answer = mp.get("/jwk", headers={"Nav-Call-Id": "call-1"})
    assert answer.status_code == 200
    [event] = events_of(mp)
    assert event["service"] == "maskinporten"
    assert event["operation"] == "jwk"
    assert (event["method"], event["path"]) == ("GET", "/jwk")
    assert (event["status"], event["outcome"]) == (200, "ok")
    assert event["trace_id"] == "call-1"
    assert event["error"] is None and event["caller"] is None and event["subject"] is None
    assert event["details"] == {}
    assert event["id"] >= 1


def test_event_times_are_protocol_and_calendar_time(mp, clock):
    clock.set_calendar_offset(86400)
    mp.get("/jwk")
    [event] = events_of(mp)
    assert event["time"] == FROZEN_AT.isoformat(timespec="milliseconds").replace("+00:00", "Z")
    assert event["calendar_time"] == "2026-02-01T12:00:00Z"


def test_error_requests_are_events_with_their_error_code(mp):
    assert mp.post("/token", data={"grant_type": "password"}).status_code == 400
    assert mp.get("/no/such/path").status_code == 404
    assert mp.get("/token").status_code == 405
    token, missing, wrong_method = events_of(mp)
    assert (token["operation"], token["status"], token["outcome"]) == ("token", 400, "error")
    assert token["error"] == "unsupported_grant_type"
    assert (missing["operation"], missing["status"], missing["error"]) == ("unknown", 404, "not_found")
    assert missing["path"] == "/no/such/path"
    assert (wrong_method["status"], wrong_method["error"]) == (405, "method_not_allowed")


@pytest.mark.parametrize("header", ["Nav-Call-Id", "X-Request-Id", "X-Correlation-Id"])
def test_trace_id_from_each_header(mp, header):
    mp.get("/jwk", headers={header: f"from-{header}"})
    assert events_of(mp)[-1]["trace_id"] == f"from-{header}"


def test_nav_call_id_wins_over_the_other_trace_headers(mp):
    mp.get("/jwk", headers={"X-Correlation-Id": "c", "X-Request-Id": "r", "Nav-Call-Id": "n"})
    mp.get("/jwk", headers={"X-Correlation-Id": "c", "X-Request-Id": "r"})
    assert [e["trace_id"] for e in events_of(mp)] == ["n", "r"]


@pytest.mark.parametrize("headers", [{}, {"Nav-Call-Id": ""}, {"Nav-Call-Id": "x" * 201}, {"Nav-Call-Id": "bad\tid"}])
def test_trace_id_is_generated_when_absent_or_unusable(mp, headers):
    mp.get("/jwk", headers=headers)
    mp.get("/jwk", headers=headers)
    first, second = events_of(mp)
    assert GENERATED_TRACE.match(first["trace_id"]) and GENERATED_TRACE.match(second["trace_id"])
    assert first["trace_id"] != second["trace_id"]


def test_trace_id_of_an_error_is_the_one_in_its_description(mp):
    answer = mp.post("/token", data={"grant_type": "password"})
    trace = events_of(mp)[-1]["trace_id"]
    assert answer.get_json()["error_description"].endswith(f"(trace_id: {trace})")


def test_admin_gets_are_not_recorded(mp):
    for path in (
        "/_sandbox/health",
        "/_sandbox/events",
        "/_sandbox/faults",
        "/_sandbox/clock",
        "/_sandbox/lifetimes",
        "/_sandbox/keys",
        "/_sandbox/clients",
    ):
        assert mp.get(path).status_code == 200, path
    mp.head("/_sandbox/health")
    mp.options("/_sandbox/health")
    assert events_of(mp) == []


def test_admin_posts_and_deletes_are_recorded_as_admin_operations(mp):
    mp.post("/_sandbox/lifetimes", json={"maskinporten.access_token": 30})
    mp.post("/_sandbox/clock", json={"advance": "P1D"})
    mp.post("/_sandbox/faults", json={"operation": "jwk", "status": 503})
    mp.delete("/_sandbox/faults")
    mp.post("/_sandbox/clock", json={})  # refused: recorded with its error
    operations = [(e["operation"], e["method"], e["status"]) for e in events_of(mp)]
    assert operations == [
        ("admin.change_lifetimes", "POST", 200),
        ("admin.move_clock", "POST", 200),
        ("admin.arm_fault", "POST", 201),
        ("admin.clear_faults", "DELETE", 200),
        ("admin.move_clock", "POST", 400),
    ]
    refused = events_of(mp)[-1]
    assert refused["outcome"] == "error" and refused["error"] == "invalid_clock_request"


def test_admin_fixture_posts_are_recorded_under_the_fixture_name(make_app):
    nav = make_app("nav").test_client()
    assert nav.post("/_sandbox/access-list", json={"org": "310000019", "name": "Eksempel"}).status_code == 201
    assert nav.delete("/_sandbox/access-list/310000019").status_code == 200
    assert [e["operation"] for e in events_of(nav)] == ["admin.grant", "admin.delete_access_list"]


def test_since_and_limit(mp):
    for n in range(5):
        mp.get("/jwk", headers={"Nav-Call-Id": f"call-{n}"})
    everything = mp.get("/_sandbox/events").get_json()
    ids = [e["id"] for e in everything["events"]]
    assert ids == sorted(ids) and len(set(ids)) == 5
    assert everything["last_id"] == ids[-1] and everything["service"] == "maskinporten"

    after_two = mp.get("/_sandbox/events", query_string={"since": ids[1]}).get_json()
    assert [e["trace_id"] for e in after_two["events"]] == ["call-2", "call-3", "call-4"]

    page = mp.get("/_sandbox/events", query_string={"since": ids[0], "limit": 2}).get_json()
    assert [e["trace_id"] for e in page["events"]] == ["call-1", "call-2"]
    assert page["last_id"] == ids[2]
    following = mp.get("/_sandbox/events", query_string={"since": page["last_id"], "limit": 2}).get_json()
    assert [e["trace_id"] for e in following["events"]] == ["call-3", "call-4"]

    nothing = mp.get("/_sandbox/events", query_string={"since": ids[-1]}).get_json()
    assert nothing["events"] == [] and nothing["last_id"] == ids[-1]  # polling position is kept
    empty_args = mp.get("/_sandbox/events?since=&limit=").get_json()
    assert len(empty_args["events"]) == 5


@pytest.mark.parametrize(
    "query", ["since=abc", "since=-1", "since=1.5", "limit=0", "limit=10001", "limit=x", "limit=-3"]
)
def test_bad_since_or_limit_is_an_admin_400(mp, query):
    body = assert_admin_error(mp.get(f"/_sandbox/events?{query}"), 400, "invalid_request")
    name = query.split("=")[0]
    assert body["message"].startswith(name)


def test_negative_since_message_does_not_mention_none(mp):
    body = assert_admin_error(mp.get("/_sandbox/events?since=-1"), 400)
    assert "None" not in body["message"]


def test_annotate_and_token_fingerprint():
    annotate(caller="ignored outside a request")  # a no-op, not an error
    token = "eyJ.secret.token"
    fingerprint = token_fingerprint(token)
    assert fingerprint.startswith("sha256:") and len(fingerprint) == len("sha256:") + 16
    assert token not in fingerprint and fingerprint == token_fingerprint(token)
    assert fingerprint != token_fingerprint(token + "x")
