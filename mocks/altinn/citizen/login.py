"""Altinn as an OpenID Connect relying party of ID-porten, and the citizen's Altinn session.

A citizen page without a valid session sends the browser to ID-porten's ``/authorize`` as client
``altinn`` (code flow, ``state``, ``nonce``, PKCE S256, ``acr_values=idporten-loa-high``). The
pending login is kept here, server side, under its ``state``: the verifier, the nonce, the page to
return to, and a binding to this browser (the ``altinn_login`` cookie), so that a callback cannot
be replayed, forged or carried to another browser.

The callback redeems the code at ID-porten's ``/token`` over HTTP, authenticating with Altinn's
enterprise certificate (``private_key_jwt``, ``x5c`` = leaf and issuing CA), verifies the
id_token against ID-porten's published keys (issuer, audience ``altinn``, lifetime, nonce) and
requires the highest level, ``idporten-loa-high``: the consent services need it (DESIGN.md §1),
and a relying party must check the ``acr`` it got, not trust the one it asked for.

The session is a random cookie (``altinn_session``, HttpOnly, SameSite=Lax, path ``/``); the
store keeps only its SHA-256, the person, and the session's CSRF token. Times are protocol time
from the sandbox clock.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import uuid
from dataclasses import dataclass
from urllib.parse import urlencode

import jwt
import requests
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from flask import Response, redirect, request

from mocks.common.remote_keys import KeysUnavailable, TokenError, verify_jwt

from ..runtime import Altinn

CLIENT_ID = "altinn"
CALLBACK_PATH = "/ui/authentication/callback"
HIGH = "idporten-loa-high"
SCOPE = "openid profile"
SESSION_COOKIE = "altinn_session"
LOGIN_COOKIE = "altinn_login"
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
ASSERTION_LIFETIME = 120
#: Fallbacks when the settings have no ``altinn.citizen_session`` / ``altinn.citizen_login`` lifetime.
TOKEN_TIMEOUT = 10

SCHEMA = """
CREATE TABLE IF NOT EXISTS citizen_logins (
    state TEXT PRIMARY KEY,
    browser TEXT NOT NULL,
    nonce TEXT NOT NULL,
    verifier TEXT NOT NULL,
    return_url TEXT NOT NULL,
    lang TEXT NOT NULL,
    expires REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS citizen_sessions (
    id TEXT PRIMARY KEY,
    pid TEXT NOT NULL,
    acr TEXT NOT NULL,
    idporten_sid TEXT,
    csrf TEXT NOT NULL,
    created REAL NOT NULL,
    expires REAL NOT NULL
);
"""
TABLES = ("citizen_logins", "citizen_sessions")


class LoginFailed(Exception):
    """The callback cannot log the citizen in; ``kind`` picks the page, ``status`` its HTTP status."""

    def __init__(self, kind: str, status: int, detail: str = ""):
        super().__init__(f"{kind}: {detail}")
        self.kind, self.status, self.detail = kind, status, detail


@dataclass(frozen=True)
class Session:
    id: str          # the SHA-256 of the cookie value
    pid: str
    acr: str
    csrf: str


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def _lifetime(service: Altinn, name: str) -> int:
    """``altinn.citizen_session`` / ``altinn.citizen_login``, changeable at runtime."""
    return service.rt.lifetimes[f"altinn.{name}"]


def safe_return_url(url: str | None) -> str:
    """A path on this host (never another host: no open redirect), else the consent list."""
    if not url or not url.startswith("/") or url.startswith("//") or "\\" in url or any(c in url for c in "\r\n"):
        return "/ui/Profile/Consents"
    return url


def pkce_challenge(verifier: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()


def acr_problem(claims: dict) -> str | None:
    """Why an id_token's level is not enough for Altinn's consent pages (None when it is)."""
    acr = claims.get("acr")
    if acr == HIGH:
        return None
    return f"the login has level {acr!r}; consent needs {HIGH}"


# -- sessions ---------------------------------------------------------------------------------------------
def current_session(service: Altinn) -> Session | None:
    """The citizen's Altinn session from the cookie, None if absent, unknown, forged or expired."""
    token = request.cookies.get(SESSION_COOKIE)
    if not token or len(token) > 200:
        return None
    row = service.rt.store.query_one("SELECT id, pid, acr, csrf, expires FROM citizen_sessions WHERE id = ?",
                                     (_digest(token),))
    if row is None or row["expires"] <= service.clock.timestamp():
        return None
    return Session(row["id"], row["pid"], row["acr"], row["csrf"])


def csrf_ok(session: Session, sent: str | None) -> bool:
    return bool(sent) and hmac.compare_digest(session.csrf.encode(), str(sent).encode())


def start_session(service: Altinn, pid: str, acr: str, idporten_sid: str | None) -> str:
    """A new session; answers the cookie value (kept by the browser only)."""
    token = secrets.token_urlsafe(32)
    now = service.clock.timestamp()
    with service.rt.store.transaction() as db:
        db.execute("DELETE FROM citizen_sessions WHERE expires <= ?", (now,))
        db.execute("INSERT INTO citizen_sessions(id, pid, acr, idporten_sid, csrf, created, expires) "
                   "VALUES (?,?,?,?,?,?,?)",
                   (_digest(token), pid, acr, idporten_sid, secrets.token_urlsafe(32), now,
                    now + _lifetime(service, "citizen_session")))
    return token


def end_session(service: Altinn) -> str | None:
    """Drop the browser's session; answers the pid it belonged to."""
    session = current_session(service)
    token = request.cookies.get(SESSION_COOKIE)
    if token and len(token) <= 200:
        with service.rt.store.transaction() as db:
            db.execute("DELETE FROM citizen_sessions WHERE id = ?", (_digest(token),))
    return session.pid if session else None


def set_session_cookie(response: Response, token: str) -> None:
    response.set_cookie(SESSION_COOKIE, token, httponly=True, samesite="Lax", path="/",
                        secure=request.scheme == "https")


def clear_session_cookie(response: Response) -> None:
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="Lax",
                           secure=request.scheme == "https")


