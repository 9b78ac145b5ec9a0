"""Fault injection: the Faults registry on its own, then through the Maskinporten fake's WSGI layer."""

from __future__ import annotations

import threading
import time

import pytest

from dsop_sandbox.mocks.common.faults import FAULTS_SCHEMA, FAULTS_TABLE, MAX_DELAY_MS, FaultError, Faults
from dsop_sandbox.mocks.common.shared_state import SharedState
from dsop_sandbox.mocks.common.store import Store

from .conftest import assert_admin_error, events_of


@pytest.fixture
def store(tmp_path):
    store = Store(tmp_path / "faults.sqlite3", FAULTS_SCHEMA, (FAULTS_TABLE,))
    yield store
    store.close()


@pytest.fixture
def faults(store) -> Faults:
    return Faults(lambda: ("token", "jwk"), SharedState(store))


def _id(fault):
    """Which fault was taken (each take is a copy with that use counted)."""
    return None if fault is None else fault.id


# -- the registry ------------------------------------------------------------------------------------------
def test_operations_are_read_lazily_once(store):
    calls = []

    def operations():
        calls.append(1)
        return ["token", "jwk"]

    faults = Faults(operations, SharedState(store))
    assert calls == []  # not at construction: routes are registered later
    assert faults.operations == ("token", "jwk")
    assert faults.operations == ("token", "jwk")
    assert len(calls) == 1


def test_count_n_then_gone(faults):
    fault = faults.arm({"operation": "token", "status": 503, "count": 2})
    assert fault.id == 1 and fault.count == 2
    assert faults.list()[0]["remaining"] == 2
    assert _id(faults.take("jwk")) is None  # another operation is not touched
    assert _id(faults.take("token")) == fault.id
    assert faults.list()[0]["remaining"] == 1
    assert _id(faults.take("token")) == fault.id
    assert _id(faults.take("token")) is None
    assert faults.list() == []


def test_until_cleared(faults):
    fault = faults.arm({"operation": "jwk", "delay_ms": 5})
    for _ in range(25):
        assert _id(faults.take("jwk")) == fault.id
    described = faults.list()[0]
    assert described["used"] == 25 and described["remaining"] is None and described["count"] is None
    assert faults.clear() == 1
    assert _id(faults.take("jwk")) is None


def test_apply_waits_out_the_delay_and_says_whether_the_call_fails(faults):
    slept = []
    assert _id(faults.apply("token", sleep=slept.append)) is None and slept == []
    slow = faults.arm({"operation": "token", "delay_ms": 250, "count": 1})
    assert _id(faults.apply("token", sleep=slept.append)) == slow.id and slept == [0.25]
    assert not slow.fails  # a delay alone lets the call go on
    failing = faults.arm({"operation": "token", "status": 503, "count": 1})
    dropping = faults.arm({"operation": "jwk", "drop": True, "count": 1})
    assert _id(faults.apply("token", sleep=slept.append)) == failing.id and failing.fails
    assert _id(faults.apply("jwk", sleep=slept.append)) == dropping.id and dropping.fails
    assert slept == [0.25] and faults.list() == []


def test_star_matches_every_operation(faults):
    fault = faults.arm({"operation": "*", "status": 500, "count": 3})
    assert _id(faults.take("token")) == fault.id
    assert _id(faults.take("jwk")) == fault.id
    assert _id(faults.take("anything_else")) == fault.id
    assert _id(faults.take("token")) is None


def test_first_armed_fault_applies_first(faults):
    first = faults.arm({"operation": "token", "status": 503, "count": 1})
    second = faults.arm({"operation": "*", "status": 500, "count": 1})
    assert second.id == first.id + 1
    assert _id(faults.take("token")) == first.id
    assert _id(faults.take("token")) == second.id
    assert _id(faults.take("token")) is None


def test_clear_one_operation_or_all(faults):
    faults.arm({"operation": "token", "status": 503})
    faults.arm({"operation": "token", "drop": True})
    faults.arm({"operation": "jwk", "status": 500})
    assert faults.clear("token") == 2
    assert [f["operation"] for f in faults.list()] == ["jwk"]
    assert faults.clear("token") == 0
    assert faults.clear() == 1
    assert faults.list() == []


