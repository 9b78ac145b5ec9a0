"""Login and logout forms that only the citizen's own browser can send (issue 15, finding 5).

**Login CSRF.** ``/authorize`` gives the browser a cookie of its own (:data:`BROWSER_COOKIE`,
HttpOnly, SameSite=Lax) and keeps, with the pending login, the cookie's SHA-256 and an anti-CSRF
token that the login page carries as the hidden field ``csrf``. ``POST /login`` is taken only with
both: the token of that login, from the browser that started it. A login form prepared in one
browser and posted from another (or from another site, which sends no Lax cookie with a POST)
logs nobody in.

**Logout CSRF.** ``/logout`` without ``id_token_hint`` cannot tell who asks; ID-porten then asks the
citizen to confirm on its own page. The confirmation's form carries a token derived from the
session's cookie, which another site cannot read or send.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from flask import Response, request

from .state import MAX_COOKIE, digest

BROWSER_COOKIE = "idporten_browser"
CSRF_FIELD = "csrf"
_BROWSER, _CSRF = "_browser", "_csrf"
OTHER_BROWSER = (
    "Innloggingen ble startet i en annen nettleser; start på nytt fra tjenesten / "
    "the login was started in another browser; start again from the service"
)


def _same(a: str | None, b: str | None) -> bool:
    return bool(a) and bool(b) and hmac.compare_digest(str(a).encode(), str(b).encode())


def browser() -> str:
    """This browser's binding cookie, or a new one (set it with :func:`remember_browser`)."""
    value = request.cookies.get(BROWSER_COOKIE)
    return value if value and len(value) <= MAX_COOKIE else secrets.token_urlsafe(24)


def bind(params: dict, browser_value: str) -> dict:
    """A pending login's parameters, bound to this browser, with its anti-CSRF token."""
    return {**params, _BROWSER: digest(browser_value), _CSRF: secrets.token_urlsafe(24)}


def remember_browser(response: Response, browser_value: str) -> Response:
    response.set_cookie(
        BROWSER_COOKIE, browser_value, httponly=True, samesite="Lax", path="/", secure=request.scheme == "https"
    )
    return response


def csrf_token(params: dict) -> str:
    return params.get(_CSRF, "")


def login_form_problem(params: dict, form) -> str | None:
    """Why this ``POST /login`` is not the citizen's own (None when it is)."""
    cookie = request.cookies.get(BROWSER_COOKIE) or ""
    if not _same(digest(cookie), params.get(_BROWSER)) or not _same(form.get(CSRF_FIELD), params.get(_CSRF)):
        return OTHER_BROWSER
    return None


def logout_token(session_cookie: str) -> str:
    """The confirmation token of the session this cookie names."""
    return hmac.new(session_cookie.encode(), b"idporten logout", hashlib.sha256).hexdigest()


def logout_confirmed(session_cookie: str | None, form) -> bool:
    return bool(session_cookie) and _same(form.get(CSRF_FIELD), logout_token(session_cookie))
