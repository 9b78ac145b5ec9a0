"""An Altinn 3 consent in the grant's authorization_details: Maskinporten looks it up at Altinn (a stub
on a free port serving Altinn's lookup contract) and puts it into the token, or refuses the grant.
Every rule has a test that breaks it and sees the error; the lookup is checked on the wire."""

from __future__ import annotations

import json
import re
import socket
import uuid
from urllib.parse import urlsplit

import jsonschema_rs  # schemathesis brings it
import jwt
import pytest

from dsop_sandbox.mocks.common.events import token_fingerprint
from dsop_sandbox.mocks.common.settings import Settings
from dsop_sandbox.mocks.maskinporten import errors as mp
from dsop_sandbox.mocks.maskinporten.errors import CATALOGUE
from dsop_sandbox.mocks.maskinporten.own_token import OWN_CLIENT_ID, REUSE_MARGIN
from dsop_sandbox.mocks.maskinporten.registry import CONSENT_LOOKUP_SCOPE, DIGDIR_ORG, DSOP_SCOPES

from .altinn_stub import LOOKUP_PATH, ORGANIZATION, PERSON
from .conftest import (
    CUSTOMER_ORG,
    INSURER_ORG,
    OTHER_ORG,
    REMOVE,
    SYNTHETIC_PID,
    TRACE_ID,
    assert_mp_error,
    claims_of,
    grant_access,
    register_client,
    token,
)

AAP = "nav:arbeid/v1/aap"
UFORE = "nav:helse/v1/uforeopplysninger"
CONSENT = "urn:altinn:consent"
OTHER_PID = "47906701517"
REFUSED = mp.ALTINN_REFUSED_ERROR
JWT_SHAPE = re.compile(r"eyJ[\w-]+\.[\w-]+\.[\w-]+")


def detail(consent=None, **fields) -> dict:
    """The grant's consent entry for ``consent`` (an AltinnStub consent), with fields changed."""
    entry = {"type": CONSENT}
    if consent is not None:
        entry.update(id=consent.id, **{"from": consent.from_urn})
    entry.update(fields)
    return {name: value for name, value in entry.items() if value is not REMOVE}


def ok(answer) -> dict:
    assert answer.status_code == 200, answer.get_data(as_text=True)
    return claims_of(answer.get_json()["access_token"])


def last_event(client, operation: str = "token") -> dict:
    events = client.get("/_sandbox/events").get_json()["events"]
    return [event for event in events if event["operation"] == operation][-1]


def assert_refused(answer, *texts: str) -> dict:
    """Altinn refused the consent: 400 invalid_altinn_customer_configuration, MP-303, the texts."""
    assert answer.status_code == 400, answer.get_data(as_text=True)
    body = answer.get_json()
    assert body["error"] == REFUSED, body
    assert body["error_uri"].endswith("/errors/MP-303"), body
    assert TRACE_ID.search(body["error_description"]), body
    assert body["error_description"].startswith(CATALOGUE["MP-303"][1]), body
    for text in texts:
        assert text in body["error_description"], (text, body)
    return body


def assert_unavailable(answer, *texts: str) -> dict:
    """Altinn could not be asked: 503 temporarily_unavailable in Maskinporten's shape, no error_uri."""
    assert answer.status_code == 503, answer.get_data(as_text=True)
    assert answer.mimetype == "application/json"
    body = answer.get_json()
    assert body["error"] == "temporarily_unavailable" and "error_uri" not in body, body
    assert TRACE_ID.search(body["error_description"]), body
    for text in texts:
        assert text in body["error_description"], (text, body)
    return body


