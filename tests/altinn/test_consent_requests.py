"""POST/GET/DELETE /api/consentRequests: authentication, every validation rule with its code, HAL."""

from __future__ import annotations

import time
from datetime import timedelta
from urllib.parse import quote

import pytest

from dsop_sandbox.mocks.altinn import errors as E
from dsop_sandbox.mocks.common.clock import Duration
from tests.altinn.conftest import KARI, OLA, READ, WRITE, error_codes
from tests.conftest import REDIRECT_URI

NAV = {"ServiceCode": "5252", "ServiceEditionCode": 2, "Metadata": {"fraOgMed": "01.01.2024", "tilOgMed": "31.12.2026"}}
SKATT = {"ServiceCode": "4628", "ServiceEditionCode": 210607, "Metadata": {"inntektsaar": "2025"}}


def test_a_valid_request_is_unopened_with_a_code_and_no_links_for_plain_json(eco, company):
    answer = eco.create(company)
    assert answer.status_code == 201, answer.text
    body = answer.json()
    assert body["RequestStatus"] == "Unopened"
    assert body["CoveredBy"] == company.org and body["OfferedBy"] == KARI["pid"]
    assert len(body["AuthorizationCode"]) == 36
    assert body["RequestResources"] == [NAV]
    assert "_links" not in body
    assert answer.headers["Location"].endswith("/api/consentRequests/" + body["AuthorizationCode"])


def test_hal_json_gets_self_and_gui_links(eco, company):
    body = eco.create(company, headers=company.headers(hal=True)).json()
    code = body["AuthorizationCode"]
    assert body["_links"]["gui"]["href"] == f"{eco.altinn}/ui/AccessConsent/request?id={code}"
    assert body["_links"]["self"]["href"] == f"{eco.altinn}/api/consentRequests/{code}"


def test_camel_case_bodies_are_read_too(eco, company):
    pascal = eco.body(company)
    camel = {key[0].lower() + key[1:]: value for key, value in pascal.items()}
    camel["requestResources"] = [{"serviceCode": "5252", "serviceEditionCode": "2", "metadata": NAV["Metadata"]}]
    answer = eco.create(company, body=camel)
    assert answer.status_code == 201, answer.text
    assert answer.json()["RequestResources"][0]["ServiceEditionCode"] == 2


def test_the_deprecated_singular_path_still_works(eco, company):
    answer = eco.http.post(
        eco.altinn + "/api/consentRequest", json=eco.body(company), headers=company.headers(), timeout=10
    )
    assert answer.status_code == 201


def test_an_enterprise_certificate_authenticates_instead_of_a_token(eco, company):
    answer = eco.create(company, headers=company.certificate_header())
    assert answer.status_code == 201, answer.text


# -- authentication ------------------------------------------------------------------------------------
def test_no_api_key(eco, company):
    answer = eco.create(company, headers={"Authorization": f"Bearer {company.token()}"})
    assert answer.status_code == 403 and error_codes(answer) == [E.API_KEY]


def test_an_unknown_api_key(eco, company):
    answer = eco.create(company, headers=company.headers(api_key="0" * 32))
    assert answer.status_code == 403 and error_codes(answer) == [E.API_KEY]


def test_an_api_key_alone_is_not_enough_to_ask(eco, company):
    answer = eco.create(company, headers=company.headers(scope=None))
    assert answer.status_code == 401 and error_codes(answer) == [E.AUTHENTICATION]


def test_a_token_without_the_write_scope(eco, company):
    answer = eco.create(company, headers=company.headers(scope=READ))
    assert answer.status_code == 403 and error_codes(answer) == [E.SCOPE]


def test_another_orgs_token_with_this_api_key(eco, company, other_company):
    headers = company.headers()
    headers["Authorization"] = f"Bearer {other_company.token()}"
    answer = eco.create(company, headers=headers)
    assert answer.status_code == 403 and error_codes(answer) == [E.WRONG_PARTY]


