"""Altinn 3 consent across the running sandbox over real HTTP: the insurer's Maskinporten token from
the Maskinporten fake (checked by Altinn against its published keys), the citizen's login at
ID-porten, the answer's redirect, and the feed; Altinn 2 beside it on the same base URL."""

from __future__ import annotations

import uuid
from datetime import timedelta
from urllib.parse import urljoin

from dsop_sandbox.mocks.altinn.altinn3.urns import organization_urn, person_urn
from dsop_sandbox.mocks.altinn.resource_registry.nav import IDENTIFIER as NAV
from tests.altinn.altinn3.world import CREATE_PATH, EVENTS_PATH, READ, WRITE
from tests.altinn.conftest import KARI
from tests.citizen import Citizen
from tests.conftest import INSURER_NAME, REDIRECT_URI
from tests.idporten.support import Page


def test_an_insurer_asks_the_citizen_consents_and_the_feed_tells(eco, company):
    assert eco.admin("PUT", f"/resources/{NAV}/access-list/{company.org}").status_code in (200, 201)
    valid_to = (eco.calendar_now() + timedelta(days=365)).isoformat()
    body = {
        "id": str(uuid.uuid4()),
        "from": person_urn(KARI["pid"]),
        "to": organization_urn(company.org),
        "validTo": valid_to,
        "consentRights": [
            {
                "action": ["consent"],
                "resource": [{"type": "urn:altinn:resource", "value": NAV}],
                "metadata": {"fraogmed": "01.01.2024", "tilogmed": "31.12.2026"},
            }
        ],
        "redirectUrl": REDIRECT_URI + "?sak=77",
    }
    write = {"Authorization": f"Bearer {company.token(WRITE)}"}
    created = eco.http.post(eco.altinn + CREATE_PATH, json=body, headers=write, timeout=10)
    assert created.status_code == 201, created.text
    view_uri = created.json()["viewUri"]
    assert view_uri.startswith(eco.altinn + "/accessmanagement/ui/consent/request?id=")

    kari = Citizen(eco, KARI["pid"])
    shown = kari.get(view_uri)  # through ID-porten's login page
    assert shown.status_code == 200 and shown.url == view_uri
    page = Page(shown.text)
    assert f"{INSURER_NAME} ønsker å hente opplysninger om deg" in page.text
    assert "for perioden 01.01.2024 til og med 31.12.2026" in page.text
    csrf = next(i["value"] for i in page.forms[0]["inputs"] if i.get("name") == "csrf")
    answered = kari.post(urljoin(view_uri, page.forms[0]["action"]), {"csrf": csrf, "answer": "accept"})
    assert answered.status_code == 302
    assert answered.headers["Location"] == REDIRECT_URI + "?sak=77&Status=OK"

    read = {"Authorization": f"Bearer {company.token(READ)}"}
    status = eco.http.get(f"{eco.altinn}{CREATE_PATH}/{body['id']}", headers=read, timeout=10).json()
    assert status["status"] == "Accepted" and status["consented"]

    assert eco.admin("POST", "/lifetimes", json={"altinn.consent_events_delay": 0}).status_code == 200
    feed = eco.http.get(eco.altinn + EVENTS_PATH, params={"consentRequestId": body["id"]}, headers=read, timeout=10)
    assert [item["eventType"] for item in feed.json()["data"]] == ["Created", "Accepted"]
    eco.admin("DELETE", "/lifetimes")

    events = eco.http.get(eco.altinn + "/_sandbox/events", timeout=10).json()["events"]
    answer = next(e for e in events if e["operation"] == "altinn3_consent_answer")
    assert answer["subject"] == KARI["pid"] and answer["details"]["redirect_to"] == REDIRECT_URI


def test_altinn2_still_answers_beside_it(eco, company):
    created = eco.create(company)
    assert created.status_code == 201, created.text
    assert isinstance(eco.create(company, CoveredBy="123").json(), list)  # Altinn 2's error list, unchanged
    served = eco.http.get(eco.altinn + "/openapi.json", timeout=10).json()["paths"]
    assert "/api/consentRequests" in served and CREATE_PATH in served