# -- the happy path -----------------------------------------------------------------------------------------------
def test_an_accepted_consent_goes_into_the_token(client, assertion, altinn, insurer, client_id):
    consent = altinn.add(SYNTHETIC_PID)
    answer = token(client, assertion(scope=f"{AAP} {UFORE}", authorization_details=[detail(consent)]))
    claims = ok(answer)
    assert next(iter(claims)) == "authorization_details"  # first, as in the real decoded tokens
    assert claims["authorization_details"] == [
        {
            "type": CONSENT,
            "id": consent.id,
            "from": PERSON + SYNTHETIC_PID,
            "to": {"authority": "iso6523-actorid-upis", "ID": f"0192:{INSURER_ORG}"},
            "consented": consent.consented,
            "validTo": consent.valid_to,  # Altinn's text as it is (seven decimals from .NET)
            "consentRights": [
                {
                    "action": ["consent"],
                    "resource": [{"type": "urn:altinn:resource", "value": "nav_samtykke_dsop_aap-ufore"}],
                    "metadata": {"fraogmed": "01.01.2024", "tilogmed": "31.12.2026"},
                }
            ],
        }
    ]
    assert claims["authorization_details"][0]["to"] == claims["consumer"]
    assert claims["scope"] == f"{AAP} {UFORE}" == answer.get_json()["scope"]
    assert claims["client_id"] == client_id and "supplier" not in claims and "pid" not in claims
    assert set(claims) == {
        "authorization_details",
        "iss",
        "client_id",
        "client_amr",
        "consumer",
        "scope",
        "token_type",
        "iat",
        "exp",
        "jti",
    }


def test_the_lookup_on_the_wire(client, assertion, altinn, insurer, authority, issuer):
    consent = altinn.add(SYNTHETIC_PID)
    ok(token(client, assertion(authorization_details=[detail(consent)])))
    (call,) = altinn.calls
    assert (call.method, call.path) == ("POST", LOOKUP_PATH)
    assert call.headers["Content-Type"] == "application/json"
    assert call.body == {"id": consent.id, "from": PERSON + SYNTHETIC_PID, "to": ORGANIZATION + INSURER_ORG}
    # Maskinporten's own token: signed with its key, Digdir as consumer, the lookup scope only
    own = call.headers["Authorization"].removeprefix("Bearer ")
    key = authority.signing_key("maskinporten").private_key.public_key()
    claims = jwt.decode(own, key, algorithms=["RS256"], issuer=issuer, options={"verify_aud": False})
    assert claims["scope"] == CONSENT_LOOKUP_SCOPE
    assert claims["consumer"] == {"authority": "iso6523-actorid-upis", "ID": f"0192:{DIGDIR_ORG}"}
    assert claims["client_id"] == OWN_CLIENT_ID
    assert "supplier" not in claims and "authorization_details" not in claims
    assert claims["exp"] - claims["iat"] == 120
    # Altinn's event log can find the token request it answered
    event = last_event(client)
    assert call.headers["X-Correlation-Id"] == event["trace_id"]
    assert event["details"]["consent_lookup_token"] == token_fingerprint(own)


def test_maskinporten_reuses_its_own_token_while_it_is_valid(client, assertion, altinn, insurer, clock):
    consent = altinn.add(SYNTHETIC_PID)
    for _ in range(2):
        ok(token(client, assertion(authorization_details=[detail(consent)])))
    first, second = (call.headers["Authorization"] for call in altinn.calls)
    assert first == second
    clock.move(120 - REUSE_MARGIN)  # exactly REUSE_MARGIN seconds left: too little to send it again
    ok(token(client, assertion(authorization_details=[detail(consent)])))
    third = altinn.calls[-1].headers["Authorization"]
    assert third != first
    assert claims_of(third.removeprefix("Bearer "))["iat"] == clock.epoch()


def test_an_organisation_may_be_the_one_who_consented(client, assertion, altinn, insurer):
    consent = altinn.add(org=OTHER_ORG)
    claims = ok(token(client, assertion(authorization_details=[detail(consent)])))
    assert claims["authorization_details"][0]["from"] == ORGANIZATION + OTHER_ORG
    event = last_event(client)
    assert event["subject"] is None and event["details"]["consent_from"] == ORGANIZATION + OTHER_ORG


def test_an_upper_case_id_is_looked_up_as_altinn_writes_it(client, assertion, altinn, insurer):
    consent = altinn.add(SYNTHETIC_PID)
    claims = ok(token(client, assertion(authorization_details=[detail(consent, id=consent.id.upper())])))
    assert altinn.calls[0].body["id"] == consent.id
    assert claims["authorization_details"][0]["id"] == consent.id


