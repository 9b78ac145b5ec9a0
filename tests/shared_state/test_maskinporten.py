"""Maskinporten with two workers: registrations, the jti store, lifetimes and the signing key.

Registrations were cached per process and forgotten only on writes through that process, and a
rotated key was taken up only by the process that rotated it: worker B kept granting what A had
revoked and kept signing with the old key. The jti store was in the store already (the replay
test shows it)."""

from __future__ import annotations

import uuid
from urllib.parse import quote

import jwt
import pytest

from dsop_sandbox.mocks.authority import KeyAuthority
from dsop_sandbox.mocks.common.clock import Clock
from dsop_sandbox.mocks.maskinporten import create_app
from dsop_sandbox.mocks.maskinporten.registry import DSOP_SCOPES
from tests.keys import with_test_keys
from tests.maskinporten.conftest import INSURER_ORG, enterprise_credentials, grant_access, register_client, sign_raw

JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"
SCOPE = DSOP_SCOPES[0]


@pytest.fixture
def pair(workers):
    a, b = workers("maskinporten")
    client_a = a.test_client()
    registered = register_client(client_a)
    grant_access(client_a, INSURER_ORG, SCOPE)
    return a, b, registered["client_id"]


def grant(app, client_id: str, jti: str | None = None) -> str:
    service = app.extensions["maskinporten"]
    credentials = enterprise_credentials(service.authority, INSURER_ORG)
    now = service.registry.clock.epoch()
    claims = {
        "aud": service.issuer,
        "iss": client_id,
        "scope": SCOPE,
        "iat": now,
        "exp": now + 60,
        "jti": jti or str(uuid.uuid4()),
    }
    return sign_raw({"alg": "RS256", "x5c": credentials.x5c()}, claims, credentials.private_key)


def token(app, client_id: str, assertion: str | None = None):
    form = {"grant_type": JWT_BEARER, "assertion": assertion or grant(app, client_id)}
    return app.test_client().post("/token", data=form)


def test_a_client_registered_through_one_worker_gets_tokens_from_the_other(pair):
    """(Shared before issue 18: registrations are store rows; B had cached nothing yet.)"""
    _, b, client_id = pair
    answer = token(b, client_id)
    assert answer.status_code == 200, answer.get_data(as_text=True)
    assert answer.get_json()["scope"] == SCOPE


def test_access_revoked_through_one_worker_is_refused_by_the_other(pair):
    a, b, client_id = pair
    assert token(b, client_id).status_code == 200  # B has the access list entry in its cache now
    revoked = a.test_client().delete(f"/_sandbox/scopes/access/{INSURER_ORG}?scope={quote(SCOPE, safe='')}")
    assert revoked.status_code == 200, revoked.get_data(as_text=True)
    refused = token(b, client_id)
    assert refused.status_code == 400
    assert refused.get_json()["error"] == "invalid_scope"


def test_a_client_deleted_through_one_worker_is_unknown_to_the_other(pair):
    a, b, client_id = pair
    assert token(b, client_id).status_code == 200
    assert a.test_client().delete(f"/_sandbox/clients/{client_id}").status_code in (200, 204)
    refused = token(b, client_id)
    assert refused.status_code == 400
    assert refused.get_json()["error"] == "invalid_grant"
    assert "Client not found." in refused.get_json()["error_description"]  # MP-100


def test_a_jti_used_at_one_worker_is_refused_at_the_other(pair):
    """(Shared before issue 18: the jti store is a table.)"""
    a, b, client_id = pair
    assertion = grant(a, client_id)
    assert token(a, client_id, assertion).status_code == 200
    replayed = token(b, client_id, assertion)
    assert replayed.status_code == 400
    assert replayed.get_json()["error"] == "invalid_grant"


def test_a_lifetime_set_through_one_worker_is_in_the_others_tokens(pair):
    a, b, client_id = pair
    a.test_client().post("/_sandbox/lifetimes", json={"maskinporten.access_token": 42})
    answer = token(b, client_id).get_json()
    assert answer["expires_in"] == 42
    claims = jwt.decode(answer["access_token"], options={"verify_signature": False})
    assert claims["exp"] - claims["iat"] == 42


def test_a_key_rotated_through_one_worker_signs_the_others_next_token(pair):
    a, b, client_id = pair
    before = jwt.get_unverified_header(token(b, client_id).get_json()["access_token"])["kid"]
    rotated = a.test_client().post("/_sandbox/keys/rotate").get_json()
    assert rotated["signing_kid"] != before and rotated["published"] == [rotated["signing_kid"], before]
    after = jwt.get_unverified_header(token(b, client_id).get_json()["access_token"])["kid"]
    assert after == rotated["signing_kid"]
    published = [key["kid"] for key in b.test_client().get("/jwk").get_json()["keys"]]
    assert published == rotated["published"]  # B publishes the new key too, and keeps the old one
    assert b.test_client().get("/_sandbox/keys").get_json()["signing_kid"] == after


def test_hosts_with_key_directories_of_their_own_on_one_database_rotate_as_one(settings, now, tmp_path):
    """Two hosts on one database (here: one state directory's store), each with its own copy of the
    key directory: a rotation through either host signs and is published by both, and a rotation
    through the second counts on from the first's."""
    clocks = [Clock(), Clock()]
    for clock in clocks:
        clock.freeze(now)
    own_keys = with_test_keys(tmp_path / "second-host")
    a = create_app(settings, authority=KeyAuthority.open(settings.state_dir, clocks[0].now()), clock=clocks[0])
    b = create_app(settings, authority=KeyAuthority.open(own_keys, clocks[1].now()), clock=clocks[1])
    try:
        client_a = a.test_client()
        client_id = register_client(client_a)["client_id"]
        grant_access(client_a, INSURER_ORG, SCOPE)
        first = client_a.post("/_sandbox/keys/rotate").get_json()
        assert _kid(token(b, client_id)) == first["signing_kid"]
        assert [key["kid"] for key in b.test_client().get("/jwk").get_json()["keys"]] == first["published"]
        second = b.test_client().post("/_sandbox/keys/rotate").get_json()
        assert second["published"] == [second["signing_kid"], first["signing_kid"]]
        assert _kid(token(a, client_id)) == second["signing_kid"]
        assert b.extensions["maskinporten"].authority.signing_key("maskinporten").generation == 3
    finally:
        for app in (a, b):
            app.extensions["sandbox"].store.close()


def _kid(answer) -> str:
    assert answer.status_code == 200, answer.get_data(as_text=True)
    return jwt.get_unverified_header(answer.get_json()["access_token"])["kid"]
