"""One language policy for every citizen page of the fakes: Norwegian bokmål unless English is asked
for, and a choice made on one service's page holds on the others.

* ``?lang=nb`` or ``?lang=en`` on any page is the citizen's choice. It is remembered in the cookie
  ``dsop_lang`` (``path=/``, ``SameSite=Lax``). Cookies do not tell ports apart (RFC 6265, §8.5),
  so the choice made at ID-porten holds at Altinn and at NAV when they run on the same host, as the
  sandbox's services do.
* A page's language is: ``?lang=``, then the cookie, then what the service itself was asked for
  (ID-porten's ``ui_locales``, Altinn's ``languageCode`` or the consent request's language), then
  ``nb``. The citizen's own choice wins over the client's, as at ID-porten: "if the user manually
  changes language in ID-porten GUI, a cookie IDPORTEN_SELECTED_LANGUAGE will be set, overriding
  the requested ui_locales" (Digdir, «/authorize endpoint»,
  https://docs.digdir.no/docs/idporten/oidc/oidc_protocol_authorize).

Only ``nb`` and ``en`` have texts: nynorsk and sámi tags fall back to bokmål.
"""

from __future__ import annotations

from urllib.parse import urlencode

from flask import Flask, request

from .direct import after_response

COOKIE = "dsop_lang"
PARAMETER = "lang"
DEFAULT = "nb"
LANGUAGES = ("nb", "en")
#: A year: a citizen's choice of language is not a secret and needs no session.
COOKIE_MAX_AGE = 365 * 24 * 3600
#: The services' own names for a page's language, left out of a link that switches it.
SERVICE_PARAMETERS = ("ui_locales", "languageCode", "LanguageCode")


def tag_language(value) -> str | None:
    """``en`` or ``nb`` for the first usable tag in ``value`` (``"en-GB"``, ``"nn en"``,
    ``"no-nb"``), None when there is none: ``nn``, ``no`` and ``se`` count as bokmål."""
    if not isinstance(value, str):
        return None
    for tag in value.replace(",", " ").split():
        tag = tag.strip().lower()
        if tag.startswith("en"):
            return "en"
        if tag.split("-")[0] in ("nb", "nn", "no", "se"):
            return "nb"
    return None


def chosen(asked=None) -> str | None:
    """The language this request's (or ``asked``'s) ``?lang=`` chooses (``nb`` or ``en`` exactly), or None."""
    value = (request if asked is None else asked).args.get(PARAMETER)
    return value if value in LANGUAGES else None


def remembered(asked=None) -> str | None:
    """The citizen's earlier choice, from the cookie (None when it is missing or not ours)."""
    value = (request if asked is None else asked).cookies.get(COOKIE)
    return value if value in LANGUAGES else None


def page_language(*asked) -> str:
    """The language of this page: the choice, the cookie, the first of ``asked`` (the service's own
    hints, most specific first) that names a language, then bokmål."""
    return chosen() or remembered() or next((lang for lang in map(tag_language, asked) if lang), DEFAULT)


def other(lang: str) -> str:
    return "nb" if lang == "en" else "en"


def switch_url(lang: str, path: str | None = None, args: dict | None = None) -> str:
    """This page (or ``path`` with ``args``) in the other language: ``?lang=`` set, the service's
    own language parameters left out (the choice replaces them)."""
    kept = {k: v for k, v in (request.args.to_dict() if args is None else args).items() if k not in SERVICE_PARAMETERS}
    kept[PARAMETER] = other(lang)
    return f"{request.path if path is None else path}?{urlencode(kept)}"


def remember_choice(response, asked=None):
    """After a page with ``?lang=``: the cookie that carries the choice to the other services
    (``asked``: the request answered, when it is not Flask's current one)."""
    lang = chosen(asked)
    if lang is not None and lang != remembered(asked):
        response.set_cookie(COOKIE, lang, max_age=COOKIE_MAX_AGE, path="/", samesite="Lax")
    return response


def install(app: Flask) -> Flask:
    """Every response of ``app`` remembers a ``?lang=`` choice."""
    after_response(app, lambda asked, response: remember_choice(response, asked))
    return app