def test_the_token_always_says_metadata_and_leaves_it_out_when_there_is_none(client, assertion, altinn, insurer):
    rights = [
        {"action": ["consent"], "resource": [{"type": "urn:altinn:resource", "value": "a"}], "metaData": {"x": "1"}},
        {"action": ["consent"], "resource": [{"type": "urn:altinn:resource", "value": "b"}], "metadata": None},
    ]
    consent = altinn.add(SYNTHETIC_PID, rights=rights)
    claims = ok(token(client, assertion(authorization_details=[detail(consent)])))
    first, second = claims["authorization_details"][0]["consentRights"]
    assert first["metadata"] == {"x": "1"} and "metaData" not in first
    assert "metadata" not in second


def test_the_pid_claim_and_the_consent_live_side_by_side(client, assertion, altinn, insurer):
    consent = altinn.add(SYNTHETIC_PID)
    claims = ok(token(client, assertion(pid=SYNTHETIC_PID, authorization_details=[detail(consent)])))
    assert claims["pid"] == SYNTHETIC_PID and claims["authorization_details"][0]["id"] == consent.id


# -- a supplier acting for its customer (consumer_org) -----------------------------------------------------------
@pytest.fixture
def delegated(client, insurer):
    """The customer (CUSTOMER_ORG) on AAP's access list, and AAP delegated to the insurer as supplier."""
    grant_access(client, CUSTOMER_ORG, AAP)
    answer = client.post(
        "/_sandbox/delegations", json={"scope": AAP, "consumer_org": CUSTOMER_ORG, "supplier_org": INSURER_ORG}
    )
    assert answer.status_code == 201


def test_with_consumer_org_the_consent_must_be_given_to_the_customer(client, assertion, altinn, delegated, service):
    consent = altinn.add(SYNTHETIC_PID, to_org=CUSTOMER_ORG, handled_by=INSURER_ORG)
    claims = ok(token(client, assertion(consumer_org=CUSTOMER_ORG, authorization_details=[detail(consent)])))
    assert altinn.calls[0].body["to"] == ORGANIZATION + CUSTOMER_ORG
    customer = {"authority": "iso6523-actorid-upis", "ID": f"0192:{CUSTOMER_ORG}"}
    assert claims["consumer"] == customer == claims["authorization_details"][0]["to"]
    assert claims["supplier"] == {"authority": "iso6523-actorid-upis", "ID": f"0192:{INSURER_ORG}"}
    assert claims["delegation_source"] == service.delegation_source
    assert "handledBy" not in claims["authorization_details"][0]


def test_with_consumer_org_a_consent_given_to_the_supplier_is_refused(client, assertion, altinn, delegated):
    consent = altinn.add(SYNTHETIC_PID, to_org=INSURER_ORG)
    answer = token(client, assertion(consumer_org=CUSTOMER_ORG, authorization_details=[detail(consent)]))
    assert_refused(answer, "AM-00001 Consent not found", consent.id)


def test_a_consent_the_client_only_handles_is_refused_without_consumer_org(client, assertion, altinn, insurer):
    """Altinn answers when ``to`` is the consent's handledBy; the token's consumer must still be its ``to``."""
    consent = altinn.add(SYNTHETIC_PID, to_org=CUSTOMER_ORG, handled_by=INSURER_ORG)
    answer = token(client, assertion(authorization_details=[detail(consent)]))
    assert_refused(answer, f"was given to {CUSTOMER_ORG}, not to the consumer {INSURER_ORG}")
    details = last_event(client)["details"]
    assert details["consent_problem"] == "to_not_consumer" and details["consent_lookup_status"] == 200


# -- Altinn refuses the consent --------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("facts", "asked", "code", "title"),
    [
        ({"status": "Created"}, {}, "AM-00014", "Consent is not accepted"),
        ({"status": "Rejected"}, {}, "AM-00014", "Consent is not accepted"),
        ({"status": "Revoked"}, {}, "AM-00011", "Consent is revoked"),
        ({"expired": True}, {}, "AM-00013", "Consent is expired"),
        ({}, {"from": PERSON + OTHER_PID}, "AM-00012", "The consented party does not match the party requested"),
        ({"to_org": OTHER_ORG}, {}, "AM-00001", "Consent not found"),
        ({}, {"id": str(uuid.uuid4())}, "AM-00001", "Consent not found"),
    ],
    ids=["created", "rejected", "revoked", "expired", "other-person", "other-org", "unknown"],
)
def test_a_consent_altinn_refuses_is_refused(client, assertion, altinn, insurer, facts, asked, code, title):
    consent = altinn.add(SYNTHETIC_PID, **facts)
    entry = detail(consent, **asked)
    answer = token(client, assertion(authorization_details=[entry]))
    assert_refused(answer, f"Altinn refused consent {entry['id']}: {code} {title}")
    event = last_event(client)
    assert event["status"] == 400 and event["error"] == "MP-303"
    assert event["subject"] == entry["from"].removeprefix(PERSON)
    details = event["details"]
    assert details["consent_id"] == entry["id"] and details["consent_to"] == INSURER_ORG
    assert details["consent_lookup"] == "refused"
    assert details["consent_problem"] == code and details["consent_problems"] == [code]
    assert details["consent_lookup_status"] == (404 if code == "AM-00001" else 400)


