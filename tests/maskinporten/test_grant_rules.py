"""The JWT-bearer grant, rule by rule: one correct grant, then one test per rule that breaks
exactly that rule and checks status, ``error``, the MP code in ``error_uri`` and the text."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import uuid
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509 import verification
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from dsop_sandbox.mocks.maskinporten import errors as mp
from dsop_sandbox.mocks.maskinporten.errors import CATALOGUE
from dsop_sandbox.mocks.maskinporten.registry import DSOP_SCOPES

from .conftest import (
    CUSTOMER_ORG,
    INSURER_ORG,
    JWK_KID,
    JWT_BEARER,
    OTHER_ORG,
    REMOVE,
    STRICT,
    SYNTHETIC_PID,
    assert_mp_error,
    assert_oauth_error,
    b64url,
    claims_of,
    enterprise_credentials,
    grant_access,
    public_jwk,
    register_client,
    token,
    x5c_of,
)

AAP = "nav:arbeid/v1/aap"
UFORE = "nav:helse/v1/uforeopplysninger"
DAY = 24 * 3600


def text(code: str) -> str:
    return CATALOGUE[code][1]


def ok(answer) -> dict:
    assert answer.status_code == 200, answer.get_data(as_text=True)
    return answer.get_json()


# -- the happy path --------------------------------------------------------------------------------------
def test_a_correct_grant_gets_a_token(client, assertion, client_id, issuer):
    answer = token(client, assertion(scope=f"{AAP} {UFORE}"))
    body = ok(answer)
    assert set(body) == {"access_token", "token_type", "expires_in", "scope"}
    assert body["token_type"] == "Bearer" and body["expires_in"] == 120
    assert body["scope"] == f"{AAP} {UFORE}"
    assert answer.headers["Cache-Control"] == "no-store"
    claims = claims_of(body["access_token"])
    assert claims["client_id"] == client_id and claims["iss"] == issuer
    assert claims["client_amr"] == "virksomhetssertifikat"
    assert claims["consumer"]["ID"] == f"0192:{INSURER_ORG}"


@pytest.mark.parametrize("alg", ["RS384", "RS512"])
def test_rs384_and_rs512_are_accepted(client, assertion, alg):
    ok(token(client, assertion(alg=alg)))


# -- header: algorithm and signature ---------------------------------------------------------------------------
def _unsigned(header: dict, claims: dict) -> str:
    return f"{b64url(json.dumps(header).encode())}.{b64url(json.dumps(claims).encode())}"


def _valid_claims(issuer, client_id, clock) -> dict:
    now = clock.epoch()
    return {"aud": issuer, "iss": client_id, "scope": AAP, "iat": now, "exp": now + 120, "jti": str(uuid.uuid4())}


def test_alg_none_is_refused(client, credentials, issuer, client_id, clock):
    grant = _unsigned({"alg": "none", "x5c": credentials.x5c()}, _valid_claims(issuer, client_id, clock)) + "."
    assert_mp_error(token(client, grant), "MP-124", text("MP-124"), "'none'")


def test_hs256_with_the_public_key_as_hmac_secret_is_refused(client, credentials, issuer, client_id, clock):
    """Key confusion: a verifier that let the header pick the algorithm would check this HMAC
    with the certificate's public key PEM as the secret, and accept it."""
    signing_input = _unsigned(
        {"alg": "HS256", "typ": "JWT", "x5c": credentials.x5c()}, _valid_claims(issuer, client_id, clock)
    )
    mac = hmac.new(credentials.public_pem, signing_input.encode(), hashlib.sha256).digest()
    assert_mp_error(token(client, f"{signing_input}.{b64url(mac)}"), "MP-124", text("MP-124"), "'HS256'")


def test_rs256_signed_with_another_key_is_refused(client, assertion, other_key):
    assert_mp_error(token(client, assertion(key=other_key)), "MP-124")


def test_both_x5c_and_kid_are_refused(client, assertion):
    answer = token(client, assertion(headers={"kid": "some-kid"}))
    assert_mp_error(answer, "MP-011", text("MP-011"), "x5c", "kid")


