"""GET …/consentrequests/{id} and …/consentrequests/events in process, and the admin fixtures that
put Altinn 3 consents in a state directly."""

from __future__ import annotations

import base64
import uuid
from urllib.parse import parse_qs, urlsplit

import pytest

from dsop_sandbox.mocks.altinn.altinn3.enterprise import PAGE_SIZE, continuation_token
from dsop_sandbox.mocks.altinn.altinn3.urns import organization_urn, person_urn
from tests.altinn.altinn3.world import (
    EVENTS_PATH,
    INSURER_ORG,
    KARI,
    OLA,
    OTHER_ORG,
    READ,
    problem,
    validation_codes,
)

DAY = 86400


def consent(world, **body) -> dict:
    answer = world.client.post("/_sandbox/altinn3/consents", json={"from": KARI, "to": INSURER_ORG, **body})
    assert answer.status_code == 201, answer.get_data(as_text=True)
    return answer.get_json()


def feed(world, headers=None, **params):
    headers = world.auth(scope=READ) if headers is None else headers
    return world.client.get(EVENTS_PATH, query_string=params, headers=headers)


def no_delay(world) -> None:
    """No hold-back: the feed lists an event as soon as it happened."""
    assert world.client.post("/_sandbox/lifetimes", json={"altinn.consent_events_delay": 0}).status_code == 200


# -- one request ---------------------------------------------------------------------------------------------------
def test_the_recipient_reads_its_request(world):
    created = world.created()
    answer = world.get(created["id"])
    assert answer.status_code == 200
    assert answer.get_json() == created
    [event] = world.events("enterprise_get_consent_request")
    assert event["caller"] == INSURER_ORG and event["subject"] == KARI
    assert event["details"]["consent_id"] == created["id"]


def test_another_organisation_may_not_read_it(world):
    created = world.created()
    world.register(OTHER_ORG, "Annen Forsikring ASA")
    problem(world.get(created["id"], headers=world.auth(OTHER_ORG, READ)), 403, "AM-00000")


def test_an_unknown_id_is_am_00001_and_not_a_uuid_is_no_route(world):
    problem(world.get(str(uuid.uuid4())), 404, "AM-00001")
    answer = world.get("not-a-uuid")
    assert answer.status_code == 404 and "code" not in answer.get_json()


def test_reading_needs_a_consent_scope(world):
    created = world.created()
    problem(world.get(created["id"], headers=world.auth(scope="nav:helse/v1/uforeopplysninger")), 403, "SBX-00002")


def test_an_expired_request_reads_with_a_made_up_expired_event(world):
    created = world.created(validTo=world.valid_to(10))
    world.rt.set_calendar_offset(11 * DAY)
    body = world.get(created["id"]).get_json()
    assert body["status"] == "Created"  # the stored status; Expired is only derived
    expired = body["consentRequestEvents"][-1]
    assert expired == {
        "consentEventID": "00000000-0000-0000-0000-000000000000",
        "created": created["validTo"],
        "performedBy": organization_urn(INSURER_ORG),
        "eventType": "Expired",
        "consentRequestID": "00000000-0000-0000-0000-000000000000",
    }


# -- the admin fixtures --------------------------------------------------------------------------------------------
def test_a_fixture_consent_is_accepted_by_default_with_navs_period(world):
    made = consent(world)
    assert made["status"] == made["state"] == "Accepted" and made["subject"] == KARI
    assert made["from"] == person_urn(KARI) and made["to"] == organization_urn(INSURER_ORG)
    assert [e["eventType"] for e in made["consentRequestEvents"]] == ["Created", "Accepted"]
    assert made["consentRequestEvents"][1]["performedBy"] == person_urn(KARI)
    assert made["consented"] and set(made["consentRights"][0]["metadata"]) == {"fraogmed", "tilogmed"}
    listed = world.client.get("/_sandbox/altinn3/consents", query_string={"from": KARI}).get_json()["consents"]
    assert [c["id"] for c in listed] == [made["id"]]
    assert world.client.get("/_sandbox/altinn3/consents", query_string={"to": OTHER_ORG}).get_json()["consents"] == []