# -- the authorization request -------------------------------------------------------------------------------
def redirect_uri(service: Altinn) -> str:
    return service.base_url + CALLBACK_PATH


def start_login(service: Altinn, return_url: str, lang: str = "nb", prompt: str | None = None) -> Response:
    """Remember a pending login and send the browser to ID-porten."""
    browser = request.cookies.get(LOGIN_COOKIE)
    if not browser or len(browser) > 100:
        browser = secrets.token_urlsafe(24)
    state, nonce, verifier = secrets.token_urlsafe(24), secrets.token_urlsafe(24), secrets.token_urlsafe(48)
    now = service.clock.timestamp()
    with service.rt.store.transaction() as db:
        db.execute("DELETE FROM citizen_logins WHERE expires <= ?", (now,))
        db.execute("INSERT INTO citizen_logins(state, browser, nonce, verifier, return_url, lang, expires) "
                   "VALUES (?,?,?,?,?,?,?)",
                   (state, _digest(browser), nonce, verifier, safe_return_url(return_url), lang,
                    now + _lifetime(service, "citizen_login")))
    params = {"client_id": CLIENT_ID, "redirect_uri": redirect_uri(service), "response_type": "code",
              "scope": SCOPE, "state": state, "nonce": nonce, "code_challenge": pkce_challenge(verifier),
              "code_challenge_method": "S256", "acr_values": HIGH, "ui_locales": lang}
    if prompt:
        params["prompt"] = prompt
    response = redirect(f"{service.idporten_base_url}/authorize?{urlencode(params)}", code=302)
    response.set_cookie(LOGIN_COOKIE, browser, httponly=True, samesite="Lax", path="/",
                        secure=request.scheme == "https")
    response.headers["Cache-Control"] = "no-store"
    return response


def take_pending_login(service: Altinn, state: str) -> dict:
    """The pending login for ``state``, removed (a state works once) and checked against this browser."""
    if not state or len(state) > 200:
        raise LoginFailed("no_state", 400, "the callback has no state")
    with service.rt.store.transaction() as db:
        row = db.execute("SELECT * FROM citizen_logins WHERE state = ?", (state,)).fetchone()
        if row is not None:
            db.execute("DELETE FROM citizen_logins WHERE state = ?", (state,))
    if row is None:
        raise LoginFailed("unknown_state", 400, "the state is unknown or was used already")
    pending = dict(row)
    if pending["expires"] <= service.clock.timestamp():
        raise LoginFailed("unknown_state", 400, "the login took too long")
    browser = request.cookies.get(LOGIN_COOKIE) or ""
    if not hmac.compare_digest(_digest(browser), pending["browser"]):
        raise LoginFailed("other_browser", 400, "the login was started in another browser")
    return pending


