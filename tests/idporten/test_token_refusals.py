"""``/token``: every refusal with its OAuth error, client authentication of each kind, refresh tokens,
and the sandbox faults that make the token endpoint fail or slow down."""

from __future__ import annotations

import base64
import time

import jwt
import pytest

from tests.idporten.support import (
    ASSERTION_TYPE,
    JWK_KID,
    OTHER_REDIRECT_URI,
    REDIRECT_URI,
    REMOVE,
    assert_oauth_error,
    b64url,
    client_assertion,
    new_verifier,
    sign_raw,
)


@pytest.fixture
def client(idp) -> dict:
    return idp.register()


@pytest.fixture
def refreshing(idp) -> dict:
    return idp.register(grant_types=["authorization_code", "refresh_token"])


@pytest.fixture
def jwt_client(idp) -> dict:
    return idp.register("private_key_jwt")


def test_a_good_exchange_answers_without_caching(idp, client):
    flow = idp.login(client)
    answer = idp.redeem(flow)
    assert answer.status_code == 200
    assert answer.headers["Cache-Control"] == "no-store" and answer.headers["Pragma"] == "no-cache"
    assert set(answer.get_json()) == {"access_token", "id_token", "token_type", "expires_in", "scope"}


# -- the code and its binding ----------------------------------------------------------------------------
def test_another_redirect_uri_at_the_token_endpoint_is_invalid_grant(idp):
    client = idp.register(redirect_uris=[REDIRECT_URI, OTHER_REDIRECT_URI])
    flow = idp.login(client)
    assert_oauth_error(idp.redeem(flow, redirect_uri=OTHER_REDIRECT_URI), 400, "invalid_grant")


def test_a_missing_redirect_uri_at_the_token_endpoint_is_invalid_grant(idp, client):
    assert_oauth_error(idp.redeem(idp.login(client), redirect_uri=REMOVE), 400, "invalid_grant")


def test_a_wrong_code_verifier_is_invalid_grant(idp, client):
    body = assert_oauth_error(idp.redeem(idp.login(client), code_verifier=new_verifier()), 400, "invalid_grant")
    assert "code_verifier" in body["error_description"]


@pytest.mark.parametrize(
    "verifier", [None, "short", "x" * 129, "ugyldig tegn " * 4], ids=["missing", "short", "long", "bad-characters"]
)
def test_a_missing_or_malformed_code_verifier_is_invalid_grant(idp, client, verifier):
    assert_oauth_error(idp.redeem(idp.login(client), code_verifier=verifier), 400, "invalid_grant")


def test_the_rfc7636_test_vector_verifier_is_accepted(idp, client):
    verifier = "xyo94uhy3zKvgB0NJwLms86SwcjtWviEOpkBnGgaLlo"  # -> b7elB7ZyxIXgFyvBznKvxl7wOB-H17Pz0a3B62NIMFI
    flow = idp.authorize(client, verifier=verifier)
    assert flow.params["code_challenge"] == "b7elB7ZyxIXgFyvBznKvxl7wOB-H17Pz0a3B62NIMFI"
    idp.submit_login(flow)
    assert idp.redeem(flow).status_code == 200


def test_a_reused_code_is_invalid_grant_and_revokes_what_the_first_use_gave(idp, refreshing):
    flow = idp.login(refreshing)
    first = idp.redeem(flow)
    assert first.status_code == 200
    refresh_token = first.get_json()["refresh_token"]
    body = assert_oauth_error(idp.redeem(flow), 400, "invalid_grant")
    assert "used" in body["error_description"]
    assert_oauth_error(idp.refresh(refreshing, refresh_token), 400, "invalid_grant")


def test_reuse_also_revokes_the_rotated_refresh_tokens(idp, refreshing):
    flow = idp.login(refreshing)
    first = idp.redeem(flow).get_json()["refresh_token"]
    rotated = idp.refresh(refreshing, first).get_json()["refresh_token"]
    assert_oauth_error(idp.redeem(flow), 400, "invalid_grant")
    assert_oauth_error(idp.refresh(refreshing, rotated), 400, "invalid_grant")


def test_an_expired_code_is_invalid_grant(idp, client, clock):
    flow = idp.login(client)
    clock.move(61)  # idporten.authorization_code is 60 s
    body = assert_oauth_error(idp.redeem(flow), 400, "invalid_grant")
    assert "expired" in body["error_description"]


def test_the_code_lifetime_follows_the_lifetimes_api(idp, client, clock):
    assert idp.admin("/lifetimes", {"idporten.authorization_code": 5})["lifetimes"]["idporten.authorization_code"] == 5
    fresh = idp.login(client)
    clock.move(5)
    assert idp.redeem(fresh).status_code == 200  # exactly at the limit: still valid
    late = idp.login(client)
    clock.move(6)
    assert_oauth_error(idp.redeem(late), 400, "invalid_grant")


