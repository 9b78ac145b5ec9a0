"""NAV takes an Altinn 3 consent: the ``urn:altinn:consent`` entry Maskinporten writes into the access
token's ``authorization_details``. The data it opens equals what an Altinn 2 consent for the same
period opens; every rule NAV checks is broken once here and gives its code and ``consent_problem``."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from dsop_sandbox.mocks.common.events import token_fingerprint
from dsop_sandbox.mocks.nav import errors as E
from tests.altinn.conftest import KARI, OLA, OTHER_ORG
from tests.budgets import examples
from tests.nav.conftest import AAP_SCOPE, NAV_RESOURCE, UFORE_SCOPE, nav_error, org_party
from tests.support import REMOVE

APIS = ["ufore_path", "aap_vedtak_path", "aap_meldekort_path"]
SCOPES = {"ufore_path": UFORE_SCOPE, "aap_vedtak_path": AAP_SCOPE, "aap_meldekort_path": AAP_SCOPE}
A2_PERIOD = {"fraOgMed": "01.01.2009", "tilOgMed": "31.12.2029"}


VALID = object()


def a3(world, company, pid, path_attr="ufore_path", details=VALID, *, token_claims=None, **kw):
    """Call the API with an access token carrying ``details`` (default: one valid consent from ``pid``)."""
    if details is VALID:
        details = [world.altinn3_consent(company, pid)]
    token = world.altinn3_token(company, details, scope=SCOPES[path_attr], **(token_claims or {}))
    return world.with_altinn3(path_attr, company, pid, token, **kw)


def refused_with(world, answer, problem: str, kode: str = E.NO_CONSENT, status: int = 403) -> dict:
    nav_error(answer, status, kode)
    event = world.last_event()
    assert event["status"] == status and event["details"].get("consent_problem") == problem, event
    return event


# -- what it opens --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("path_attr", APIS)
@pytest.mark.parametrize("pid", [KARI["pid"], OLA["pid"]])
def test_an_altinn3_consent_opens_what_an_altinn2_consent_for_the_period_opens(world, company, path_attr, pid):
    a2_token = world.consent_token_text(
        company,
        world.consent(company, pid, services=[{"code": "5252", "edition": 2, "metadata": A2_PERIOD}]),
    )
    a2 = world.call(getattr(world.paths, path_attr), company, pid, a2_token, scope=SCOPES[path_attr])
    answer = a3(world, company, pid, path_attr)
    assert answer.status_code == 200 == a2.status_code, answer.text
    assert answer.json() == a2.json()


def test_the_event_names_the_generation_and_the_consent(world, company):
    entry = world.altinn3_consent(company, KARI["pid"])
    token = world.altinn3_token(company, [entry])
    assert world.with_altinn3("ufore_path", company, KARI["pid"], token).status_code == 200
    event = world.last_event("hentUforeopplysninger")
    assert (event["caller"], event["subject"]) == (company.org, KARI["pid"])
    details = event["details"]
    assert details["consent_generation"] == "altinn3" and details["consent_id"] == entry["id"]
    assert details["access_token"] == token_fingerprint(token)
    assert "consent_token" not in details and "authorization_code" not in details
    assert "consent_problem" not in details and "consent_header" not in details
    assert token not in json.dumps(world.events())  # never logged whole


def test_an_altinn2_call_names_its_generation_too(world, company):
    code = world.consent(company, OLA["pid"])
    token = world.consent_token_text(company, code)
    assert world.ufore(company, OLA["pid"], token).status_code == 200
    details = world.last_event("hentUforeopplysninger")["details"]
    assert details["consent_generation"] == "altinn2"
    assert details["consent_id"] == details["authorization_code"] == code
    assert details["consent_token"] == token_fingerprint(token)


def test_missing_dates_default_to_the_consent_period(world, company):
    metadata = {"fraogmed": "01.06.2025", "tilogmed": "31.12.2025"}
    details = [world.altinn3_consent(company, KARI["pid"], metadata=metadata)]
    body = a3(world, company, KARI["pid"], "aap_vedtak_path", details).json()
    assert body["uttrekksperiode"] == {"fraDato": "2025-06-01", "tilDato": "2025-12-31"}
    assert body["vedtaksliste"]
    for item in body["vedtaksliste"]:
        assert (
            "2025-06-01" <= item["virkningsperiode"]["fraDato"] <= item["virkningsperiode"]["tilDato"] <= "2025-12-31"
        )


@pytest.mark.parametrize(
    "metadata",
    [
        {"fraOgMed": "01.01.2009", "tilOgMed": "31.12.2029"},
        {"FRAOGMED": "01.01.2009", "TilOgMed": "31.12.2029"},
    ],
)
def test_metadata_keys_are_compared_without_regard_to_case(world, company, metadata):
    details = [world.altinn3_consent(company, KARI["pid"], metadata=metadata)]
    assert a3(world, company, KARI["pid"], details=details).status_code == 200


def test_metadata_spelled_metaData_is_read(world, company):
    entry = world.altinn3_consent(company, KARI["pid"])
    right = entry["consentRights"][0]
    right["metaData"] = right.pop("metadata")
    assert a3(world, company, KARI["pid"], details=[entry]).status_code == 200


def test_other_authorization_details_beside_the_consent_are_left_alone(world, company):
    details = [{"type": "urn:altinn:systemuser", "systemuser_org": org_party(company.org)}]
    details.append(world.altinn3_consent(company, KARI["pid"]))
    assert a3(world, company, KARI["pid"], details=details).status_code == 200


def test_a_supplier_fetching_for_the_insurer(world, company):
    """With a supplier the token's ``consumer`` is still the insurer, and so is the consent's ``to``."""
    claims = {"supplier": org_party(OTHER_ORG), "delegation_source": "https://tt02.altinn.no/"}
    answer = a3(world, company, OLA["pid"], token_claims=claims)
    assert answer.status_code == 200, answer.text
    entry = world.disclosures(OLA["pid"])[0]
    assert (entry["mottaker"], entry["leverandoer"]) == (company.org, OTHER_ORG)


# -- the asked period -------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "params, status, kode, problem",
    [
        ({"fomDato": "2008-12-31"}, 403, E.OUTSIDE_CONSENT, "outside_period"),
        ({"tomDato": "2030-01-01"}, 403, E.OUTSIDE_CONSENT, "outside_period"),
        ({"fomDato": "2024-05-01", "tomDato": "2024-04-01"}, 400, E.BAD_PERIOD, None),
        ({"fomDato": "01.05.2024"}, 400, E.BAD_PERIOD, None),
    ],
)
def test_the_asked_period_is_bounded_by_the_consent_period(world, company, params, status, kode, problem):
    answer = a3(world, company, KARI["pid"], "aap_meldekort_path", params=params)
    nav_error(answer, status, kode)
    assert world.last_event()["details"].get("consent_problem") == problem


def test_the_edges_of_the_consent_period_are_inside_it(world, company):
    params = {"fomDato": "2009-01-01", "tomDato": "2029-12-31"}
    assert a3(world, company, KARI["pid"], "aap_vedtak_path", params=params).status_code == 200


# -- refusals ---------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("details", ["urn:altinn:consent", {"type": "urn:altinn:consent"}, [["x"]], [1], None])
def test_authorization_details_that_are_not_a_list_of_objects(world, company, details):
    answer = a3(world, company, KARI["pid"], details=details)
    event = refused_with(world, answer, "authorization_details")
    assert event["details"]["consent_generation"] == "altinn3"


def test_two_consents_in_one_token(world, company):
    details = [world.altinn3_consent(company, KARI["pid"]), world.altinn3_consent(company, KARI["pid"])]
    refused_with(world, a3(world, company, KARI["pid"], details=details), "several_consents")


@pytest.mark.parametrize(
    "fields",
    [
        {"id": REMOVE},
        {"id": ""},
        {"id": 42},
        {"id": "not-a-uuid"},
        {"id": "0193f2c4-7c1e-7d2a-9b8e-6a4f1c2d3e4f" + "0" * 200},
        {"from": REMOVE},
        {"from": {"ID": "15838512329"}},
        {"to": REMOVE},
        {"to": "urn:altinn:organization:identifier-no:310000019"},
        {"to": {"authority": "iso6523-actorid-upis"}},
        {"to": {"ID": "0192:310000019"}},
        {"validTo": REMOVE},
        {"validTo": "snart"},
        {"validTo": 4102444800},
        {"validTo": "2029-12-04T10:13:27"},
        {"consentRights": REMOVE},
        {"consentRights": []},
        {"consentRights": {"resource": []}},
        {"consentRights": ["nav_samtykke_dsop_aap-ufore"]},
    ],
)
def test_a_malformed_consent_entry(world, company, fields):
    details = [world.altinn3_consent(company, KARI["pid"], **fields)]
    refused_with(world, a3(world, company, KARI["pid"], details=details), "malformed")


@pytest.mark.parametrize(
    "from_",
    [
        f"urn:altinn:person:identifier-no:{OLA['pid']}",
        "urn:altinn:organization:identifier-no:310000019",
        KARI["pid"],
        f"urn:altinn:person:identifier-no:{KARI['pid']} ",
    ],
)
def test_a_consent_from_someone_else_than_the_person_asked_about(world, company, from_):
    details = [world.altinn3_consent(company, KARI["pid"], **{"from": from_})]
    assert "(from)" in nav_error(a3(world, company, KARI["pid"], details=details), 403, E.NO_CONSENT)
    assert world.last_event()["details"]["consent_problem"] == "from"


@pytest.mark.parametrize(
    "to",
    [
        org_party(OTHER_ORG),
        {"authority": "iso6523-actorid-upis", "ID": "9908:310000019"},
        {"authority": "other", "ID": "0192:310000019"},
    ],
)
def test_a_consent_given_to_another_than_the_tokens_consumer(world, company, to):
    details = [world.altinn3_consent(company, KARI["pid"], to=to)]
    refused_with(world, a3(world, company, KARI["pid"], details=details), "to")


def test_a_consent_whose_valid_to_has_passed(world, company):
    past = (world.nav_clock().calendar() - timedelta(seconds=1)).isoformat()
    details = [world.altinn3_consent(company, KARI["pid"], validTo=past)]
    refused_with(world, a3(world, company, KARI["pid"], details=details), "consent_expired")


def test_moving_the_calendar_past_valid_to_expires_the_consent(world, company):
    """Calendar time decides, not protocol time: the token itself stays valid."""
    calendar = world.nav_clock().calendar()
    entry = world.altinn3_consent(company, KARI["pid"], validTo=(calendar + timedelta(days=30)).isoformat())
    token = world.altinn3_token(company, [entry])
    assert world.with_altinn3("ufore_path", company, KARI["pid"], token).status_code == 200
    moved = world.http.post(world.control + "/_sandbox/clock", json={"advance": "P31D"}, timeout=10)
    assert moved.status_code == 200, moved.text
    try:
        answer = world.with_altinn3("ufore_path", company, KARI["pid"], token)
        assert "validTo" in nav_error(answer, 403, E.NO_CONSENT)
        assert world.last_event()["details"]["consent_problem"] == "consent_expired"
    finally:
        world.http.post(world.control + "/_sandbox/clock", json={"reset": True}, timeout=10)
    assert world.with_altinn3("ufore_path", company, KARI["pid"], token).status_code == 200


@pytest.mark.parametrize(
    "resource",
    [
        [{"type": "urn:altinn:resource", "value": "ske-samtykke-sbl-inntekt"}],
        [{"type": "urn:altinn:resource", "value": "nav_5252_2"}],
        [{"type": "urn:altinn:app", "value": NAV_RESOURCE}],
        [{"value": NAV_RESOURCE}],
        [NAV_RESOURCE],
        NAV_RESOURCE,
        [],
    ],
)
def test_a_consent_to_another_resource(world, company, resource):
    entry = world.altinn3_consent(company, KARI["pid"])
    entry["consentRights"][0]["resource"] = resource
    refused_with(world, a3(world, company, KARI["pid"], details=[entry]), "resource")


def test_the_period_is_read_from_the_right_that_names_the_resource(world, company):
    entry = world.altinn3_consent(company, KARI["pid"])
    other = {
        "action": ["consent"],
        "resource": [{"type": "urn:altinn:resource", "value": "ske-samtykke-sbl-inntekt"}],
        "metadata": {"fraogmed": "2024-01", "tilogmed": "2024-12"},
    }
    entry["consentRights"].insert(0, other)
    assert a3(world, company, KARI["pid"], details=[entry]).status_code == 200
    entry["consentRights"] = [other]
    refused_with(world, a3(world, company, KARI["pid"], details=[entry]), "resource")


@pytest.mark.parametrize(
    "metadata",
    [
        {},
        {"fraogmed": "01.01.2009"},
        {"tilogmed": "31.12.2029"},
        {"fraogmed": "2009-01-01", "tilogmed": "2029-12-31"},
        {"fraogmed": "01.2009", "tilogmed": "12.2029"},
        {"fraogmed": "31.02.2009", "tilogmed": "31.12.2029"},
        {"fraogmed": 1, "tilogmed": 2},
        {"fraogmed": "01.01.2030", "tilogmed": "31.12.2029"},
        {"fraogmed": "01.01.2009", "tilogmed": "31.12.2029", "FraOgMed": "01.01.2020"},
    ],
)
def test_a_consent_without_a_valid_period(world, company, metadata):
    details = [world.altinn3_consent(company, KARI["pid"], metadata=metadata)]
    refused_with(world, a3(world, company, KARI["pid"], details=details), "period")


def test_a_right_without_metadata_has_no_period(world, company):
    entry = world.altinn3_consent(company, KARI["pid"])
    del entry["consentRights"][0]["metadata"]
    refused_with(world, a3(world, company, KARI["pid"], details=[entry]), "period")


def test_no_consent_in_the_token_and_no_header(world, company):
    for details in (REMOVE, [], [{"type": "urn:altinn:systemuser"}]):
        answer = a3(world, company, KARI["pid"], details=details)
        event = refused_with(world, answer, "missing")
        assert "consent_generation" not in event["details"]


def test_the_access_token_is_checked_before_its_consent(world, company):
    """An Altinn 3 consent does not open an API the token's scope or NAV's access list does not."""
    details = [world.altinn3_consent(company, KARI["pid"])]
    token = world.altinn3_token(company, details, scope=AAP_SCOPE)
    nav_error(world.with_altinn3("ufore_path", company, KARI["pid"], token), 403, E.NO_ACCESS)
    forged = world.altinn3_token(company, details)[:-4] + "AAAA"
    nav_error(world.with_altinn3("ufore_path", company, KARI["pid"], forged), 401, E.NO_TOKEN)
    assert "consent_generation" not in world.last_event()["details"]


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=8,
)
FIELDS = ["id", "from", "to", "validTo", "consented", "consentRights", "type"]


@hypothesis_settings(
    max_examples=examples(40),
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(field=st.sampled_from(FIELDS), value=JSON, whole=st.none() | JSON)
def test_any_json_in_the_consent_is_a_clean_answer(world, company, field, value, whole):
    """One field of a valid consent replaced by any JSON value (or the whole claim by one): 200 or
    NAV's 403, never a 5xx; a refusal always names its consent_problem."""
    entry = world.altinn3_consent(company, KARI["pid"], **{field: value})
    answer = a3(world, company, KARI["pid"], details=[entry] if whole is None else whole)
    assert answer.status_code in (200, 403), answer.text
    if answer.status_code == 403:
        assert answer.json()["kode"] == E.NO_CONSENT
        assert world.last_event()["details"]["consent_problem"]