def test_neither_x5c_nor_kid_is_refused(client, assertion):
    assert_mp_error(token(client, assertion(headers={"x5c": REMOVE})), "MP-120", text("MP-120"), mp.NO_CERTIFICATE)


# -- header: the enterprise certificate ----------------------------------------------------------------
def test_x5c_as_a_string_is_refused(client, assertion, credentials):
    assert_mp_error(token(client, assertion(headers={"x5c": credentials.x5c()[0]})), "MP-123")


def test_x5c_with_garbage_base64_is_refused(client, assertion):
    answer = token(client, assertion(headers={"x5c": ["this is not base64!", "@@@"]}))
    assert_mp_error(answer, "MP-123", text("MP-123"), mp.NO_CERTIFICATE)


def _foreign_certificate(org: str) -> tuple[object, list[x509.Certificate], x509.Certificate]:
    """A well-formed enterprise certificate for ``org`` from a CA the sandbox has never seen:
    (leaf key, [leaf, CA], CA)."""
    now = datetime.now(UTC)

    def build(subject, issuer, public_key, signer, issuer_public_key, ca: bool):
        builder = (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(issuer)
            .public_key(public_key)
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(days=1))
            .not_valid_after(now + timedelta(days=365))
            .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
            .add_extension(
                x509.KeyUsage(
                    digital_signature=not ca,
                    content_commitment=False,
                    key_encipherment=False,
                    data_encipherment=False,
                    key_agreement=False,
                    key_cert_sign=ca,
                    crl_sign=ca,
                    encipher_only=False,
                    decipher_only=False,
                ),
                critical=True,
            )
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_public_key), critical=False)
        )
        if not ca:
            builder = builder.add_extension(
                x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False
            ).add_extension(x509.SubjectAlternativeName([x509.DirectoryName(subject)]), critical=False)
        return builder.sign(signer, hashes.SHA256())

    ca_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    ca_name = x509.Name(
        [x509.NameAttribute(NameOID.COUNTRY_NAME, "NO"), x509.NameAttribute(NameOID.COMMON_NAME, "Foreign Root CA")]
    )
    ca = build(ca_name, ca_name, ca_key.public_key(), ca_key, ca_key.public_key(), ca=True)
    leaf_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    leaf_name = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "NO"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Eksempel Forsikring AS"),
            x509.NameAttribute(NameOID.ORGANIZATION_IDENTIFIER, f"NTRNO-{org}"),
            x509.NameAttribute(NameOID.SERIAL_NUMBER, org),
            x509.NameAttribute(NameOID.COMMON_NAME, "Eksempel Forsikring AS"),
        ]
    )
    leaf = build(leaf_name, ca_name, leaf_key.public_key(), ca_key, ca_key.public_key(), ca=False)
    return leaf_key, [leaf, ca], ca


def test_a_certificate_from_a_foreign_ca_is_refused(client, assertion):
    key, chain, root = _foreign_certificate(INSURER_ORG)
    # the chain is sound for whoever trusts the foreign root: only the trust anchor is wrong
    verifier = (
        verification.PolicyBuilder()
        .store(verification.Store([root]))
        .time(datetime.now(UTC).replace(tzinfo=None))
        .build_client_verifier()
    )
    verifier.verify(chain[0], chain[1:])
    assert_mp_error(token(client, assertion(key=key, headers={"x5c": x5c_of(chain)})), "MP-120")


def test_a_certificate_expired_at_protocol_time_is_refused(client, assertion, clock, credentials):
    ok(token(client, assertion()))
    clock.move(4 * 365 * DAY)  # the enterprise certificate lives three years, the CAs ten
    assert credentials.chain[0].not_valid_after_utc < clock.now() < credentials.chain[1].not_valid_after_utc
    assert_mp_error(token(client, assertion()), "MP-120")


def test_the_certificate_of_another_org_is_refused(client, assertion, authority):
    other = enterprise_credentials(authority, OTHER_ORG, "Annen Virksomhet AS")
    answer = token(client, assertion(key=other.private_key, headers={"x5c": other.x5c()}))
    assert_mp_error(answer, "MP-122")


