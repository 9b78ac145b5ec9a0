"""The workshop walkthrough in a real headless Chromium, with the reference insurer: start a claim,
log in at ID-porten, consent at Altinn, come back, watch the sequence diagram fill in, open NAV
innsyn, withdraw in «Mine samtykker», see the next fetch refused, jump three years. One screenshot
per step (artifacts/screenshots/dashboard-*.png)."""
from __future__ import annotations

import json
import re
from urllib.parse import urlsplit

import pytest
import requests

from sandbox import launcher
from sandbox.demo import with_dashboard
from sandbox.reference_insurer import ReferenceInsurerServer
from tests.browser.conftest import record_requests, shoot
from tests.conftest import free_port_settings

KARI = {"pid": "15838512329", "name": "Kari Nordmann"}
LANES = ("citizen", "insurer", "idporten", "maskinporten", "altinn", "nav")
DSOP = "/person/personopplysninger/dsop"


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    factories = dict(launcher.FACTORIES)
    launcher.FACTORIES["control"] = with_dashboard(factories["control"])
    try:
        settings = free_port_settings(tmp_path_factory.mktemp("dashboard-browser") / "state")
        with launcher.Sandbox(settings) as sandbox, ReferenceInsurerServer(sandbox, port=0) as insurer:
            yield sandbox, insurer
    finally:
        launcher.FACTORIES.clear()
        launcher.FACTORIES.update(factories)


def log_in_if_asked(page, person: dict = KARI) -> None:
    if page.get_by_role("heading", level=1).inner_text() == "Logg inn med ID-porten":
        page.get_by_label(person["name"], exact=False).check()
        page.get_by_role("radio", name="BankID").check()
        page.get_by_role("button", name="Logg inn").click()


def arrows(page, **match) -> int:
    selector = ".event" + "".join(f'[data-{key}="{value}"]' for key, value in match.items())
    return page.locator(selector).count()


def wait_for_arrows(page, selector: str, at_least: int = 1) -> None:
    page.wait_for_function("([s, n]) => document.querySelectorAll(s).length >= n", arg=[selector, at_least],
                           timeout=15_000)


