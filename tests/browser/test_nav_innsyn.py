"""NAV's innsyn in a real headless Chromium: the citizen logs in at ID-porten through its page, sees
what NAV has shared about them grouped by year, opens one disclosure and downloads the JSON that
was delivered, byte for byte. The disclosures are made through NAV's real API first."""

from __future__ import annotations

import json
import re
from datetime import datetime
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import pytest

from dsop_sandbox.people.roster import TEST_PERSONS
from tests.altinn.conftest import started
from tests.browser.conftest import record_requests, shoot, tab_order
from tests.conftest import INSURER_NAME, INSURER_ORG, REDIRECT_URI
from tests.nav.test_innsyn import Nav

LOOPBACK = {"localhost", "127.0.0.1"}
OSLO = ZoneInfo("Europe/Oslo")
DSOP = "/person/personopplysninger/dsop"
KARI, OLA, PER = TEST_PERSONS[0], TEST_PERSONS[1], TEST_PERSONS[3]
WHEN = re.compile(r"\d{2}\.\d{2}\.\d{4} kl\. \d{2}:\d{2}")


@pytest.fixture(scope="module")
def eco(tmp_path_factory):
    with started(tmp_path_factory, "nav-browser") as ecosystem:
        yield ecosystem


@pytest.fixture(scope="module")
def nav(eco) -> Nav:
    return Nav(eco, eco.register(INSURER_ORG, INSURER_NAME, REDIRECT_URI))


def log_in_at_idporten(page, person: dict, method: str = "BankID") -> None:
    assert page.get_by_role("heading", level=1).inner_text() == "Logg inn med ID-porten"
    page.get_by_label(person["name"], exact=False).check()
    page.get_by_role("radio", name=method).check()
    page.get_by_role("button", name="Logg inn").click()


def oslo(utc_text: str) -> datetime:
    return datetime.fromisoformat(utc_text.replace("Z", "+00:00")).astimezone(OSLO)


def test_a_citizen_sees_what_nav_shared_and_downloads_it(page, eco, nav, artifacts):
    nav.move_calendar(advance="-P1Y")
    try:
        last_year = nav.disclose(KARI["pid"], "ufo")
    finally:
        nav.move_calendar(reset=True)
    aap = nav.disclose(KARI["pid"], "aap")
    ufo = nav.disclose(KARI["pid"], "ufo")
    nav.disclose(OLA["pid"], "ufo")  # someone else's: never on Kari's page
    requested = record_requests(page)

    page.goto(nav.url + DSOP)
    log_in_at_idporten(page, KARI)
    page.wait_for_url(nav.url + DSOP)
    assert page.locator("html").get_attribute("lang") == "nb"
    assert page.get_by_role("heading", level=1).inner_text() == "Digital samhandling offentlig-privat"
    header = page.locator("header").inner_text()
    assert "NAV" in header and "TEST" in header and "Kari Nordmann" in header
    this_year = oslo(ufo["entry"]["uthentingsTidspunkt"]).year
    assert page.locator("caption").all_inner_texts() == [str(this_year), str(this_year - 1)]
    rows = page.locator("tr.disclosure")
    assert rows.count() == 3
    ids = [rows.nth(i).get_attribute("id") for i in range(3)]
    assert ids == [f"disclosure-{made['entry']['id']}" for made in (ufo, aap, last_year)]
    first = rows.nth(0).inner_text()
    assert "Uføretrygd" in first and INSURER_NAME in first and INSURER_ORG in first
    assert oslo(ufo["entry"]["uthentingsTidspunkt"]).strftime("%d.%m.%Y kl. %H:%M") in first
    assert "Arbeidsavklaringspenger" in rows.nth(1).inner_text()
    assert WHEN.search(rows.nth(2).inner_text())
    shoot(page, "nav-innsyn-list", always=True)  # its size is checked below
    assert (artifacts / "nav-innsyn-list.png").stat().st_size > 10_000
    page.set_viewport_size({"width": 375, "height": 800})
    shoot(page, "nav-innsyn-list-mobile")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    page.set_viewport_size({"width": 1280, "height": 900})
    focusable = [element["text"] for element in tab_order(page)]
    assert "Logg ut" in focusable and any(INSURER_NAME in text for text in focusable)

    rows.nth(0).get_by_role("link").click()
    page.wait_for_url(f"{nav.url}{DSOP}/{ufo['entry']['id']}")
    assert page.get_by_role("heading", level=1).inner_text() == INSURER_NAME
    assert page.locator("#tema").inner_text() == "Uføretrygd"
    assert page.locator("#authorization-code").inner_text() == ufo["code"]
    assert WHEN.fullmatch(page.locator("#consent-valid-to").inner_text())
    assert "Uføreopplysninger" in page.locator("#api").inner_text()
    delivered = json.loads(ufo["body"])  # Kari has no uføretrygd: a status and no periods
    assert delivered["status"] == "IKKE_SOKT" and page.locator("#data-status").inner_text() == "Ikke søkt"
    assert page.locator("#data-summary").inner_text() == "Ingen beregningsperioder i perioden det ble spurt om."
    assert not page.locator("#data-preview pre").is_visible()  # folded until asked for
    shoot(page, "nav-innsyn-entry")
    page.set_viewport_size({"width": 375, "height": 800})
    shoot(page, "nav-innsyn-entry-mobile")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    page.set_viewport_size({"width": 1280, "height": 900})

    with page.expect_download() as info:
        page.get_by_role("link", name="Last ned opplysningene (JSON)").click()
    download = info.value
    assert download.suggested_filename == f"utleverte-data-{ufo['entry']['id']}.json"
    assert Path(download.path()).read_bytes() == ufo["body"]

    page.get_by_role("link", name="Tilbake til oversikten").click()
    page.wait_for_url(nav.url + DSOP)
    see_the_vedtak_readably(page, nav, aap)
    local = {urlsplit(url).hostname for url in requested}
    assert local <= LOOPBACK, local  # no CDN, no outside call