# -- with the Altinn 2 header too --------------------------------------------------------------------------------
def test_with_an_altinn3_consent_the_header_is_not_read(world, company):
    """The uføre API: NAV-Samtykke-Token is "kun for Altinn 2". A token carrying an Altinn 3 consent is
    answered from that consent whatever the header holds, and the event says the header was ignored."""
    answer = a3(world, company, KARI["pid"], consent_token="not-a-jwt")
    assert answer.status_code == 200, answer.text
    details = world.last_event()["details"]
    assert details["consent_generation"] == "altinn3" and details["consent_header"] == "ignored"
    assert "consent_token" not in details
    assert world.disclosures(KARI["pid"])[0]["samtykkeToken"] is None


def test_a_valid_altinn2_header_does_not_rescue_a_refused_altinn3_consent(world, company):
    token = world.consent_token_text(company, world.consent(company, KARI["pid"]))
    details = [world.altinn3_consent(company, OLA["pid"])]
    answer = a3(world, company, KARI["pid"], details=details, consent_token=token)
    event = refused_with(world, answer, "from")
    assert event["details"]["consent_header"] == "ignored"
    assert world.ufore(company, KARI["pid"], token).status_code == 200  # the same header alone is fine


def test_without_an_altinn3_consent_the_header_is_read(world, company):
    token = world.consent_token_text(company, world.consent(company, KARI["pid"]))
    answer = a3(world, company, KARI["pid"], details=[], consent_token=token)
    assert answer.status_code == 200, answer.text
    assert world.last_event()["details"]["consent_generation"] == "altinn2"


