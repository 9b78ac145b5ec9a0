"""The control plane over real HTTP: fan-out of calendar, lifetimes, faults and reset; the
merged event timeline; registering an insurer everywhere; its own event log (its changes and the
walkthrough's hops it takes part in) and the consent withdrawal it forwards to Altinn."""

from __future__ import annotations

import socket
from datetime import UTC, datetime

import jwt
import pytest
import requests
from flask import Flask, request

from dsop_sandbox import control_plane
from dsop_sandbox.cli import format_event
from dsop_sandbox.launcher import Sandbox
from dsop_sandbox.mocks.authority import KeyAuthority
from dsop_sandbox.mocks.common.admin_access import TOKEN_HEADER, read_admin_token
from dsop_sandbox.mocks.common.clock import Clock
from dsop_sandbox.wsgi_server import ServiceServer
from tests.conftest import INSURER_NAME, INSURER_ORG, REDIRECT_URI, Control, free_port_settings
from tests.keys import with_test_keys
from tests.support import grant

FAKES = ("idporten", "maskinporten", "altinn", "nav")
T0 = datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC)


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """One served sandbox for the module's tests over HTTP (starting one per test cost ~0.5 s each)."""
    with Sandbox(free_port_settings(tmp_path_factory.mktemp("served") / "state")) as running:
        yield running


@pytest.fixture
def sandbox(served):
    """The module's sandbox as a fresh one: each test starts after a reset of every service and the
    control plane, registrations included (calendar, lifetimes, faults, logs, insurers, persons)."""
    with requests.Session() as admin:
        admin.trust_env = False
        admin.headers[TOKEN_HEADER] = read_admin_token(served.settings.state_dir)
        answer = admin.post(served.url("control") + "/_sandbox/reset", json={"registrations": True}, timeout=30)
        assert answer.status_code == 200, answer.text
    return served


def _epoch(iso: str) -> int:
    from datetime import datetime

    return int(datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp())


def token(http, sandbox, insurer, **claims):
    mp = insurer["maskinporten"]
    assertion = grant(insurer["keys"], mp["client_id"], mp["issuer"], "nav:arbeid/v1/aap", **claims)
    return http.post(
        mp["token_endpoint"],
        data={"grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer", "assertion": assertion},
        timeout=10,
    )


def test_services_lists_every_service_healthy(control):
    services = control.get("/_sandbox/services").json()["services"]
    assert set(services) == {"control", *FAKES}
    assert all(entry["health"] == "ok" for entry in services.values())
    assert services["maskinporten"]["issuer"].endswith("/")
    assert not services["idporten"]["issuer"].endswith("/")


def test_the_settings_in_force_are_readable(control, sandbox):
    described = control.get("/_sandbox/settings").json()
    assert described["services"]["maskinporten"]["issuer"] == sandbox.settings.issuer("maskinporten")
    assert described["services"]["nav"]["port"] == sandbox.settings.services["nav"].port != 7104
    assert described["lifetimes"]["altinn.consent_token"] == 30
    assert described["sources"] == ["defaults", "overrides"]


def test_every_service_answers_health_with_its_name(sandbox, http):
    for name in ("control", *FAKES):
        assert http.get(sandbox.url(name) + "/_sandbox/health", timeout=5).json() == {"status": "ok", "service": name}


def test_moving_the_calendar_reaches_every_service_and_keeps_fresh_grants_valid(control, sandbox, http, insurer):
    answer = control.post("/_sandbox/clock", json={"advance": "P3Y"})
    assert answer.status_code == 200, answer.text
    offset = answer.json()["offset_seconds"]
    assert 3 * 365 * 86400 <= offset <= 3 * 366 * 86400
    for name in FAKES:
        clock = http.get(sandbox.url(name) + "/_sandbox/clock", timeout=5).json()
        assert clock["offset_seconds"] == offset, name
        assert clock["calendar_time"][:4] == str(int(clock["protocol_time"][:4]) + 3)
    # The insurer keeps its real clock: a grant it signs now is still accepted.
    response = token(http, sandbox, insurer)
    assert response.status_code == 200, response.text
    claims = jwt.decode(response.json()["access_token"], options={"verify_signature": False})
    protocol_now = http.get(sandbox.url("maskinporten") + "/_sandbox/clock").json()["protocol_time"]
    assert abs(claims["iat"] - _epoch(protocol_now)) <= 5  # tokens stay on protocol (real) time
    reset = control.post("/_sandbox/clock", json={"reset": True}).json()
    assert reset["offset_seconds"] == 0
    assert all(result["offset_seconds"] == 0 for result in reset["services"].values())


