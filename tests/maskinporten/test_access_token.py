"""The access token Maskinporten mints, its lifetime, verifying it from /jwk, key rotation,
and the metadata the service publishes (and does not publish)."""

from __future__ import annotations

import re
import threading

import jwt
import pytest
import requests
from werkzeug.serving import make_server

from .conftest import (
    INSURER_ORG,
    JWT_BEARER,
    OWN_AUTHORITY,
    claims_of,
    grant_access,
    register_client,
    token,
)

AAP = "nav:arbeid/v1/aap"
UFORE = "nav:helse/v1/uforeopplysninger"
BASE64URL = re.compile(r"^[A-Za-z0-9_-]+$")


def issued(client, grant) -> tuple[dict, dict]:
    """(token response, access token claims) for a grant that must succeed."""
    answer = token(client, grant)
    assert answer.status_code == 200, answer.get_data(as_text=True)
    body = answer.get_json()
    return body, claims_of(body["access_token"])


def test_the_token_has_maskinportens_claims(client, assertion, client_id, issuer, clock, authority):
    body, claims = issued(client, assertion(scope=f"{AAP} {UFORE}"))
    assert claims["iss"] == issuer and issuer.endswith("/")
    assert claims["client_id"] == client_id
    assert claims["client_amr"] == "virksomhetssertifikat"
    assert claims["consumer"] == {"authority": "iso6523-actorid-upis", "ID": f"0192:{INSURER_ORG}"}
    assert claims["scope"] == f"{AAP} {UFORE}" == body["scope"]
    assert claims["token_type"] == "Bearer" == body["token_type"]
    assert claims["iat"] == clock.epoch()
    assert claims["exp"] == claims["iat"] + 120
    assert isinstance(claims["jti"], str) and BASE64URL.match(claims["jti"]) and len(claims["jti"]) >= 22
    assert set(claims) == {"iss", "client_id", "client_amr", "consumer", "scope", "token_type", "iat", "exp", "jti"}
    header = jwt.get_unverified_header(body["access_token"])
    assert header["alg"] == "RS256"
    assert header["kid"] == authority.signing_key("maskinporten").kid


def test_no_aud_without_resource(client, assertion):
    _, claims = issued(client, assertion())
    assert "aud" not in claims and "supplier" not in claims and "pid" not in claims


def test_expires_in_is_exp_minus_iat_and_120_by_default(client, assertion):
    body, claims = issued(client, assertion())
    assert body["expires_in"] == claims["exp"] - claims["iat"] == 120


def test_the_lifetime_does_not_follow_the_grant(client, assertion):
    body, claims = issued(client, assertion(lifetime=30))
    assert body["expires_in"] == claims["exp"] - claims["iat"] == 120


def test_every_token_has_its_own_jti(client, assertion):
    jtis = {issued(client, assertion())[1]["jti"] for _ in range(3)}
    assert len(jtis) == 3


def test_the_lifetime_admin_changes_the_next_token(client, assertion):
    _, before = issued(client, assertion())
    changed = client.post("/_sandbox/lifetimes", json={"maskinporten.access_token": 60})
    assert changed.status_code == 200
    assert changed.get_json()["lifetimes"]["maskinporten.access_token"] == 60
    body, claims = issued(client, assertion())
    assert body["expires_in"] == claims["exp"] - claims["iat"] == 60
    assert before["exp"] - before["iat"] == 120  # tokens already issued are not touched
    assert client.delete("/_sandbox/lifetimes").status_code == 200
    body, claims = issued(client, assertion())
    assert body["expires_in"] == claims["exp"] - claims["iat"] == 120


def test_a_scopes_at_max_age_caps_the_lifetime(client, assertion, insurer):
    created = client.post("/_sandbox/scopes", json={"scope": "nav:kort/v1/levetid", "at_max_age": 30})
    assert created.status_code == 201 and created.get_json()["at_max_age"] == 30
    capped = register_client(client, scopes=["nav:kort/v1/levetid", AAP])
    grant_access(client, INSURER_ORG, "nav:kort/v1/levetid")
    body, claims = issued(client, assertion(iss=capped["client_id"], scope="nav:kort/v1/levetid"))
    assert body["expires_in"] == claims["exp"] - claims["iat"] == 30
    body, _ = issued(client, assertion(iss=capped["client_id"], scope=AAP))
    assert body["expires_in"] == 120
    body, _ = issued(client, assertion(iss=capped["client_id"], scope=f"{AAP} nav:kort/v1/levetid"))
    assert body["expires_in"] == 30  # the lowest value wins


def test_the_clients_own_lifetime_wins_over_the_default(client, assertion, insurer):
    long_lived = register_client(client, access_token_lifetime=600)
    body, claims = issued(client, assertion(iss=long_lived["client_id"]))
    assert body["expires_in"] == claims["exp"] - claims["iat"] == 600