def test_the_walkthrough_in_the_browser(page, world, artifacts):
    sandbox, insurer = world
    control, nav, altinn = sandbox.url("control"), sandbox.url("nav"), sandbox.url("altinn")
    requested = record_requests(page)

    # 0: the walkthrough, empty diagram
    page.goto(control + "/walkthrough")
    assert page.get_by_role("heading", level=1).inner_text() == "The DSOP flow, step by step"
    names = [t.strip() for t in page.locator(".lane-names span").all_inner_texts()]
    assert names == ["Citizen (browser)", "Insurer", "ID-porten", "Maskinporten", "Altinn", "NAV"]
    shoot(page, "dashboard-0-walkthrough")

    # 1-2: start a claim (a new tab), log in at ID-porten, say yes at Altinn, back at the insurer
    with page.expect_popup() as popup:
        page.locator("#start-claim").click()
    citizen = popup.value
    citizen.wait_for_load_state()
    log_in_if_asked(citizen)
    citizen.wait_for_url(re.compile(r".*/ui/AccessConsent/request\?"))
    shoot(citizen, "dashboard-2-consent")
    citizen.get_by_role("button", name="Ja, jeg gir samtykke").click()
    citizen.wait_for_url(re.compile(re.escape(insurer.url) + r"/claims/"))
    shoot(citizen, "dashboard-2-back-at-insurer")

    # 3: the insurer's background fetch shows up: Maskinporten, Altinn's consent token, NAV's APIs
    wait_for_arrows(page, '.event[data-from="insurer"][data-to="nav"]', 3)
    wait_for_arrows(page, '.event[data-from="insurer"][data-to="maskinporten"]')
    wait_for_arrows(page, '.event[data-from="insurer"][data-to="altinn"][data-operation="get_consent_token"]')
    assert arrows(page, **{"from": "citizen", "to": "idporten"}) >= 2        # authorize, login
    assert arrows(page, **{"from": "citizen", "to": "altinn"}) >= 2          # consent page, answer
    assert arrows(page, **{"from": "altinn", "to": "idporten"}) >= 1         # Altinn's own token call
    shoot(page, "dashboard-3-data-fetched")

    # the details panel shows the whole event
    page.locator('.event[data-operation="hentUforeopplysninger"] .arrow').first.click()
    event = json.loads(page.locator("#details-json").inner_text())
    assert event["service"] == "nav" and event["subject"] == KARI["pid"] and event["status"] == 200
    shoot(page, "dashboard-3-details")
    page.locator("#details-close").click()

    # 4: the disclosure in NAV innsyn (the ID-porten session is still there, or log in again)
    citizen.goto(nav + DSOP)
    log_in_if_asked(citizen)
    citizen.wait_for_url(nav + DSOP)
    assert "Eksempel Forsikring AS" in citizen.locator("main").inner_text()
    shoot(citizen, "dashboard-4-innsyn")
    wait_for_arrows(page, '.event[data-from="citizen"][data-to="nav"]')

    # 5: withdraw in Altinn «Mine samtykker»; the walkthrough already knows the code from the events
    code = page.locator("#withdraw-code").input_value()
    assert re.fullmatch(r"[0-9a-f-]{36}", code), code
    citizen.goto(altinn + "/ui/Profile/Consents")
    log_in_if_asked(citizen)
    citizen.wait_for_url(re.compile(r".*/ui/Profile/Consents"))
    citizen.locator(f"#consent-{code}").get_by_role("button", name="Trekk samtykke").click()
    citizen.wait_for_url(re.compile(r".*/ui/Profile/Consents\?withdrawn="))
    shoot(citizen, "dashboard-5-withdrawn")

    # 6: the next fetch is refused: no consent token, nothing from NAV; a red arrow in the diagram
    nav_calls = arrows(page, **{"from": "insurer", "to": "nav"})
    page.locator("#fetch-again").click()
    page.wait_for_function("document.getElementById('fetch-out').textContent.length > 0")
    answer = page.locator("#fetch-out").inner_text()
    body = json.loads(answer.split(" ", 1)[1])
    assert body["answer"]["status"] != "ok", body
    wait_for_arrows(page, '.event[data-to="altinn"] .arrow.refused')
    assert arrows(page, **{"from": "insurer", "to": "nav"}) == nav_calls
    color = page.locator('.event[data-to="altinn"] .arrow.refused').first.evaluate(
        "el => getComputedStyle(el).borderTopColor")
    assert color == "rgb(195, 0, 0)", color
    shoot(page, "dashboard-6-fetch-refused")

    # 7: three years and a day later
    page.locator("#jump-3y").click()
    page.wait_for_function("document.getElementById('clock-out').textContent.indexOf('calendar_time') >= 0")
    moved = json.loads(page.locator("#clock-out").inner_text().split(" ", 1)[1])
    assert moved["offset_seconds"] >= 3 * 365 * 86400
    assert "moved" in page.locator("#calendar").inner_text()
    shoot(page, "dashboard-7-three-years-later")

    # every hop of the flow is on the diagram: each lifeline has at least one arrow
    for lane in LANES:
        touching = page.locator(f'.event[data-from="{lane}"], .event[data-to="{lane}"]').count()
        assert touching >= 1, lane
    assert page.locator('.event[data-operation^="admin"]').count() == 0      # admin calls are hidden
    assert {urlsplit(url).hostname for url in requested} <= {"localhost", "127.0.0.1"}


def test_the_dashboard_controls(page, world, artifacts):
    sandbox, insurer = world
    control = sandbox.url("control")
    page.goto(control + "/")
    assert page.get_by_role("heading", level=1).inner_text() == "Workshop dashboard"
    assert page.locator("#link-insurer").get_attribute("href") == insurer.url + "/"
    form = page.locator("#fault-form")
    form.get_by_label("Service").select_option("nav")
    form.get_by_label("Operation").fill("hentUforeopplysninger")
    form.get_by_label("Status").fill("503")
    form.get_by_role("button", name="Arm fault").click()
    page.wait_for_function("document.getElementById('fault-out').textContent.indexOf('201') === 0")
    assert "hentUforeopplysninger" in page.locator("#fault-out").inner_text()
    page.get_by_role("button", name="Clear all faults").click()
    page.wait_for_function("document.getElementById('fault-out').textContent.indexOf('200') === 0")
    page.get_by_role("button", name="Back to today").click()
    page.wait_for_function("document.getElementById('clock-out').textContent.indexOf('200') === 0")
    refused = requests.get(sandbox.url("idporten") + "/authorize", timeout=10)   # a citizen's bad request
    assert refused.status_code >= 400
    wait_for_arrows(page, '.event[data-from="citizen"][data-to="idporten"][data-operation="authorize"]'
                          '[data-status="400"] .arrow.refused')
    assert page.locator('.event[data-operation="unknown"]').count() == 0     # no favicon noise
    timeline = page.locator("#timeline")
    at_bottom = timeline.evaluate("el => el.scrollTop + el.clientHeight >= el.scrollHeight - 48")
    assert at_bottom
    shoot(page, "dashboard-controls")