def test_several_problems_at_once_are_named_one_by_one(client, assertion, altinn, insurer):
    consent = altinn.add(SYNTHETIC_PID, expired=True, status="Revoked")
    answer = token(client, assertion(authorization_details=[detail(consent)]))
    assert_refused(
        answer, "STD-00001 Multiple problems occurred. (AM-00013 Consent is expired; AM-00011 Consent is revoked)"
    )
    details = last_event(client)["details"]
    assert details["consent_problem"] == "STD-00001" and details["consent_problems"] == ["AM-00013", "AM-00011"]
    assert details["consent_lookup_status"] == 500  # Altinn's status for several problems


def test_several_problems_answered_400_as_the_sandboxs_altinn_does_are_refused_the_same(
    client, assertion, altinn, insurer
):
    consent = altinn.add(SYNTHETIC_PID)
    problems = [
        {"code": "AM-00013", "title": "Consent is expired"},
        {"code": "AM-00011", "title": "Consent is revoked"},
    ]
    altinn.answer_with(
        400, {"code": "STD-00001", "title": "Multiple problems occurred.", "problems": problems},
        "application/problem+json",
    )  # fmt: skip
    answer = token(client, assertion(authorization_details=[detail(consent)]))
    assert_refused(answer, "(AM-00013 Consent is expired; AM-00011 Consent is revoked)")
    details = last_event(client)["details"]
    assert details["consent_problems"] == ["AM-00013", "AM-00011"] and details["consent_lookup_status"] == 400


def test_a_refused_consent_does_not_use_up_the_grants_jti(client, assertion, altinn, insurer):
    consent = altinn.add(SYNTHETIC_PID, status="Created")
    grant = assertion(authorization_details=[detail(consent)])
    assert_refused(token(client, grant), "AM-00014")
    consent.status = "Accepted"  # the citizen says yes; the same grant may now be used
    ok(token(client, grant))
    assert_mp_error(token(client, grant), "MP-012")


def test_a_replayed_consent_grant_is_not_looked_up_again(client, assertion, altinn, insurer):
    consent = altinn.add(SYNTHETIC_PID)
    grant = assertion(authorization_details=[detail(consent)])
    ok(token(client, grant))
    assert_mp_error(token(client, grant), "MP-012")
    assert len(altinn.calls) == 1


# -- Altinn cannot be asked ----------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("status", "body", "content_type", "reason", "text"),
    [
        (503, "Service Unavailable", "text/plain", "altinn_unavailable", "(503)"),
        (
            500,
            {"code": "AM-00099", "title": "Boom"},
            "application/problem+json",
            "altinn_unavailable",
            "(500 AM-00099)",
        ),
        (
            500,
            {"code": "STD-00001", "problems": []},
            "application/problem+json",
            "altinn_unavailable",
            "(500 STD-00001)",
        ),
        (403, "", "text/plain", "altinn_refused_maskinporten", "own token (403)"),
        (200, "<html>Altinn</html>", "text/html", "altinn_answer_invalid", "not a JSON object"),
        (200, [], "application/json", "altinn_answer_invalid", "not a JSON object"),
        (404, "Not Found", "text/plain", "altinn_answer_invalid", "404 without a problem code"),
        (302, "", "text/plain", "altinn_answer_invalid", "302 without a problem code"),
        (400, {"code": "not a code", "title": "x"}, "application/problem+json", "altinn_answer_invalid", "400 without"),
        (400, "{broken", "application/problem+json", "altinn_answer_invalid", "400 without a problem code"),
    ],
    ids=[
        "503",
        "500-problem",
        "500-no-problems",
        "403",
        "html",
        "array",
        "404-plain",
        "redirect",
        "odd-code",
        "bad-json",
    ],
)
def test_altinn_failing_is_a_clean_503(client, assertion, altinn, insurer, status, body, content_type, reason, text):
    consent = altinn.add(SYNTHETIC_PID)
    altinn.answer_with(status, body, content_type)
    answer = token(client, assertion(authorization_details=[detail(consent)]))
    assert_unavailable(answer, "The consent could not be looked up at Altinn", text)
    event = last_event(client)
    assert event["status"] == 503 and event["error"] == "temporarily_unavailable"
    details = event["details"]
    assert details["consent_lookup"] == "failed" and details["consent_problem"] == reason
    assert details["consent_lookup_status"] == status


