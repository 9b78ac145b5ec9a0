"""ID-porten's login page in a real headless Chromium: what a citizen sees, in Norwegian and
English, used with the keyboard alone, ending at the client with a code."""

from __future__ import annotations

import base64
import hashlib
import http.server
import secrets
import threading
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import requests

from dsop_sandbox.people.roster import TEST_PERSONS
from tests.browser.conftest import record_requests, shoot, tab_order

LOOPBACK = {"localhost", "127.0.0.1"}


class Callback:
    """The insurer's redirect_uri, served for real on a free port; remembers what reached it."""

    def __init__(self):
        reached = self.reached = []

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                reached.append(self.path)
                body = (
                    b"<!doctype html><html lang='nb'><link rel='icon' href='data:,'>"
                    b"<title>Tilbake hos forsikringsselskapet</title></html>"
                )
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://localhost:{self.server.server_address[1]}/login/callback"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def callback():
    served = Callback()
    yield served
    served.server.shutdown()


@pytest.fixture
def client_id(sandbox, callback) -> str:
    answer = requests.post(
        sandbox.url("idporten") + "/_sandbox/clients",
        timeout=10,
        json={"client_name": "Eksempel Forsikring AS", "redirect_uris": [callback.url]},
    )
    assert answer.status_code == 201, answer.text
    return answer.json()["client_id"]


def authorize_url(sandbox, client_id: str, callback, **extra) -> str:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    params = {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": callback.url,
        "scope": "openid profile",
        "state": "st-" + secrets.token_hex(4),
        "nonce": secrets.token_hex(8),
        "code_challenge": challenge,
        "code_challenge_method": "S256",
        "acr_values": "idporten-loa-high",
        **extra,
    }
    return sandbox.url("idporten") + "/authorize?" + urlencode(params)


def test_the_login_page_shows_what_a_citizen_needs(page, sandbox, client_id, callback, artifacts):
    requested = record_requests(page)
    page.goto(authorize_url(sandbox, client_id, callback))
    assert page.locator("html").get_attribute("lang") == "nb"
    assert page.get_by_role("heading", level=1).inner_text() == "Logg inn med ID-porten"
    body = page.locator("body").inner_text()
    assert "Eksempel Forsikring AS" in body
    assert "høyt" in body  # the level the service asks for
    for person in TEST_PERSONS:
        assert page.get_by_label(person["name"], exact=False).count() == 1
    assert page.get_by_label("Annet syntetisk fødselsnummer").is_visible()
    bankid = page.get_by_role("radio", name="BankID")
    minid = page.get_by_role("radio", name="MinID")
    assert bankid.is_enabled() and not minid.is_enabled()  # MinID gives only substantial
    assert page.get_by_role("button", name="Logg inn").is_visible()
    assert page.get_by_role("button", name="Avbryt").is_visible()
    assert "TEST" in page.locator("header").inner_text()
    shoot(page, "idporten-login-nb", always=True)  # its size is checked below
    assert (artifacts / "idporten-login-nb.png").stat().st_size > 10_000
    assert {urlsplit(url).hostname for url in requested} <= LOOPBACK  # no CDN, no outside call


def test_the_login_page_speaks_english_with_ui_locales_en(page, sandbox, client_id, callback):
    page.goto(authorize_url(sandbox, client_id, callback, ui_locales="en"))
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.get_by_role("heading", level=1).inner_text() == "Log in with ID-porten"
    assert page.get_by_role("button", name="Log in").is_visible()
    shoot(page, "idporten-login-en")
    # the citizen can switch language on the page
    page.get_by_role("link", name="Norsk (bokmål)").click()
    assert page.locator("html").get_attribute("lang") == "nb"


def test_a_citizen_logs_in_with_the_keyboard_alone(page, sandbox, client_id, callback):
    reached = callback.reached
    page.goto(authorize_url(sandbox, client_id, callback))
    order = tab_order(page)
    assert all(element["visible"] for element in order), order
    names = [element["name"] for element in order]
    # language link, the person group, the free-text number, the method group, the two buttons
    assert names.index("pid") < names.index("other_pid") < names.index("method") < names.index("action")
    page.evaluate("document.activeElement && document.activeElement.blur()")
    page.keyboard.press("Tab")  # the language link
    page.keyboard.press("Tab")  # the chosen test person
    page.keyboard.press("ArrowDown")  # the next test person
    offered = page.locator("input[name=pid]").evaluate_all("radios => radios.map(r => r.value)")
    assert offered == [person["pid"] for person in TEST_PERSONS]  # in the scenario's order
    assert page.locator("input[name=pid]:checked").get_attribute("value") == offered[1]
    page.keyboard.press("Tab")  # the free-text number
    page.keyboard.press("Tab")  # the method group (TestID, high)
    page.keyboard.press("ArrowDown")  # BankID (MinID and TestID-substantial are disabled)
    assert page.locator("input[name=method]:checked").get_attribute("value") == "bankid"
    page.keyboard.press("Tab")  # Logg inn
    with page.expect_navigation():
        page.keyboard.press("Enter")
    callbacks = [path for path in reached if path.startswith("/login/callback")]
    assert len(callbacks) == 1, reached
    answer = parse_qs(urlsplit(callbacks[0]).query)
    assert answer["code"] and answer["state"][0].startswith("st-")
    assert answer["iss"] == [sandbox.settings.issuer("idporten")]


def test_a_real_persons_number_is_refused_on_the_page(page, sandbox, client_id, callback, artifacts):
    page.goto(authorize_url(sandbox, client_id, callback))
    page.get_by_label("Annet syntetisk fødselsnummer").fill("23079421936")
    page.get_by_role("radio", name="BankID").check()
    page.get_by_role("button", name="Logg inn").click()
    alert = page.get_by_role("alert")
    assert "ekte" in alert.inner_text().lower() or "real person" in alert.inner_text().lower()
    shoot(page, "idporten-login-refused")
