"""Consent tokens, the use log, withdrawal and expiry, and the service owner's list."""

from __future__ import annotations

import jwt
import pytest

from dsop_sandbox.mocks.altinn import errors as E
from tests.altinn.conftest import KARI, error_codes

REFUSAL = E.TOKEN_REFUSAL_TEXT


def verified(eco, token: str) -> dict:
    """What a data provider does: the key from Altinn's JWKS by kid, plain PyJWT."""
    keys = jwt.PyJWKClient(eco.altinn + "/api/metadata/jwk", cache_keys=False)
    key = keys.get_signing_key_from_jwt(token)
    return jwt.decode(
        token, key.key, algorithms=["RS256"], issuer="altinn.no", options={"require": ["exp", "nbf", "iss"]}
    )


def token_of(answer) -> str:
    assert answer.status_code == 200, answer.text
    assert answer.headers["Content-Type"].startswith("application/json")
    text = answer.text
    assert text.startswith('"') and text.endswith('"')  # a JSON string literal, quotes included
    return answer.json()


def refused(answer, cause: str) -> None:
    assert answer.status_code == 403, answer.text
    assert error_codes(answer) == [E.TOKEN_REFUSED]
    message = answer.json()[0]["ErrorMessage"]
    assert message.startswith(REFUSAL) and cause in message, message


def test_a_consent_token_has_altinns_claims_and_verifies_with_the_jwks(eco, company):
    code = eco.accepted_consent(company)
    token = token_of(eco.consent_token(company, code))
    header = jwt.get_unverified_header(token)
    assert header["alg"] == "RS256" and header["kid"] == header["x5t"]
    jwks = eco.http.get(eco.altinn + "/api/metadata/jwk", timeout=10).json()
    assert header["kid"] in [key["kid"] for key in jwks["keys"]]
    claims = verified(eco, token)
    assert claims["AuthorizationCode"] == code
    assert claims["OfferedBy"] == KARI["pid"] and claims["CoveredBy"] == company.org
    assert claims["Services"][0] == "5252_2"
    assert [s.split("=")[0] for s in claims["Services"][1:]] == ["5252_2_fraOgMed", "5252_2_tilOgMed"]
    assert claims["exp"] - claims["nbf"] == 30
    assert claims["ValidToDate"] > claims["DelegatedDate"]
    assert "HandledBy" not in claims


def test_the_token_can_be_fetched_again_and_by_query(eco, company):
    code = eco.accepted_consent(company)
    first = token_of(eco.consent_token(company, code))
    again = token_of(
        eco.http.get(
            eco.altinn + "/api/authorization/token",
            params={"authcode": code},
            headers={"ApiKey": company.api_key},
            timeout=10,
        )
    )
    assert verified(eco, first)["AuthorizationCode"] == verified(eco, again)["AuthorizationCode"] == code


def test_xml_is_a_string_element(eco, company):
    code = eco.accepted_consent(company)
    answer = eco.consent_token(company, code, headers={"Accept": "application/xml"})
    assert answer.headers["Content-Type"].startswith("application/xml")
    assert answer.text.startswith("<string") and answer.text.endswith("</string>")


def test_a_single_service_without_metadata_is_a_plain_string_claim(eco, company):
    # NAV's 5252 needs metadata; a service without any would give one entry. Check the rule itself.
    from dsop_sandbox.mocks.altinn.consent_tokens import services_claim

    assert services_claim({"resources": [{"code": "4629", "edition": 2, "metadata": {}}]}) == "4629_2"


def test_the_lifetime_follows_the_runtime_setting(eco, company):
    code = eco.accepted_consent(company)
    assert eco.admin("POST", "/lifetimes", json={"altinn.consent_token": 2}).status_code == 200
    try:
        claims = verified(eco, token_of(eco.consent_token(company, code)))
    finally:
        eco.admin("DELETE", "/lifetimes")
    assert claims["exp"] - claims["nbf"] == 2


def test_the_api_key_is_required(eco, company):
    code = eco.accepted_consent(company)
    answer = eco.http.get(f"{eco.altinn}/api/authorization/token/{code}", timeout=10)
    assert answer.status_code == 403 and error_codes(answer) == [E.API_KEY]


def test_refused_for_an_unknown_code(eco, company):
    refused(eco.consent_token(company, "5b0f6f55-1c1c-4a51-8a0e-2b7a0e3f0000"), "unknown")


def test_refused_for_another_insurers_key(eco, company, other_company):
    code = eco.accepted_consent(company)
    refused(eco.consent_token(other_company, code), "not given to this API key")


def test_refused_while_unanswered(eco, company):
    code = eco.create(company).json()["AuthorizationCode"]
    refused(eco.consent_token(company, code), "not answered")


def test_refused_once_withdrawn(eco, company):
    code = eco.accepted_consent(company)
    token_of(eco.consent_token(company, code))
    assert eco.admin("POST", f"/consents/{code}/withdraw").json()["consent_state"] == "Revoked"
    refused(eco.consent_token(company, code), "withdrawn")
    assert eco.admin("POST", f"/consents/{code}/withdraw").status_code == 409


def test_refused_once_expired_by_the_admin(eco, company):
    code = eco.accepted_consent(company)
    assert eco.admin("POST", f"/consents/{code}/expire").json()["consent_state"] == "Expired"
    refused(eco.consent_token(company, code), "expired")