def test_a_token_signed_by_someone_else(eco, company):
    import jwt

    forged = jwt.encode(
        {
            "iss": eco.sandbox.settings.issuer("maskinporten"),
            "scope": WRITE,
            "exp": 4102444800,
            "consumer": {"authority": "iso6523-actorid-upis", "ID": f"0192:{company.org}"},
        },
        company.keys.private_key,
        algorithm="RS256",
        headers={"kid": "forged"},
    )
    headers = company.headers()
    headers["Authorization"] = f"Bearer {forged}"
    answer = eco.create(company, headers=headers)
    assert answer.status_code == 401 and error_codes(answer) == [E.AUTHENTICATION]
    assert 'error="invalid_token"' in answer.headers["WWW-Authenticate"]


def test_an_alg_none_token(eco, company):
    import base64
    import json

    def part(data):
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()

    token = (
        part({"alg": "none"}) + "." + part({"iss": eco.sandbox.settings.issuer("maskinporten"), "scope": WRITE}) + "."
    )
    headers = company.headers()
    headers["Authorization"] = f"Bearer {token}"
    assert eco.create(company, headers=headers).status_code == 401


def test_an_expired_token(eco, company):
    token = company.token(fresh=True)
    clock = eco.sandbox.app("altinn").extensions["sandbox"].clock
    clock.move(200)  # Maskinporten tokens live 120 s
    try:
        headers = company.headers()
        headers["Authorization"] = f"Bearer {token}"
        answer = eco.create(company, headers=headers)
    finally:
        clock.move(-200)
    assert answer.status_code == 401 and "expired" in answer.json()[0]["ErrorMessage"]


def test_another_orgs_certificate(eco, company, other_company):
    headers = {"ApiKey": company.api_key, "X-Client-Cert": quote(other_company.facts["certificate"]["chain_pem"])}
    answer = eco.create(company, headers=headers)
    assert answer.status_code == 403 and error_codes(answer) == [E.WRONG_PARTY]


def test_a_certificate_outside_the_test_pki(eco, company):
    import tempfile
    from pathlib import Path

    from dsop_sandbox.mocks.authority import KeyAuthority

    stranger = KeyAuthority.open(Path(tempfile.mkdtemp()), eco.calendar_now())
    credentials = stranger.issue_enterprise_certificate(company.org, "Falsk AS", eco.calendar_now())
    headers = {"ApiKey": company.api_key, "X-Client-Cert": quote(credentials.chain_pem.decode())}
    answer = eco.create(company, headers=headers)
    assert answer.status_code == 401 and error_codes(answer) == [E.AUTHENTICATION]


def test_asking_on_behalf_of_another_covered_by(eco, company, other_company):
    answer = eco.create(
        company, CoveredBy=other_company.org, RedirectUrl=other_company.facts["idporten"]["redirect_uris"][0]
    )
    assert answer.status_code == 403 and error_codes(answer) == [E.WRONG_PARTY]