def see_the_vedtak_readably(page, nav, aap: dict) -> None:
    """The AAP entry tells its vedtak in a table; the JSON shows only when asked for (the English
    page is checked in process, tests/nav/test_innsyn.py)."""
    page.locator(f"#disclosure-{aap['entry']['id']}").get_by_role("link").click()
    page.wait_for_url(f"{nav.url}{DSOP}/{aap['entry']['id']}")
    vedtak = json.loads(aap["body"])["vedtaksliste"]
    assert vedtak  # Kari's AAP
    heading = page.locator("#delivered-heading")
    assert heading.is_visible() and heading.inner_text() == "Opplysningene som ble utlevert"
    table = page.locator("table#vedtak")
    assert table.is_visible() and table.locator("tbody tr").count() == len(vedtak)
    assert page.evaluate("[...document.querySelectorAll('.table-wrap')].every(e => e.scrollWidth <= e.clientWidth)")
    first = table.locator("tbody tr").nth(0).inner_text()
    start = datetime.strptime(vedtak[0]["virkningsperiode"]["fraDato"], "%Y-%m-%d")
    assert str(vedtak[0]["vedtakId"]) in first and f"{start:%d.%m.%Y}" in first
    assert vedtak[0]["vedtaksvariant"]["termnavn"] in first
    raw = page.locator("#data-preview pre")
    assert not raw.is_visible()
    page.get_by_text("Vis opplysningene slik de ble levert (JSON)").click()
    assert raw.is_visible() and '"vedtaksliste"' in raw.inner_text()
    shoot(page, "nav-innsyn-entry-vedtak")
    page.set_viewport_size({"width": 375, "height": 800})  # the table becomes one block per vedtak
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    page.set_viewport_size({"width": 1280, "height": 900})


def test_a_citizen_with_nothing_shared_is_told_so_and_can_log_out(page, eco, nav):
    page.goto(nav.url + DSOP)
    log_in_at_idporten(page, PER)
    page.wait_for_url(nav.url + DSOP)
    assert "NAV har ikke delt noen opplysninger om deg" in page.get_by_role("status").inner_text()
    shoot(page, "nav-innsyn-empty")
    page.get_by_role("link", name="Logg ut").click()
    page.wait_for_url(re.compile(r".*/logout\?"))
    assert page.url.startswith(eco.sandbox.url("idporten"))
    # NAV sends no id_token_hint: ID-porten cannot tell who asks, and asks the citizen (issue 15, finding 5)
    assert page.get_by_role("heading", level=1).inner_text() == "Vil du logge ut av ID-porten?"
    page.get_by_role("button", name="Logg ut").click()
    page.wait_for_load_state()
    assert "logget ut" in page.get_by_role("heading", level=1).inner_text()
    assert not any(cookie["name"] == "nav_session" for cookie in page.context.cookies())
    page.goto(nav.url + DSOP)  # out of ID-porten too: it asks again
    assert page.get_by_role("heading", level=1).inner_text() == "Logg inn med ID-porten"


def test_a_lower_level_is_refused_in_the_browser(page, eco, nav):
    """The citizen edits acr_values on the way to ID-porten and logs in with MinID: NAV says no."""
    start = page.request.get(nav.url + DSOP, max_redirects=0)  # shares the browser's cookies (nav_login)
    assert start.status == 302
    location = start.headers["location"]
    assert "acr_values=idporten-loa-high" in location
    page.goto(location.replace("acr_values=idporten-loa-high", "acr_values=idporten-loa-substantial"))
    log_in_at_idporten(page, PER, method="MinID")
    page.wait_for_url(re.compile(r".*/oauth2/callback\?"))
    assert page.get_by_role("heading", level=1).inner_text() == "Du må logge inn på høyeste sikkerhetsnivå"
    assert not any(cookie["name"] == "nav_session" for cookie in page.context.cookies())
    shoot(page, "nav-innsyn-level-too-low")