def test_a_code_issued_to_another_client_is_invalid_grant(idp, client):
    flow = idp.login(client)
    thief = idp.register()
    body = assert_oauth_error(idp.redeem(flow, thief), 400, "invalid_grant")
    assert "another client" in body["error_description"]


@pytest.mark.parametrize("code", ["", "not-a-code"], ids=["empty", "unknown"])
def test_an_unknown_code_is_invalid_grant(idp, client, code):
    flow = idp.login(client)
    flow.callback["code"] = code
    assert_oauth_error(idp.redeem(flow), 400, "invalid_grant")


def test_a_public_client_must_send_its_verifier(idp):
    public = idp.register("none")
    assert_oauth_error(idp.redeem(idp.login(public), code_verifier=None), 400, "invalid_grant")


# -- client authentication ---------------------------------------------------------------------------------
def test_a_wrong_basic_secret_is_invalid_client_with_www_authenticate(idp, client):
    flow = idp.login(client)
    answer = idp.redeem(flow, client | {"client_secret": "wrong"})
    assert_oauth_error(answer, 401, "invalid_client")
    assert answer.headers["WWW-Authenticate"].startswith("Basic")
    assert idp.redeem(flow).status_code == 200  # authentication failed before the code was used


def test_a_malformed_basic_header_is_invalid_client(idp, client):
    form = {"grant_type": "authorization_code", "code": idp.login(client).code}
    for header in ("Basic !!!", "Basic " + b64url(b"\xff\xfe:x"), "Basic ÆØÅ"):
        answer = idp.post_token(None, form, headers={"Authorization": header})
        assert_oauth_error(answer, 401, "invalid_client")
        assert answer.headers["WWW-Authenticate"].startswith("Basic")


def test_a_wrong_post_secret_is_invalid_client(idp):
    client = idp.register("client_secret_post")
    assert_oauth_error(idp.redeem(idp.login(client), client | {"client_secret": "wrong"}), 401, "invalid_client")


def test_a_client_registered_for_basic_using_post_is_invalid_client(idp, client):
    body = assert_oauth_error(
        idp.redeem(idp.login(client), client | {"token_endpoint_auth_method": "client_secret_post"}),
        401,
        "invalid_client",
    )
    assert "client_secret_basic" in body["error_description"]


def test_a_confidential_client_without_authentication_is_invalid_client(idp, client):
    assert_oauth_error(
        idp.redeem(idp.login(client), client | {"token_endpoint_auth_method": "none"}), 401, "invalid_client"
    )


def test_no_client_at_all_is_invalid_client(idp, client):
    answer = idp.post_token(None, {"grant_type": "authorization_code", "code": idp.login(client).code})
    assert_oauth_error(answer, 401, "invalid_client")


def test_an_unknown_client_is_invalid_client(idp):
    stranger = {"client_id": "nobody", "client_secret": "x", "token_endpoint_auth_method": "client_secret_basic"}
    assert_oauth_error(
        idp.post_token(stranger, {"grant_type": "authorization_code", "code": "x"}), 401, "invalid_client"
    )


# -- private_key_jwt ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("audience", ["issuer", "token_endpoint"])
def test_private_key_jwt_is_accepted_with_the_issuer_or_the_token_endpoint_as_audience(
    idp, jwt_client, client_key, clock, audience
):
    aud = idp.issuer if audience == "issuer" else idp.issuer + "/token"
    assertion = client_assertion(jwt_client["client_id"], aud, client_key, now=clock.epoch())
    answer = idp.post_token(jwt_client, _code_form(idp, jwt_client), assertion=assertion)
    assert answer.status_code == 200, answer.get_data(as_text=True)
    claims = jwt.decode(answer.get_json()["access_token"], options={"verify_signature": False})
    assert claims["client_amr"] == "private_key_jwt" and claims["client_id"] == jwt_client["client_id"]


def _code_form(idp, client) -> dict:
    flow = idp.login(client)
    return {
        "grant_type": "authorization_code",
        "code": flow.code,
        "redirect_uri": REDIRECT_URI,
        "code_verifier": flow.verifier,
    }


def _assertion_refused(idp, jwt_client, assertion: str, status: int = 401, error: str = "invalid_client") -> dict:
    return assert_oauth_error(
        idp.post_token(jwt_client, _code_form(idp, jwt_client), assertion=assertion), status, error
    )


