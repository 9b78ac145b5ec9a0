"""A sandbox service as an OpenID Connect relying party of ID-porten, and the citizen's session there.

Altinn (consent pages) and NAV (innsyn) both log citizens in at ID-porten the way a real public
service does, and a fake may not import another fake, so the machinery lives here and each
service configures it (:class:`RelyingPartyConfig`) and binds it to its own store, clock,
lifetimes, enterprise certificate and ID-porten keys (:class:`RelyingParty`).

A page without a valid session sends the browser to ID-porten's ``/authorize`` (code flow,
``state``, ``nonce``, PKCE S256, ``acr_values`` = the required level). The pending login is kept
server side under its ``state``: the verifier, the nonce, the page to return to, and a binding to
this browser (the login cookie, stored as its SHA-256), so that a callback cannot be replayed
(a state works once), forged, or carried to another browser.

The callback checks ``iss`` (RFC 9207) when sent, redeems the code at ID-porten's ``/token`` over
HTTP (through the service's :class:`~dsop_sandbox.mocks.common.outbound.Outbound`) authenticating
with the service's enterprise certificate (``private_key_jwt``, ``x5c`` = leaf and issuing CA), and
verifies the id_token against ID-porten's published keys (issuer, audience = the client id,
lifetime, nonce, ``pid``). The caller then checks the level with
:meth:`RelyingPartyConfig.acr_problem`: a relying party must check the ``acr`` it got, not trust
the one it asked for. A page for one person's request (Altinn's consent page) sends that person's
fødselsnummer as ``login_hint``. ID-porten unreachable (network, 5xx, no keys) is :class:`LoginFailed` with
status 502; everything else the citizen or an attacker can cause is a 4xx.

The session is a random cookie (HttpOnly, SameSite=Lax, path ``/``, Secure over https); the store
keeps only its SHA-256, the person, the acr, ID-porten's ``sid`` and the session's CSRF token.
Lifetimes are ``<prefix>.citizen_session`` and ``<prefix>.citizen_login`` from the service's
runtime lifetimes; every time is protocol time from the sandbox clock.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import jwt
import requests
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from flask import Response, redirect, request

from dsop_sandbox.mocks.authority import load_key

from .browser_urls import local_path
from .clock import Clock
from .outbound import Outbound
from .remote_keys import KeysUnavailable, RemoteKeys, TokenError, verify_jwt
from .store import Store

HIGH = "idporten-loa-high"
SUBSTANTIAL = "idporten-loa-substantial"
SCOPE = "openid profile"
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
ASSERTION_LIFETIME = 120
#: Seconds to wait for ID-porten's token endpoint.
TOKEN_TIMEOUT = 10
#: Longer cookie values are not ours (and are not hashed or looked up).
MAX_SESSION_COOKIE = 200
MAX_LOGIN_COOKIE = 100
MAX_STATE = 200
MAX_CODE = 500
_NAME = re.compile(r"^[a-z][a-z0-9_]{0,40}$")


class LoginFailed(Exception):
    """The callback cannot log the citizen in; ``kind`` picks the page, ``status`` its HTTP status.

    Kinds: ``no_state``, ``unknown_state``, ``other_browser``, ``wrong_issuer``, ``idporten_error``
    (403 when the citizen cancelled), ``no_code``, ``token_refused``, ``bad_id_token`` (all 4xx) and
    ``idporten_unavailable`` (502)."""

    def __init__(self, kind: str, status: int, detail: str = ""):
        super().__init__(f"{kind}: {detail}")
        self.kind, self.status, self.detail = kind, status, detail


@dataclass(frozen=True)
class Session:
    id: str  # the SHA-256 of the cookie value
    pid: str
    acr: str
    csrf: str


def digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def pkce_challenge(verifier: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()


def is_local_path(url: str | None) -> bool:
    """A path on this host, as a browser reads it: never another host (no open redirect)."""
    return local_path(url) is not None


def csrf_ok(session: Session, sent: str | None) -> bool:
    return bool(sent) and hmac.compare_digest(session.csrf.encode(), str(sent).encode())


def schema(table_prefix: str = "citizen") -> str:
    """The two runtime tables of a relying party: pending logins and sessions."""
    return f"""