def test_calendar_can_be_set_to_a_date(control):
    answer = control.post("/_sandbox/clock", json={"set": "2031-02-03T04:05:06Z"}).json()
    assert answer["calendar_time"].startswith("2031-02-03T04:05")
    assert {s["calendar_time"][:10] for s in answer["services"].values()} == {"2031-02-03"}


def test_bad_clock_requests_are_refused(control):
    for body in ({"advance": "three years"}, {"set": "tomorrow"}, {}, {"advance": "P1Y", "reset": True}):
        answer = control.post("/_sandbox/clock", json=body)
        assert answer.status_code == 400, body
        assert answer.json()["error"] == "invalid_clock_request"


def test_changing_a_lifetime_at_runtime_changes_the_next_token(control, sandbox, http, insurer):
    first = jwt.decode(token(http, sandbox, insurer).json()["access_token"], options={"verify_signature": False})
    assert first["exp"] - first["iat"] == 120
    answer = control.post("/_sandbox/lifetimes", json={"maskinporten.access_token": 45})
    assert answer.status_code == 200, answer.text
    response = token(http, sandbox, insurer).json()
    second = jwt.decode(response["access_token"], options={"verify_signature": False})
    assert second["exp"] - second["iat"] == 45 == response["expires_in"]
    assert control.get("/_sandbox/lifetimes").json()["lifetimes"]["maskinporten.access_token"] == 45
    control.delete("/_sandbox/lifetimes")
    assert control.get("/_sandbox/lifetimes").json()["lifetimes"]["maskinporten.access_token"] == 120


def test_unknown_lifetime_is_refused_with_the_known_names(control):
    answer = control.post("/_sandbox/lifetimes", json={"maskinporten.refresh_token": 10})
    assert answer.status_code == 400
    assert "maskinporten.access_token" in answer.json()["message"]
    assert control.post("/_sandbox/lifetimes", json={"mystery.thing": 1}).status_code == 400


def test_faults_are_routed_to_the_named_service(control, sandbox, http, insurer):
    armed = control.post(
        "/_sandbox/faults", json={"service": "maskinporten", "operation": "token", "status": 503, "count": 1}
    )
    assert armed.status_code == 201, armed.text
    failed = token(http, sandbox, insurer)
    assert failed.status_code == 503
    assert failed.json()["error"] == "temporarily_unavailable"
    assert failed.json()["error_description"].endswith(")")
    assert token(http, sandbox, insurer).status_code == 200
    assert (
        control.post("/_sandbox/faults", json={"service": "nowhere", "operation": "x", "status": 500}).status_code
        == 400
    )


def test_merged_events_follow_a_cursor(control, sandbox, http, insurer):
    first = control.get("/_sandbox/events").json()
    assert first["unavailable"] == []
    token(http, sandbox, insurer)
    later = control.get("/_sandbox/events", params={"since": first["cursor"]}).json()
    operations = [(event["service"], event["operation"], event["status"]) for event in later["events"]]
    assert operations == [("maskinporten", "token", 200)]
    event = later["events"][0]
    assert event["caller"] == insurer["maskinporten"]["client_id"]
    assert event["details"]["consumer"] == insurer["org"]
    assert "access_token" not in str(event) and event["details"]["token"].startswith("sha256:")
    times = [e["time"] for e in first["events"]]
    assert times == sorted(times)
    assert control.get("/_sandbox/events", params={"since": "bogus"}).status_code == 400


def test_reset_clears_runtime_state_but_keeps_registrations(control, sandbox, http, insurer):
    control.post("/_sandbox/clock", json={"advance": "P1Y"})
    assert control.post("/_sandbox/reset").status_code == 200
    # the log starts again: only the reset itself is in it
    assert {e["operation"] for e in control.get("/_sandbox/events").json()["events"]} == {"admin.reset"}
    assert all(c["offset_seconds"] == 0 for c in control.get("/_sandbox/clock").json()["services"].values())
    assert token(http, sandbox, insurer).status_code == 200  # the client is still registered


def test_reset_with_registrations_forgets_the_insurer(control, sandbox, http, insurer):
    assert control.post("/_sandbox/reset", json={"registrations": True}).status_code == 200
    answer = token(http, sandbox, insurer)
    assert answer.status_code == 400
    assert answer.json()["error_uri"].endswith("MP-100")
    # the DSOP scopes come back with the reset
    scopes = http.get(sandbox.url("maskinporten") + "/_sandbox/scopes").json()["scopes"]
    assert {s["scope"] for s in scopes} >= {"nav:helse/v1/uforeopplysninger", "nav:arbeid/v1/aap"}