# -- the client -------------------------------------------------------------------------------------------
def test_an_unknown_iss_is_refused(client, assertion):
    assert_mp_error(token(client, assertion(iss="no-such-client")), "MP-100")


def test_a_client_with_a_jwk_must_send_kid_not_x5c(client, assertion, jwk_client):
    answer = token(client, assertion(iss=jwk_client["client_id"]))
    assert_mp_error(answer, "MP-100", f"{mp.CLIENT_AUTH} {mp.REQUIRES_KID}")


def test_an_unknown_kid_is_refused(client, assertion, jwk_client, other_key):
    answer = token(
        client, assertion(iss=jwk_client["client_id"], key=other_key, headers={"x5c": REMOVE, "kid": "not-registered"})
    )
    # the client exists, so the text names the key, not "Client not found"
    assert_mp_error(answer, "MP-100", mp.CLIENT_AUTH, mp.UNKNOWN_KID, "not-registered")
    assert "Client not found" not in answer.json["error_description"]


def test_a_kid_on_a_certificate_client_is_refused(client, assertion):
    answer = token(client, assertion(headers={"x5c": REMOVE, "kid": JWK_KID}))
    assert_mp_error(answer, "MP-100", mp.CLIENT_AUTH, mp.UNKNOWN_KID, "enterprise certificate in x5c")


def test_a_jwk_older_than_a_year_is_refused(client, assertion, jwk_client, other_key, clock):
    def grant():
        return assertion(iss=jwk_client["client_id"], key=other_key, headers={"x5c": REMOVE, "kid": JWK_KID})

    clock.move(364 * DAY)
    ok(token(client, grant()))
    clock.move(2 * DAY)
    assert_mp_error(token(client, grant()), "MP-121")


def test_registering_the_same_jwk_again_does_not_make_it_young(client, assertion, jwk_client, other_key, clock):
    clock.move(364 * DAY)
    again = client.post(
        f"/_sandbox/clients/{jwk_client['client_id']}/keys", json={"keys": [public_jwk(other_key, JWK_KID)]}
    )
    assert again.status_code == 201
    clock.move(2 * DAY)
    answer = token(
        client, assertion(iss=jwk_client["client_id"], key=other_key, headers={"x5c": REMOVE, "kid": JWK_KID})
    )
    assert_mp_error(answer, "MP-121")


def test_a_critical_header_extension_is_refused(client, assertion):
    assert_mp_error(token(client, assertion(headers={"crit": ["exp"]})), "MP-011", "crit")


def test_a_sub_other_than_the_client_is_refused(client, assertion, client_id):
    assert_mp_error(token(client, assertion(sub="someone-else")), "MP-011", "sub")
    ok(token(client, assertion(sub=client_id)))


def test_a_grant_signed_with_a_registered_jwk_works(client, assertion, jwk_client, other_key):
    answer = token(
        client, assertion(iss=jwk_client["client_id"], key=other_key, headers={"x5c": REMOVE, "kid": JWK_KID})
    )
    claims = claims_of(ok(answer)["access_token"])
    assert claims["client_amr"] == "private_key_jwt"
    assert claims["client_id"] == jwk_client["client_id"]
    assert claims["consumer"]["ID"] == f"0192:{INSURER_ORG}"


# -- aud ----------------------------------------------------------------------------------------------------
def test_aud_without_the_trailing_slash_is_refused(client, assertion, issuer):
    assert issuer.endswith("/")
    assert_mp_error(token(client, assertion(aud=issuer.rstrip("/"))), "MP-110")


def test_aud_as_a_one_element_array_is_refused(client, assertion, issuer):
    assert_mp_error(token(client, assertion(aud=[issuer])), "MP-110", text("MP-110"), "array")


def test_aud_as_the_token_endpoint_is_refused(client, assertion, service):
    assert_mp_error(token(client, assertion(aud=f"{service.base_url}/token")), "MP-110")