@pytest.mark.parametrize(
    ("change", "text"),
    [
        ({"id": str(uuid.uuid4())}, "is not the consent asked for"),
        ({"from": PERSON + OTHER_PID}, "is not the party asked for"),
        ({"to": "urn:altinn:person:identifier-no:" + SYNTHETIC_PID}, "is not an organisation URN"),
        ({"to": ORGANIZATION + "310000018"}, "is not an organisation URN"),
        ({"handledBy": 7}, "handledBy is not a URN"),
        ({"consented": None}, "consented None is not an ISO 8601 time"),
        ({"validTo": "2029-12-04T10:13:27"}, "validTo '2029-12-04T10:13:27' is not an ISO 8601 time with an offset"),
        ({"validTo": "2029-12-04"}, "is not an ISO 8601 time"),
        ({"validTo": "tomorrow"}, "is not an ISO 8601 time"),
        ({"consentRights": []}, "consentRights is not a non-empty array"),
        ({"consentRights": ["x"]}, "a consent right is not an object"),
        ({"consentRights": [{"action": "consent", "resource": []}]}, "action is not an array of strings"),
        ({"consentRights": [{"action": ["consent"], "resource": []}]}, "resource is not a non-empty array"),
        ({"consentRights": [{"action": ["consent"], "resource": [{"type": "t"}]}]}, "a resource is not {type, value}"),
        (
            {"consentRights": [{"action": ["c"], "resource": [{"type": "t", "value": "v"}], "metadata": {"a": 1}}]},
            "metadata is not an object of strings",
        ),
    ],
)
def test_an_answer_that_is_not_the_consent_asked_for_is_a_clean_503(client, assertion, altinn, insurer, change, text):
    consent = altinn.add(SYNTHETIC_PID)
    altinn.answer_with(200, {**consent.dto(), **change})
    answer = token(client, assertion(authorization_details=[detail(consent)]))
    assert_unavailable(answer, "Altinn's answer is not a consent", text)
    assert last_event(client)["details"]["consent_problem"] == "altinn_answer_invalid"


def test_a_title_that_is_not_unicode_is_repeated_safely(client, assertion, altinn, insurer):
    consent = altinn.add(SYNTHETIC_PID)
    altinn.answer_with(400, {"code": "AM-00011", "title": "Revoked \ud800"}, "application/problem+json")
    answer = token(client, assertion(authorization_details=[detail(consent)]))
    assert_refused(answer, "AM-00011 Revoked ?")
    assert last_event(client)["details"]["consent_problem"] == "AM-00011"  # the event was written


def test_altinn_refusing_the_own_token_once_gets_a_fresh_one(client, assertion, altinn, insurer):
    consent = altinn.add(SYNTHETIC_PID)
    altinn.answer_with(401, "", "text/plain")
    ok(token(client, assertion(authorization_details=[detail(consent)])))
    first, second = (call.headers["Authorization"] for call in altinn.calls)
    assert first != second  # the refused token was not sent again


def test_altinn_refusing_the_own_token_twice_is_a_clean_503(client, assertion, altinn, insurer):
    consent = altinn.add(SYNTHETIC_PID)
    altinn.answer_with(401, {"code": "SBX-00001", "title": "no"}, "application/problem+json", times=2)
    answer = token(client, assertion(authorization_details=[detail(consent)]))
    assert_unavailable(answer, "Altinn refused Maskinporten's own token (401 SBX-00001)")
    assert len(altinn.calls) == 2
    assert last_event(client)["details"]["consent_problem"] == "altinn_refused_maskinporten"