def test_registration_reaches_every_service(control, sandbox, http, insurer):
    org = insurer["org"]
    mp_client = http.get(
        sandbox.url("maskinporten") + "/_sandbox/clients/" + insurer["maskinporten"]["client_id"]
    ).json()
    assert mp_client["client_orgno"] == org and set(mp_client["scopes"]) == set(insurer["maskinporten"]["scopes"])
    for scope in insurer["maskinporten"]["scopes"]:
        access = http.get(sandbox.url("maskinporten") + "/_sandbox/scopes/access", params={"scope": scope}).json()
        assert [entry["consumer_orgno"] for entry in access] == [org]
    idp = http.get(sandbox.url("idporten") + "/_sandbox/clients/" + insurer["idporten"]["client_id"]).json()
    assert idp["client_secret"] == insurer["idporten"]["client_secret"]
    consumers = http.get(sandbox.url("altinn") + "/_sandbox/consumers").json()["consumers"]
    assert consumers[0]["api_key"] == insurer["altinn"]["api_key"]
    assert consumers[0]["redirect_domains"] == ["localhost"]
    nav = http.get(sandbox.url("nav") + "/_sandbox/access-list").json()["access_list"]
    assert [entry["org"] for entry in nav] == [org]
    assert [i["org"] for i in control.get("/_sandbox/insurers").json()["insurers"]] == [org]
    # Altinn 3: on the access list of NAV's consent resource (an insurer is registered for both generations)
    resource = insurer["altinn"]["resource"]
    listed = http.get(sandbox.url("altinn") + f"/_sandbox/resources/{resource}/access-list").json()
    assert listed["access_list"] == [org] and insurer["consent"] == "altinn3"


def test_registration_records_the_consent_generation_the_profile_names(control, sandbox):
    body = {"org": "310000027", "name": "Gammel Forsikring AS", "redirect_uri": "http://localhost/cb"}
    answer = control.post("/_sandbox/insurers", json={**body, "consent": "altinn2"})
    assert answer.status_code == 201 and answer.json()["consent"] == "altinn2"
    refused = control.post("/_sandbox/insurers", json={**body, "consent": "altinn4"})
    assert refused.status_code == 400 and "altinn3, altinn2" in refused.json()["message"]
    [kept] = control.get("/_sandbox/insurers").json()["insurers"]
    assert kept["consent"] == "altinn2"


def test_registration_refuses_bad_input_without_registering(control, http, sandbox):
    cases = [
        ({"org": "310000001", "name": "X", "redirect_uri": "http://localhost/cb"}, "invalid_org"),
        ({"org": "310000019", "name": "", "redirect_uri": "http://localhost/cb"}, "invalid_request"),
        ({"org": "310000019", "name": "X"}, "invalid_request"),
        ({"org": "310000019", "name": "X", "redirect_uri": "not a url"}, "invalid_request"),
    ]
    for body, code in cases:
        answer = control.post("/_sandbox/insurers", json=body)
        assert answer.status_code == 400 and answer.json()["error"] == code, (body, answer.text)
    assert http.get(sandbox.url("maskinporten") + "/_sandbox/clients").json()["clients"] == []
    assert (
        control.post("/_sandbox/insurers", data="{not json", headers={"Content-Type": "application/json"}).status_code
        == 400
    )
    assert control.post("/_sandbox/insurers", data="org=1").status_code == 415


def test_control_plane_reports_an_unreachable_service(settings, tmp_path):
    with Sandbox(settings, services=("control",)) as alone:
        answer = requests.post(alone.url("control") + "/_sandbox/clock", json={"advance": "P1D"}, timeout=30)
        assert answer.status_code == 502
        assert answer.json()["error"] == "service_unreachable"
        assert (
            requests.get(alone.url("control") + "/_sandbox/services", timeout=30).json()["services"]["nav"]["health"]
            == "unreachable"
        )


def test_a_dropped_connection_fault_closes_the_socket_without_an_answer(control, sandbox, http):
    armed = control.post(
        "/_sandbox/faults", json={"service": "maskinporten", "operation": "jwk", "drop": True, "count": 1}
    )
    assert armed.status_code == 201, armed.text
    with requests.Session() as fresh:
        fresh.trust_env = False
        try:
            fresh.get(sandbox.url("maskinporten") + "/jwk", timeout=5)
            raise AssertionError("the connection should have been dropped")
        except requests.ConnectionError:
            pass
        assert fresh.get(sandbox.url("maskinporten") + "/jwk", timeout=5).status_code == 200
    events = control.get("/_sandbox/events").json()["events"]
    assert [e["outcome"] for e in events if e["operation"] == "jwk"] == ["dropped", "ok"]