# -- required claims ----------------------------------------------------------------------------------------
def test_a_grant_without_iss_is_refused(client, assertion):
    assert_mp_error(token(client, assertion(iss=REMOVE)), "MP-011", text("MP-011"), "iss")


def test_a_grant_without_iat_is_refused(client, assertion):
    assert_mp_error(token(client, assertion(iat=REMOVE)), "MP-011", text("MP-011"), "iat")


def test_a_grant_without_scope_is_refused(client, assertion):
    assert_mp_error(token(client, assertion(scope=REMOVE)), "MP-011", text("MP-011"), "scope")


def test_an_unknown_claim_is_refused(client, assertion):
    answer = token(client, assertion(client_orgno=INSURER_ORG))
    assert_mp_error(answer, "MP-011", text("MP-011"), "client_orgno")


@pytest.mark.parametrize("value", [float("nan"), float("inf"), 10**400, "1700000000", True])
def test_iat_that_is_no_numeric_date_is_refused(client, assertion, clock, value):
    """Python's json reads NaN, Infinity and huge integers; none of them is a time."""
    answer = token(client, assertion(iat=value, exp=clock.epoch() + 60))
    assert_mp_error(answer, "MP-011", text("MP-011"), "iat")


def test_a_lone_surrogate_in_a_claim_is_refused(client, assertion):
    assert_mp_error(token(client, assertion(jti="\ud800")), "MP-011")


@pytest.mark.parametrize("part", ["header", "claims"])
def test_deeply_nested_json_is_refused(client, credentials, part):
    deep = "[" * 5000 + "]" * 5000
    header = json.dumps({"alg": "RS256", "x5c": credentials.x5c()}) if part == "claims" else f'{{"alg": {deep}}}'
    claims = f'{{"scope": {deep}}}' if part == "claims" else "{}"
    grant = f"{b64url(header.encode())}.{b64url(claims.encode())}.c2lnbmF0dXJl"
    assert len(grant) < 60_000
    assert_mp_error(token(client, grant), "MP-011")


# -- lifetime and clock skew --------------------------------------------------------------------------------
def test_a_lifetime_of_181_seconds_is_refused(client, assertion):
    assert_mp_error(token(client, assertion(lifetime=181)), "MP-130", text("MP-130"), mp.TOO_LONG_LIFETIME)


def test_a_lifetime_of_180_seconds_is_accepted(client, assertion):
    """The real server allows 180 s (Altinn/altinn-studio#19603), more than the documented 120 s."""
    ok(token(client, assertion(lifetime=180)))


@STRICT
def test_strict_mode_refuses_121_seconds_and_accepts_120(client, assertion):
    assert_mp_error(token(client, assertion(lifetime=121)), "MP-130", text("MP-130"), mp.TOO_LONG_LIFETIME)
    ok(token(client, assertion(lifetime=120)))


def test_iat_11_seconds_in_the_future_is_refused(client, assertion, clock):
    answer = token(client, assertion(iat=clock.epoch() + 11))
    assert_mp_error(answer, "MP-130", text("MP-130"), mp.ISSUED_IN_FUTURE)


def test_iat_9_seconds_in_the_future_is_accepted(client, assertion, clock):
    ok(token(client, assertion(iat=clock.epoch() + 9)))


def test_exp_11_seconds_in_the_past_is_refused(client, assertion, clock):
    now = clock.epoch()
    assert_mp_error(token(client, assertion(iat=now - 131, exp=now - 11)), "MP-130")


def test_exp_9_seconds_in_the_past_is_accepted(client, assertion, clock):
    now = clock.epoch()
    ok(token(client, assertion(iat=now - 129, exp=now - 9)))


def test_a_grant_issued_60_seconds_ago_is_accepted_by_default(client, assertion, clock):
    """The real server only checks that iat is not in the future and exp not in the past (each
    with 10 s skew), so a grant made a minute ago that has not expired is still taken. The
    documentation's "iat within ±10 s" is applied only in strict mode (next test)."""
    ok(token(client, assertion(iat=clock.epoch() - 60)))