def test_describe(faults):
    faults.arm({"operation": "token", "status": 429, "body": {"x": 1}, "delay_ms": 10, "count": 4})
    assert faults.list() == [
        {
            "id": 1,
            "operation": "token",
            "status": 429,
            "body": {"x": 1},
            "delay_ms": 10,
            "drop": False,
            "count": 4,
            "used": 0,
            "remaining": 4,
        }
    ]


@pytest.mark.parametrize(
    "spec",
    [
        {"operation": "token", "status": 400},
        {"operation": "token", "status": 599},
        {"operation": "token", "drop": True},
        {"operation": "token", "drop": True, "delay_ms": 20},
        {"operation": "token", "delay_ms": MAX_DELAY_MS},
        {"operation": "token", "status": 503, "body": None},
        {"operation": "token", "status": 503, "body": ["any", "json"]},
        {"operation": "token", "status": 503, "count": None},
        {"operation": "*", "status": 503, "count": 1, "delay_ms": 0, "drop": False},
    ],
)
def test_valid_specs(faults, spec):
    """A valid spec is armed as given (the rest at its defaults), listed, and takes effect on the next
    call: it waits out its delay, and fails the call exactly when it has a status or drops."""
    fault = faults.arm(spec)
    defaults = {"status": None, "body": None, "delay_ms": 0, "drop": False, "count": None}
    armed = {**defaults, **spec, "id": fault.id, "used": 0}
    armed["remaining"] = armed["count"]
    assert faults.list() == [armed]
    slept = []
    called = "token" if spec["operation"] == "*" else spec["operation"]
    taken = faults.apply(called, sleep=slept.append)
    assert _id(taken) == fault.id
    assert slept == ([armed["delay_ms"] / 1000] if armed["delay_ms"] else [])
    assert taken.fails == (armed["status"] is not None or armed["drop"])
    assert taken.used == 1
    left = None if armed["count"] is None else armed["count"] - 1
    assert faults.list() == ([] if left == 0 else [{**armed, "used": 1, "remaining": left}])


@pytest.mark.parametrize(
    "spec, message",
    [
        ([], "a fault is a JSON object"),
        ("token", "a fault is a JSON object"),
        ({"operation": "token", "status": 503, "colour": "red"}, "unknown fault fields: colour"),
        ({"status": 503}, "operation must be '*' or one of: token, jwk"),
        ({"operation": "nope", "status": 503}, "operation must be '*' or one of"),
        ({"operation": None, "status": 503}, "operation must be"),
        ({"operation": "token", "status": 399}, "status must be an HTTP error status"),
        ({"operation": "token", "status": 600}, "status must be an HTTP error status"),
        ({"operation": "token", "status": "503"}, "status must be an HTTP error status"),
        ({"operation": "token", "status": True}, "status must be an HTTP error status"),
        ({"operation": "token", "status": 503.0}, "status must be an HTTP error status"),
        ({"operation": "token", "delay_ms": -1}, "delay_ms must be a whole number"),
        ({"operation": "token", "delay_ms": MAX_DELAY_MS + 1}, "delay_ms must be a whole number"),
        ({"operation": "token", "delay_ms": 1.5}, "delay_ms must be a whole number"),
        ({"operation": "token", "delay_ms": True}, "delay_ms must be a whole number"),
        ({"operation": "token", "delay_ms": None}, "delay_ms must be a whole number"),
        ({"operation": "token", "drop": "yes"}, "drop must be true or false"),
        ({"operation": "token", "drop": 1}, "drop must be true or false"),
        ({"operation": "token", "drop": True, "status": 503}, "either drops the connection or answers with a status"),
        ({"operation": "token", "body": {"x": 1}}, "body needs a status"),
        ({"operation": "token", "drop": True, "body": {"x": 1}}, "body needs a status"),
        ({"operation": "token"}, "a fault needs a status, drop or delay_ms"),
        ({"operation": "token", "delay_ms": 0, "drop": False}, "a fault needs a status, drop or delay_ms"),
        ({"operation": "token", "status": 503, "count": 0}, "count must be a positive whole number"),
        ({"operation": "token", "status": 503, "count": -2}, "count must be a positive whole number"),
        ({"operation": "token", "status": 503, "count": 1.0}, "count must be a positive whole number"),
        ({"operation": "token", "status": 503, "count": True}, "count must be a positive whole number"),
        ({"operation": "token", "status": 503, "count": "2"}, "count must be a positive whole number"),
    ],
)
def test_invalid_specs_are_refused(faults, spec, message):
    with pytest.raises(FaultError) as caught:
        faults.arm(spec)
    assert message in str(caught.value)
    assert faults.list() == []  # nothing half-armed