def test_a_refused_grant_is_in_the_timeline_with_who_tried_and_the_mp_code(control, sandbox, http, insurer):
    mp = insurer["maskinporten"]
    assertion = grant(insurer["keys"], mp["client_id"], mp["token_endpoint"], "nav:arbeid/v1/aap")  # wrong aud
    answer = http.post(
        mp["token_endpoint"],
        timeout=10,
        data={"grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer", "assertion": assertion},
    )
    assert answer.status_code == 400 and answer.json()["error_uri"].endswith("MP-110")
    event = [e for e in control.get("/_sandbox/events").json()["events"] if e["operation"] == "token"][-1]
    assert (event["caller"], event["status"], event["outcome"], event["error"]) == (
        mp["client_id"],
        400,
        "error",
        "MP-110",
    )
    assert answer.json()["error_description"].endswith(f"(trace_id: {event['trace_id']})")


def test_registering_an_org_again_replaces_its_credentials(control, sandbox, http, insurer):
    again = control.post(
        "/_sandbox/insurers",
        json={
            "org": insurer["org"],
            "name": "Eksempel Forsikring ASA",
            "redirect_uri": "http://localhost:7300/callback",
        },
    ).json()
    assert again["maskinporten"]["client_id"] != insurer["maskinporten"]["client_id"]
    assert again["altinn"]["api_key"] != insurer["altinn"]["api_key"]
    clients = http.get(sandbox.url("maskinporten") + "/_sandbox/clients").json()["clients"]
    assert [c["client_id"] for c in clients] == [again["maskinporten"]["client_id"]]
    oidc = http.get(sandbox.url("idporten") + "/_sandbox/clients").json()["clients"]
    assert [c["client_id"] for c in oidc if c["client_id"] not in ("altinn", "nav")] == [again["idporten"]["client_id"]]
    listed = control.get("/_sandbox/insurers").json()["insurers"]
    assert [(i["org"], i["name"]) for i in listed] == [(insurer["org"], "Eksempel Forsikring ASA")]
    assert token(http, sandbox, insurer).json()["error_uri"].endswith("MP-100")  # the old client is gone


def test_persons_are_registered_at_id_porten_and_altinn(control, sandbox, http):
    person = {"pid": "01818024300", "name": "Eva von der Lippe"}
    answer = control.post("/_sandbox/persons", json={"persons": [person]})
    assert answer.status_code == 201, answer.text
    assert answer.json()["registered_at"] == ["idporten", "altinn"]
    assert any(p["pid"] == person["pid"] for p in control.get("/_sandbox/persons").json()["persons"])
    altinn = http.get(sandbox.url("altinn") + "/_sandbox/persons/01818024300", timeout=10).json()
    assert altinn["last_name"] == "Lippe" and altinn["name"] == person["name"]


def test_a_real_persons_number_is_refused_before_anything_is_registered(control, sandbox, http):
    answer = control.post("/_sandbox/persons", json={"pid": "15038512345", "name": "Ekte Person"})
    assert answer.status_code == 400 and answer.json()["error"] == "invalid_pid"
    assert http.get(sandbox.url("altinn") + "/_sandbox/persons/15038512345", timeout=10).status_code == 404


def test_over_plain_http_no_certificate_can_be_switched(control):
    shown = control.get("/_sandbox/tls").json()
    assert shown["tls"] is False and all(s["tls"] is False for s in shown["services"].values())
    refused = control.post("/_sandbox/tls", json={"service": "nav", "certificate": "untrusted"})
    assert refused.status_code == 409 and refused.json()["error"] == "tls_off"
    assert control.delete("/_sandbox/tls").json() == {"restored": {}}


# == the control plane's own event log, and the walkthrough's hops it takes part in ==========================
# In-process where one app suffices (its own log, the hops, refusals); one served sandbox for this part of the
# module where the services must answer (the merged timeline, withdraw, reset).

KARI = "15838512329"
START = "/_sandbox/dashboard/start"
FETCH = "/_sandbox/dashboard/insurer-fetch"


@pytest.fixture(scope="module")
def authority(tmp_path_factory):
    """One test PKI for the in-process control planes (making one takes a while)."""
    return KeyAuthority.open(with_test_keys(tmp_path_factory.mktemp("authority")), T0)