class TestAltinnUnreachable:
    """Altinn's base URL leads to a port nobody listens on (bound, never listening: refused at once)."""

    @pytest.fixture
    def closed_port(self):
        with socket.socket() as held:
            held.bind(("127.0.0.1", 0))
            yield held.getsockname()[1]

    @pytest.fixture
    def settings(self, tmp_path, closed_port):
        overrides = {"services": {"altinn": {"base_url": f"http://127.0.0.1:{closed_port}"}}}
        return Settings.load(environ={}, overrides=overrides).with_state_dir(tmp_path / "state")

    def test_an_unreachable_altinn_is_a_clean_503(self, client, assertion, insurer):
        entry = {"type": CONSENT, "id": str(uuid.uuid4()), "from": PERSON + SYNTHETIC_PID}
        answer = token(client, assertion(authorization_details=[entry]))
        assert_unavailable(answer, "Altinn could not be reached", "ConnectionError")
        details = last_event(client)["details"]
        assert details["consent_problem"] == "altinn_unavailable" and "consent_lookup_status" not in details
        # the grant was not used up: the insurer may try again
        assert token(client, assertion(authorization_details=[entry])).status_code == 503


# -- the grant's authorization_details, refused before any lookup -------------------------------------------------
@pytest.mark.parametrize(
    ("value", "code", "text"),
    [
        ({"type": CONSENT, "id": "x"}, "MP-303", "non-empty JSON array of objects"),
        ([], "MP-303", "non-empty JSON array of objects"),
        ("[]", "MP-303", "non-empty JSON array of objects"),
        ([CONSENT], "MP-303", "non-empty JSON array of objects"),
        (
            [
                {
                    "type": "urn:altinn:systemuser",
                    "systemuser_org": {"authority": "iso6523-actorid-upis", "ID": "0192:310000027"},
                }
            ],
            "MP-301",
            "urn:altinn:systemuser is not served by dsop-sandbox",
        ),
        ([{"type": "urn:altinn:concent", "id": "x"}], "MP-301", "'urn:altinn:concent'"),
        ([{"id": "x"}], "MP-301", "None"),
        ([{"type": 7}], "MP-301", "7"),
    ],
    ids=["object", "empty", "string", "strings", "systemuser", "typo", "no-type", "type-number"],
)
def test_authorization_details_of_the_wrong_shape_are_refused(client, assertion, altinn, insurer, value, code, text):
    answer = token(client, assertion(authorization_details=value))
    assert_mp_error(answer, code, CATALOGUE[code][1], text)
    assert altinn.calls == []


def _entry(**fields) -> dict:
    entry = {"type": CONSENT, "id": "0193f2c4-7c1e-7d2a-9b8e-6a4f1c2d3e4f", "from": PERSON + SYNTHETIC_PID}
    entry.update(fields)
    return {name: value for name, value in entry.items() if value is not REMOVE}


def test_two_consents_in_one_request_are_refused(client, assertion, altinn, insurer):
    two = [_entry(), _entry(id=str(uuid.uuid4()))]
    assert_mp_error(
        token(client, assertion(authorization_details=two)), "MP-303", "only one urn:altinn:consent per token request"
    )
    assert altinn.calls == []
    # the refused request's event still says which consents it named (the conformance suite reads it)
    asked = last_event(client)["details"]["consents_asked"]
    assert asked == [{"id": entry["id"], "from": entry["from"]} for entry in two]


def test_a_consent_beside_a_type_not_served_is_refused_for_the_type(client, assertion, altinn, insurer):
    mixed = [_entry(), {"type": "urn:altinn:systemuser"}]
    assert_mp_error(token(client, assertion(authorization_details=mixed)), "MP-301", "urn:altinn:systemuser")
    assert altinn.calls == []


@pytest.mark.parametrize(
    ("fields", "text"),
    [
        ({"to": ORGANIZATION + INSURER_ORG}, "unknown: to"),
        ({"consentRights": [], "validTo": "2030-01-01"}, "unknown: consentRights, validTo"),
        ({"consent_id": "x"}, "unknown: consent_id"),
    ],
)
def test_a_consent_entry_with_fields_of_its_own_is_refused(client, assertion, altinn, insurer, fields, text):
    answer = token(client, assertion(authorization_details=[_entry(**fields)]))
    assert_mp_error(answer, "MP-302", CATALOGUE["MP-302"][1], "takes type, id, from", text)
    assert altinn.calls == []


