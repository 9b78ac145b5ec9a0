"""The one language policy of the citizen pages (mocks/common/language.py) and the icon every service
answers (mocks/common/favicon.py), in process: the choice (``?lang=``) wins, then the ``dsop_lang``
cookie, then the service's own hint, then bokmål; the cookie is set once per choice, for the whole
host; a switch link keeps the page and drops the service's own language parameters."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from flask import Flask

from dsop_sandbox.mocks.common import favicon, language
from tests.common.conftest import FACTORIES, events_of


@pytest.fixture
def page_app():
    app = Flask("language-test")

    @app.get("/page")
    def page():
        hint = language.page_language(*[v for v in [app.config.get("HINT")] if v])
        return {"lang": hint, "switch": language.switch_url(hint)}

    return language.install(app)


@pytest.mark.parametrize(
    "tag, lang",
    [
        ("en", "en"),
        ("en-GB", "en"),
        ("EN", "en"),
        ("nn en", "nb"),  # the first usable tag: nynorsk falls back to bokmål
        ("se", "nb"),
        ("no-nb", "nb"),
        ("xx en", "en"),
        ("xx", None),
        ("", None),
        (None, None),
        (7, None),
    ],
)
def test_a_language_tag_is_read_as_altinn_and_idporten_send_them(tag, lang):
    assert language.tag_language(tag) == lang


def test_the_choice_then_the_cookie_then_the_hint_then_bokmal(page_app):
    client = page_app.test_client()
    assert client.get("/page").json["lang"] == "nb"
    page_app.config["HINT"] = "en-GB"
    assert client.get("/page").json["lang"] == "en"  # the service's hint, with no choice made
    assert client.get("/page?lang=nb").json["lang"] == "nb"  # the choice wins over the hint
    assert client.get("/page").json["lang"] == "nb"  # and is remembered: the cookie wins over the hint
    assert client.get("/page?lang=EN").json["lang"] == "nb"  # not a choice: nb and en exactly
    client.set_cookie("dsop_lang", "de")
    assert client.get("/page").json["lang"] == "en"  # a cookie that is not ours is ignored


def test_the_cookie_is_set_once_per_choice_for_the_whole_host(page_app):
    client = page_app.test_client()
    first = client.get("/page?lang=en")
    cookie = first.headers["Set-Cookie"]
    assert cookie.startswith("dsop_lang=en;") and "Path=/" in cookie and "SameSite=Lax" in cookie
    assert "Domain" not in cookie and "Max-Age=31536000" in cookie
    assert "Set-Cookie" not in client.get("/page?lang=en").headers  # the same choice again
    assert "Set-Cookie" not in client.get("/page").headers
    assert client.get("/page?lang=nb").headers["Set-Cookie"].startswith("dsop_lang=nb;")


def test_the_switch_link_keeps_the_page_and_drops_the_services_own_parameters(page_app):
    answer = page_app.test_client().get("/page?id=abc&languageCode=en&ui_locales=en&LanguageCode=en&lang=en")
    switch = urlsplit(answer.json["switch"])
    assert switch.path == "/page" and parse_qs(switch.query) == {"id": ["abc"], "lang": ["nb"]}


@pytest.mark.parametrize("service", sorted(FACTORIES))
def test_every_service_answers_the_icon_without_an_event(make_app, service):
    client = make_app(service).test_client()
    answer = client.get(favicon.PATH)
    assert answer.status_code == 200 and answer.mimetype == "image/svg+xml"
    assert answer.data.startswith(b"<svg") and answer.data == favicon.ICON
    head = client.head(favicon.PATH)
    assert head.status_code == 200 and head.data == b""
    assert client.post(favicon.PATH).status_code != 200  # only the browser's GET is the icon
    assert [e for e in events_of(client) if e["path"] == favicon.PATH and e["method"] != "POST"] == []


def test_the_control_plane_answers_the_icon_too(control_app):
    assert control_app.test_client().get(favicon.PATH).status_code == 200
