"""The shared ID-porten relying party (mocks/common/citizen_login.py) in process, against a small
fake ID-porten on a free port that answers ``/token`` and ``/jwks.json`` as each test tells it.
The real ID-porten cannot be made to send a wrong nonce, audience or level, so those checks are
tested here; the whole flow against the real one is in tests/altinn and tests/nav."""

from __future__ import annotations

import json
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from flask import Flask
from jwt.algorithms import RSAAlgorithm

from dsop_sandbox.mocks.common import citizen_login as C
from dsop_sandbox.mocks.common.remote_keys import RemoteKeys
from dsop_sandbox.mocks.common.store import Store

ISSUER = "https://idporten.test/"
BASE = "http://service.test"
PID = "15838512329"
CONFIG = C.RelyingPartyConfig(
    client_id="tjeneste",
    callback_path="/oauth2/callback",
    session_cookie="t_session",
    login_cookie="t_login",
    lifetimes_prefix="test",
    default_return_url="/start",
    table_prefix="test_citizen",
    purpose="the test service",
)
LIFETIMES = {"test.citizen_session": 1800, "test.citizen_login": 600}


class FakeIdPorten:
    """``/token`` answers ``token_answer`` (status, body); ``/jwks.json`` the test key. Requests are kept."""

    def __init__(self):
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        jwk = json.loads(RSAAlgorithm.to_jwk(self.key.public_key()))
        self.jwks = {"keys": [{**jwk, "kid": "k1", "use": "sig", "alg": "RS256"}]}
        self.token_answer: tuple[int, bytes] = (500, b"not set")
        self.forms: list[dict] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _send(self, status: int, body: bytes, kind: str = "application/json"):
                self.send_response(status)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self):
                if self.path == "/jwks.json":
                    self._send(200, json.dumps(fake.jwks).encode())
                else:
                    self._send(404, b"{}")

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
                fake.forms.append(form)
                status, body = fake.token_answer
                self._send(status, body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def id_token(self, clock, **claims) -> str:
        now = clock.epoch()
        body = {
            "iss": ISSUER,
            "aud": CONFIG.client_id,
            "sub": "s",
            "pid": PID,
            "acr": C.HIGH,
            "iat": now,
            "exp": now + 120,
            "nonce": "n",
            "sid": "idporten-sid",
        }
        body.update(claims)
        body = {k: v for k, v in body.items() if v is not None}
        return jwt.encode(body, self.key, algorithm="RS256", headers={"kid": "k1"})

    def answer_with(self, id_token: str):
        self.token_answer = (
            200,
            json.dumps({"id_token": id_token, "access_token": "a", "token_type": "Bearer"}).encode(),
        )

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="module")
def idp():
    fake = FakeIdPorten()
    yield fake
    fake.close()


@pytest.fixture
def credentials(authority, clock):
    return authority.issue_enterprise_certificate("889640782", "Testetaten", clock.now())


@pytest.fixture
def rp(tmp_path, clock, credentials, idp) -> C.RelyingParty:
    store = Store(tmp_path / "rp.sqlite3", CONFIG.schema, CONFIG.tables)
    return C.RelyingParty(
        CONFIG,
        base_url=BASE,
        store=store,
        clock=clock,
        lifetimes=dict(LIFETIMES),
        credentials=lambda: credentials,
        idporten_base_url=idp.url,
        idporten_issuer=ISSUER,
        idporten_keys=RemoteKeys(idp.url + "/jwks.json", clock),
    )


@pytest.fixture
def app():
    return Flask(__name__)


def cookies_of(response) -> dict[str, str]:
    found = {}
    for header in response.headers.getlist("Set-Cookie"):
        name, _, rest = header.partition("=")
        found[name] = rest.split(";")[0]
    return found


def start(app, rp, return_url="/side?x=1", cookie: str | None = None):
    headers = {"Cookie": f"t_login={cookie}"} if cookie else {}
    with app.test_request_context("/side", headers=headers):
        response = rp.start_login(return_url, "nb")
    params = {k: v[0] for k, v in parse_qs(urlsplit(response.headers["Location"]).query).items()}
    return response, params, cookies_of(response).get("t_login", cookie)


def pending_state(rp, state: str) -> dict:
    return dict(rp.store.query_one("SELECT * FROM test_citizen_logins WHERE state = ?", (state,)))


