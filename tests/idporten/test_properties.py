"""Property: whatever a browser or a client sends to ID-porten's public endpoints (``/authorize``,
``/login``, ``/token``, ``/par``, ``/logout``, ``/userinfo``), the answer is never a 5xx, and the
back-channel endpoints always answer in the OAuth JSON error shape.

Arbitrary values are mixed with meaningful ones (a real client_id, its redirect_uri, a live login
request, a valid challenge) so that the examples get past the first checks and into the later ones.
"""

from __future__ import annotations

import base64

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from tests.budgets import examples
from tests.idporten.support import (
    ASSERTION_TYPE,
    HIGH,
    KARI,
    POST_LOGOUT_URI,
    REAL_LOOKING_PID,
    REDIRECT_URI,
    SUBSTANTIAL,
    new_verifier,
    s256,
)

PROPERTY = hypothesis_settings(
    max_examples=examples(120),
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
OAUTH_ERRORS = {
    "invalid_request",
    "invalid_client",
    "invalid_grant",
    "unauthorized_client",
    "unsupported_grant_type",
    "invalid_scope",
    "invalid_token",
    "server_error",
    "temporarily_unavailable",
    "access_denied",
    "unsupported_response_type",
}

#: Text as a browser or an HTTP client can send it (no lone surrogates: those cannot be UTF-8 encoded).
text = st.text(st.characters(exclude_categories=("Cs",)), max_size=40)
#: What can travel in an HTTP header value: Latin-1 without control characters.
header_text = st.text(st.characters(min_codepoint=0x20, max_codepoint=0xFF, exclude_characters="\x7f"), max_size=60)
VERIFIER = new_verifier()


@pytest.fixture
def world(idp):
    """A registered client of each kind, a live login request and a live session, shared by the examples."""
    basic = idp.register(
        grant_types=["authorization_code", "refresh_token"], frontchannel_logout_uri="https://forsikring.example/fc"
    )
    public = idp.register("none")
    jwt_client = idp.register("private_key_jwt")
    pending = idp.authorize(basic)
    flow, tokens = idp.tokens(basic, prompt="login")
    return {
        "idp": idp,
        "basic": basic,
        "public": public,
        "jwt": jwt_client,
        "request_id": pending.request_id,
        "code": flow.code,
        "tokens": tokens,
    }


def meaningful(world) -> list[str]:
    clients = [world[k]["client_id"] for k in ("basic", "public", "jwt")]
    tokens = world["tokens"]
    return [
        *clients,
        REDIRECT_URI,
        REDIRECT_URI + "/",
        POST_LOGOUT_URI,
        "code",
        "token",
        "openid",
        "openid profile",
        "profile",
        "S256",
        "plain",
        s256(VERIFIER),
        VERIFIER,
        HIGH,
        SUBSTANTIAL,
        "Level4",
        "login",
        "none",
        "consent",
        "form_post",
        "query",
        "fragment",
        "en",
        "nb",
        "se",
        world["request_id"],
        KARI,
        REAL_LOOKING_PID,
        "bankid",
        "minid",
        "testid-high",
        "cancel",
        "authorization_code",
        "refresh_token",
        world["code"],
        tokens["id_token"],
        tokens["access_token"],
        tokens["refresh_token"],
        ASSERTION_TYPE,
        "urn:idporten:nope",
        "",
        " ",
        "\x00",
        "NaN",
        "1e400",
        "ÆØÅ",
        "%",
        "&",
        "=",
        "a" * 2000,
    ]


def params_for(world, names: list[str]):
    values = st.one_of(text, st.sampled_from(meaningful(world)))
    keys = st.one_of(st.sampled_from(names), text)
    return st.dictionaries(keys, values, max_size=len(names) + 2)


AUTHORIZE = [
    "response_type",
    "client_id",
    "redirect_uri",
    "scope",
    "state",
    "nonce",
    "code_challenge",
    "code_challenge_method",
    "acr_values",
    "ui_locales",
    "prompt",
    "response_mode",
    "request_uri",
    "_required_acr",
    "max_age",
    "login_hint",
]
LOGIN = ["request_id", "pid", "other_pid", "method", "action", "ui_locales"]
TOKEN = [
    "grant_type",
    "code",
    "redirect_uri",
    "code_verifier",
    "client_id",
    "client_secret",
    "refresh_token",
    "client_assertion",
    "client_assertion_type",
    "scope",
]
LOGOUT = ["id_token_hint", "post_logout_redirect_uri", "state", "client_id", "ui_locales"]


def assert_no_server_error(answer):
    assert answer.status_code < 500, (answer.status_code, answer.get_data(as_text=True)[:500])


def assert_oauth_shape(answer, *success: int):
    assert_no_server_error(answer)
    assert answer.mimetype == "application/json", answer.get_data(as_text=True)[:500]
    body = answer.get_json()
    if answer.status_code in success:
        return
    assert 400 <= answer.status_code < 500
    assert body["error"] in OAUTH_ERRORS and isinstance(body["error_description"], str), body


def authorization_header(world):
    basic = world["basic"]
    good = "Basic " + base64.b64encode(f"{basic['client_id']}:{basic['client_secret']}".encode()).decode()
    return st.one_of(
        st.none(),
        st.just(good),
        st.builds(lambda t: "Basic " + t, header_text),
        st.builds(lambda t: "Bearer " + t, header_text),
        header_text,
        st.builds(lambda t: "Basic " + base64.b64encode(t.encode()).decode(), text),
        st.just(f"Bearer {world['tokens']['access_token']}"),
    )


# -- the browser's endpoints ----------------------------------------------------------------------------------
@PROPERTY
@given(data=st.data(), method=st.sampled_from(["GET", "POST"]))
def test_authorize_never_fails_with_a_5xx(world, data, method):
    params = data.draw(params_for(world, AUTHORIZE))
    answer = _send(world, method, "/authorize", params)
    assert_no_server_error(answer)
    assert answer.status_code in (200, 302, 400)


def _send(world, method: str, path: str, params: dict):
    """A browser-side endpoint, with the parameters in the query (GET) or the form (POST)."""
    browser = world["idp"].browser
    return browser.get(path, query_string=params) if method == "GET" else browser.post(path, data=params)


@PROPERTY
@given(data=st.data(), method=st.sampled_from(["GET", "POST"]))
def test_login_never_fails_with_a_5xx(world, data, method):
    assert_no_server_error(_send(world, method, "/login", data.draw(params_for(world, LOGIN))))


@PROPERTY
@given(data=st.data(), method=st.sampled_from(["GET", "POST"]))
def test_logout_never_fails_with_a_5xx(world, data, method):
    assert_no_server_error(_send(world, method, "/logout", data.draw(params_for(world, LOGOUT))))


# -- the client's endpoints -----------------------------------------------------------------------------------
@PROPERTY
@given(data=st.data())
def test_token_answers_in_the_oauth_shape(world, data):
    form = data.draw(params_for(world, TOKEN))
    authorization = data.draw(authorization_header(world))
    headers = {"Authorization": authorization} if authorization is not None else {}
    assert_oauth_shape(world["idp"].browser.post("/token", data=form, headers=headers), 200)


@PROPERTY
@given(data=st.data())
def test_par_answers_in_the_oauth_shape(world, data):
    form = data.draw(params_for(world, [*AUTHORIZE, "client_secret", "client_assertion", "client_assertion_type"]))
    authorization = data.draw(authorization_header(world))
    headers = {"Authorization": authorization} if authorization is not None else {}
    assert_oauth_shape(world["idp"].browser.post("/par", data=form, headers=headers), 201)


@PROPERTY
@given(data=st.data(), method=st.sampled_from(["GET", "POST"]))
def test_userinfo_answers_in_the_oauth_shape(world, data, method):
    authorization = data.draw(authorization_header(world))
    headers = {"Authorization": authorization} if authorization is not None else {}
    browser = world["idp"].browser
    answer = (
        browser.get("/userinfo", headers=headers)
        if method == "GET"
        else browser.post("/userinfo", headers=headers, data=data.draw(params_for(world, ["access_token"])))
    )
    assert_oauth_shape(answer, 200)


@PROPERTY
@given(
    path=st.sampled_from(["/token", "/par", "/login", "/logout", "/authorize", "/userinfo"]),
    body=st.binary(max_size=600),
    content_type=st.one_of(
        st.sampled_from(
            [
                "application/x-www-form-urlencoded",
                "application/json",
                "multipart/form-data",
                "multipart/form-data; boundary=x",
                "text/plain",
                "application/x-www-form-urlencoded; charset=latin-1",
                "",
            ]
        ),
        st.from_regex(r"[ -~]{0,60}", fullmatch=True),
    ),
)
def test_raw_bodies_never_fail_with_a_5xx(world, path, body, content_type):
    answer = world["idp"].browser.post(path, data=body, headers={"Content-Type": content_type})
    assert_no_server_error(answer)
    if path in ("/token", "/par", "/userinfo"):
        assert_oauth_shape(answer, 200, 201)
