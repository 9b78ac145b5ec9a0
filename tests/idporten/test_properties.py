"""Property: whatever a browser or a client sends to ID-porten's public endpoints (``/authorize``,
``/login``, ``/token``, ``/par``, ``/logout``, ``/userinfo``), the answer is never a 5xx, and the
back-channel endpoints always answer in the OAuth JSON error shape. ``/login`` and ``/logout`` answer
exactly as the page's rules say, and change the login request or the session only when they succeed.

Arbitrary values are mixed with meaningful ones (a real client_id, its redirect_uri, a live login
request, a valid challenge) so that the examples get past the first checks and into the later ones.
What an example can use up (the login request, the code, the session and its tokens) is made anew for
every example (:func:`fresh`); only the registered clients, which no request changes, are shared.
"""

from __future__ import annotations

import base64
import re

import jwt
import pytest
from hypothesis import HealthCheck, event, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from dsop_sandbox.mocks.common.identifiers import fnr_problem
from dsop_sandbox.mocks.idporten.browser_binding import CSRF_FIELD, logout_token
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
    query_of,
    s256,
)

#: ``clients`` is function-scoped and shared by a test's examples: it holds only registrations, which
#: no request uses up (what can be used up comes from :func:`fresh`, per example).
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
def clients(idp) -> dict:
    """A registered client of each kind (shared by the examples: no request changes a registration)."""
    return {
        "idp": idp,
        "basic": idp.register(
            grant_types=["authorization_code", "refresh_token"], frontchannel_logout_uri="https://forsikring.example/fc"
        ),
        "public": idp.register("none"),
        "jwt": idp.register("private_key_jwt"),
    }