# -- configuration ------------------------------------------------------------------------------------------
def test_the_config_names_its_tables_and_refuses_unsafe_values():
    assert CONFIG.tables == ("test_citizen_logins", "test_citizen_sessions")
    assert "CREATE TABLE IF NOT EXISTS test_citizen_sessions" in CONFIG.schema
    for bad in (
        {"table_prefix": "x; DROP TABLE y"},
        {"callback_path": "https://evil.example/cb"},
        {"default_return_url": "//evil.example"},
        {"login_cookie": "t_session"},
    ):
        with pytest.raises(ValueError):
            C.RelyingPartyConfig(**{**CONFIG.__dict__, **bad})


def test_return_urls_stay_on_the_service():
    assert CONFIG.safe_return_url("/person/dsop?x=1") == "/person/dsop?x=1"
    for bad in (
        "https://evil.example/",
        "//evil.example/x",
        "/\\evil.example",
        None,
        "",
        "javascript:alert(1)",
        "/ok\r\nSet-Cookie: x=1",
    ):
        assert CONFIG.safe_return_url(bad) == "/start"


def test_the_acr_check_wants_exactly_the_required_level():
    assert CONFIG.acr_problem({"acr": C.HIGH}) is None
    for claims in ({"acr": C.SUBSTANTIAL}, {"acr": "Level4"}, {}):
        assert "the test service needs idporten-loa-high" in CONFIG.acr_problem(claims)


def test_pkce_follows_rfc_7636_appendix_b():
    assert (
        C.pkce_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk") == "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
    )


# -- the authorization request --------------------------------------------------------------------------------
def test_a_login_starts_with_state_nonce_pkce_and_a_browser_binding(app, rp, idp):
    response, params, browser = start(app, rp)
    assert response.status_code == 302 and response.headers["Location"].startswith(idp.url + "/authorize?")
    assert params["client_id"] == "tjeneste" and params["redirect_uri"] == BASE + "/oauth2/callback"
    assert params["acr_values"] == C.HIGH and params["code_challenge_method"] == "S256"
    assert params["scope"] == "openid profile" and params["ui_locales"] == "nb" and "prompt" not in params
    assert response.headers["Cache-Control"] == "no-store"
    set_cookie = response.headers["Set-Cookie"].lower()
    assert "httponly" in set_cookie and "samesite=lax" in set_cookie and "secure" not in set_cookie
    stored = pending_state(rp, params["state"])
    assert stored["browser"] == C.digest(browser) and browser not in json.dumps(stored)
    assert C.pkce_challenge(stored["verifier"]) == params["code_challenge"]
    assert stored["nonce"] == params["nonce"] and stored["return_url"] == "/side?x=1"
    assert stored["expires"] == rp.clock.timestamp() + 600
    _, again, same_browser = start(app, rp, "https://evil.example/", cookie=browser)
    assert same_browser == browser and pending_state(rp, again["state"])["return_url"] == "/start"


def test_a_state_works_once_in_the_browser_that_started_it(app, rp):
    _, params, browser = start(app, rp)
    with (
        app.test_request_context("/", headers={"Cookie": "t_login=someone-else"}),
        pytest.raises(C.LoginFailed) as other,
    ):
        rp.take_pending_login(params["state"])
    assert other.value.kind == "other_browser" and other.value.status == 400
    _, params, browser = start(app, rp)
    with app.test_request_context("/", headers={"Cookie": f"t_login={browser}"}):
        assert rp.take_pending_login(params["state"])["return_url"] == "/side?x=1"
        with pytest.raises(C.LoginFailed) as again:
            rp.take_pending_login(params["state"])
        assert again.value.kind == "unknown_state"
        for state in ("", "s" * 201):
            with pytest.raises(C.LoginFailed) as missing:
                rp.take_pending_login(state)
            assert missing.value.kind == "no_state"


def test_a_login_that_took_too_long_is_refused(app, rp):
    _, params, browser = start(app, rp)
    rp.clock.move(601)
    with (
        app.test_request_context("/", headers={"Cookie": f"t_login={browser}"}),
        pytest.raises(C.LoginFailed) as late,
    ):
        rp.take_pending_login(params["state"])
    assert late.value.kind == "unknown_state" and "too long" in late.value.detail


# -- the callback ---------------------------------------------------------------------------------------------
def callback(app, rp, browser, **args):
    with app.test_request_context("/oauth2/callback", query_string=args, headers={"Cookie": f"t_login={browser}"}):
        return rp.finish_login(args)