@pytest.fixture
def alone(tmp_path, authority):
    """The control plane's app alone, in-process, on a clock frozen at T0 (no service answers it)."""
    clock = Clock()
    clock.freeze(T0)
    app = control_plane.create_app(free_port_settings(tmp_path / "state"), authority=authority, clock=clock)
    yield app, app.test_client(), clock
    app.extensions["sandbox"].store.close()


def own_events(client, since: str = "") -> list[dict]:
    """The control plane's events in its merged timeline (the services do not answer in-process)."""
    answer = client.get("/_sandbox/events", query_string={"since": since})
    assert answer.status_code == 200, answer.get_data(as_text=True)
    assert {event["service"] for event in answer.get_json()["events"]} <= {"control"}
    return answer.get_json()["events"]


@pytest.fixture(scope="module")
def shared(tmp_path_factory):
    """A served sandbox with the insurer registered (its redirect URI names the reference insurer's callback)."""
    settings = free_port_settings(tmp_path_factory.mktemp("control-plane") / "state")
    with Sandbox(settings) as running, requests.Session() as http:
        http.trust_env = False
        made = http.post(
            running.url("control") + "/_sandbox/insurers",
            timeout=30,
            json={"org": INSURER_ORG, "name": INSURER_NAME, "redirect_uri": REDIRECT_URI},
        )
        assert made.status_code == 201, made.text
        yield running, Control(running, http)


def timeline(shared_control, since: str = "") -> dict:
    answer = shared_control.get("/_sandbox/events", params={"since": since})
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_the_control_plane_records_its_changes_and_hops_but_not_its_reads(alone):
    app, client, _ = alone
    control_plane.use_reference_insurer(app, "http://localhost:7200")
    assert client.get("/_sandbox/health").get_json() == {"status": "ok", "service": "control"}
    client.get("/_sandbox/insurers")
    client.get("/_sandbox/services")
    client.get("/nowhere")
    moved = client.post("/_sandbox/clock", json={"advance": "P1D"})  # the services do not answer
    assert moved.status_code == 502 and moved.get_json()["error"] == "service_unreachable"
    assert (
        "altinn: ConnectionError" in moved.get_json()["message"] and "altinn: altinn" not in moved.get_json()["message"]
    )
    assert client.get(START).status_code == 302  # a read, but a hop
    events = own_events(client)
    assert [(e["operation"], e["method"], e["path"], e["status"]) for e in events] == [
        ("admin.move_clock", "POST", "/_sandbox/clock", 502),
        ("start_claim", "GET", START, 302),
    ]
    assert events[0]["error"] == "service_unreachable" and events[0]["outcome"] == "error"
    assert all(e["service"] == "control" and e["trace_id"] for e in events)
    for event in events:  # what ``dsop-sandbox events`` prints
        assert format_event(event).split()[1:3] == ["control", event["operation"]]


def test_the_control_plane_answers_in_the_admin_shape(alone):
    _, client, _ = alone
    for answer, status, code in [
        (client.get("/_sandbox/nowhere"), 404, "not_found"),
        (client.delete("/_sandbox/insurers"), 405, "method_not_allowed"),
        (client.post("/_sandbox/insurers", data="{", content_type="application/json"), 400, "invalid_request"),
        (client.post("/_sandbox/insurers", data="x" * 3_000_000, content_type="application/json"), 413, None),
        (client.post("/_sandbox/reset", json={"registrations": "yes"}), 400, "invalid_request"),
        (client.get("/_sandbox/events?since=control:x"), 400, "invalid_request"),
        (client.get("/_sandbox/events?since=dashboard:1"), 400, "invalid_request"),
        (client.get("/_sandbox/events?limit=0"), 400, "invalid_request"),
    ]:
        assert answer.status_code == status, answer.get_data(as_text=True)
        body = answer.get_json()
        assert set(body) == {"error", "message", "trace_id"} and body["trace_id"]
        assert code is None or body["error"] == code