# -- the disclosure log -------------------------------------------------------------------------------------------
def test_the_disclosure_names_the_altinn3_consent_and_keeps_no_token(world, company):
    entry = world.altinn3_consent(company, OLA["pid"])
    token = world.altinn3_token(company, [entry])
    answer = world.with_altinn3("ufore_path", company, OLA["pid"], token, params={"fomDato": "2024-01-01"})
    assert answer.status_code == 200, answer.text
    logged = world.disclosures(OLA["pid"])[0]
    assert logged["consentGeneration"] == "altinn3" and logged["consentId"] == entry["id"]
    assert logged["behandlingsGrunnlag"] == f"Samtykke: Altinn 3-samtykke {entry['id']}"
    assert logged["samtykkeToken"] is None and logged["authorizationCode"] is None
    assert logged["accessTokenFingerprint"] == token_fingerprint(token)
    assert logged["consentDetails"] == entry
    assert logged["dataForespoersel"]["query"] == {"fomDato": "2024-01-01"}
    assert token not in json.dumps(world.disclosures())


def test_the_disclosure_of_an_altinn2_consent_keeps_its_token(world, company):
    code = world.consent(company, OLA["pid"])
    token = world.consent_token_text(company, code)
    assert world.ufore(company, OLA["pid"], token).status_code == 200
    logged = world.disclosures(OLA["pid"])[0]
    assert (logged["consentGeneration"], logged["consentId"], logged["samtykkeToken"]) == ("altinn2", code, token)
    assert logged["behandlingsGrunnlag"] == f"Samtykke: Altinn 2 ({code})"
    assert logged["accessTokenFingerprint"] is None and logged["consentDetails"] is None


def test_a_refused_altinn3_call_is_not_a_disclosure(world, company):
    before = len(world.disclosures())
    details = [world.altinn3_consent(company, KARI["pid"], to=org_party(OTHER_ORG))]
    nav_error(a3(world, company, KARI["pid"], details=details), 403, E.NO_CONSENT)
    assert len(world.disclosures()) == before
