"""NAV as an OpenID Connect relying party of ID-porten, for the citizen's innsyn pages.

Client ``nav`` (seeded at ID-porten: NAV's org 889640782, ``private_key_jwt`` with NAV's enterprise
certificate, PKCE required, redirect ``<nav>/oauth2/callback``), level ``idporten-loa-high``
required (sporingslogg's ``/api/les`` wants Level4, docs/nav.md, «Disclosure log and innsyn»). The
machinery is shared with Altinn (:mod:`dsop_sandbox.mocks.common.citizen_login`); the session is the
``nav_session`` cookie, the pending login is bound to the browser by ``nav_login``. Lifetimes
``nav.citizen_session`` / ``nav.citizen_login``; tables ``citizen_logins`` / ``citizen_sessions`` in
NAV's store (runtime: a reset logs every citizen out).
"""

from __future__ import annotations

from dsop_sandbox.mocks.common.citizen_login import HIGH, RelyingParty, RelyingPartyConfig

from ..runtime import Nav

CLIENT_ID = "nav"
CALLBACK_PATH = "/oauth2/callback"
LOGIN_PATH = "/oauth2/login"
LOGOUT_PATH = "/oauth2/logout"
SESSION_COOKIE = "nav_session"
LOGIN_COOKIE = "nav_login"
DSOP_PATH = "/person/personopplysninger/dsop"

CONFIG = RelyingPartyConfig(
    client_id=CLIENT_ID,
    callback_path=CALLBACK_PATH,
    session_cookie=SESSION_COOKIE,
    login_cookie=LOGIN_COOKIE,
    lifetimes_prefix="nav",
    default_return_url=DSOP_PATH,
    table_prefix="citizen",
    acr=HIGH,
    purpose="NAV's innsyn",
)

SCHEMA = CONFIG.schema
TABLES = CONFIG.tables


def party(service: Nav) -> RelyingParty:
    """NAV's relying party, bound to this app's store, clock, certificate and ID-porten keys."""
    return CONFIG.bind(service)