def test_start_sends_the_browser_to_the_insurer_and_records_the_hop(alone):
    app, client, clock = alone
    control_plane.use_reference_insurer(app, "http://localhost:7200/")
    answer = client.get(START)
    assert answer.status_code == 302
    assert (
        answer.headers["Location"]
        == f"http://localhost:7200/claims/start?pid={KARI}&first_name=Kari&last_name=Nordmann"
    )
    assert answer.headers["Cache-Control"] == "no-store"
    clock.move(1.5)
    other = client.get(START + "?pid=02917945651&first_name=Ola%20Jr&last_name=Hansen")
    assert other.headers["Location"].endswith("?pid=02917945651&first_name=Ola%20Jr&last_name=Hansen")

    first, second = own_events(client)
    assert second["id"] > first["id"]
    assert first["operation"] == "start_claim" and first["method"] == "GET" and first["path"] == START
    assert first["status"] == 302 and first["outcome"] == "ok" and first["subject"] == KARI and first["error"] is None
    assert first["details"]["hop"] == {"from": "citizen", "to": "insurer"}
    assert first["details"]["target"] == "http://localhost:7200/claims/start"  # no query
    assert first["time"] == "2030-01-02T03:04:05.000Z" and second["time"] == "2030-01-02T03:04:06.500Z"
    assert first["calendar_time"] == "2030-01-02T03:04:05Z"
    assert second["subject"] == "02917945651"
    assert own_events(client, f"control:{second['id']}") == []


@pytest.mark.parametrize("query", ["pid=123", "pid=1583851232x", "last_name=" + "x" * 101, "first_name=a%0ab"])
def test_start_refuses_a_bad_person_and_makes_no_hop(alone, query):
    app, client, _ = alone
    control_plane.use_reference_insurer(app, "http://localhost:7200")
    answer = client.get(f"{START}?{query}")
    assert answer.status_code == 400 and answer.get_json()["error"] == "invalid_request"
    [refused] = own_events(client)
    assert refused["operation"] == "start_claim" and refused["status"] == 400
    assert "hop" not in refused["details"] and refused["subject"] is None


def test_without_an_insurer_there_is_nothing_to_start_or_fetch(alone):
    _, client, _ = alone
    for answer in (client.get(START), client.post(FETCH)):
        assert answer.status_code == 404 and answer.get_json()["error"] == "not_found"
    assert [("hop" in e["details"], e["status"]) for e in own_events(client)] == [(False, 404), (False, 404)]


def test_the_fetch_button_says_so_when_the_insurer_does_not_answer(alone):
    app, client, _ = alone
    with socket.socket() as probe:  # a port that nothing listens on
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
    control_plane.use_reference_insurer(app, f"http://127.0.0.1:{closed}")
    answer = client.post(f"{FETCH}?pid={KARI}")
    assert answer.status_code == 502 and answer.get_json()["error"] == "service_unreachable"
    bad = client.post(f"{FETCH}?pid=123")
    assert bad.status_code == 400
    # the hop is on the record as tried and failed; the refused pid never left the control plane
    tried, refused = own_events(client)
    assert tried["operation"] == "insurer_fetch" and tried["details"]["hop"] == {"from": "control", "to": "insurer"}
    assert tried["status"] == 502 and tried["outcome"] == "error" and tried["error"] == "service_unreachable"
    assert tried["details"]["target"] == f"http://127.0.0.1:{closed}/conformance/fetch"
    assert tried["details"]["exception"] == "ConnectionError" and "insurer_status" not in tried["details"]
    assert refused["status"] == 400 and "hop" not in refused["details"]


def test_a_fetch_is_recorded_when_the_insurer_answers_and_dated_when_it_began(alone):
    """The insurer takes five seconds (on the control plane's clock): the event comes after the answer,
    with the time of the click, so it is drawn before the calls the insurer made meanwhile."""
    app, client, clock = alone
    insurer = Flask("slow-insurer")
    asked = []

    @insurer.post("/conformance/fetch")
    def fetch():
        asked.append(request.args.get("pid"))
        clock.move(5)
        return {"status": "consent_required", "detail": "the consent can no longer be used (AM-00011)"}

    server = ServiceServer("slow-insurer", "127.0.0.1", 0)
    port = server.bind()
    server.start(insurer)
    try:
        control_plane.use_reference_insurer(app, f"http://127.0.0.1:{port}")
        answer = client.post(f"{FETCH}?pid={KARI}")
    finally:
        server.stop()
    assert answer.status_code == 200
    assert answer.get_json() == {
        "insurer_status": 200,
        "answer": {"status": "consent_required", "detail": "the consent can no longer be used (AM-00011)"},
    }
    assert asked == [KARI]
    [hop] = own_events(client)
    assert (hop["operation"], hop["method"], hop["path"]) == ("insurer_fetch", "POST", FETCH)
    assert hop["time"] == "2030-01-02T03:04:05.000Z" and hop["calendar_time"] == "2030-01-02T03:04:05Z"
    assert hop["status"] == 200 and hop["error"] == "consent_required" and hop["subject"] == KARI
    assert hop["details"] == {
        "hop": {"from": "control", "to": "insurer"},  # made by the control plane, on the insurer's behalf
        "target": f"http://127.0.0.1:{port}/conformance/fetch",
        "consent": "altinn3",
        "seen_by": "the control plane, which made this call for the page",
        "insurer_status": 200,
        "answer_status": "consent_required",
        "answer_detail": "the consent can no longer be used (AM-00011)",  # why, for the diagram's plain words
    }


