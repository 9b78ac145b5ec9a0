"""Altinn as an OpenID Connect relying party of ID-porten, and the citizen's Altinn session.

The machinery is shared with NAV's innsyn (:mod:`dsop_sandbox.mocks.common.citizen_login`); this module is
Altinn's configuration of it and keeps the names the citizen pages use.

A citizen page without a valid session sends the browser to ID-porten's ``/authorize`` as client
``altinn`` (code flow, ``state``, ``nonce``, PKCE S256, ``acr_values=idporten-loa-high``). The
pending login is kept server side under its ``state``, bound to this browser (the
``altinn_login`` cookie), so that a callback cannot be replayed, forged or carried to another
browser.

The callback redeems the code at ID-porten's ``/token`` over HTTP, authenticating with Altinn's
enterprise certificate (``private_key_jwt``, ``x5c`` = leaf and issuing CA), verifies the
id_token against ID-porten's published keys (issuer, audience ``altinn``, lifetime, nonce) and
requires the highest level, ``idporten-loa-high``: the consent services need it (DSOP's process
description, https://dokumentasjon.dsop.no/dsop_su_om.html),
and a relying party must check the ``acr`` it got, not trust the one it asked for.

The session is a random cookie (``altinn_session``, HttpOnly, SameSite=Lax, path ``/``); the
store keeps only its SHA-256, the person, and the session's CSRF token. Lifetimes are
``altinn.citizen_session`` / ``altinn.citizen_login``. Times are protocol time from the sandbox clock.
"""

from __future__ import annotations

from flask import Response

from dsop_sandbox.mocks.common import citizen_login as rp
from dsop_sandbox.mocks.common.citizen_login import (  # the names the pages and tests use
    ASSERTION_LIFETIME,
    ASSERTION_TYPE,
    HIGH,
    SCOPE,
    TOKEN_TIMEOUT,
    LoginFailed,
    RelyingParty,
    Session,
    csrf_ok,
    pkce_challenge,
)

from ..runtime import Altinn

CLIENT_ID = "altinn"
CALLBACK_PATH = "/ui/authentication/callback"
SESSION_COOKIE = "altinn_session"
LOGIN_COOKIE = "altinn_login"
CONSENTS_PATH = "/ui/Profile/Consents"

CONFIG = rp.RelyingPartyConfig(
    client_id=CLIENT_ID,
    callback_path=CALLBACK_PATH,
    session_cookie=SESSION_COOKIE,
    login_cookie=LOGIN_COOKIE,
    lifetimes_prefix="altinn",
    default_return_url=CONSENTS_PATH,
    table_prefix="citizen",
    acr=HIGH,
    purpose="consent",
)

SCHEMA = CONFIG.schema
TABLES = CONFIG.tables

__all__ = [
    "ASSERTION_LIFETIME",
    "ASSERTION_TYPE",
    "CALLBACK_PATH",
    "CLIENT_ID",
    "CONFIG",
    "HIGH",
    "LOGIN_COOKIE",
    "SCHEMA",
    "SCOPE",
    "SESSION_COOKIE",
    "TABLES",
    "TOKEN_TIMEOUT",
    "LoginFailed",
    "RelyingParty",
    "Session",
    "acr_problem",
    "clear_session_cookie",
    "client_assertion",
    "csrf_ok",
    "current_session",
    "end_session",
    "finish_login",
    "party",
    "pkce_challenge",
    "redeem_code",
    "redirect_uri",
    "safe_return_url",
    "set_session_cookie",
    "start_login",
    "start_session",
    "take_pending_login",
    "verified_id_token",
]


def party(service: Altinn) -> RelyingParty:
    """Altinn's relying party, bound to this app's store, clock, certificate and ID-porten keys."""
    return CONFIG.bind(service)


def _digest(value: str) -> str:
    return rp.digest(value)


def _lifetime(service: Altinn, name: str) -> int:
    """``altinn.citizen_session`` / ``altinn.citizen_login``, changeable at runtime."""
    return party(service).lifetime(name)


def safe_return_url(url: str | None) -> str:
    """A path on this host (never another host: no open redirect), else the consent list."""
    return CONFIG.safe_return_url(url)


def acr_problem(claims: dict) -> str | None:
    """Why an id_token's level is not enough for Altinn's consent pages (None when it is)."""
    return CONFIG.acr_problem(claims)


# -- sessions ---------------------------------------------------------------------------------------------
def current_session(service: Altinn) -> Session | None:
    return party(service).current_session()


def start_session(service: Altinn, pid: str, acr: str, idporten_sid: str | None) -> str:
    return party(service).start_session(pid, acr, idporten_sid)


def end_session(service: Altinn) -> str | None:
    return party(service).end_session()


def set_session_cookie(response: Response, token: str) -> None:
    CONFIG.set_session_cookie(response, token)


def clear_session_cookie(response: Response) -> None:
    CONFIG.clear_session_cookie(response)


# -- login ------------------------------------------------------------------------------------------------
def redirect_uri(service: Altinn) -> str:
    return party(service).redirect_uri


def start_login(
    service: Altinn, return_url: str, lang: str = "nb", prompt: str | None = None, login_hint: str | None = None
) -> Response:
    return party(service).start_login(return_url, lang, prompt, login_hint)


def take_pending_login(service: Altinn, state: str) -> dict:
    return party(service).take_pending_login(state)


def client_assertion(service: Altinn) -> str:
    return party(service).client_assertion()


def redeem_code(service: Altinn, code: str, verifier: str) -> dict:
    return party(service).redeem_code(code, verifier)


def verified_id_token(service: Altinn, id_token: str, nonce: str) -> dict:
    return party(service).verified_id_token(id_token, nonce)


def finish_login(service: Altinn, args) -> tuple[dict, dict]:
    """(pending login, verified id_token claims) for the callback ``args``; LoginFailed otherwise.
    The acr is checked by the caller (a lower level is its own page)."""
    return party(service).finish_login(args)