@STRICT
def test_strict_mode_refuses_a_grant_issued_60_seconds_ago(client, assertion, clock):
    answer = token(client, assertion(iat=clock.epoch() - 60))
    assert_mp_error(answer, "MP-130", text("MP-130"), mp.ISSUED_TOO_LONG_AGO)


def test_nbf_in_the_future_is_refused(client, assertion, clock):
    answer = token(client, assertion(nbf=clock.epoch() + 30))
    assert_mp_error(answer, "MP-130", text("MP-130"), mp.NOT_YET_VALID)


def test_a_grant_ages_out_as_the_clock_moves(client, assertion, clock):
    grant = assertion()
    clock.move(131)  # exp (iat + 120) is now 11 s in the past
    assert_mp_error(token(client, grant), "MP-130")


# -- jti --------------------------------------------------------------------------------------------------------
def test_a_replayed_jti_is_refused(client, assertion):
    grant = assertion()
    ok(token(client, grant))
    assert_mp_error(token(client, grant), "MP-012")
    assert_mp_error(token(client, assertion(jti=claims_of(grant)["jti"])), "MP-012")


def test_a_jti_is_remembered_while_its_grant_could_be_valid_and_forgotten_after(client, assertion, clock):
    """Maskinporten remembers a used ``jti`` until the grant's ``exp`` plus the clock skew it allows
    (10 s): a grant with the same ``jti`` is refused up to that second and accepted after it."""
    jti = str(uuid.uuid4())
    used = assertion(jti=jti)
    ok(token(client, used))
    remembered_until = claims_of(used)["exp"] + 10
    clock.move(remembered_until - clock.epoch())
    assert_mp_error(token(client, assertion(jti=jti)), "MP-012")  # the last second it is remembered
    clock.move(1)
    ok(token(client, assertion(jti=jti)))  # forgotten: a new grant may carry it again
    assert_mp_error(token(client, assertion(jti=jti)), "MP-012")  # and that use is remembered in turn


def test_a_refused_grant_does_not_use_up_its_jti(client, assertion):
    jti = str(uuid.uuid4())
    assert_mp_error(token(client, assertion(jti=jti, scope="altinn:no-such-scope")), "MP-200")
    ok(token(client, assertion(jti=jti)))
    assert_mp_error(token(client, assertion(jti=jti)), "MP-012")


# -- scopes and access ---------------------------------------------------------------------------------------
def test_a_scope_not_registered_on_the_client_is_refused(client, assertion):
    created = client.post("/_sandbox/scopes", json={"scope": "nav:annet/v1/ting", "owner_org": "889640782"})
    assert created.status_code == 201
    answer = token(client, assertion(scope=f"{AAP} nav:annet/v1/ting"))
    assert_mp_error(answer, "MP-200", text("MP-200"), "nav:annet/v1/ting")


def test_a_scope_only_for_api_klient_is_refused(client, assertion, insurer):
    scope = "nav:api-klient/v1/kun"
    created = client.post("/_sandbox/scopes", json={"scope": scope, "allowed_integration_types": ["api_klient"]})
    assert created.status_code == 201
    second = register_client(client, scopes=[scope])
    grant_access(client, INSURER_ORG, scope)
    answer = token(client, assertion(iss=second["client_id"], scope=scope))
    assert_mp_error(answer, "MP-201", text("MP-201"), scope)


def test_a_consumer_not_on_the_access_list_is_refused(client, assertion):
    revoked = client.delete(f"/_sandbox/scopes/access/{INSURER_ORG}?scope={AAP}")
    assert revoked.status_code == 200 and revoked.get_json()["state"] == "DENIED"
    answer = token(client, assertion(scope=AAP))
    assert_mp_error(answer, "MP-250", f"Consumer {INSURER_ORG} has not been granted access to the scope {AAP}")
    ok(token(client, assertion(scope=UFORE)))  # the other scopes are untouched


# -- consumer_org (delegation) ----------------------------------------------------------------------------------
def test_consumer_org_equal_to_the_client_org_is_refused(client, assertion):
    answer = token(client, assertion(consumer_org=INSURER_ORG))
    assert_mp_error(answer, "MP-011", text("MP-011"), mp.CONSUMER_ORG_IS_CLIENT)


