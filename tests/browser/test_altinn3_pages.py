"""Altinn 3's consent page and the citizen's active consents in a real headless Chromium: log in at
ID-porten through its page, read the consent with the insurer, the period and the expiry filled
in, say yes, land at the insurer's redirectUrl with Status=OK, then revoke the consent on the
active consents page; and say no in English."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest

from dsop_sandbox.mocks.altinn.altinn3.urns import organization_urn, person_urn
from dsop_sandbox.mocks.altinn.norwegian_time import OSLO
from dsop_sandbox.mocks.altinn.resource_registry.nav import IDENTIFIER as NAV
from dsop_sandbox.people.roster import TEST_PERSONS
from tests.altinn.conftest import started
from tests.browser.conftest import record_requests, shoot, tab_order
from tests.conftest import INSURER_NAME, INSURER_ORG

LOOPBACK = {"localhost", "127.0.0.1"}
KARI = TEST_PERSONS[0]
CREATE_PATH = "/accessmanagement/api/v1/enterprise/consentrequests"


@pytest.fixture(scope="module")
def eco(tmp_path_factory):
    with started(tmp_path_factory, "altinn3-browser") as ecosystem:
        yield ecosystem


@pytest.fixture(scope="module")
def company(eco, insurer_web):
    insurer = eco.register(INSURER_ORG, INSURER_NAME, insurer_web.redirect_uri)
    assert eco.admin("PUT", f"/resources/{NAV}/access-list/{INSURER_ORG}").status_code in (200, 201)
    return insurer


def ask(eco, company, **overrides) -> dict:
    body = {
        "id": str(uuid.uuid4()),
        "from": person_urn(KARI["pid"]),
        "to": organization_urn(company.org),
        "validTo": (eco.calendar_now() + timedelta(days=365)).isoformat(),
        "consentRights": [
            {
                "action": ["consent"],
                "resource": [{"type": "urn:altinn:resource", "value": NAV}],
                "metadata": {"fraogmed": "01.01.2024", "tilogmed": "31.12.2026"},
            }
        ],
        "redirectUrl": company.redirect_uri + "?sak=2026-0042",
        **overrides,
    }
    answer = eco.http.post(
        eco.altinn + CREATE_PATH,
        json=body,
        headers={"Authorization": f"Bearer {company.token('altinn:consentrequests.write')}"},
        timeout=10,
    )
    assert answer.status_code == 201, answer.text
    return answer.json()


def log_in_at_idporten(page, person: dict = KARI, button: str = "Logg inn") -> None:
    page.get_by_label(person["name"], exact=False).check()
    page.get_by_role("radio", name="BankID").check()
    page.get_by_role("button", name=button).click()


def test_a_citizen_consents_in_altinn3_and_then_revokes(page, eco, company, insurer_site, artifacts):
    created = ask(eco, company, requestMessage={"nb": "Gjelder skadesak 2026-0042 (uføreforsikring)."})
    requested = record_requests(page)

    page.goto(created["viewUri"])
    assert page.get_by_role("heading", level=1).inner_text() == "Logg inn med ID-porten"
    log_in_at_idporten(page)
    page.wait_for_url(re.compile(r".*/accessmanagement/ui/consent/request\?id="))
    assert page.locator("html").get_attribute("lang") == "nb"
    assert page.get_by_role("heading", level=1).inner_text() == f"{INSURER_NAME} ønsker å hente opplysninger om deg"
    consent_text = page.locator("#consent-text").inner_text()
    assert "Arbeidsavklaringspenger og uføretrygd fra NAV (DSOP)" in consent_text
    assert "for perioden 01.01.2024 til og med 31.12.2026" in consent_text
    assert page.locator("#consent-text strong").first.inner_text() == "arbeidsavklaringspenger"
    expiry = (eco.calendar_now() + timedelta(days=365)).astimezone(OSLO).strftime("%d.%m.%Y")
    assert f"Samtykket er tidsavgrenset og vil gå ut {expiry}" in page.locator("#expiration").inner_text()
    assert "Gjelder skadesak 2026-0042" in page.locator("#request-message").inner_text()
    accept = page.get_by_role("button", name="Ja, jeg gir samtykke")
    reject = page.get_by_role("button", name="Nei, jeg gir ikke samtykke")
    assert accept.is_visible() and reject.is_visible()
    header = page.locator("header").inner_text()
    assert "TEST" in header and "Kari Nordmann" in header and "Samtykker og fullmakter" in header
    names = [element["text"] for element in tab_order(page)]
    assert names.index("Ja, jeg gir samtykke") < names.index("Nei, jeg gir ikke samtykke")
    shoot(page, "altinn3-consent-nb", always=True)  # its size is checked below
    assert (artifacts / "altinn3-consent-nb.png").stat().st_size > 10_000
    page.set_viewport_size({"width": 375, "height": 800})
    shoot(page, "altinn3-consent-mobile")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    page.set_viewport_size({"width": 1280, "height": 900})

    accept.click()
    page.wait_for_url(insurer_site.url + "/**")
    assert page.url == f"{insurer_site.redirect_uri}?sak=2026-0042&Status=OK"
    assert insurer_site.reached == [page.url]
    stored = eco.admin("GET", f"/altinn3/consents/{created['id']}").json()
    assert stored["status"] == "Accepted"

    # The answer logged Kari out of Altinn; ID-porten's single sign-on logs her in again without its page.
    page.goto(f"{eco.altinn}/accessmanagement/ui/consent/active")
    page.wait_for_url(re.compile(r".*/accessmanagement/ui/consent/active"))
    assert page.get_by_role("heading", level=1).inner_text() == "Samtykker og fullmakter for Kari Nordmann"
    section = page.locator(f"#consent-{created['id']}")
    assert INSURER_NAME in section.get_by_role("heading", level=2).inner_text()
    assert "Samtykket er aktivt" in section.inner_text()
    shoot(page, "altinn3-active-consents")

    section.get_by_role("button", name="Trekk samtykke").click()
    page.wait_for_url(re.compile(r".*/accessmanagement/ui/consent/active\?revoked="))
    assert "Arbeidsavklaringspenger og uføretrygd fra NAV (DSOP) er trukket" in page.get_by_role("status").inner_text()
    assert page.locator(f"#consent-{created['id']}").count() == 0
    assert "Samtykket er ikke aktivt" in page.locator(f"#history-{created['id']}").inner_text()
    shoot(page, "altinn3-active-consents-revoked")
    assert eco.admin("GET", f"/altinn3/consents/{created['id']}").json()["status"] == "Revoked"
    local = {urlsplit(url).hostname for url in requested}
    assert local <= LOOPBACK, local  # no CDN, no outside call


def test_declining_in_english_lands_on_failed(page, eco, company, insurer_site):
    created = ask(eco, company)
    page.goto(created["viewUri"] + "&languageCode=en")
    assert page.get_by_role("heading", level=1).inner_text() == "Log in with ID-porten"
    log_in_at_idporten(page, button="Log in")
    page.wait_for_url(re.compile(r".*/accessmanagement/ui/consent/request\?id="))
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.get_by_role("heading", level=1).inner_text() == f"{INSURER_NAME} requests information about you"
    assert "The consent is time-limited, and will expire" in page.locator("#expiration").inner_text()
    shoot(page, "altinn3-consent-en")
    page.get_by_role("button", name="No, I do not give consent").click()
    page.wait_for_url(insurer_site.url + "/**")
    query = parse_qs(urlsplit(page.url).query)
    assert query == {"sak": ["2026-0042"], "Status": ["Failed"], "ErrorMessage": ["User did not give consent"]}
    assert eco.admin("GET", f"/altinn3/consents/{created['id']}").json()["status"] == "Rejected"


def test_someone_else_is_told_clearly(page, eco, company):
    created = ask(eco, company)  # for Kari
    page.goto(created["viewUri"])
    log_in_at_idporten(page, TEST_PERSONS[1])
    page.wait_for_url(re.compile(r".*/accessmanagement/ui/consent/request\?id="))
    assert page.get_by_role("heading", level=1).inner_text() == "Denne forespørselen gjelder en annen person"
    assert page.get_by_role("button", name="Ja, jeg gir samtykke").count() == 0
    shoot(page, "altinn3-consent-someone-else")