@pytest.mark.parametrize(
    ("fields", "text"),
    [
        ({"id": REMOVE}, "id must be the consent request's UUID, got None"),
        ({"id": 12}, "id must be the consent request's UUID"),
        ({"id": "0193f2c47c1e7d2a9b8e6a4f1c2d3e4f"}, "id must be the consent request's UUID"),
        ({"id": "{0193f2c4-7c1e-7d2a-9b8e-6a4f1c2d3e4f}"}, "id must be the consent request's UUID"),
        ({"id": "0193f2c4-7c1e-7d2a-9b8e-6a4f1c2d3e4g"}, "id must be the consent request's UUID"),
        ({"from": REMOVE}, "from must be urn:altinn:person:identifier-no:<pid>"),
        ({"from": SYNTHETIC_PID}, "from must be urn:altinn:person:identifier-no:<pid>"),
        ({"from": ["x"]}, "from must be"),
        ({"from": "urn:altinn:party:uuid:" + str(uuid.uuid4())}, "from must be"),
        ({"from": "URN:ALTINN:PERSON:IDENTIFIER-NO:" + SYNTHETIC_PID}, "from must be"),
        ({"from": PERSON + "23079421936"}, "only synthetic test numbers"),
        ({"from": PERSON + "01818520031"}, "check digits are wrong"),
        ({"from": PERSON + "0181852003"}, "a fødselsnummer is 11 digits"),
        ({"from": ORGANIZATION + "310000018"}, "fails the mod-11 check digit"),
        ({"from": ORGANIZATION + "31000001"}, "an organisation number is 9 digits"),
    ],
)
def test_a_consent_entry_with_a_bad_id_or_from_is_refused(client, assertion, altinn, insurer, fields, text):
    answer = token(client, assertion(authorization_details=[_entry(**fields)]))
    assert_mp_error(answer, "MP-303", CATALOGUE["MP-303"][1], text)
    assert answer.get_json()["error"] == "invalid_request"  # a malformed grant; Altinn was not asked
    assert altinn.calls == []


def test_a_consent_still_needs_a_scope(client, assertion, altinn, insurer):
    answer = token(client, assertion(scope=REMOVE, authorization_details=[_entry()]))
    assert_mp_error(answer, "MP-011", "scope")
    assert altinn.calls == []


def test_a_consent_grant_refused_for_its_scope_is_not_looked_up(client, assertion, altinn, insurer):
    answer = token(client, assertion(scope="nav:no/such", authorization_details=[_entry()]))
    assert_mp_error(answer, "MP-200")
    assert altinn.calls == []


# -- Maskinporten's own scope ---------------------------------------------------------------------------------------
def test_the_lookup_scope_is_maskinportens_own(client, assertion, altinn, insurer):
    assert CONSENT_LOOKUP_SCOPE not in DSOP_SCOPES
    assert client.get("/_sandbox/scopes/dsop").get_json() == {"scopes": list(DSOP_SCOPES)}
    scopes = {scope["scope"]: scope for scope in client.get("/_sandbox/scopes").get_json()["scopes"]}
    assert scopes[CONSENT_LOOKUP_SCOPE]["owner_orgno"] == DIGDIR_ORG
    assert scopes[CONSENT_LOOKUP_SCOPE]["delegation_source"] is None
    # an insurer's client that names it is not on its access list
    greedy = register_client(client, scopes=[CONSENT_LOOKUP_SCOPE])
    answer = token(client, assertion(iss=greedy["client_id"], scope=CONSENT_LOOKUP_SCOPE))
    assert_mp_error(answer, "MP-250", f"Consumer {INSURER_ORG} has not been granted access to the scope")


def test_the_lookup_scope_comes_back_after_a_reset_with_registrations(client):
    assert client.post("/_sandbox/reset", json={"registrations": True}).status_code == 200
    listed = {scope["scope"] for scope in client.get("/_sandbox/scopes").get_json()["scopes"]}
    assert CONSENT_LOOKUP_SCOPE in listed and set(DSOP_SCOPES) <= listed