CREATE TABLE IF NOT EXISTS {table_prefix}_logins (
    state TEXT PRIMARY KEY,
    browser TEXT NOT NULL,
    nonce TEXT NOT NULL,
    verifier TEXT NOT NULL,
    return_url TEXT NOT NULL,
    lang TEXT NOT NULL,
    expires REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS {table_prefix}_sessions (
    id TEXT PRIMARY KEY,
    pid TEXT NOT NULL,
    acr TEXT NOT NULL,
    idporten_sid TEXT,
    csrf TEXT NOT NULL,
    created REAL NOT NULL,
    expires REAL NOT NULL
);
"""


@dataclass(frozen=True)
class RelyingPartyConfig:
    """What a service's relying party is, independent of any running app.

    ``lifetimes_prefix`` names the lifetimes ``<prefix>.citizen_session`` / ``<prefix>.citizen_login``;
    ``table_prefix`` the tables ``<prefix>_logins`` / ``<prefix>_sessions``; ``purpose`` finishes the
    sentence of :meth:`acr_problem` ("… ; <purpose> needs idporten-loa-high")."""

    client_id: str
    callback_path: str
    session_cookie: str
    login_cookie: str
    lifetimes_prefix: str
    default_return_url: str
    table_prefix: str = "citizen"
    acr: str = HIGH
    scope: str = SCOPE
    purpose: str = "this service"

    def __post_init__(self):
        if not _NAME.match(self.table_prefix):
            raise ValueError(f"table_prefix {self.table_prefix!r}: lower-case letters, digits and _")
        if not is_local_path(self.callback_path) or not is_local_path(self.default_return_url):
            raise ValueError("callback_path and default_return_url are paths on the service's host")
        if self.session_cookie == self.login_cookie:
            raise ValueError("the session and login cookies need different names")

    @property
    def logins_table(self) -> str:
        return f"{self.table_prefix}_logins"

    @property
    def sessions_table(self) -> str:
        return f"{self.table_prefix}_sessions"

    @property
    def schema(self) -> str:
        return schema(self.table_prefix)

    @property
    def tables(self) -> tuple[str, str]:
        return (self.logins_table, self.sessions_table)

    def safe_return_url(self, url: str | None) -> str:
        """A path on this host as a browser reads it (never another host: no open redirect), in the
        form the browser reads, else the default page."""
        return local_path(url) or self.default_return_url

    def acr_problem(self, claims: dict) -> str | None:
        """Why an id_token's level is not enough (None when it is)."""
        acr = claims.get("acr")
        if acr == self.acr:
            return None
        return f"the login has level {acr!r}; {self.purpose} needs {self.acr}"

    def set_cookie(self, response: Response, name: str, value: str) -> None:
        response.set_cookie(name, value, httponly=True, samesite="Lax", path="/", secure=request.scheme == "https")

    def set_session_cookie(self, response: Response, token: str) -> None:
        self.set_cookie(response, self.session_cookie, token)

    def clear_session_cookie(self, response: Response) -> None:
        response.delete_cookie(
            self.session_cookie, path="/", httponly=True, samesite="Lax", secure=request.scheme == "https"
        )

    def bind(self, service: Any) -> RelyingParty:
        """This config bound to a service object with the parts both Altinn and NAV have:
        ``base_url``, ``clock``, ``rt.store``, ``rt.lifetimes``, ``enterprise_credentials()``,
        ``idporten_base_url``, ``idporten_issuer`` and ``idporten_keys``, and, when it has one, the
        ``outbound`` its calls to ID-porten go through."""
        return RelyingParty(
            self,
            base_url=service.base_url,
            store=service.rt.store,
            clock=service.clock,
            lifetimes=service.rt.lifetimes,
            credentials=service.enterprise_credentials,
            idporten_base_url=service.idporten_base_url,
            idporten_issuer=service.idporten_issuer,
            idporten_keys=service.idporten_keys,
            outbound=getattr(service, "outbound", None),
        )


class RelyingParty:
    """A :class:`RelyingPartyConfig` bound to one running service. Cheap to make: it holds references only.

    ``credentials()`` answers the service's enterprise certificate (an object with ``key_pem`` and
    ``chain_pem``, PEM bytes); ``lifetimes`` is the service's runtime lifetimes (read on every use,
    so that ``POST /_sandbox/lifetimes`` takes effect at once). ``outbound`` gives the sessions for
    ID-porten's token endpoint; without it, those ``idporten_keys`` fetches with."""

    def __init__(
        self,
        config: RelyingPartyConfig,
        *,
        base_url: str,
        store: Store,
        clock: Clock,
        lifetimes: Mapping[str, int],
        credentials: Callable[[], Any],
        idporten_base_url: str,
        idporten_issuer: str,
        idporten_keys: RemoteKeys,
        token_timeout: float = TOKEN_TIMEOUT,
        outbound: Outbound | None = None,
    ):
        self.config = config
        self.base_url = base_url.rstrip("/")
        self.store, self.clock, self.lifetimes = store, clock, lifetimes
        self.credentials = credentials
        self.idporten_base_url = idporten_base_url.rstrip("/")
        self.idporten_issuer = idporten_issuer
        self.idporten_keys = idporten_keys
        self.token_timeout = token_timeout
        self.outbound = outbound if outbound is not None else idporten_keys.outbound

    # -- small parts ------------------------------------------------------------------------------------
    def lifetime(self, name: str) -> int:
        """``<prefix>.citizen_session`` / ``<prefix>.citizen_login``, changeable at runtime."""
        return self.lifetimes[f"{self.config.lifetimes_prefix}.{name}"]

    @property
    def redirect_uri(self) -> str:
        return self.base_url + self.config.callback_path

    def safe_return_url(self, url: str | None) -> str:
        return self.config.safe_return_url(url)

    def acr_problem(self, claims: dict) -> str | None:
        return self.config.acr_problem(claims)

    @staticmethod
    def csrf_ok(session: Session, sent: str | None) -> bool:
        return csrf_ok(session, sent)

    # -- sessions ----------------------------------------------------------------------------------------
    def _session_cookie(self) -> str | None:
        token = request.cookies.get(self.config.session_cookie)
        if not token or len(token) > MAX_SESSION_COOKIE:
            return None
        return token

    def current_session(self) -> Session | None:
        """The citizen's session from the cookie, None if absent, unknown, forged or expired."""
        token = self._session_cookie()
        if token is None:
            return None
        row = self.store.query_one(
            f"SELECT id, pid, acr, csrf, expires FROM {self.config.sessions_table} WHERE id = ?",
            (digest(token),),
        )
        if row is None or row["expires"] <= self.clock.timestamp():
            return None
        return Session(row["id"], row["pid"], row["acr"], row["csrf"])

    def start_session(self, pid: str, acr: str, idporten_sid: str | None) -> str:
        """A new session; answers the cookie value (kept by the browser only)."""
        token = secrets.token_urlsafe(32)
        now = self.clock.timestamp()
        table = self.config.sessions_table
        with self.store.transaction() as db:
            db.execute(f"DELETE FROM {table} WHERE expires <= ?", (now,))
            db.execute(
                f"INSERT INTO {table}(id, pid, acr, idporten_sid, csrf, created, expires) VALUES (?,?,?,?,?,?,?)",
                (
                    digest(token),
                    pid,
                    acr,
                    idporten_sid,
                    secrets.token_urlsafe(32),
                    now,
                    now + self.lifetime("citizen_session"),
                ),
            )
        return token

    def end_session(self) -> str | None:
        """Drop the browser's session; answers the pid it belonged to."""
        session = self.current_session()
        token = self._session_cookie()
        if token:
            with self.store.transaction() as db:
                db.execute(f"DELETE FROM {self.config.sessions_table} WHERE id = ?", (digest(token),))
        return session.pid if session else None

    def set_session_cookie(self, response: Response, token: str) -> None:
        self.config.set_session_cookie(response, token)

    def clear_session_cookie(self, response: Response) -> None:
        self.config.clear_session_cookie(response)

    # -- the authorization request ---------------------------------------------------------------------
    def start_login(
        self, return_url: str, lang: str = "nb", prompt: str | None = None, login_hint: str | None = None
    ) -> Response:
        """Remember a pending login and send the browser to ID-porten. ``login_hint``: the
        fødselsnummer of the person the page is for, when the service knows it (OpenID Connect Core
        1.0, §3.1.2.1: a hint the provider may use at its discretion; the sandbox's ID-porten
        preselects that test person and says so)."""
        config = self.config
        browser = request.cookies.get(config.login_cookie)
        if not browser or len(browser) > MAX_LOGIN_COOKIE:
            browser = secrets.token_urlsafe(24)
        state, nonce, verifier = secrets.token_urlsafe(24), secrets.token_urlsafe(24), secrets.token_urlsafe(48)
        now = self.clock.timestamp()
        with self.store.transaction() as db:
            db.execute(f"DELETE FROM {config.logins_table} WHERE expires <= ?", (now,))
            db.execute(
                f"INSERT INTO {config.logins_table}"
                "(state, browser, nonce, verifier, return_url, lang, expires) VALUES (?,?,?,?,?,?,?)",
                (
                    state,
                    digest(browser),
                    nonce,
                    verifier,
                    self.safe_return_url(return_url),
                    lang,
                    now + self.lifetime("citizen_login"),
                ),
            )
        params = {
            "client_id": config.client_id,
            "redirect_uri": self.redirect_uri,
            "response_type": "code",
            "scope": config.scope,
            "state": state,
            "nonce": nonce,
            "code_challenge": pkce_challenge(verifier),
            "code_challenge_method": "S256",
            "acr_values": config.acr,
            "ui_locales": lang,
        }
        if prompt:
            params["prompt"] = prompt
        if login_hint:
            params["login_hint"] = login_hint
        response = redirect(f"{self.idporten_base_url}/authorize?{urlencode(params)}", code=302)
        config.set_cookie(response, config.login_cookie, browser)
        response.headers["Cache-Control"] = "no-store"
        return response

    def take_pending_login(self, state: str) -> dict:
        """The pending login for ``state``, removed (a state works once) and checked against this browser."""
        if not state or len(state) > MAX_STATE:
            raise LoginFailed("no_state", 400, "the callback has no state")
        table = self.config.logins_table
        with self.store.transaction() as db:
            row = db.execute(f"SELECT * FROM {table} WHERE state = ?", (state,)).fetchone()
            if row is not None:
                db.execute(f"DELETE FROM {table} WHERE state = ?", (state,))
        if row is None:
            raise LoginFailed("unknown_state", 400, "the state is unknown or was used already")
        pending = dict(row)
        if pending["expires"] <= self.clock.timestamp():
            raise LoginFailed("unknown_state", 400, "the login took too long")
        browser = request.cookies.get(self.config.login_cookie) or ""
        if not hmac.compare_digest(digest(browser), pending["browser"]):
            raise LoginFailed("other_browser", 400, "the login was started in another browser")
        return pending

    # -- the callback's back channel ---------------------------------------------------------------------
    def client_assertion(self) -> str:
        """private_key_jwt signed with the service's enterprise key, ``x5c`` = [leaf, issuing CA]."""
        credentials = self.credentials()
        chain = x509.load_pem_x509_certificates(credentials.chain_pem)
        x5c = [base64.b64encode(cert.public_bytes(serialization.Encoding.DER)).decode() for cert in chain[:2]]
        now = self.clock.epoch()
        client_id = self.config.client_id
        claims = {
            "iss": client_id,
            "sub": client_id,
            "aud": self.idporten_issuer,
            "iat": now,
            "exp": now + ASSERTION_LIFETIME,
            "jti": str(uuid.uuid4()),
        }
        # The authority's own key: loaded without the RSA self-check, which costs ~30 ms a login.
        return jwt.encode(claims, load_key(credentials.key_pem), algorithm="RS256", headers={"x5c": x5c})

    def redeem_code(self, code: str, verifier: str) -> dict:
        """The token response for ``code``; LoginFailed when ID-porten refuses or cannot be reached."""
        form = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": self.redirect_uri,
            "code_verifier": verifier,
            "client_id": self.config.client_id,
            "client_assertion_type": ASSERTION_TYPE,
            "client_assertion": self.client_assertion(),
        }
        try:
            with self.outbound.session() as http:
                answer = http.post(
                    f"{self.idporten_base_url}/token",
                    data=form,
                    timeout=self.token_timeout,
                    headers={"Accept": "application/json"},
                )
        except requests.RequestException as exc:
            raise LoginFailed(
                "idporten_unavailable", 502, f"ID-porten's token endpoint cannot be reached: {exc}"
            ) from exc
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

    def verified_id_token(self, id_token: str, nonce: str) -> dict:
        try:
            claims = verify_jwt(
                id_token,
                self.idporten_keys,
                issuer=self.idporten_issuer,
                clock=self.clock,
                audience=self.config.client_id,
                require=("exp", "iat", "pid", "acr", "nonce"),
            )
        except KeysUnavailable as exc:
            raise LoginFailed("idporten_unavailable", 502, str(exc)) from exc
        except TokenError as exc:
            raise LoginFailed("bad_id_token", 400, str(exc)) from exc
        if not isinstance(claims.get("nonce"), str) or not hmac.compare_digest(
            claims["nonce"].encode(), nonce.encode()
        ):
            raise LoginFailed("bad_id_token", 400, "the id_token's nonce is not this login's")
        if not isinstance(claims.get("pid"), str):
            raise LoginFailed("bad_id_token", 400, "the id_token has no pid")
        return claims

    def finish_login(self, args: Mapping[str, str]) -> tuple[dict, dict]:
        """(pending login, verified id_token claims) for the callback ``args``; LoginFailed otherwise.
        The acr is checked by the caller (a lower level is its own page)."""
        iss = args.get("iss")
        if iss is not None and iss != self.idporten_issuer:
            raise LoginFailed("wrong_issuer", 400, f"the answer came from {iss!r}, not ID-porten")
        pending = self.take_pending_login(args.get("state", ""))
        error = args.get("error")
        if error:
            raise LoginFailed(
                "idporten_error",
                403 if error == "access_denied" else 400,
                f"{error[:100]}: {args.get('error_description', '')[:300]}",
            )
        code = args.get("code")
        if not code or len(code) > MAX_CODE:
            raise LoginFailed("no_code", 400, "the callback has neither code nor error")
        tokens = self.redeem_code(code, pending["verifier"])
        return pending, self.verified_id_token(tokens["id_token"], pending["nonce"])

    def logged_in(self, pending: dict, claims: dict) -> Response:
        """After :meth:`finish_login` and the acr check: a fresh session (never the browser's previous
        one) and the redirect to the page the login started from."""
        self.end_session()
        token = self.start_session(claims["pid"], claims["acr"], claims.get("sid"))
        response = redirect(pending["return_url"], code=302)
        self.set_session_cookie(response, token)
        response.headers["Cache-Control"] = "no-store"
        return response