def test_a_good_callback_redeems_the_code_with_private_key_jwt(app, rp, idp, credentials):
    _, params, browser = start(app, rp)
    idp.answer_with(idp.id_token(rp.clock, nonce=params["nonce"]))
    pending, claims = callback(app, rp, browser, state=params["state"], code="the-code", iss=ISSUER)
    assert claims["pid"] == PID and claims["acr"] == C.HIGH and pending["return_url"] == "/side?x=1"
    form = idp.forms[-1]
    assert form["grant_type"] == "authorization_code" and form["code"] == "the-code"
    assert form["redirect_uri"] == BASE + "/oauth2/callback" and form["client_id"] == "tjeneste"
    assert C.pkce_challenge(form["code_verifier"]) == params["code_challenge"]
    assert form["client_assertion_type"] == C.ASSERTION_TYPE
    header = jwt.get_unverified_header(form["client_assertion"])
    assert len(header["x5c"]) == 2 and header["alg"] == "RS256"
    assertion = jwt.decode(form["client_assertion"], options={"verify_signature": False})
    assert assertion["iss"] == assertion["sub"] == "tjeneste" and assertion["aud"] == ISSUER
    assert assertion["exp"] - assertion["iat"] == C.ASSERTION_LIFETIME and uuid.UUID(assertion["jti"])


@pytest.mark.parametrize(
    "claims, reason",
    [
        ({"nonce": "another-login"}, "nonce"),
        ({"aud": "altinn"}, "not meant for"),
        ({"iss": "https://evil.example/"}, "issued by"),
        ({"pid": None}, "no pid"),
        ({"exp": 1}, "expired"),
    ],
)
def test_an_id_token_that_is_not_this_logins_is_refused(app, rp, idp, claims, reason):
    _, params, browser = start(app, rp)
    idp.answer_with(idp.id_token(rp.clock, **{"nonce": params["nonce"], **claims}))
    with pytest.raises(C.LoginFailed) as refused:
        callback(app, rp, browser, state=params["state"], code="c")
    assert refused.value.kind == "bad_id_token" and refused.value.status == 400
    assert reason in refused.value.detail


def test_an_id_token_signed_by_someone_else_is_refused(app, rp, idp):
    _, params, browser = start(app, rp)
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    now = rp.clock.epoch()
    forged = jwt.encode(
        {
            "iss": ISSUER,
            "aud": "tjeneste",
            "pid": PID,
            "acr": C.HIGH,
            "iat": now,
            "exp": now + 60,
            "nonce": params["nonce"],
        },
        other,
        algorithm="RS256",
        headers={"kid": "k1"},
    )
    idp.answer_with(forged)
    with pytest.raises(C.LoginFailed) as refused:
        callback(app, rp, browser, state=params["state"], code="c")
    assert refused.value.kind == "bad_id_token" and "signature" in refused.value.detail


@pytest.mark.parametrize(
    "answer, kind, status",
    [
        ((400, b'{"error": "invalid_grant", "error_description": "used"}'), "token_refused", 400),
        ((200, b'{"access_token": "a"}'), "token_refused", 400),
        ((503, b'{"error": "temporarily_unavailable"}'), "idporten_unavailable", 502),
        ((200, b"<html>proxy error</html>"), "idporten_unavailable", 502),
    ],
)
def test_token_endpoint_answers(app, rp, idp, answer, kind, status):
    _, params, browser = start(app, rp)
    idp.token_answer = answer
    with pytest.raises(C.LoginFailed) as refused:
        callback(app, rp, browser, state=params["state"], code="c")
    assert (refused.value.kind, refused.value.status) == (kind, status)


def test_an_unreachable_idporten_is_502(app, rp, tmp_path, clock, credentials):
    with ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler) as closed:
        dead = f"http://127.0.0.1:{closed.server_address[1]}"
    gone = C.RelyingParty(
        CONFIG,
        base_url=BASE,
        store=rp.store,
        clock=clock,
        lifetimes=LIFETIMES,
        credentials=lambda: credentials,
        idporten_base_url=dead,
        idporten_issuer=ISSUER,
        idporten_keys=RemoteKeys(dead + "/jwks.json", clock),
        token_timeout=2,
    )
    _, params, browser = start(app, gone)
    with pytest.raises(C.LoginFailed) as refused:
        callback(app, gone, browser, state=params["state"], code="c")
    assert (refused.value.kind, refused.value.status) == ("idporten_unavailable", 502)