# -- verifying the token as an API provider does ---------------------------------------------------------------
@pytest.fixture
def served(app):
    """The app on a real socket (port 0: any free port), for clients that speak HTTP."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()


@pytest.fixture
def http():
    with requests.Session() as session:
        session.trust_env = False
        yield session


def fetch_token(http, base: str, grant: str) -> str:
    answer = http.post(f"{base}/token", data={"grant_type": JWT_BEARER, "assertion": grant}, timeout=10)
    assert answer.status_code == 200, answer.text
    assert answer.headers["Content-Type"].startswith("application/json")
    return answer.json()["access_token"]


def verify(jwks: jwt.PyJWKClient, access_token: str, issuer: str) -> dict:
    key = jwks.get_signing_key_from_jwt(access_token)
    return jwt.decode(access_token, key.key, algorithms=["RS256"], options={"verify_aud": False}, issuer=issuer)


@OWN_AUTHORITY
def test_the_token_verifies_against_jwk_and_survives_rotation(served, http, assertion, issuer):
    jwks = jwt.PyJWKClient(f"{served}/jwk")
    old_token = fetch_token(http, served, assertion())
    claims = verify(jwks, old_token, issuer)
    assert claims["consumer"]["ID"] == f"0192:{INSURER_ORG}"
    old_kid = jwt.get_unverified_header(old_token)["kid"]
    assert [key["kid"] for key in http.get(f"{served}/jwk", timeout=10).json()["keys"]] == [old_kid]

    rotated = http.post(f"{served}/_sandbox/keys/rotate", timeout=30)
    assert rotated.status_code == 200
    new_kid = rotated.json()["signing_kid"]
    assert new_kid != old_kid
    published = http.get(f"{served}/jwk", timeout=10).json()["keys"]
    assert [key["kid"] for key in published] == [new_kid, old_kid]

    new_token = fetch_token(http, served, assertion())
    assert jwt.get_unverified_header(new_token)["kid"] == new_kid
    assert verify(jwks, old_token, issuer)["jti"] == claims["jti"]  # from the cached set
    # PyJWT refetches a set for an unknown kid only 30 s after its last fetch (cooldown_duration),
    # so a provider that fetched just now sees the new key with a fresh client (or after 30 s).
    after = jwt.PyJWKClient(f"{served}/jwk")
    new_claims = verify(after, new_token, issuer)
    assert new_claims["iss"] == issuer and new_claims["jti"] != claims["jti"]
    assert verify(after, old_token, issuer)["jti"] == claims["jti"]  # the old key is still published


def test_the_token_does_not_verify_with_another_issuer(client, assertion, authority):
    body, _ = issued(client, assertion())
    key = authority.signing_key("maskinporten").private_key.public_key()
    with pytest.raises(jwt.InvalidIssuerError):
        jwt.decode(body["access_token"], key, algorithms=["RS256"], issuer="http://localhost:7102")


def test_jwk_publishes_the_signing_key(client, authority):
    answer = client.get("/jwk")
    assert answer.status_code == 200 and answer.mimetype == "application/json"
    (key,) = answer.get_json()["keys"]
    assert key["kty"] == "RSA" and key["use"] == "sig" and key["alg"] == "RS256"
    assert key["kid"] == authority.signing_key("maskinporten").kid
    assert key["x5c"] and key["x5t"]
    assert "d" not in key and "p" not in key


# -- metadata ---------------------------------------------------------------------------------------------------------
def test_the_metadata_has_exactly_the_fields_of_the_real_one(client, service):
    answer = client.get("/.well-known/oauth-authorization-server")
    assert answer.status_code == 200 and answer.mimetype == "application/json"
    base = service.base_url
    assert answer.get_json() == {
        "issuer": base + "/",
        "token_endpoint": base + "/token",
        "jwks_uri": base + "/jwk",
        "token_endpoint_auth_methods_supported": ["private_key_jwt"],
        "grant_types_supported": [JWT_BEARER],
        "token_endpoint_auth_signing_alg_values_supported": ["RS256", "RS384", "RS512"],
        # the real one lists urn:altinn:systemuser too; the sandbox advertises only what it serves
        "authorization_details_types_supported": ["urn:altinn:consent"],
    }


def test_there_is_no_openid_configuration(client):
    answer = client.get("/.well-known/openid-configuration")
    assert answer.status_code == 404 and answer.mimetype == "application/json"
    body = answer.get_json()
    assert body["error"] and "trace_id" in body["error_description"]


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_there_is_no_authorize_endpoint(client, method):
    answer = client.open("/authorize", method=method)
    assert answer.status_code == 404 and answer.mimetype == "application/json"