def test_private_key_jwt_with_an_enterprise_certificate(idp, enterprise, clock):
    client = idp.register("private_key_jwt", org="310000019", jwks=None)
    keys = enterprise["310000019"]
    assertion = client_assertion(
        client["client_id"], idp.issuer, keys.private_key, now=clock.epoch(), header={"kid": REMOVE, "x5c": keys.x5c()}
    )
    answer = idp.post_token(client, _code_form(idp, client), assertion=assertion)
    assert answer.status_code == 200, answer.get_data(as_text=True)


def test_private_key_jwt_with_another_organisations_certificate_is_invalid_client(idp, enterprise, clock):
    client = idp.register("private_key_jwt", org="310000019", jwks=None)
    keys = enterprise["310000027"]
    assertion = client_assertion(
        client["client_id"], idp.issuer, keys.private_key, now=clock.epoch(), header={"kid": REMOVE, "x5c": keys.x5c()}
    )
    body = _assertion_refused(idp, client, assertion)
    assert "organisation number" in body["error_description"]


def test_private_key_jwt_with_a_broken_or_expired_certificate_chain_is_invalid_client(idp, enterprise, clock):
    client = idp.register("private_key_jwt", org="310000019", jwks=None)
    keys = enterprise["310000019"]
    assertion = client_assertion(
        client["client_id"],
        idp.issuer,
        keys.private_key,
        now=clock.epoch(),
        header={"kid": REMOVE, "x5c": [*keys.x5c(depth=1)[:1], "bm90IGEgY2VydA=="]},
    )
    _assertion_refused(idp, client, assertion)
    clock.move(5 * 366 * 24 * 3600)  # and one that has expired by then
    late = client_assertion(
        client["client_id"], idp.issuer, keys.private_key, now=clock.epoch(), header={"kid": REMOVE, "x5c": keys.x5c()}
    )
    body = _assertion_refused(idp, client, late, 401)
    assert "certificate" in body["error_description"]


def test_private_key_jwt_signed_with_another_key_is_invalid_client(idp, jwt_client, stranger_key, clock):
    assertion = client_assertion(jwt_client["client_id"], idp.issuer, stranger_key, now=clock.epoch())
    assert "signature" in _assertion_refused(idp, jwt_client, assertion)["error_description"]


def test_private_key_jwt_with_an_unknown_kid_is_invalid_client(idp, jwt_client, client_key, clock):
    assertion = client_assertion(jwt_client["client_id"], idp.issuer, client_key, now=clock.epoch(), kid="other")
    assert "kid" in _assertion_refused(idp, jwt_client, assertion)["error_description"]


@pytest.mark.parametrize(
    "audience",
    ["https://idporten.no", "http://localhost:7101/", ["x", "y"], None],
    ids=["production", "trailing-slash", "other-list", "missing"],
)
def test_private_key_jwt_with_a_wrong_audience_is_invalid_client(idp, jwt_client, client_key, clock, audience):
    aud = REMOVE if audience is None else audience
    assertion = client_assertion(jwt_client["client_id"], aud, client_key, now=clock.epoch())
    _assertion_refused(idp, jwt_client, assertion)


@pytest.mark.parametrize(
    "claims", [{"iss": "someone-else"}, {"sub": "someone-else"}, {"sub": REMOVE}], ids=["iss", "sub", "no-sub"]
)
def test_private_key_jwt_with_iss_or_sub_not_the_client_is_invalid_client(idp, jwt_client, client_key, clock, claims):
    assertion = client_assertion(jwt_client["client_id"], idp.issuer, client_key, now=clock.epoch(), **claims)
    _assertion_refused(idp, jwt_client, assertion)


def test_an_expired_private_key_jwt_is_invalid_client(idp, jwt_client, client_key, clock):
    assertion = client_assertion(jwt_client["client_id"], idp.issuer, client_key, now=clock.epoch() - 200)
    assert "expired" in _assertion_refused(idp, jwt_client, assertion)["error_description"]


def test_a_private_key_jwt_from_the_future_or_living_too_long_is_invalid_client(idp, jwt_client, client_key, clock):
    future = client_assertion(jwt_client["client_id"], idp.issuer, client_key, now=clock.epoch() + 60)
    _assertion_refused(idp, jwt_client, future)
    # Authlib's default assertion lives an hour; the fake allows at most 180 s (see the test report).
    hour = client_assertion(jwt_client["client_id"], idp.issuer, client_key, now=clock.epoch(), lifetime=3600)
    _assertion_refused(idp, jwt_client, hour)