def fresh(clients: dict) -> dict:
    """One example's world: the clients, a live SSO session with its tokens, an unused code for
    VERIFIER, and a login request waiting on the login page (all of which an example may use up)."""
    idp, basic = clients["idp"], clients["basic"]
    _, tokens = idp.tokens(basic, prompt="login")
    unused = idp.authorize(basic, verifier=VERIFIER)  # the session answers silently with a code
    pending = idp.authorize(basic, prompt="login")
    assert "code" in unused.callback and pending.request_id, (unused.callback, pending.response.status_code)
    page = idp.browser.get("/login", query_string={"request_id": pending.request_id}).get_data(as_text=True)
    csrf = re.search(rf'name="{CSRF_FIELD}" value="([^"]+)"', page)
    assert csrf, page[:500]
    return {
        "csrf": csrf.group(1),
        **clients,
        "request_id": pending.request_id,
        "pending": pending,
        "code": unused.code,
        "tokens": tokens,
        "sid": idp.browser.get_cookie("idporten_sso").value,
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
def test_authorize_never_fails_with_a_5xx(clients, data, method):
    world = fresh(clients)
    params = data.draw(params_for(world, AUTHORIZE))
    answer = _send(world, method, "/authorize", params)
    assert_no_server_error(answer)
    assert answer.status_code in (200, 302, 400)


def _send(world, method: str, path: str, params: dict):
    """A browser-side endpoint, with the parameters in the query (GET) or the form (POST)."""
    browser = world["idp"].browser
    return browser.get(path, query_string=params) if method == "GET" else browser.post(path, data=params)


#: The login methods that reach the level the pending request asks for (acr_values high).
HIGH_METHODS = {"testid-high", "bankid"}
LOGIN_EXPIRED = "the login has expired"


def mostly(usual, other):
    """``usual`` three times in four, else ``other``."""
    return st.integers(0, 3).flatmap(lambda roll: other if roll == 3 else usual)


def login_params(world):
    """Arbitrary login forms, laid over one that names the waiting request half of the time and
    mostly chooses among the page's own actions, test persons and methods, so that every outcome is
    reached."""
    values = st.one_of(text, st.sampled_from(meaningful(world)))
    page = st.fixed_dictionaries(
        {
            "request_id": mostly(st.just(world["request_id"]), values),
            CSRF_FIELD: mostly(st.just(world["csrf"]), values),
            "pid": mostly(st.just(KARI), st.one_of(st.sampled_from([REAL_LOOKING_PID, " " + KARI]), values)),
            "action": st.sampled_from(["login", "cancel", ""]).flatmap(lambda a: st.just(a) if a else values),
            "method": mostly(
                st.sampled_from(sorted(HIGH_METHODS)),
                st.one_of(st.sampled_from(["testid-substantial", "minid"]), values),
            ),
        },
        optional={"other_pid": st.one_of(st.sampled_from([KARI, " " + KARI + " ", "", " "]), values)},
    )
    return st.tuples(params_for(world, LOGIN), page).map(lambda drawn: {**drawn[0], **drawn[1]})


def waiting(world) -> bool:
    """Whether the example's login request still waits on the login page."""
    page = world["idp"].browser.get("/login", query_string={"request_id": world["request_id"]})
    return page.status_code == 200


def sso_cookies(answer) -> list[str]:
    return [h for h in answer.headers.getlist("Set-Cookie") if h.startswith("idporten_sso=")]


@PROPERTY
@given(data=st.data(), method=st.sampled_from(["GET", "POST"]))
def test_login_answers_as_the_login_rules_say(clients, data, method):
    """Another request id: the «login has expired» page. GET: the login page. POST «cancel»:
    access_denied back to the client. POST a valid fødselsnummer with a method that reaches the level:
    the code back to the client and an SSO cookie. Anything else: the login page again with its
    error (400). The request is used up exactly when the browser went back to the client."""
    world = fresh(clients)
    params = data.draw(login_params(world))
    answer = _send(world, method, "/login", params)
    assert_no_server_error(answer)
    body = answer.get_data(as_text=True)
    if params.get("request_id") != world["request_id"]:
        event("login: another request id")
        assert answer.status_code == 400 and LOGIN_EXPIRED in body, (answer.status_code, body[:300])
        assert waiting(world)
        return
    if method == "GET":
        event("login: the page")
        assert answer.status_code == 200 and 'action="/login"' in body
        assert waiting(world)
        return
    if params.get(CSRF_FIELD) != world["csrf"]:
        event("login: a form this browser's login page did not carry")
        assert answer.status_code == 403 and not sso_cookies(answer), (answer.status_code, body[:300])
        assert waiting(world)
        return
    pid = (params.get("other_pid") or "").strip() or params.get("pid", "")
    cancelled = params.get("action") == "cancel"
    logs_in = not cancelled and bool(pid) and fnr_problem(pid) is None and params.get("method") in HIGH_METHODS
    event("login: logged in" if logs_in else "login: cancelled" if cancelled else "login: refused")
    if cancelled or logs_in:
        assert answer.status_code == 302, (answer.status_code, body[:300])
        location = answer.headers["Location"]
        assert location.startswith(REDIRECT_URI + "?")
        back = query_of(location)
        assert back["state"] == world["pending"].state
        if logs_in:
            assert "code" in back and "error" not in back and sso_cookies(answer)
        else:
            assert back["error"] == "access_denied" and "code" not in back and not sso_cookies(answer)
        assert not waiting(world)
    else:
        assert answer.status_code == 400 and 'action="/login"' in body and not sso_cookies(answer)
        assert waiting(world)


def _logout_client(world, params: dict) -> tuple[dict | None, bool]:
    """(the client the logout names, whether it names one that cannot be trusted), by the rules of
    the end_session endpoint: id_token_hint first (ID-porten's own signature), else client_id."""
    ours = {world[k]["client_id"]: world[k] for k in ("basic", "public", "jwt")}
    hint, client_id = params.get("id_token_hint"), params.get("client_id")
    if hint:
        signed = (world["tokens"]["id_token"], world["tokens"]["access_token"])
        aud = jwt.decode(hint, options={"verify_signature": False}).get("aud") if hint in signed else None
        client = ours.get(aud) if isinstance(aud, str) else None
        return client, client is None
    if client_id:
        return ours.get(client_id), client_id not in ours
    return None, False


@PROPERTY
@given(data=st.data(), method=st.sampled_from(["GET", "POST"]))
def test_logout_answers_as_the_end_session_rules_say(clients, data, method):
    """An id_token_hint ID-porten did not issue, an unknown client_id, or a post_logout_redirect_uri
    without a client or not registered for it: an error page (400), and the session lives on.
    Otherwise, without an id_token_hint and without the confirmation's token, ID-porten cannot tell
    who asks: the citizen gets a page to confirm on (200) and the session lives on. Otherwise the
    session ends, its cookie is deleted, and the page runs the front-channel logout of the session's
    clients (so it is a page, not a redirect)."""
    world = fresh(clients)
    params = data.draw(params_for(world, LOGOUT))
    confirmation = logout_token(world["sid"])
    csrf = data.draw(mostly(st.just(confirmation), st.one_of(st.none(), text)))
    if csrf is not None:
        params = {**params, CSRF_FIELD: csrf}
    answer = _send(world, method, "/logout", params)
    assert_no_server_error(answer)
    client, untrusted = _logout_client(world, params)
    target = params.get("post_logout_redirect_uri")
    refused = untrusted or bool(target and (client is None or target != POST_LOGOUT_URI))
    session = world["idp"].service.state.session(world["sid"])
    if refused:
        event("logout: refused")
        assert answer.status_code == 400, (answer.status_code, answer.get_data(as_text=True)[:300])
        assert "Location" not in answer.headers and session is not None
    elif not params.get("id_token_hint") and (method == "GET" or csrf != confirmation):
        event("logout: asked the citizen to confirm")
        page = answer.get_data(as_text=True)
        assert answer.status_code == 200 and 'action="/logout"' in page, (answer.status_code, page[:300])
        assert session is not None and not sso_cookies(answer)
    else:
        event("logout: ended the session")
        assert answer.status_code == 200, (answer.status_code, answer.get_data(as_text=True)[:300])
        assert session is None
        assert [h for h in sso_cookies(answer) if h.startswith("idporten_sso=;")]
        assert "https://forsikring.example/fc?" in answer.get_data(as_text=True)


# -- the client's endpoints -----------------------------------------------------------------------------------
@PROPERTY
@given(data=st.data())
def test_token_answers_in_the_oauth_shape(clients, data):
    world = fresh(clients)
    form = data.draw(params_for(world, TOKEN))
    authorization = data.draw(authorization_header(world))
    headers = {"Authorization": authorization} if authorization is not None else {}
    assert_oauth_shape(world["idp"].browser.post("/token", data=form, headers=headers), 200)


@PROPERTY
@given(data=st.data())
def test_par_answers_in_the_oauth_shape(clients, data):
    world = fresh(clients)
    form = data.draw(params_for(world, [*AUTHORIZE, "client_secret", "client_assertion", "client_assertion_type"]))
    authorization = data.draw(authorization_header(world))
    headers = {"Authorization": authorization} if authorization is not None else {}
    assert_oauth_shape(world["idp"].browser.post("/par", data=form, headers=headers), 201)


@PROPERTY
@given(data=st.data(), method=st.sampled_from(["GET", "POST"]))
def test_userinfo_answers_in_the_oauth_shape(clients, data, method):
    world = fresh(clients)
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
def test_raw_bodies_never_fail_with_a_5xx(clients, path, body, content_type):
    answer = clients["idp"].browser.post(path, data=body, headers={"Content-Type": content_type})
    assert_no_server_error(answer)
    if path in ("/token", "/par", "/userinfo"):
        assert_oauth_shape(answer, 200, 201)