def registered(app, org: str, url: str, consent: str | None) -> None:
    """A registration of a reference insurer at ``url`` as the control plane keeps it (the services are not asked)."""
    facts = {"org": org, "name": f"Forsikring {org}", "idporten": {"redirect_uris": [url + "/claims/callback"]}}
    if consent is not None:
        facts["consent"] = consent
    app.extensions["control"].insurers.put(org, facts)


def test_the_walkthrough_goes_to_the_reference_insurer_of_the_generation_asked_for(alone):
    app, client, _ = alone
    registered(app, "310000019", "http://localhost:7200", "altinn3")
    registered(app, "310000027", "http://localhost:7201", "altinn2")
    other = {"org": "310000035", "consent": "altinn2", "idporten": {"redirect_uris": ["http://localhost:7300/back"]}}
    app.extensions["control"].insurers.put("310000035", other)  # not the reference insurer's callback
    app.extensions["control"].insurers.put("310000043", {"org": "310000043", "consent": "altinn2"})  # no redirect URIs
    for query, insurer in [("", 7200), ("consent=altinn3&", 7200), ("consent=altinn2&", 7201)]:
        answer = client.get(f"{START}?{query}pid={KARI}")
        assert answer.status_code == 302, answer.get_data(as_text=True)
        assert answer.headers["Location"].startswith(f"http://localhost:{insurer}/claims/start?pid={KARI}&")
    refused = client.get(f"{START}?consent=altinn1")
    assert refused.status_code == 400 and "altinn3, altinn2" in refused.get_json()["message"]
    hops = [(e["status"], e["details"].get("consent"), e["details"].get("target")) for e in own_events(client)]
    assert hops == [
        (302, "altinn3", "http://localhost:7200/claims/start"),
        (302, "altinn3", "http://localhost:7200/claims/start"),
        (302, "altinn2", "http://localhost:7201/claims/start"),
        (400, None, None),  # refused before any hop
    ]


def test_a_registration_without_a_generation_is_altinn3_and_the_one_told_wins(alone):
    app, client, _ = alone
    registered(app, "310000019", "http://localhost:7200", None)  # registered before registrations said
    assert client.get(START).headers["Location"].startswith("http://localhost:7200/claims/start?")
    missing = client.post(f"{FETCH}?consent=altinn2&pid={KARI}")
    assert missing.status_code == 404 and "no reference insurer for altinn2" in missing.get_json()["message"]
    control_plane.use_reference_insurer(app, "http://127.0.0.1:7299/", consent="altinn2")
    assert client.get(f"{START}?consent=altinn2").headers["Location"].startswith("http://127.0.0.1:7299/claims/start?")
    with pytest.raises(ValueError, match="consent must be one of altinn3, altinn2"):
        control_plane.use_reference_insurer(app, "http://127.0.0.1:7299/", consent="altinn1")


def test_the_timeline_has_the_control_planes_events_beside_the_services(shared):
    _, control = shared
    before = timeline(control)["cursor"]
    assert before.startswith("control:") and before.count(":") == 5  # every log's last id
    moved = control.post("/_sandbox/clock", json={"advance": "P1D"})
    assert moved.status_code == 200, moved.text
    control.post("/_sandbox/clock", json={"reset": True})
    started = control.get(START, allow_redirects=False)
    assert started.headers["Location"].startswith("http://localhost:7200/claims/start?")  # from the registration
    after = timeline(control, before)
    mine = [(e["operation"], e["status"]) for e in after["events"] if e["service"] == "control"]
    assert mine == [("admin.move_clock", 200), ("admin.move_clock", 200), ("start_claim", 302)]
    # each move of the calendar: the control plane's event, dated when it began, before the services' own
    moves = [e for e in after["events"] if e["operation"] == "admin.move_clock"]
    mine = [e["time"] for e in moves if e["service"] == "control"]
    theirs = sorted(e["time"] for e in moves if e["service"] != "control")
    assert len(mine) == 2 and len(theirs) == 8
    assert mine[0] <= theirs[0] and theirs[3] <= mine[1] <= theirs[4]
    assert [e["time"] for e in after["events"]] == sorted(e["time"] for e in after["events"])
    assert timeline(control, after["cursor"])["events"] == []