@pytest.mark.parametrize("field", ["iat", "exp", "jti"])
def test_a_private_key_jwt_missing_a_claim_is_invalid_client(idp, jwt_client, client_key, clock, field):
    assertion = client_assertion(jwt_client["client_id"], idp.issuer, client_key, now=clock.epoch(), **{field: REMOVE})
    _assertion_refused(idp, jwt_client, assertion)


@pytest.mark.parametrize("value", ["NaN", "Infinity"])
@pytest.mark.parametrize("field", ["iat", "exp"])
def test_a_private_key_jwt_with_a_non_finite_time_is_invalid_client(idp, jwt_client, client_key, clock, field, value):
    assertion = client_assertion(
        jwt_client["client_id"],
        idp.issuer,
        client_key,
        now=clock.epoch(),
        **{field: float(value.lower().replace("infinity", "inf"))},
    )
    payload = base64.urlsafe_b64decode(assertion.split(".")[1] + "==").decode()
    assert f'"{field}": {value}' in payload  # json.dumps writes NaN / Infinity, and json.loads reads them
    _assertion_refused(idp, jwt_client, assertion)


def test_a_replayed_private_key_jwt_is_invalid_client(idp, jwt_client, client_key, clock):
    assertion = client_assertion(jwt_client["client_id"], idp.issuer, client_key, now=clock.epoch())
    assert idp.post_token(jwt_client, _code_form(idp, jwt_client), assertion=assertion).status_code == 200
    assert "used before" in _assertion_refused(idp, jwt_client, assertion)["error_description"]


def test_private_key_jwt_without_the_client_id_form_field_is_invalid_request(idp, jwt_client, client_key, clock):
    form = _code_form(idp, jwt_client) | {
        "client_assertion_type": ASSERTION_TYPE,
        "client_assertion": client_assertion(jwt_client["client_id"], idp.issuer, client_key, now=clock.epoch()),
    }
    body = assert_oauth_error(idp.post_token(None, form), 400, "invalid_request")
    assert "client_id" in body["error_description"]


def test_private_key_jwt_with_another_clients_client_id_is_refused(idp, jwt_client, client_key, clock):
    other = idp.register("private_key_jwt")
    form = _code_form(idp, jwt_client) | {
        "client_id": other["client_id"],
        "client_assertion_type": ASSERTION_TYPE,
        "client_assertion": client_assertion(jwt_client["client_id"], idp.issuer, client_key, now=clock.epoch()),
    }
    assert_oauth_error(idp.post_token(None, form), 401, "invalid_client")


def test_private_key_jwt_with_hs256_is_invalid_client(idp, jwt_client, clock):
    import hashlib
    import hmac
    import json

    header = b64url(json.dumps({"alg": "HS256", "kid": JWK_KID}).encode())
    now = clock.epoch()
    claims = b64url(
        json.dumps(
            {
                "iss": jwt_client["client_id"],
                "sub": jwt_client["client_id"],
                "aud": idp.issuer,
                "iat": now,
                "exp": now + 60,
                "jti": "hs",
            }
        ).encode()
    )
    signature = b64url(hmac.new(b"public-key-bytes", f"{header}.{claims}".encode(), hashlib.sha256).digest())
    body = _assertion_refused(idp, jwt_client, f"{header}.{claims}.{signature}")
    assert "HS256" in body["error_description"]


@pytest.mark.parametrize(
    "assertion",
    ["", "a.b", "not.a.jwt", "e30.e30.", "W10.e30.c2ln"],
    ids=["empty", "two-parts", "garbage", "unsigned", "array-header"],
)
def test_a_malformed_private_key_jwt_is_invalid_client(idp, jwt_client, assertion):
    _assertion_refused(idp, jwt_client, assertion)


def test_a_wrong_assertion_type_is_invalid_client(idp, jwt_client, client_key, clock):
    form = _code_form(idp, jwt_client) | {
        "client_id": jwt_client["client_id"],
        "client_assertion_type": "urn:x:saml",
        "client_assertion": client_assertion(jwt_client["client_id"], idp.issuer, client_key, now=clock.epoch()),
    }
    assert_oauth_error(idp.post_token(None, form), 401, "invalid_client")


def test_private_key_jwt_signed_by_hand_with_rs512_is_accepted(idp, jwt_client, client_key, clock):
    from cryptography.hazmat.primitives import hashes

    now = clock.epoch()
    assertion = sign_raw(
        {"alg": "RS512", "kid": JWK_KID},
        {
            "iss": jwt_client["client_id"],
            "sub": jwt_client["client_id"],
            "aud": idp.issuer,
            "iat": now,
            "exp": now + 60,
            "jti": "rs512",
        },
        client_key,
        hashes.SHA512,
    )
    assert idp.post_token(jwt_client, _code_form(idp, jwt_client), assertion=assertion).status_code == 200


