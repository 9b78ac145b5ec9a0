"""The control plane over real HTTP: fan-out of calendar, lifetimes, faults and reset; the
merged event timeline; registering an insurer everywhere."""

from __future__ import annotations

import jwt
import requests

from tests.support import grant

FAKES = ("idporten", "maskinporten", "altinn", "nav")


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
    from dsop_sandbox.launcher import Sandbox

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