@pytest.mark.parametrize(("status", "events"), [("Created", 1), ("Rejected", 2), ("Revoked", 3)])
def test_a_fixture_consent_in_another_state(world, status, events):
    made = consent(world, status=status)
    assert made["status"] == status and len(made["consentRequestEvents"]) == events


def test_the_fixture_revokes_and_expires(world):
    made = consent(world)
    revoked = world.client.post(f"/_sandbox/altinn3/consents/{made['id']}/revoke")
    assert revoked.status_code == 200 and revoked.get_json()["state"] == "Revoked"
    again = world.client.post(f"/_sandbox/altinn3/consents/{made['id']}/revoke")
    assert again.status_code == 200  # revoking a revoked consent changes nothing, as in Altinn
    created = consent(world, status="Created")
    refused = world.client.post(f"/_sandbox/altinn3/consents/{created['id']}/revoke")
    assert refused.status_code == 409 and refused.get_json()["error"] == "AM-00010"
    other = consent(world)
    expired = world.client.post(f"/_sandbox/altinn3/consents/{other['id']}/expire").get_json()
    assert expired["state"] == "Expired" and expired["consentRequestEvents"][-1]["eventType"] == "Expired"
    [event] = world.events("admin.revoke_altinn3_consent")[:1]
    assert event["details"]["consent_id"] == made["id"]


@pytest.mark.parametrize(
    "body",
    [
        {"from": "15838512320"},
        {"to": "123"},
        {"to": OTHER_ORG},  # not known to Altinn
        {"resource": "finnes-ikke"},
        {"status": "Expired"},
        {"valid_for": "P-1D"},
        {"valid_to": "i morgen"},
        {"metadata": {"fraogmed": "01.01.2024"}},
        {"id": "abc"},
    ],
)
def test_the_fixture_refuses_what_it_cannot_make(world, body):
    answer = world.client.post("/_sandbox/altinn3/consents", json={"from": KARI, "to": INSURER_ORG, **body})
    assert answer.status_code == 400, answer.get_data(as_text=True)


def test_the_fixture_refuses_a_taken_id_and_unknown_ids(world):
    made = consent(world)
    assert (
        world.client.post(
            "/_sandbox/altinn3/consents", json={"from": KARI, "to": INSURER_ORG, "id": made["id"]}
        ).status_code
        == 409
    )
    assert world.client.get(f"/_sandbox/altinn3/consents/{uuid.uuid4()}").status_code == 404


# -- the events feed ---------------------------------------------------------------------------------------------
def test_events_are_held_back_for_the_delay(world):
    made = consent(world)
    assert feed(world).get_json() == {"links": {"next": None}, "data": []}
    world.clock.move(299)
    assert feed(world).get_json()["data"] == []
    world.clock.move(1)
    data = feed(world).get_json()["data"]
    assert [(d["consentRequestId"], d["eventType"]) for d in data] == [
        (made["id"], "Created"),
        (made["id"], "Accepted"),
    ]
    assert data[0]["changedDate"].endswith("+00:00")
    [event] = world.events("enterprise_consent_events")[-1:]
    assert event["caller"] == INSURER_ORG and event["details"]["returned"] == 2


def test_the_delay_is_a_runtime_lifetime(world):
    consent(world)
    no_delay(world)
    assert len(feed(world).get_json()["data"]) == 2


def test_events_of_other_recipients_are_not_listed(world):
    world.register(OTHER_ORG, "Annen Forsikring ASA")
    consent(world, to=OTHER_ORG)
    no_delay(world)
    assert feed(world).get_json()["data"] == []
    assert len(feed(world, headers=world.auth(OTHER_ORG, READ)).get_json()["data"]) == 2


def test_event_type_filters_are_case_insensitive_and_repeatable(world):
    accepted = consent(world)
    rejected = consent(world, status="Rejected")
    revoked = consent(world, status="Revoked")
    no_delay(world)
    data = feed(world, eventType=["accepted", "REVOKED"]).get_json()["data"]
    assert [(d["consentRequestId"], d["eventType"]) for d in data] == [
        (accepted["id"], "Accepted"),
        (revoked["id"], "Accepted"),
        (revoked["id"], "Revoked"),
    ]
    assert [d["consentRequestId"] for d in feed(world, eventType="rejected").get_json()["data"]] == [rejected["id"]]