def test_refused_when_the_calendar_passes_valid_to(eco, company):
    code = eco.accepted_consent(company, valid_for="P3Y")
    token_of(eco.consent_token(company, code))
    assert eco.admin("POST", "/clock", json={"advance": "P3Y"}).status_code == 200
    try:
        refused(eco.consent_token(company, code), "expired")
    finally:
        eco.admin("POST", "/clock", json={"reset": True})
    token_of(eco.consent_token(company, code))  # back in the present it is valid again


# -- loguse ------------------------------------------------------------------------------------------------
def log_use(eco, insurer, code, body=None):
    return eco.http.post(
        f"{eco.altinn}/api/authorization/token/{code}/loguse",
        timeout=10,
        headers={"ApiKey": insurer.api_key},
        json=body
        if body is not None
        else {"ServiceCode": "5252", "ServiceEditionCode": 2, "UsageDateTime": "2026-05-01T10:00:00"},
    )


def test_loguse_is_204_and_recorded(eco, company):
    code = eco.accepted_consent(company)
    answer = log_use(eco, company, code)
    assert answer.status_code == 204 and answer.content == b""
    uses = eco.admin("GET", f"/consents/{code}").json()["uses"]
    assert [(u["service"], u["logged_by"], u["usage_time"]) for u in uses] == [
        ("5252_2", company.org, "2026-05-01T08:00:00Z")
    ]


@pytest.mark.parametrize(
    "body",
    [
        {"ServiceCode": "4628", "ServiceEditionCode": 210607},
        {"ServiceCode": "5252", "ServiceEditionCode": 3},
        {"ServiceCode": "5252", "ServiceEditionCode": 2, "UsageDateTime": "01.05.2026"},
        {},
    ],
)
def test_loguse_refuses_what_is_not_this_consent(eco, company, body):
    code = eco.accepted_consent(company)
    answer = log_use(eco, company, code, body)
    assert answer.status_code == 400 and error_codes(answer) == [E.LOG_USE]


def test_loguse_on_a_withdrawn_consent_is_refused(eco, company):
    code = eco.accepted_consent(company)
    eco.admin("POST", f"/consents/{code}/withdraw")
    refused(log_use(eco, company, code), "withdrawn")


def test_a_one_time_consent_is_used_up_by_loguse(eco, company):
    code = eco.accepted_consent(company, one_time=True)
    token_of(eco.consent_token(company, code))
    assert log_use(eco, company, code).status_code == 204
    refused(eco.consent_token(company, code), "one-time")
    assert eco.admin("GET", f"/consents/{code}").json()["consent_state"] == "Used"


# -- the service owner's list ---------------------------------------------------------------------------
def owner_key(eco, org: str) -> str:
    return eco.admin("GET", f"/service-owners/{org}").json()["api_key"]


def owner_list(eco, key, **params):
    return eco.http.get(
        eco.altinn + "/api/serviceowner/consents",
        headers={"ApiKey": key},
        params={"serviceCode": "5252", **params},
        timeout=10,
    )


def test_nav_sees_active_and_revoked_consents_but_not_expired_ones(eco, company):
    active = eco.accepted_consent(company)
    revoked = eco.accepted_consent(company)
    expired = eco.accepted_consent(company)
    eco.admin("POST", f"/consents/{revoked}/withdraw")
    eco.admin("POST", f"/consents/{expired}/expire")
    key = owner_key(eco, "889640782")
    listed = {c["AuthorizationCode"]: c for c in owner_list(eco, key).json()["_embedded"]["consents"]}
    assert listed[active]["Status"] == "Active" and listed[revoked]["Status"] == "Revoked"
    assert expired not in listed
    assert listed[active]["OfferedBy"]["SocialSecurityNumber"] == KARI["pid"]
    assert listed[active]["CoveredBy"]["OrganizationNumber"] == company.org
    only_active = owner_list(eco, key, status="Active").json()["_embedded"]["consents"]
    assert {c["Status"] for c in only_active} == {"Active"}


def test_the_service_owner_list_pages_with_a_continuation_token(eco, company, monkeypatch):
    from dsop_sandbox.mocks.altinn import serviceowner

    for _ in range(3):
        eco.accepted_consent(company)
    monkeypatch.setattr(serviceowner, "PAGE_SIZE", 2)
    key = owner_key(eco, "889640782")
    seen, params = [], {}
    while True:
        page = owner_list(eco, key, **params).json()
        seen += [c["AuthorizationCode"] for c in page["_embedded"]["consents"]]
        if "continuationtoken" not in page:
            break
        params = {"continuation": page["continuationtoken"]}
    assert len(seen) == len(set(seen)) >= 3


def test_only_the_owner_of_the_service_may_list(eco):
    answer = owner_list(eco, owner_key(eco, "974761076"))
    assert answer.status_code == 403 and error_codes(answer) == [E.SERVICE_OWNER]
    assert owner_list(eco, "not-a-key").status_code == 403
    assert error_codes(owner_list(eco, owner_key(eco, "889640782"), status="Gone")) == [E.QUERY]


# -- discovery ------------------------------------------------------------------------------------------
def test_discovery_points_at_the_jwks(eco):
    metadata = eco.http.get(eco.altinn + "/.well-known/oauth-authorization-server", timeout=10).json()
    assert metadata["jwks_uri"] == eco.altinn + "/api/metadata/jwk"
    assert metadata["response_types_supported"] == ["code"]
    keys = eco.http.get(metadata["jwks_uri"], timeout=10).json()["keys"]
    assert keys and all(key["kid"] == key["x5t"] for key in keys)