# -- validation: one rule, one code ------------------------------------------------------------------------
@pytest.mark.parametrize(
    "overrides, code",
    [
        ({"CoveredBy": "310000018"}, E.UNKNOWN_PARTY),  # fails mod 11
        ({"CoveredBy": "310000035"}, E.COVERED_BY),  # valid but not a consumer
        ({"OfferedBy": "15038512345"}, E.UNKNOWN_PARTY),  # not synthetic (a real-style number)
        ({"OfferedBy": "15838512328"}, E.UNKNOWN_PARTY),  # wrong check digits
        ({"OfferedByName": "Hansen"}, E.UNKNOWN_PARTY),  # not Kari's last name
        ({"OfferedBy": "01818024300"}, E.UNKNOWN_PARTY),  # synthetic but not in the register
        ({"OfferedByName": None}, E.MALFORMED),
        ({"ValidTo": None}, E.VALID_TO),
        ({"ValidTo": "neste år"}, E.VALID_TO),
        ({"ValidTo": "2001-01-01T00:00:00.000"}, E.VALID_TO),
        ({"ValidTo": 20291231}, E.VALID_TO),
        ({"RedirectUrl": "https://evil.example/steal"}, E.REDIRECT_URL),
        ({"RedirectUrl": "not a url"}, E.REDIRECT_URL),
        ({"RedirectUrl": None}, E.REDIRECT_URL),
        ({"RequestResources": []}, E.RESOURCES),
        ({"RequestResources": [{**NAV, "ServiceCode": "9999"}]}, E.RESOURCES),
        ({"RequestResources": [{**NAV, "ServiceEditionCode": 7}]}, E.RESOURCES),
        ({"RequestResources": [NAV, NAV]}, E.RESOURCES),
        ({"RequestResources": [{**NAV, "Metadata": {"fraOgMed": "01.01.2024"}}]}, E.METADATA_MISSING),
        ({"RequestResources": [{**NAV, "Metadata": {"fraOgMed": "01.01.2024", "tilOgMed": " "}}]}, E.METADATA_MISSING),
        ({"RequestResources": [{**NAV, "Metadata": {**NAV["Metadata"], "inntektsaar": "2024"}}]}, E.METADATA_UNKNOWN),
        (
            {"RequestResources": [{**NAV, "Metadata": {"fraOgMed": "2024-01-01", "tilOgMed": "31.12.2026"}}]},
            E.METADATA_FORMAT,
        ),
        (
            {"RequestResources": [{**NAV, "Metadata": {"fraOgMed": "31.12.2026", "tilOgMed": "01.01.2024"}}]},
            E.METADATA_FORMAT,
        ),
        ({"RequestResources": [{**NAV, "Metadata": {"fraOgMed": 2024, "tilOgMed": "31.12.2026"}}]}, E.MALFORMED),
        ({"RequestResources": [NAV, SKATT]}, E.MIXED_TEMPLATES),
        ({"RequestMessage": {"de": "Hallo"}}, E.REQUEST_MESSAGE),
        ({"RequestMessage": "bare tekst"}, E.REQUEST_MESSAGE),
        ({"PortalViewMode": "Maybe"}, E.PORTAL_VIEW_MODE),
        ({"HandledBy": "310000035"}, E.HANDLED_BY),
        ({"CoveredBy": 310000019}, E.MALFORMED),
    ],
)
def test_each_rule_has_its_code(eco, company, overrides, code):
    body = eco.body(company, **{k: v for k, v in overrides.items() if v is not None})
    for key in [k for k, v in overrides.items() if v is None]:
        body.pop(key)
    answer = eco.create(company, body=body)
    assert answer.status_code in (400, 403), answer.text
    assert code in error_codes(answer), answer.json()


def test_covered_by_and_offered_by_must_differ(eco, company):
    answer = eco.create(company, CoveredBy=KARI["pid"])
    assert answer.status_code == 400 and E.SAME_PARTY in error_codes(answer)


def test_valid_to_at_most_three_years_for_nav(eco, company):
    assert eco.create(company, ValidTo=eco.valid_to(days=3 * 365)).status_code == 201
    answer = eco.create(company, ValidTo=eco.valid_to(days=3 * 366 + 1))
    assert answer.status_code == 400 and error_codes(answer) == [E.VALID_TO_MAX]


def test_valid_to_may_be_three_years_ahead_to_the_second_and_no_later(eco, company):
    """NAV's 5252 allows P3Y from now: the limit itself is allowed (``>``, not ``>=``), one second past
    it is not. Altinn's clock is frozen on a whole second for this, so both sides are exact."""
    clock = eco.sandbox.app("altinn").extensions["sandbox"].clock
    clock.freeze(float(int(time.time())))
    try:
        limit = Duration.parse("P3Y").added_to(eco.calendar_now())
        assert eco.create(company, ValidTo=limit.strftime("%Y-%m-%dT%H:%M:%SZ")).status_code == 201
        answer = eco.create(company, ValidTo=(limit + timedelta(seconds=1)).strftime("%Y-%m-%dT%H:%M:%SZ"))
        assert answer.status_code == 400 and error_codes(answer) == [E.VALID_TO_MAX]
    finally:
        clock.unfreeze()


