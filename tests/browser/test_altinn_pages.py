"""Altinn's citizen pages in a real headless Chromium: log in at ID-porten through its page, read
the consent text with the insurer and the period filled in, say yes, land at the insurer's
RedirectUrl, then find the consent with its use log under "Mine samtykker" and withdraw it."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest

from dsop_sandbox.mocks.altinn.norwegian_time import OSLO
from dsop_sandbox.people.roster import TEST_PERSONS
from tests.altinn.conftest import started
from tests.browser.conftest import record_requests, shoot, tab_order
from tests.conftest import INSURER_NAME, INSURER_ORG

LOOPBACK = {"localhost", "127.0.0.1"}
PERIOD = re.compile(r"fra og med \d{2}\.\d{2}\.\d{4} kl\. \d{2}:\d{2} til og med \d{2}\.\d{2}\.\d{4} kl\. \d{2}:\d{2}")
KARI = TEST_PERSONS[0]


@pytest.fixture(scope="module")
def eco(tmp_path_factory):
    with started(tmp_path_factory, "altinn-browser") as ecosystem:
        yield ecosystem


@pytest.fixture(scope="module")
def company(eco, insurer_web):
    return eco.register(INSURER_ORG, INSURER_NAME, insurer_web.redirect_uri)


def log_in_at_idporten(page, person: dict = KARI) -> None:
    assert page.get_by_role("heading", level=1).inner_text() == "Logg inn med ID-porten"
    page.get_by_label(person["name"], exact=False).check()
    page.get_by_role("radio", name="BankID").check()
    page.get_by_role("button", name="Logg inn").click()


def test_a_citizen_consents_in_the_browser_and_then_withdraws(page, eco, company, insurer_site, artifacts):
    created = eco.create(company, RequestMessage={"no-nb": "Gjelder skadesak 2026-0042 (uføreforsikring)."})
    assert created.status_code == 201, created.text
    code = created.json()["AuthorizationCode"]
    requested = record_requests(page)

    page.goto(f"{eco.altinn}/ui/AccessConsent/request?id={code}")
    log_in_at_idporten(page)
    page.wait_for_url(re.compile(r".*/ui/AccessConsent/request\?id="))
    assert page.locator("html").get_attribute("lang") == "nb"
    heading = page.get_by_role("heading", level=1).inner_text()
    assert heading == f"{INSURER_NAME} ber om samtykke til å hente opplysninger om deg"
    consent_text = page.locator("#consent-text").inner_text()
    assert consent_text.startswith(f"{INSURER_NAME} ber om ditt samtykke til å hente opplysninger om deg fra NAV.")
    assert "Syke- og uføreopplysninger fra NAV" in consent_text
    assert "Opplysninger fra og med 01.01.2024 til og med 31.12.2026" in consent_text
    assert PERIOD.search(consent_text), consent_text
    assert "Gjelder skadesak 2026-0042" in page.locator("#request-message").inner_text()
    accept = page.get_by_role("button", name="Ja, jeg gir samtykke")
    reject = page.get_by_role("button", name="Nei, jeg samtykker ikke")
    assert accept.is_visible() and reject.is_visible()
    assert "TEST" in page.locator("header").inner_text()
    assert "Kari Nordmann" in page.locator("header").inner_text()
    names = [element["text"] for element in tab_order(page)]
    assert names.index("Ja, jeg gir samtykke") < names.index("Nei, jeg samtykker ikke")
    shoot(page, "altinn-consent-nb", always=True)  # its size is checked below
    assert (artifacts / "altinn-consent-nb.png").stat().st_size > 10_000
    page.set_viewport_size({"width": 375, "height": 800})
    shoot(page, "altinn-consent-mobile")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    page.set_viewport_size({"width": 1280, "height": 900})

    accept.click()
    page.wait_for_url(insurer_site.url + "/**")
    assert page.url == f"{insurer_site.redirect_uri}?AuthorizationCode={code}&Status=OK"
    assert insurer_site.reached == [page.url]
    assert eco.admin("GET", f"/consents/{code}").json()["status"] == "Accepted"

    used_at = eco.calendar_now().astimezone(OSLO)
    used = eco.http.post(
        f"{eco.altinn}/api/authorization/token/{code}/loguse",
        timeout=10,
        headers={"ApiKey": company.api_key},
        json={"ServiceCode": "5252", "ServiceEditionCode": 2, "UsageDateTime": used_at.strftime("%Y-%m-%dT%H:%M:%S")},
    )
    assert used.status_code == 204, used.text

    page.goto(f"{eco.altinn}/ui/Profile/Consents")  # the Altinn session is still there: no login
    assert page.get_by_role("heading", level=1).inner_text() == "Mine samtykker"
    section = page.locator(f"#consent-{code}")
    assert f"Samtykke til {INSURER_NAME}" in section.get_by_role("heading", level=2).inner_text()
    text = section.inner_text()
    assert "Aktiv" in text and "Syke- og uføreopplysninger fra NAV" in text
    log = section.locator("table.use-log").inner_text()
    assert used_at.strftime("%d.%m.%Y kl. %H:%M") in log and f"{INSURER_NAME} ({INSURER_ORG})" in log
    shoot(page, "altinn-my-consents")

    section.get_by_role("button", name="Trekk samtykke").click()
    page.wait_for_url(re.compile(r".*/ui/Profile/Consents\?withdrawn="))
    assert f"Samtykket til {INSURER_NAME} er trukket tilbake" in page.get_by_role("status").inner_text()
    section = page.locator(f"#consent-{code}")
    assert "Trukket tilbake" in section.inner_text()
    assert section.get_by_role("button", name="Trekk samtykke").count() == 0
    shoot(page, "altinn-my-consents-withdrawn")
    assert eco.admin("GET", f"/consents/{code}").json()["consent_state"] == "Revoked"
    local = {urlsplit(url).hostname for url in requested}
    assert local <= LOOPBACK, local  # no CDN, no outside call


def test_declining_in_the_browser_lands_on_failed(page, eco, company, insurer_site):
    code = eco.create(company).json()["AuthorizationCode"]
    page.goto(f"{eco.altinn}/ui/AccessConsent/request?id={code}&languageCode=en")
    assert page.get_by_role("heading", level=1).inner_text() == "Log in with ID-porten"
    page.get_by_label(KARI["name"], exact=False).check()
    page.get_by_role("radio", name="BankID").check()
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(re.compile(r".*/ui/AccessConsent/request\?id="))
    assert page.locator("html").get_attribute("lang") == "en"
    assert "from and including" in page.locator("#consent-validity").inner_text()
    shoot(page, "altinn-consent-en")
    page.get_by_role("button", name="No, I do not consent").click()
    page.wait_for_url(insurer_site.url + "/**")
    query = parse_qs(urlsplit(page.url).query)
    assert query == {
        "Status": ["Failed"],
        "ErrorMessage": ["User did not give consent"],
        "FailedAuthorizationCode": [code],
    }


def test_someone_else_sees_a_clear_refusal(page, eco, company):
    code = eco.create(company).json()["AuthorizationCode"]  # for Kari
    page.goto(f"{eco.altinn}/ui/AccessConsent/request?id={code}")
    log_in_at_idporten(page, TEST_PERSONS[1])
    page.wait_for_url(re.compile(r".*/ui/AccessConsent/request\?id="))
    assert page.get_by_role("heading", level=1).inner_text() == "Denne forespørselen gjelder en annen person"
    shoot(page, "altinn-consent-someone-else")
    # "log in as another person" goes back to ID-porten's page, not a silent SSO login
    page.get_by_role("link", name="Logg inn som en annen person").click()
    log_in_at_idporten(page, KARI)
    page.wait_for_url(re.compile(r".*/ui/AccessConsent/request\?id="))
    assert page.get_by_role("button", name="Ja, jeg gir samtykke").is_visible()