@pytest.fixture
def customer_access(client):
    """The customer (consumer_org) on the DSOP scopes' access lists, as the API owner must put it."""
    for scope in (AAP, UFORE):
        assert client.put(f"/_sandbox/scopes/access/{CUSTOMER_ORG}?scope={scope}").status_code == 200


def test_consumer_org_without_a_delegation_is_refused(client, assertion, customer_access):
    answer = token(client, assertion(consumer_org=CUSTOMER_ORG))
    assert_mp_error(answer, "MP-251", text("MP-251"), CUSTOMER_ORG, AAP)


def test_consumer_org_not_on_the_access_list_is_refused_even_with_a_delegation(client, assertion):
    client.post("/_sandbox/delegations", json={"scope": AAP, "consumer_org": CUSTOMER_ORG, "supplier_org": INSURER_ORG})
    answer = token(client, assertion(consumer_org=CUSTOMER_ORG))
    assert_mp_error(answer, "MP-250", f"Consumer {CUSTOMER_ORG} has not been granted access to the scope {AAP}")


def test_consumer_org_on_a_scope_that_cannot_be_delegated_is_refused(client, assertion, customer_access):
    client.post(
        "/_sandbox/scopes", json={"scope": "nav:test/local", "owner_org": "889640782", "accessible_for_all": True}
    )
    registered = client.post("/_sandbox/clients", json={"org": INSURER_ORG, "scopes": ["nav:test/local"]}).json
    answer = token(client, assertion(iss=registered["client_id"], scope="nav:test/local", consumer_org=CUSTOMER_ORG))
    assert_mp_error(answer, "MP-011", mp.CONSUMER_ORG_IS_CLIENT, "cannot be delegated")


def test_consumer_org_that_is_no_org_number_is_refused(client, assertion):
    assert_mp_error(token(client, assertion(consumer_org="310000018")), "MP-011", text("MP-011"), "consumer_org")


def test_consumer_org_with_a_delegation_gives_the_customer_as_consumer(client, assertion, service, customer_access):
    delegated = client.post(
        "/_sandbox/delegations", json={"scope": AAP, "consumer_org": CUSTOMER_ORG, "supplier_org": INSURER_ORG}
    )
    assert delegated.status_code == 201
    claims = claims_of(ok(token(client, assertion(consumer_org=CUSTOMER_ORG)))["access_token"])
    assert claims["consumer"] == {"authority": "iso6523-actorid-upis", "ID": f"0192:{CUSTOMER_ORG}"}
    assert claims["supplier"] == {"authority": "iso6523-actorid-upis", "ID": f"0192:{INSURER_ORG}"}
    assert claims["delegation_source"] == service.delegation_source
    assert claims["delegation_source"].endswith("/")
    # the delegation covers one scope only
    assert_mp_error(token(client, assertion(consumer_org=CUSTOMER_ORG, scope=f"{AAP} {UFORE}")), "MP-251")


# -- optional claims ---------------------------------------------------------------------------------------------
def test_resource_as_a_string_is_refused(client, assertion):
    answer = token(client, assertion(resource="https://nav.example/api"))
    assert_mp_error(answer, "MP-011", text("MP-011"), "resource")


def test_resource_as_an_array_becomes_the_token_audience(client, assertion):
    claims = claims_of(ok(token(client, assertion(resource=["https://nav.example/api"])))["access_token"])
    assert claims["aud"] == "https://nav.example/api"
    two = ["https://nav.example/a", "https://nav.example/b"]
    assert claims_of(ok(token(client, assertion(resource=two)))["access_token"])["aud"] == two


def test_a_real_looking_pid_is_refused(client, assertion):
    assert_mp_error(token(client, assertion(pid="23079421936")), "MP-011", text("MP-011"), "pid")


def test_a_synthetic_pid_ends_up_in_the_token(client, assertion):
    claims = claims_of(ok(token(client, assertion(pid=SYNTHETIC_PID)))["access_token"])
    assert claims["pid"] == SYNTHETIC_PID