# -- the callback's back channel -------------------------------------------------------------------------------
def client_assertion(service: Altinn) -> str:
    """private_key_jwt signed with Altinn's enterprise key, ``x5c`` = [leaf, issuing CA]."""
    credentials = service.enterprise_credentials()
    chain = x509.load_pem_x509_certificates(credentials.chain_pem)
    x5c = [base64.b64encode(cert.public_bytes(serialization.Encoding.DER)).decode() for cert in chain[:2]]
    now = service.clock.epoch()
    claims = {"iss": CLIENT_ID, "sub": CLIENT_ID, "aud": service.idporten_issuer, "iat": now,
              "exp": now + ASSERTION_LIFETIME, "jti": str(uuid.uuid4())}
    key = serialization.load_pem_private_key(credentials.key_pem, password=None)
    return jwt.encode(claims, key, algorithm="RS256", headers={"x5c": x5c})


def redeem_code(service: Altinn, code: str, verifier: str) -> dict:
    """The token response for ``code``; LoginFailed when ID-porten refuses or cannot be reached."""
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri(service),
            "code_verifier": verifier, "client_id": CLIENT_ID, "client_assertion_type": ASSERTION_TYPE,
            "client_assertion": client_assertion(service)}
    try:
        with requests.Session() as http:
            http.trust_env = False
            answer = http.post(f"{service.idporten_base_url}/token", data=form, timeout=TOKEN_TIMEOUT,
                               headers={"Accept": "application/json"})
    except requests.RequestException as exc:
        raise LoginFailed("idporten_unavailable", 502, f"ID-porten's token endpoint cannot be reached: {exc}") \
            from exc
    try:
        body = answer.json()
    except ValueError:
        body = None
    if answer.status_code >= 500 or not isinstance(body, dict):
        raise LoginFailed("idporten_unavailable", 502, f"ID-porten's token endpoint answered {answer.status_code}")
    if answer.status_code != 200:
        raise LoginFailed("token_refused", 400, f"{body.get('error')}: {body.get('error_description')}")
    if not isinstance(body.get("id_token"), str):
        raise LoginFailed("token_refused", 400, "the token response has no id_token")
    return body


def verified_id_token(service: Altinn, id_token: str, nonce: str) -> dict:
    try:
        claims = verify_jwt(id_token, service.idporten_keys, issuer=service.idporten_issuer, clock=service.clock,
                            audience=CLIENT_ID, require=("exp", "iat", "pid", "acr", "nonce"))
    except KeysUnavailable as exc:
        raise LoginFailed("idporten_unavailable", 502, str(exc)) from exc
    except TokenError as exc:
        raise LoginFailed("bad_id_token", 400, str(exc)) from exc
    if not isinstance(claims.get("nonce"), str) or not hmac.compare_digest(claims["nonce"].encode(), nonce.encode()):
        raise LoginFailed("bad_id_token", 400, "the id_token's nonce is not this login's")
    if not isinstance(claims.get("pid"), str):
        raise LoginFailed("bad_id_token", 400, "the id_token has no pid")
    return claims


def finish_login(service: Altinn, args) -> tuple[dict, dict]:
    """(pending login, verified id_token claims) for the callback ``args``; LoginFailed otherwise.
    The acr is checked by the caller (a lower level is its own page)."""
    iss = args.get("iss")
    if iss is not None and iss != service.idporten_issuer:
        raise LoginFailed("wrong_issuer", 400, f"the answer came from {iss!r}, not ID-porten")
    pending = take_pending_login(service, args.get("state", ""))
    error = args.get("error")
    if error:
        raise LoginFailed("idporten_error", 403 if error == "access_denied" else 400,
                          f"{error[:100]}: {args.get('error_description', '')[:300]}")
    code = args.get("code")
    if not code or len(code) > 500:
        raise LoginFailed("no_code", 400, "the callback has neither code nor error")
    tokens = redeem_code(service, code, pending["verifier"])
    return pending, verified_id_token(service, tokens["id_token"], pending["nonce"])