def test_the_consent_request_filter(world):
    one = consent(world)
    consent(world, **{"from": OLA})
    no_delay(world)
    data = feed(world, consentRequestId=one["id"]).get_json()["data"]
    assert {d["consentRequestId"] for d in data} == {one["id"]}


def test_created_after_is_inclusive_and_created_before_exclusive(world):
    first = consent(world)
    world.clock.move(60)
    second = consent(world)
    no_delay(world)
    changed = feed(world, consentRequestId=second["id"]).get_json()["data"][0]["changedDate"]
    after = feed(world, createdAfter=changed).get_json()["data"]
    assert {d["consentRequestId"] for d in after} == {second["id"]}
    before = feed(world, createdBefore=changed).get_json()["data"]
    assert {d["consentRequestId"] for d in before} == {first["id"]}


def test_pages_of_100_with_a_continuation_token(world):
    for _ in range(51):
        consent(world)  # 102 events
    no_delay(world)
    first = feed(world, eventType="accepted")
    assert len(first.get_json()["data"]) == 51 and first.get_json()["links"]["next"] is None
    page = feed(world).get_json()
    assert len(page["data"]) == PAGE_SIZE
    next_url = urlsplit(page["links"]["next"])
    assert next_url.path == EVENTS_PATH
    token = parse_qs(next_url.query)["continuationToken"][0]
    assert len(base64.b64decode(token)) == 16
    rest = world.client.get(f"{next_url.path}?{next_url.query}", headers=world.auth(scope=READ)).get_json()
    assert len(rest["data"]) == 2 and rest["links"]["next"] is None
    seen = [(d["consentRequestId"], d["eventType"]) for d in page["data"] + rest["data"]]
    assert len(set(seen)) == 102


def test_the_next_link_keeps_the_filters(world):
    for _ in range(100):
        consent(world, status="Created")
    no_delay(world)
    page = feed(world, createdAfter="2000-01-01T00:00:00Z").get_json()
    query = parse_qs(urlsplit(page["links"]["next"]).query)
    assert query["createdAfter"] == ["2000-01-01T00:00:00.0000000Z"] and "continuationToken" in query


def test_a_continuation_token_is_the_event_ids_dotnet_bytes(world):
    event_id = "019c22fe-1234-7abc-8def-0123456789ab"
    assert base64.b64decode(continuation_token(event_id)) == uuid.UUID(event_id).bytes_le


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"createdAfter": "2026-02-01T00:00:00Z", "createdBefore": "2026-01-01T00:00:00Z"}, "AM.VLD-00051"),
        ({"createdAfter": "2026-01-01T00:00:00Z", "createdBefore": "2026-01-01T00:00:00Z"}, "AM.VLD-00051"),
        ({"eventType": ["accepted", "created"]}, "AM.VLD-00052"),
        ({"eventType": "expired"}, "AM.VLD-00052"),
        ({"continuationToken": "not base64!"}, "AM.VLD-00053"),
        ({"continuationToken": base64.b64encode(b"short").decode()}, "AM.VLD-00053"),
    ],
)
def test_feed_queries_altinn_refuses(world, params, expected):
    [(code, paths)] = validation_codes(feed(world, **params))
    assert code == expected and paths[0].startswith("$QUERY/")


def test_the_feeds_own_checks_come_together(world):
    codes = validation_codes(feed(world, eventType="nope", continuationToken="x"))
    assert [code for code, _ in codes] == ["AM.VLD-00052", "AM.VLD-00053"]


@pytest.mark.parametrize(("name", "value"), [("createdAfter", "last tuesday"), ("consentRequestId", "123")])
def test_query_values_that_do_not_bind(world, name, value):
    assert validation_codes(feed(world, **{name: value})) == [("STD.VLD-00002", [f"/$QUERY/{name}"])]


def test_the_feed_needs_a_consent_scope(world):
    problem(feed(world, headers=world.auth(scope="nav:arbeid/v1/aap")), 403, "SBX-00002")
    problem(feed(world, headers={}), 401, "SBX-00001")