def test_withdraw_through_the_control_plane(shared):
    sandbox, control = shared
    http, altinn = control.http, sandbox.url("altinn")
    made = http.post(altinn + "/_sandbox/consents", timeout=10, json={"covered_by": INSURER_ORG, "offered_by": KARI})
    assert made.status_code == 201, made.text
    code = made.json()["AuthorizationCode"]
    assert http.get(f"{altinn}/_sandbox/consents/{code}", timeout=10).json()["consent_state"] == "Active"
    before = timeline(control)["cursor"]

    answer = control.post(f"/_sandbox/consents/{code}/withdraw")
    assert answer.status_code == 200, answer.text
    assert http.get(f"{altinn}/_sandbox/consents/{code}", timeout=10).json()["consent_state"] == "Revoked"

    again = control.post(f"/_sandbox/consents/{code}/withdraw")  # Altinn's refusal passed through
    assert again.status_code == 409, again.text
    unknown = control.post("/_sandbox/consents/00000000-0000-0000-0000-000000000000/withdraw")
    assert unknown.status_code == 404, unknown.text
    bad = control.post("/_sandbox/consents/not%20a%20code/withdraw")
    assert bad.status_code == 400, bad.text
    mine = [(e["operation"], e["status"]) for e in timeline(control, before)["events"] if e["service"] == "control"]
    assert mine == [("admin.withdraw_consent", status) for status in (200, 409, 404, 400)]


def test_revoke_an_altinn3_consent_through_the_control_plane(shared):
    sandbox, control = shared
    http, altinn = control.http, sandbox.url("altinn")
    made = http.post(altinn + "/_sandbox/altinn3/consents", timeout=10, json={"from": KARI, "to": INSURER_ORG})
    assert made.status_code == 201, made.text
    consent_id = made.json()["id"]
    before = timeline(control)["cursor"]

    answer = control.post(f"/_sandbox/altinn3/consents/{consent_id}/revoke")
    assert answer.status_code == 200, answer.text
    assert answer.json()["id"] == consent_id and answer.json()["state"] == "Revoked"
    assert http.get(f"{altinn}/_sandbox/altinn3/consents/{consent_id}", timeout=10).json()["state"] == "Revoked"

    again = control.post(f"/_sandbox/altinn3/consents/{consent_id}/revoke")  # Altinn: nothing more to do
    assert again.status_code == 200 and again.json()["state"] == "Revoked", again.text
    unanswered = http.post(
        altinn + "/_sandbox/altinn3/consents", timeout=10, json={"from": KARI, "to": INSURER_ORG, "status": "Created"}
    ).json()["id"]
    refused = control.post(f"/_sandbox/altinn3/consents/{unanswered}/revoke")  # Altinn's refusal passed through
    assert refused.status_code == 409 and refused.json()["error"] == "AM-00010", refused.text
    unknown = control.post("/_sandbox/altinn3/consents/00000000-0000-0000-0000-000000000000/revoke")
    assert unknown.status_code == 404, unknown.text
    bad = control.post("/_sandbox/altinn3/consents/not-a-uuid/revoke")
    assert bad.status_code == 400 and bad.json()["error"] == "invalid_request", bad.text
    mine = [(e["operation"], e["status"]) for e in timeline(control, before)["events"] if e["service"] == "control"]
    assert mine == [("admin.revoke_altinn3_consent", status) for status in (200, 200, 409, 404, 400)]


def test_a_reset_empties_the_control_planes_log_but_its_ids_go_on(shared):
    _, control = shared
    assert control.get(START, allow_redirects=False).status_code == 302
    cursor = timeline(control)["cursor"]
    last = int(cursor.split(",")[0].removeprefix("control:"))
    assert control.post("/_sandbox/reset", json={}).status_code == 200
    everything = timeline(control)["events"]
    assert [(e["service"], e["operation"]) for e in everything if e["service"] == "control"] == [
        ("control", "admin.reset")
    ]
    assert {e["operation"] for e in everything} == {"admin.reset"}
    assert control.get(START, allow_redirects=False).status_code == 302  # the registration outlived the reset
    after = [e for e in timeline(control, cursor)["events"] if e["service"] == "control"]
    assert [e["operation"] for e in after] == ["admin.reset", "start_claim"]
    assert last < after[0]["id"] < after[1]["id"]