@pytest.mark.parametrize(
    "args, kind, status",
    [
        ({"iss": "https://evil.example/"}, "wrong_issuer", 400),
        ({"error": "access_denied", "error_description": "cancelled"}, "idporten_error", 403),
        ({"error": "server_error"}, "idporten_error", 400),
        ({}, "no_code", 400),
        ({"code": "c" * 501}, "no_code", 400),
    ],
)
def test_callback_errors(app, rp, args, kind, status):
    _, params, browser = start(app, rp)
    with pytest.raises(C.LoginFailed) as refused:
        callback(app, rp, browser, state=params["state"], **args)
    assert (refused.value.kind, refused.value.status) == (kind, status)


# -- sessions ---------------------------------------------------------------------------------------------------
def test_a_session_is_a_hashed_cookie_with_its_own_csrf_token(app, rp, idp):
    _, params, browser = start(app, rp)
    idp.answer_with(idp.id_token(rp.clock, nonce=params["nonce"]))
    pending, claims = callback(app, rp, browser, state=params["state"], code="c")
    with app.test_request_context("/oauth2/callback"):
        response = rp.logged_in(pending, claims)
    assert response.status_code == 302 and response.headers["Location"] == "/side?x=1"
    assert response.headers["Cache-Control"] == "no-store"
    token = cookies_of(response)["t_session"]
    rows = rp.store.query("SELECT * FROM test_citizen_sessions")
    assert len(rows) == 1 and rows[0]["id"] == C.digest(token) and token not in json.dumps(dict(rows[0]))
    assert rows[0]["idporten_sid"] == "idporten-sid" and rows[0]["expires"] == rp.clock.timestamp() + 1800
    with app.test_request_context("/", headers={"Cookie": f"t_session={token}"}):
        session = rp.current_session()
        assert session.pid == PID and session.acr == C.HIGH
        assert C.csrf_ok(session, session.csrf) and not C.csrf_ok(session, "forged") and not C.csrf_ok(session, None)
    for forged in ("forged", "x" * 201):
        with app.test_request_context("/", headers={"Cookie": f"t_session={forged}"}):
            assert rp.current_session() is None
    rp.clock.move(1801)
    with app.test_request_context("/", headers={"Cookie": f"t_session={token}"}):
        assert rp.current_session() is None


def test_a_new_login_replaces_the_browsers_session_and_logout_drops_it(app, rp):
    with app.test_request_context("/"):
        first = rp.start_session(PID, C.HIGH, None)
    with app.test_request_context("/", headers={"Cookie": f"t_session={first}"}):
        response = rp.logged_in({"return_url": "/start"}, {"pid": PID, "acr": C.HIGH})
    second = cookies_of(response)["t_session"]
    assert second != first
    with app.test_request_context("/", headers={"Cookie": f"t_session={first}"}):
        assert rp.current_session() is None
    with app.test_request_context("/", headers={"Cookie": f"t_session={second}"}):
        assert rp.end_session() == PID
        assert rp.current_session() is None
        assert rp.end_session() is None
        out = Flask.response_class("")
        rp.clear_session_cookie(out)
    assert "t_session=;" in out.headers["Set-Cookie"]


def test_cookies_are_secure_over_https(app, rp):
    with app.test_request_context("/", base_url="https://service.test"):
        response = rp.start_login("/x")
        rp.set_session_cookie(response, "token")
    headers = response.headers.getlist("Set-Cookie")
    assert set(cookies_of(response)) == {"t_login", "t_session"}, headers
    assert all("; Secure" in header for header in headers), headers
    with app.test_request_context("/", base_url="http://service.test"):  # and only there
        plain = rp.start_login("/x")
    assert cookies_of(plain) and not any("Secure" in h for h in plain.headers.getlist("Set-Cookie"))


def test_lifetimes_are_read_on_every_use(app, rp):
    rp.lifetimes["test.citizen_session"] = 60
    with app.test_request_context("/"):
        token = rp.start_session(PID, C.HIGH, None)
    row = rp.store.query_one("SELECT created, expires FROM test_citizen_sessions WHERE id = ?", (C.digest(token),))
    assert row["expires"] - row["created"] == 60
