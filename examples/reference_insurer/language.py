"""The language of the insurer's pages: bokmål unless the citizen chose English.

The sandbox's pages share one convention, and the insurer, which imports nothing of the sandbox,
follows it on its own: ``?lang=nb`` or ``?lang=en`` is the citizen's choice, kept in the cookie
``dsop_lang`` (``path=/``, ``SameSite=Lax``). Cookies do not tell ports apart, so a choice made at
ID-porten or Altinn on the same host holds here, and one made here holds there."""

from __future__ import annotations

from urllib.parse import urlencode

from flask import request

COOKIE = "dsop_lang"
LANGUAGES = ("nb", "en")
COOKIE_MAX_AGE = 365 * 24 * 3600


def chosen() -> str | None:
    value = request.args.get("lang")
    return value if value in LANGUAGES else None


def page_language() -> str:
    """``?lang=``, then the cookie, then bokmål."""
    cookie = request.cookies.get(COOKIE)
    return chosen() or (cookie if cookie in LANGUAGES else "nb")


def switch_url(lang: str) -> str:
    """This page in the other language."""
    return f"{request.path}?{urlencode({**request.args.to_dict(), 'lang': 'nb' if lang == 'en' else 'en'})}"


def remember_choice(response):
    lang = chosen()
    if lang is not None and lang != request.cookies.get(COOKIE):
        response.set_cookie(COOKIE, lang, max_age=COOKIE_MAX_AGE, path="/", samesite="Lax")
    return response