def test_skatteetaten_services_allow_only_ten_days(eco, company):
    assert eco.create(company, RequestResources=[SKATT], ValidTo=eco.valid_to(days=9)).status_code == 201
    answer = eco.create(company, RequestResources=[SKATT], ValidTo=eco.valid_to(days=11))
    assert answer.status_code == 400 and error_codes(answer) == [E.VALID_TO_MAX]


def test_every_problem_is_reported_at_once(eco, company):
    answer = eco.create(company, OfferedByName="Feil", RedirectUrl="https://evil.example/", PortalViewMode="x")
    assert set(error_codes(answer)) == {E.UNKNOWN_PARTY, E.REDIRECT_URL, E.PORTAL_VIEW_MODE}


def test_the_name_check_ignores_case_and_spacing(eco, company):
    assert eco.create(company, OfferedByName="  nordMANN ").status_code == 201


def test_a_required_delegator_needs_a_matching_name(eco, company):
    assert eco.create(company, RequiredDelegator=OLA["pid"], RequiredDelegatorName="Hansen").status_code == 201
    answer = eco.create(company, RequiredDelegator=OLA["pid"], RequiredDelegatorName="Berg")
    assert error_codes(answer) == [E.UNKNOWN_PARTY]


def test_wildcard_redirect_domains(eco, company):
    eco.admin(
        "POST", "/consumers", json={"org": "310000043", "name": "Wild AS", "redirect_domains": ["*.wild.example"]}
    )
    # a consumer registered through the admin API has its own key; use it with a certificate-less token path
    consumers = eco.admin("GET", "/consumers/310000043").json()
    from dsop_sandbox.mocks.altinn.request_validation import _domain_matches

    assert consumers["redirect_domains"] == ["*.wild.example"]
    assert _domain_matches("*.wild.example", "https", "app.wild.example")
    assert not _domain_matches("*.wild.example", "https", "wild.example")
    assert not _domain_matches("*.wild.example", "https", "evilwild.example")
    assert not _domain_matches("app.example", "javascript", "app.example")
    assert _domain_matches("myapp://", "myapp", "")


# -- bad bodies -------------------------------------------------------------------------------------------
def test_malformed_json(eco, company):
    answer = eco.http.post(
        eco.altinn + "/api/consentRequests",
        data="{not json",
        headers={**company.headers(), "Content-Type": "application/json"},
        timeout=10,
    )
    assert answer.status_code == 400 and len(error_codes(answer)) == 1


def test_wrong_content_type(eco, company):
    answer = eco.http.post(
        eco.altinn + "/api/consentRequests",
        data="CoveredBy=1",
        headers={**company.headers(), "Content-Type": "application/x-www-form-urlencoded"},
        timeout=10,
    )
    assert answer.status_code == 415 and len(error_codes(answer)) == 1


def test_hal_json_content_type_is_json(eco, company):
    import json

    answer = eco.http.post(
        eco.altinn + "/api/consentRequests",
        data=json.dumps(eco.body(company)),
        headers={**company.headers(), "Content-Type": "application/hal+json"},
        timeout=10,
    )
    assert answer.status_code == 201


def test_oversized_body(eco, company):
    answer = eco.http.post(
        eco.altinn + "/api/consentRequests",
        data=b"[" + b" " * (2 * 1024 * 1024) + b"]",
        headers={**company.headers(), "Content-Type": "application/json"},
        timeout=30,
    )
    assert answer.status_code == 413 and len(error_codes(answer)) == 1


def test_a_json_array_body(eco, company):
    answer = eco.create(company, body=[eco.body(company)])
    assert answer.status_code == 400


