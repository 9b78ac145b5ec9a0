"""POST /accessmanagement/api/v1/enterprise/consentrequests in process: the answer an integration
gets, and every rule Access Management (and the sandbox's resource owner rules) enforces, each
broken once and answered with its code."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from dsop_sandbox.mocks.altinn.altinn3.urns import internal_urn, organization_urn, party_uuid, person_urn
from dsop_sandbox.mocks.altinn.resource_registry.nav import IDENTIFIER as NAV_RESOURCE
from dsop_sandbox.mocks.common.clock import Duration
from tests.altinn.altinn3.world import (
    CREATE_PATH,
    INSURER_ORG,
    KARI,
    OLA,
    OTHER_ORG,
    READ,
    REDIRECT,
    SUPPLIER_ORG,
    WRITE,
    multiple_codes,
    problem,
    validation_codes,
)


def nav_right(**metadata) -> dict:
    return {
        "action": ["consent"],
        "resource": [{"type": "urn:altinn:resource", "value": NAV_RESOURCE}],
        "metadata": metadata or {"fraogmed": "01.01.2024", "tilogmed": "31.12.2026"},
    }


def add_resource(world, identifier: str, **fields) -> None:
    resource = {
        "identifier": identifier,
        "title": {"nb": f"Ressurs {identifier}"},
        "hasCompetentAuthority": {"organization": "974761076", "orgcode": "skd"},
        "resourceType": "Consent",
        "consentTemplate": "default",
        "consentText": {"nb": "Inntekt for {inntektsaar}"},
        "consentMetadata": {"inntektsaar": {"optional": False}},
        **fields,
    }
    answer = world.client.post("/_sandbox/resources", json=resource)
    assert answer.status_code == 201, answer.get_data(as_text=True)
    world.allow(INSURER_ORG, identifier)


# -- the answer ------------------------------------------------------------------------------------------
def test_a_valid_request_is_created_with_the_real_dto(world):
    body = world.body(requestMessage={"nb": "Gjelder sak 4711"})
    answer = world.create(body)
    assert answer.status_code == 201, answer.get_data(as_text=True)
    created = answer.get_json()
    assert answer.headers["Location"] == f"{world.service.base_url}{CREATE_PATH}/{body['id']}"
    assert list(created) == [
        "id",
        "from",
        "to",
        "requiredDelegator",
        "handledBy",
        "validTo",
        "consentRights",
        "requestMessage",
        "status",
        "consented",
        "redirectUrl",
        "consentRequestEvents",
        "viewUri",
        "portalViewMode",
    ]
    assert created["id"] == body["id"]
    assert created["from"] == person_urn(KARI) and created["to"] == organization_urn(INSURER_ORG)
    assert created["status"] == "Created" and created["consented"] is None and created["portalViewMode"] == "Hide"
    assert created["viewUri"] == f"{world.service.base_url}/accessmanagement/ui/consent/request?id={body['id']}"
    assert created["validTo"].endswith("+00:00")
    assert created["consentRights"] == [nav_right()]
    assert created["requestMessage"] == {"nb": "Gjelder sak 4711"}
    [event] = created["consentRequestEvents"]
    assert event["eventType"] == "Created" and event["performedBy"] == organization_urn(INSURER_ORG)
    assert event["consentRequestID"] == body["id"] and uuid.UUID(event["consentEventID"]).version == 7


def test_the_create_event_names_what_the_suite_judges(world):
    body = world.body()
    world.create(body)
    [event] = world.events("enterprise_create_consent_request")
    assert event["status"] == 201 and event["caller"] == INSURER_ORG and event["subject"] == KARI
    details = event["details"]
    assert details["consent_id"] == body["id"] and details["resource"] == NAV_RESOURCE
    assert details["to"] == INSURER_ORG
    assert details["metadata"] == {"fraogmed": "01.01.2024", "tilogmed": "31.12.2026"}
    assert details["valid_to"].endswith("+00:00")
    assert details["redirect_url"] == "https://forsikring.example/samtykke/retur"  # origin and path only
    assert details["access_token"].startswith("sha256:") and "." not in details["access_token"]


def test_a_refused_request_is_logged_with_its_id_and_person(world):
    body = world.body(consentRights=[])
    world.create(body)
    [event] = world.events("enterprise_create_consent_request")
    assert event["status"] == 400 and event["error"] == "STD-00000" and event["subject"] == KARI
    assert event["details"]["consent_id"] == body["id"] and event["details"]["problems"] == ["AM.VLD-00023"]


def test_paths_answer_with_a_trailing_slash_as_aspnet_routes_them(world):
    body = world.body()
    assert world.client.post(CREATE_PATH + "/", json=body, headers=world.auth()).status_code == 201
    assert world.client.get(f"{CREATE_PATH}/{body['id']}/", headers=world.auth(scope=READ)).status_code == 200
    assert world.client.get(f"{CREATE_PATH}/events/", headers=world.auth(scope=READ)).status_code == 200
    assert world.client.get(f"/resourceregistry/api/v1/resource/{NAV_RESOURCE}/").status_code == 200
    assert world.lookup({"id": body["id"], "from": body["from"], "to": body["to"]}).status_code == 400  # not accepted


def test_the_same_id_for_the_same_parties_answers_200_with_the_internal_model(world):
    body = world.body()
    world.create(body)
    again = world.create({**body, "validTo": world.valid_to(30), "redirectUrl": "https://annet.example/"})
    assert again.status_code == 200, again.get_data(as_text=True)
    existing = again.get_json()
    assert existing["consentRequestStatus"] == "Created" and "status" not in existing
    assert existing["templateId"] == "default" and existing["templateVersion"] == 1
    assert existing["redirectUrl"] == REDIRECT  # the stored request, not the new content
    assert existing["consentRights"][0]["resource"][0]["version"] == "1"
    assert existing["consentRequestEvents"][0]["performedBy"] == internal_urn("organization", INSURER_ORG)


def test_the_same_id_for_other_parties_is_refused(world):
    body = world.body()
    world.create(body)
    body = problem(world.create({**body, "from": person_urn(OLA)}), 400, "AM-00016")
    assert body["requestId"] == world.body(id=body["requestId"])["id"]


def test_a_supplier_in_the_token_becomes_handled_by(world):
    world.register(SUPPLIER_ORG, "Leverandør AS", access=False)
    created = world.created(headers=world.auth(supplier=SUPPLIER_ORG))
    assert created["handledBy"] == organization_urn(SUPPLIER_ORG)


def test_party_uuid_urns_resolve_to_identifiers(world):
    created = world.created(**{"from": "urn:altinn:person:uuid:" + party_uuid("person", KARI)})
    assert created["from"] == person_urn(KARI)


def test_metadata_keys_are_compared_without_case_and_kept_as_sent(world):
    created = world.created(consentRights=[nav_right(FraOgMed="01.01.2024", TILOGMED="31.12.2026")])
    assert created["consentRights"][0]["metadata"] == {"FraOgMed": "01.01.2024", "TILOGMED": "31.12.2026"}


@pytest.mark.parametrize(
    "url", ["https://x.example", "http://localhost:7200/cb?a=1#f", "myapp://consent", "App+1.x:go"]
)
def test_redirect_urls_altinn_takes(world, url):
    assert world.create(redirectUrl=url).status_code == 201


def test_portal_view_mode_is_read_in_any_case_and_written_by_name(world):
    assert world.created(portalViewMode="show")["portalViewMode"] == "Show"
    assert world.created(portalViewMode=0)["portalViewMode"] == "Hide"


# -- authentication and authorisation ------------------------------------------------------------------
def test_wrong_media_type_is_415_before_anything_else(world):
    answer = world.client.post(CREATE_PATH, data="id=1", content_type="application/x-www-form-urlencoded")
    assert answer.status_code == 415
    assert answer.get_json()["type"].endswith("section-15.5.16")


def test_no_token_is_401_with_a_challenge(world):
    answer = world.create(headers={})
    problem(answer, 401, "SBX-00001")
    assert answer.headers["WWW-Authenticate"] == "Bearer"


@pytest.mark.parametrize(
    "claims",
    [
        {"iss": "https://maskinporten.example/"},
        {"exp": 1},
        {"lifetime": -1},
    ],
)
def test_a_bad_token_is_401(world, claims):
    lifetime = claims.pop("lifetime", 120)
    answer = world.create(headers={"Authorization": f"Bearer {world.token(lifetime=lifetime, **claims)}"})
    problem(answer, 401, "SBX-00001")
    assert answer.headers["WWW-Authenticate"].startswith('Bearer error="invalid_token"')


def test_a_token_signed_by_someone_else_is_401(world, a3_authority):
    forged = world.token(key=a3_authority.signing_key("altinn").private_key)
    problem(world.create(headers={"Authorization": f"Bearer {forged}"}), 401, "SBX-00001")


def test_a_token_without_the_write_scope_is_403(world):
    problem(world.create(headers=world.auth(scope=READ)), 403, "SBX-00002")


def test_a_token_without_a_consumer_is_401(world):
    problem(
        world.create(headers=world.auth(consumer={"authority": "iso6523-actorid-upis", "ID": "x"})), 401, "SBX-00006"
    )


def test_to_must_be_the_caller(world):
    world.register(OTHER_ORG, "Annen Forsikring ASA")
    problem(world.create(to=organization_urn(OTHER_ORG)), 403, "SBX-00003")


def test_digdirs_org_scope_may_ask_for_another_and_handles_it(world):
    world.register("991825827", "Digdir", access=True)
    created = world.created(headers=world.auth("991825827", "altinn:consentrequests.org"))
    assert created["to"] == organization_urn(INSURER_ORG) and created["handledBy"] == organization_urn("991825827")


def test_a_consent_is_given_to_an_organisation(world):
    world.register("991825827", "Digdir", access=True)
    answer = world.create(to=person_urn(OLA), headers=world.auth("991825827", "altinn:consentrequests.org"))
    assert validation_codes(answer) == [("SBX.VLD-00004", ["/to"])]


def test_an_org_off_the_access_list_may_not_request(bare):
    bare.register(access=False)
    problem(bare.create(), 403, "SBX-00004")
    bare.allow(INSURER_ORG)
    assert bare.create().status_code == 201
    assert bare.client.delete(f"/_sandbox/resources/{NAV_RESOURCE}/access-list/{INSURER_ORG}").status_code == 200
    problem(bare.create(), 403, "SBX-00004")


def test_an_unknown_resource_is_refused_by_the_access_check(world):
    right = nav_right()
    right["resource"][0]["value"] = "finnes_ikke"
    problem(world.create(consentRights=[right]), 403, "SBX-00004")


# -- the body as ASP.NET binds it ----------------------------------------------------------------------------
def test_malformed_json_is_a_json_error(world):
    answer = world.client.post(CREATE_PATH, data="{", content_type="application/json", headers=world.auth())
    assert validation_codes(answer) == [("STD.VLD-00017", ["/"])]


def test_an_empty_body_is_required(world):
    answer = world.client.post(CREATE_PATH, data="", content_type="application/json", headers=world.auth())
    assert validation_codes(answer) == [("STD.VLD-00000", ["/"])]


@pytest.mark.parametrize(
    ("change", "path"),
    [
        ({"id": "not-a-uuid"}, "/id"),
        ({"id": None}, "/id"),
        ({"id": "{" + str(uuid.uuid4()) + "}"}, "/id"),
        ({"from": "urn:altinn:person:identifier-no:15838512320"}, "/from"),
        ({"from": "15838512329"}, "/from"),
        ({"to": "urn:altinn:organization:identifier-no:310000018"}, "/to"),
        ({"validTo": "31.12.2027"}, "/validTo"),
        ({"validTo": None}, "/validTo"),
        ({"consentRights": {}}, "/consentRights"),
        ({"portalViewMode": "visible"}, "/portalViewMode"),
        ({"requestMessage": {"nb": 1}}, "/requestMessage/nb"),
        ({"redirectUrl": 5}, "/redirectUrl"),
    ],
)
def test_values_that_cannot_be_read_are_json_errors(world, change, path):
    assert validation_codes(world.create(world.body(**change))) == [("STD.VLD-00017", [path])]


def test_a_missing_required_property_is_named(world):
    body = world.body()
    del body["id"], body["redirectUrl"]
    answer = problem(world.create(body), 400, "STD-00000")
    [error] = answer["validationErrors"]
    assert error["code"] == "STD.VLD-00017" and "'id', 'redirectUrl'" in error["detail"]


def test_null_and_blank_references_are_required_fields(world):
    right = nav_right()
    right["resource"][0]["value"] = " "
    codes = validation_codes(world.create(world.body(**{"from": None, "redirectUrl": ""}, consentRights=[right])))
    assert codes == [
        ("STD.VLD-00000", ["/from"]),
        ("STD.VLD-00000", ["/consentRights/0/resource/0/value"]),
        ("STD.VLD-00000", ["/redirectUrl"]),
    ]


def test_party_id_urns_are_not_consent_parties(world):
    assert validation_codes(world.create(**{"from": "urn:altinn:party:id:50001"})) == [("SBX.VLD-00004", ["/from"])]


# -- the service's rules ---------------------------------------------------------------------------------------
def test_a_person_unknown_to_altinn(world):
    body = problem(world.create(**{"from": person_urn("24814099888")}), 400, "AM-00004")
    assert body["fnumber"] == person_urn("24814099888")


def test_an_organisation_unknown_to_altinn(bare):
    bare.allow(INSURER_ORG)  # on the access list, but Altinn's register does not know it
    body = problem(bare.create(), 400, "AM-00003")
    assert body["orgnr"] == organization_urn(INSURER_ORG)


def test_valid_to_must_be_in_the_future_on_the_calendar(world):
    world.rt.set_calendar_offset(-400 * 86400)  # the calendar a year back: a validTo in 300 days is past
    assert validation_codes(world.create(validTo=world.valid_to(-1))) == [("AM.VLD-00022", ["ValidTo"])]
    assert world.create(validTo=world.valid_to(1)).status_code == 201


def test_valid_to_within_the_resources_three_years(world):
    assert validation_codes(world.create(validTo=world.valid_to(3 * 366))) == [("SBX.VLD-00001", ["ValidTo"])]
    assert world.create(validTo=world.valid_to(3 * 365)).status_code == 201


def test_valid_to_may_be_three_years_ahead_to_the_second_and_no_later(world):
    """The limit itself is allowed (``>``, not ``>=``), one second past it is not; the calendar is
    frozen on a whole second, so both sides are exact."""
    limit = Duration.parse("P3Y").added_to(world.calendar())
    assert world.create(validTo=limit.isoformat()).status_code == 201
    later = (limit + timedelta(seconds=1)).isoformat()
    assert validation_codes(world.create(validTo=later)) == [("SBX.VLD-00001", ["ValidTo"])]


def test_consent_rights_may_not_be_empty(world):
    assert validation_codes(world.create(consentRights=[])) == [("AM.VLD-00023", ["Resource"])]


def test_a_right_needs_an_action(world):
    right = {**nav_right(), "action": []}
    assert validation_codes(world.create(consentRights=[right])) == [("STD.VLD-00000", ["/consentRight/0/action"])]


def test_a_right_has_exactly_one_resource(world):
    right = nav_right()
    right["resource"] = right["resource"] * 2
    problem(world.create(consentRights=[right]), 400, "AM-00005")


def test_a_resource_that_is_not_a_consent_resource(world):
    add_resource(world, "generell_tilgang", resourceType="GenericAccessResource")
    right = {"action": ["consent"], "resource": [{"type": "urn:altinn:resource", "value": "generell_tilgang"}]}
    problem(world.create(consentRights=[right]), 400, "AM-00005")


def test_an_undeclared_metadata_key(world):
    right = nav_right(fraogmed="01.01.2024", tilogmed="31.12.2026", navn="Kari")
    assert problem(world.create(consentRights=[right]), 400, "AM-00006")["key"] == "navn"


def test_an_empty_metadata_value(world):
    right = nav_right(fraogmed="01.01.2024", tilogmed="")
    body = problem(world.create(consentRights=[right]), 400, "AM-00007")
    assert body["ConsentRight index: 0, key"] == "tilogmed"


def test_a_missing_metadata_key(world):
    assert problem(world.create(consentRights=[nav_right(fraogmed="01.01.2024")]), 400, "AM-00008")["key"] == "tilogmed"


def test_resources_of_different_templates_cannot_be_mixed(world):
    add_resource(world, "ske_lanesoknad", consentTemplate="sblanesoknad")
    other = {
        "action": ["consent"],
        "resource": [{"type": "urn:altinn:resource", "value": "ske_lanesoknad"}],
        "metadata": {"inntektsaar": "2025"},
    }
    problem(world.create(consentRights=[nav_right(), other]), 400, "AM-00009")


@pytest.mark.parametrize("url", ["", "/relative/path", "https://", "ftp//x", "1http://x.example", "https://x:port/"])
def test_redirect_urls_altinn_refuses(world, url):
    codes = validation_codes(world.create(redirectUrl=url))
    assert codes in ([("AM.VLD-00027", ["RedirectUrl"])], [("STD.VLD-00000", ["/redirectUrl"])])
    assert codes[0][0] == ("STD.VLD-00000" if url == "" else "AM.VLD-00027")


@pytest.mark.parametrize("value", ["2024-01-01", "1.1.2024", "31.02.2024", "01.01.24"])
def test_nav_metadata_is_dd_mm_yyyy(world, value):
    codes = validation_codes(world.create(consentRights=[nav_right(fraogmed=value, tilogmed="31.12.2026")]))
    assert codes == [("SBX.VLD-00002", ["/consentRights/0/metadata/fraogmed"])]


def test_the_period_must_not_end_before_it_starts(world):
    codes = validation_codes(world.create(consentRights=[nav_right(fraogmed="01.01.2026", tilogmed="31.12.2024")]))
    assert codes == [("SBX.VLD-00005", ["/consentRights/0/metadata/fraogmed"])]


def test_a_request_message_only_where_the_template_takes_one(world):
    add_resource(world, "ske_lanesoknad", consentTemplate="sblanesoknad")
    right = {
        "action": ["consent"],
        "resource": [{"type": "urn:altinn:resource", "value": "ske_lanesoknad"}],
        "metadata": {"inntektsaar": "2025"},
    }
    codes = validation_codes(world.create(consentRights=[right], requestMessage={"nb": "Hei"}))
    assert codes == [("SBX.VLD-00003", ["RequestMessage"])]
    assert world.create(consentRights=[right]).status_code == 201


def test_several_problems_at_once_are_std_00001_with_status_400(world):
    right = nav_right(fraogmed="01.01.2024", navn="x")  # AM-00006 and AM-00008
    answer = world.create(consentRights=[right], redirectUrl="/cb")
    assert multiple_codes(answer) == ["AM-00006", "AM-00008", "STD-00000"]
    inner = answer.get_json()["problems"][2]
    assert inner["validationErrors"][0]["code"] == "AM.VLD-00027"
    [event] = world.events("enterprise_create_consent_request")
    assert event["status"] == 400 and event["error"] == "STD-00001"
    assert event["details"]["problems"] == ["AM-00006", "AM-00008", "AM.VLD-00027"]


def test_a_refused_request_stores_nothing(world):
    body = world.body(consentRights=[])
    world.create(body)
    answer = world.get(body["id"])
    problem(answer, 404, "AM-00001")


def test_the_scope_read_cannot_create_but_write_can_read(world):
    created = world.created()
    assert world.get(created["id"], headers=world.auth(scope=WRITE)).status_code == 200