# -- events and documents ---------------------------------------------------------------------------------------------
def test_the_token_event_notes_the_consent_and_never_a_token(client, assertion, altinn, insurer):
    consent = altinn.add(SYNTHETIC_PID)
    ok(token(client, assertion(authorization_details=[detail(consent)])))
    event = last_event(client)
    assert event["status"] == 200 and event["subject"] == SYNTHETIC_PID
    details = event["details"]
    assert details["consent_id"] == consent.id
    assert details["consent_from"] == PERSON + SYNTHETIC_PID and details["consent_to"] == INSURER_ORG
    assert details["consent_lookup"] == "accepted" and details["consent_lookup_status"] == 200
    assert details["consent_valid_to"] == consent.valid_to
    assert details["consent_resources"] == ["nav_samtykke_dsop_aap-ufore"]
    assert details["consent_lookup_token"].startswith("sha256:")
    assert details["consents_asked"] == [{"id": consent.id, "from": PERSON + SYNTHETIC_PID}]
    assert "consent_problem" not in details
    assert not JWT_SHAPE.search(json.dumps(event))


def test_the_token_event_says_which_authorization_details_the_grant_carried_refused_or_not(
    client, assertion, altinn, insurer
):
    """The dashboard draws a token request that carried a consent as such, from these details."""
    consent = altinn.add(SYNTHETIC_PID)
    grant = assertion(authorization_details=[detail(consent)])
    ok(token(client, grant))
    assert last_event(client)["details"]["authorization_details_types"] == [CONSENT]
    assert_mp_error(token(client, grant), "MP-012")  # a replay, refused before the lookup
    replayed = last_event(client)["details"]
    assert replayed["authorization_details_types"] == [CONSENT] and "consent_lookup" not in replayed
    mixed = [_entry(), {"type": "urn:altinn:systemuser"}, "x"]
    assert_mp_error(token(client, assertion(authorization_details=mixed)), "MP-303")  # not all objects
    assert last_event(client)["details"]["authorization_details_types"] == [
        CONSENT,
        "urn:altinn:systemuser",
        "(not an object)",
    ]
    ok(token(client, assertion()))
    assert "authorization_details_types" not in last_event(client)["details"]


def test_the_error_page_of_mp_303_names_both_errors(client):
    page = client.get("/errors/MP-303")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "<code>invalid_request</code> or <code>invalid_altinn_customer_configuration</code>" in html


def test_every_consent_refusal_links_to_its_page(client, assertion, altinn, insurer):
    consent = altinn.add(SYNTHETIC_PID, status="Revoked")
    body = assert_refused(token(client, assertion(authorization_details=[detail(consent)])))
    assert client.get(urlsplit(body["error_uri"]).path).status_code == 200


def test_the_metadata_advertises_only_the_consent_type(client):
    metadata = client.get("/.well-known/oauth-authorization-server").get_json()
    assert metadata["authorization_details_types_supported"] == [CONSENT]


def test_the_openapi_document_describes_the_consent_as_served(client, assertion, altinn, insurer):
    document = client.get("/openapi.json").get_json()
    schemas = document["components"]["schemas"]
    form = document["paths"]["/token"]["post"]["requestBody"]["content"]["application/x-www-form-urlencoded"]
    described = form["schema"]["properties"]["assertion"]["description"]
    assert "authorization_details" in described and "ConsentRequest" in described
    assert "503" in document["paths"]["/token"]["post"]["responses"]
    consent = altinn.add(SYNTHETIC_PID)
    entry = detail(consent)
    assert jsonschema_rs.is_valid(schemas["ConsentRequest"], [entry])
    for refused in ([entry, entry], [{**entry, "to": "x"}], [{**entry, "from": SYNTHETIC_PID}], [{"type": CONSENT}]):
        assert not jsonschema_rs.is_valid(schemas["ConsentRequest"], refused), refused
    claims = ok(token(client, assertion(authorization_details=[entry])))
    assert jsonschema_rs.is_valid(schemas["ConsentInToken"], claims["authorization_details"])
    assert not jsonschema_rs.is_valid(schemas["ConsentInToken"], [{**claims["authorization_details"][0], "to": "x"}])