# -- reading, listing, deleting -------------------------------------------------------------------------------
def test_get_own_request_and_not_anothers(eco, company, other_company):
    code = eco.create(company).json()["AuthorizationCode"]
    own = eco.http.get(f"{eco.altinn}/api/consentRequests/{code}", headers=company.headers(READ), timeout=10)
    assert own.status_code == 200 and own.json()["RequestStatus"] == "Unopened"
    theirs = eco.http.get(f"{eco.altinn}/api/consentRequests/{code}", headers=other_company.headers(READ), timeout=10)
    assert theirs.status_code == 403 and error_codes(theirs) == [E.WRONG_PARTY]
    missing = eco.http.get(
        f"{eco.altinn}/api/consentRequests/00000000-0000-0000-0000-000000000000",
        headers=company.headers(READ),
        timeout=10,
    )
    assert missing.status_code == 404 and error_codes(missing) == [E.NOT_FOUND]


def test_delete_an_unanswered_request_but_not_a_consent(eco, company):
    code = eco.create(company).json()["AuthorizationCode"]
    url = f"{eco.altinn}/api/consentRequests/{code}"
    assert eco.http.delete(url, headers=company.headers(), timeout=10).status_code == 204
    assert eco.http.get(url, headers=company.headers(READ), timeout=10).status_code == 404
    consent = eco.accepted_consent(company)
    answer = eco.http.delete(f"{eco.altinn}/api/consentRequests/{consent}", headers=company.headers(), timeout=10)
    assert answer.status_code == 400 and error_codes(answer) == [E.ALREADY_HANDLED]
    assert eco.admin("GET", f"/consents/{consent}").json()["consent_state"] == "Active"


def test_list_filters_by_status_and_service(eco, other_company):
    first = eco.create(other_company, RedirectUrl="https://annen.example/a").json()["AuthorizationCode"]
    accepted = eco.accepted_consent(other_company)
    listing = eco.http.get(
        eco.altinn + "/api/consentRequests",
        params={"status": "Unopened", "serviceCode": "5252"},
        headers=other_company.headers(READ),
        timeout=10,
    ).json()
    codes = [item["AuthorizationCode"] for item in listing]
    assert first in codes and accepted not in codes
    hal = eco.http.get(
        eco.altinn + "/api/consentRequests",
        params={"status[0]": "Accepted"},
        headers=other_company.headers(READ, hal=True),
        timeout=10,
    ).json()
    assert [item["AuthorizationCode"] for item in hal["_embedded"]["consentRequests"]] == [accepted]
    bad = eco.http.get(
        eco.altinn + "/api/consentRequests", params={"status": "Happy"}, headers=other_company.headers(READ), timeout=10
    )
    assert bad.status_code == 400 and error_codes(bad) == [E.QUERY]


def test_the_request_stays_in_the_redirect_domain_of_the_asker(eco, company):
    assert eco.create(company, RedirectUrl=REDIRECT_URI + "?case=17").status_code == 201


LONE = "\ud800"


@pytest.mark.parametrize(
    "overrides",
    [
        {"RequestResources": [{**NAV, "Metadata": {"fraOgMed": LONE, "tilOgMed": "31.12.2026"}}]},
        {"RequestResources": [{**NAV, "Metadata": {LONE: "01.01.2024"}}]},
        {"RequestMessage": {"nb": LONE}},
        {"RedirectUrl": REDIRECT_URI + "?x=" + LONE},
    ],
    ids=["metadata-value", "metadata-key", "request-message", "redirect-url"],
)
def test_a_lone_surrogate_is_a_400_in_altinns_shape_and_nothing_is_stored(eco, company, overrides):
    """Issue 15, finding 4: ``"\\ud800"`` gave 500 (UnicodeEncodeError when the request was stored)."""
    before = len(eco.admin("GET", "/consents").json()["consents"])
    answer = eco.create(company, **overrides)
    assert answer.status_code == 400, answer.text
    assert error_codes(answer) == ["invalid_request"]
    assert len(eco.admin("GET", "/consents").json()["consents"]) == before


def test_a_lone_surrogate_in_a_sandbox_person_is_a_400(eco):
    answer = eco.admin("POST", "/persons", json={"persons": [{"pid": KARI["pid"], "name": "Kari " + LONE}]})
    assert answer.status_code == 400, answer.text
    assert answer.json()["error"] == "invalid_request"
    assert "surrogate" in answer.json()["message"]