def test_take_is_thread_safe(faults):
    faults.arm({"operation": "token", "status": 503, "count": 50})
    taken = []
    lock = threading.Lock()

    def worker():
        for _ in range(20):
            fault = faults.take("token")
            if fault is not None:
                with lock:
                    taken.append(fault.id)

    threads = [threading.Thread(target=worker) for _ in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(taken) == 50  # exactly count uses, never more
    assert faults.list() == []


# -- through the Maskinporten fake -------------------------------------------------------------------------
def arm(client, **spec):
    answer = client.post("/_sandbox/faults", json=spec)
    assert answer.status_code == 201, answer.get_data(as_text=True)
    return answer.get_json()


def test_admin_lists_the_services_public_operations(mp):
    body = mp.get("/_sandbox/faults").get_json()
    assert body["service"] == "maskinporten"
    assert {"token", "jwk", "metadata"} <= set(body["operations"])
    assert not [op for op in body["operations"] if op.startswith("admin")]
    assert body["faults"] == []


def test_status_fault_answers_maskinporten_error_json(mp):
    armed = arm(mp, operation="token", status=503, count=1)
    assert armed["service"] == "maskinporten" and armed["remaining"] == 1
    answer = mp.post("/token", data={"grant_type": "x"}, headers={"X-Request-Id": "trace-503"})
    assert answer.status_code == 503
    assert answer.mimetype == "application/json"
    body = answer.get_json()
    assert set(body) == {"error", "error_description"}
    assert body["error"] == "temporarily_unavailable"
    assert body["error_description"].endswith("(trace_id: trace-503)")
    # count 1: the next call reaches the real endpoint again (which refuses the bad grant type)
    again = mp.post("/token", data={"grant_type": "x"})
    assert again.status_code == 400
    assert again.get_json()["error"] == "unsupported_grant_type"
    [faulted, real] = events_of(mp)[-2:]
    assert (faulted["operation"], faulted["status"], faulted["outcome"]) == ("token", 503, "fault")
    assert faulted["error"] == "service_unavailable" and faulted["trace_id"] == "trace-503"
    assert faulted["details"]["fault"] == armed["id"]
    assert real["status"] == 400 and real["outcome"] == "error"


@pytest.mark.parametrize("status, error", [(500, "server_error"), (400, "invalid_request"), (429, "invalid_request")])
def test_other_statuses_use_maskinporten_error_codes(mp, status, error):
    arm(mp, operation="jwk", status=status, count=1)
    answer = mp.get("/jwk")
    assert answer.status_code == status
    assert answer.get_json()["error"] == error


def test_custom_body_is_answered_verbatim(mp):
    body = {"error": "invalid_client", "anything": [1, "two", None], "ø": "æå"}
    arm(mp, operation="jwk", status=502, body=body, count=1)
    answer = mp.get("/jwk")
    assert answer.status_code == 502
    assert answer.mimetype == "application/json"
    assert answer.get_json() == body
    assert events_of(mp)[-1]["error"] == "custom"


def test_delay_alone_passes_the_call_through_after_the_delay(mp):
    arm(mp, operation="jwk", delay_ms=50, count=1)
    started = time.perf_counter()
    answer = mp.get("/jwk")
    elapsed = time.perf_counter() - started
    assert elapsed >= 0.05
    assert answer.status_code == 200
    assert answer.get_json()["keys"]
    event = events_of(mp)[-1]
    assert (event["operation"], event["status"], event["outcome"]) == ("jwk", 200, "ok")
    assert "fault" in event["details"]
    assert mp.get("/_sandbox/faults").get_json()["faults"] == []


def test_drop_raises_connection_reset_and_records_a_dropped_event(mp):
    armed = arm(mp, operation="jwk", drop=True, count=1)
    with pytest.raises(ConnectionResetError):
        mp.get("/jwk", headers={"Nav-Call-Id": "dropped-call"})
    event = events_of(mp)[-1]
    assert event["outcome"] == "dropped"
    assert event["operation"] == "jwk"
    assert event["status"] == 0
    assert event["trace_id"] == "dropped-call"
    assert event["details"]["fault"] == armed["id"]
    assert mp.get("/jwk").status_code == 200  # count 1: gone


def test_until_cleared_over_http_and_delete_by_operation(mp):
    arm(mp, operation="jwk", status=503)
    arm(mp, operation="metadata", status=500)
    for _ in range(3):
        assert mp.get("/jwk").status_code == 503
    listed = mp.get("/_sandbox/faults").get_json()["faults"]
    assert [(f["operation"], f["used"], f["remaining"]) for f in listed] == [("jwk", 3, None), ("metadata", 0, None)]
    assert mp.delete("/_sandbox/faults", query_string={"operation": "jwk"}).get_json() == {"cleared": 1}
    assert mp.get("/jwk").status_code == 200
    assert mp.get("/.well-known/oauth-authorization-server").status_code == 500
    assert mp.delete("/_sandbox/faults").get_json() == {"cleared": 1}
    assert mp.get("/.well-known/oauth-authorization-server").status_code == 200


def test_star_fault_hits_public_operations_but_never_admin_endpoints(mp):
    arm(mp, operation="*", status=503)
    assert mp.get("/jwk").status_code == 503
    assert mp.get("/.well-known/oauth-authorization-server").status_code == 503
    assert mp.post("/token", data={}).status_code == 503
    # the admin API, its shared endpoints and the service's own fixtures, are never faulted
    assert mp.get("/_sandbox/health").get_json() == {"status": "ok", "service": "maskinporten"}
    assert mp.get("/_sandbox/clock").status_code == 200
    assert mp.get("/_sandbox/keys").status_code == 200
    assert mp.get("/_sandbox/clients").status_code == 200
    assert mp.post("/_sandbox/lifetimes", json={"maskinporten.access_token": 30}).status_code == 200
    # unknown paths are not an operation: a real 404, not the fault
    assert mp.get("/no/such/path").status_code == 404
    assert mp.delete("/_sandbox/faults").get_json() == {"cleared": 1}


def test_drop_fault_never_reaches_admin(mp):
    arm(mp, operation="*", drop=True)
    assert mp.get("/_sandbox/faults").status_code == 200
    assert mp.post("/_sandbox/reset", json={}).status_code == 200  # reset clears the fault
    assert mp.get("/jwk").status_code == 200


@pytest.mark.parametrize(
    "spec, fragment",
    [
        ({"operation": "nope", "status": 503}, "operation must be"),
        ({"operation": "admin.health", "status": 503}, "operation must be"),
        ({"operation": "jwk", "status": 200}, "status must be"),
        ({"operation": "jwk"}, "needs a status, drop or delay_ms"),
        ({"operation": "jwk", "status": 503, "extra": 1}, "unknown fault fields: extra"),
    ],
)
def test_invalid_fault_over_http_is_an_admin_400(mp, spec, fragment):
    body = assert_admin_error(mp.post("/_sandbox/faults", json=spec), 400, "invalid_fault")
    assert fragment in body["message"]
    assert mp.get("/_sandbox/faults").get_json()["faults"] == []


def test_faults_through_other_services(make_app):
    altinn = make_app("altinn").test_client()
    arm(altinn, operation="jwk", status=503, count=1)
    answer = altinn.get("/api/metadata/jwk")
    assert answer.status_code == 503
    assert answer.get_json() == [{"ErrorCode": "service_unavailable", "ErrorMessage": "injected by a sandbox fault"}]
    idporten = make_app("idporten").test_client()
    arm(idporten, operation="jwks", status=500, count=1)
    answer = idporten.get("/jwks.json")
    assert answer.status_code == 500
    assert answer.get_json() == {"error": "server_error", "error_description": "injected by a sandbox fault"}