# -- refresh tokens ----------------------------------------------------------------------------------------
def test_a_client_not_registered_for_refresh_gets_none_and_cannot_refresh(idp, client):
    _, tokens = idp.tokens(client)
    assert "refresh_token" not in tokens
    assert_oauth_error(idp.refresh(client, "anything"), 400, "unauthorized_client")


def test_a_public_client_cannot_refresh_even_if_registered(idp):
    public = idp.register("none", grant_types=["authorization_code", "refresh_token"])
    _, tokens = idp.tokens(public)
    assert "refresh_token" not in tokens
    assert_oauth_error(idp.refresh(public, "anything"), 400, "unauthorized_client")


def test_a_used_refresh_token_is_invalid_grant(idp, refreshing):
    _, tokens = idp.tokens(refreshing)
    rotated = idp.refresh(refreshing, tokens["refresh_token"])
    assert rotated.status_code == 200 and rotated.get_json()["refresh_token"] != tokens["refresh_token"]
    assert_oauth_error(idp.refresh(refreshing, tokens["refresh_token"]), 400, "invalid_grant")


def test_another_clients_refresh_token_is_invalid_grant(idp, refreshing):
    _, tokens = idp.tokens(refreshing)
    other = idp.register(grant_types=["authorization_code", "refresh_token"])
    assert_oauth_error(idp.refresh(other, tokens["refresh_token"]), 400, "invalid_grant")
    assert idp.refresh(refreshing, tokens["refresh_token"]).status_code == 200  # not spent by the attempt


def test_an_expired_refresh_token_is_invalid_grant(idp, refreshing, clock):
    _, tokens = idp.tokens(refreshing)
    clock.move(601)  # idporten.refresh_token is 600 s
    assert_oauth_error(idp.refresh(refreshing, tokens["refresh_token"]), 400, "invalid_grant")


def test_a_missing_refresh_token_is_invalid_grant(idp, refreshing):
    answer = idp.post_token(refreshing, {"grant_type": "refresh_token"})
    assert_oauth_error(answer, 400, "invalid_grant")


# -- the request itself ------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "grant_type", ["client_credentials", "password", "urn:ietf:params:oauth:grant-type:jwt-bearer", "implicit"]
)
def test_an_unsupported_grant_type_is_unsupported_grant_type(idp, client, grant_type):
    assert_oauth_error(idp.post_token(client, {"grant_type": grant_type}), 400, "unsupported_grant_type")


def test_a_missing_grant_type_is_invalid_request(idp, client):
    assert_oauth_error(idp.post_token(client, {"code": "x"}), 400, "invalid_request")


@pytest.mark.parametrize(
    "content_type,body",
    [
        ("application/json", '{"grant_type": "authorization_code"}'),
        ("text/plain", "grant_type=authorization_code"),
        (None, ""),
    ],
    ids=["json", "text", "empty"],
)
def test_a_body_that_is_not_a_form_is_invalid_request(idp, content_type, body):
    headers = {"Content-Type": content_type} if content_type else {}
    assert_oauth_error(idp.browser.post("/token", data=body, headers=headers), 400, "invalid_request")


def test_get_on_the_token_endpoint_is_405_in_the_oauth_shape(idp):
    answer = idp.browser.get("/token")
    assert answer.status_code == 405 and answer.headers["Allow"]
    assert set(answer.get_json()) == {"error", "error_description"}


# -- faults ------------------------------------------------------------------------------------------------
def test_a_status_fault_fails_the_next_token_call_with_an_oauth_body(idp, client):
    flow = idp.login(client)
    idp.admin("/faults", {"operation": "token", "status": 500, "count": 1})
    failed = idp.redeem(flow)
    assert_oauth_error(failed, 500, "server_error")
    assert set(failed.get_json()) == {"error", "error_description"}
    assert idp.redeem(flow).status_code == 200  # the fault struck before the code was looked at
    assert idp.browser.get("/_sandbox/faults").get_json()["faults"] == []


def test_a_503_fault_says_temporarily_unavailable(idp, client):
    idp.admin("/faults", {"operation": "token", "status": 503, "count": 1})
    assert_oauth_error(idp.redeem(idp.login(client)), 503, "temporarily_unavailable")


def test_a_delay_fault_slows_the_token_call_down(idp, client):
    flow = idp.login(client)
    idp.admin("/faults", {"operation": "token", "delay_ms": 150, "count": 1})
    began = time.perf_counter()
    answer = idp.redeem(flow)
    elapsed = time.perf_counter() - began
    assert answer.status_code == 200
    assert elapsed >= 0.15, elapsed