def test_iss_onbehalfof_is_refused(client, assertion):
    assert_mp_error(token(client, assertion(iss_onbehalfof="sub-client")), "MP-011", text("MP-011"), "iss_onbehalfof")


def test_an_unknown_authorization_details_type_is_refused(client, assertion):
    answer = token(client, assertion(authorization_details=[{"type": "urn:altinn:concent", "id": "x"}]))
    assert_mp_error(answer, "MP-301", text("MP-301"), "urn:altinn:concent")


def test_authorization_details_that_are_not_an_array_are_refused(client, assertion):
    answer = token(client, assertion(authorization_details={"type": "urn:altinn:consent"}))
    assert_mp_error(answer, "MP-303")


# -- the form ---------------------------------------------------------------------------------------------------------
def test_a_wrong_grant_type_is_refused(client, assertion):
    answer = token(client, assertion(), grant_type="client_credentials")
    body = assert_oauth_error(answer, 400, "unsupported_grant_type")
    assert JWT_BEARER in body["error_description"]


def test_a_missing_grant_type_is_refused(client, assertion):
    assert_oauth_error(token(client, assertion(), grant_type=REMOVE), 400, "invalid_request")


def test_a_missing_assertion_is_refused(client):
    assert_mp_error(client.post("/token", data={"grant_type": JWT_BEARER}), "MP-011", text("MP-011"), "assertion")


def test_an_assertion_that_is_no_jwt_is_refused(client):
    assert_mp_error(client.post("/token", data={"grant_type": JWT_BEARER, "assertion": "not.a.jwt"}), "MP-011")


def test_a_json_body_is_refused(client, assertion):
    answer = client.post("/token", json={"grant_type": JWT_BEARER, "assertion": assertion()})
    body = assert_oauth_error(answer, 400, "invalid_request")
    assert "application/x-www-form-urlencoded" in body["error_description"]


def test_a_body_over_the_size_limit_is_refused_in_maskinporten_shape(client, assertion, settings):
    padding = "x" * settings.max_body_bytes
    answer = client.post("/token", data={"grant_type": JWT_BEARER, "assertion": assertion(), "padding": padding})
    assert_oauth_error(answer, 413, "invalid_request")


def test_get_token_is_405_in_json(client):
    answer = client.get("/token")
    assert_oauth_error(answer, 405, "invalid_request")
    assert "POST" in answer.headers["Allow"]


def test_every_error_uri_leads_to_a_page(client, assertion):
    body = assert_mp_error(token(client, assertion(iss="no-such-client")), "MP-100")
    page = client.get(urlsplit(body["error_uri"]).path)
    assert page.status_code == 200 and "MP-100" in page.get_data(as_text=True)
    assert client.get("/errors/MP-999").status_code == 404


def test_the_dsop_scopes_are_seeded(client):
    listed = {scope["scope"] for scope in client.get("/_sandbox/scopes").get_json()["scopes"]}
    assert set(DSOP_SCOPES) <= listed
    # what the control plane gives a registered insurer, over HTTP
    assert client.get("/_sandbox/scopes/dsop").get_json() == {"scopes": list(DSOP_SCOPES)}


def test_the_x5c_may_carry_the_full_chain_with_the_root(client, assertion, credentials):
    ok(token(client, assertion(headers={"x5c": x5c_of(credentials.chain)})))


def test_the_x5c_must_carry_the_issuing_ca(client, assertion, credentials):
    assert_mp_error(token(client, assertion(headers={"x5c": x5c_of(credentials.chain[:1])})), "MP-120")


def test_x5c_in_urlsafe_base64_is_refused(client, assertion, credentials):
    urlsafe = [base64.urlsafe_b64encode(base64.b64decode(item)).decode() for item in credentials.x5c()]
    assert urlsafe != credentials.x5c()  # DER of this size always has a '+' or '/' somewhere
    assert_mp_error(token(client, assertion(headers={"x5c": urlsafe})), "MP-123")
