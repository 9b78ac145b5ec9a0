"""The answer's event says where Altinn sent the browser (``redirect_to``): the insurer's
RedirectUrl without its query, so without the authorization code. The insurer keeps no event log,
so the dashboard draws the citizen's hop back to the insurer from this."""

from __future__ import annotations

import json
from urllib.parse import parse_qs, urlsplit

import pytest

from dsop_sandbox.mocks.altinn.citizen.pages import redirect_target
from tests.altinn.conftest import KARI
from tests.altinn.test_citizen_pages import altinn_events, answer_form, gui, link, new_request, page_of
from tests.citizen import Citizen
from tests.conftest import REDIRECT_URI


@pytest.fixture
def kari(eco):
    return Citizen(eco, KARI["pid"])


def answer_event(eco, code: str) -> dict:
    events = [
        e
        for e in altinn_events(eco)
        if e["operation"] == "answer_consent_request"
        and e["details"].get("authorization_code") == code
        and e["details"].get("answer")
    ]
    assert events, code
    return events[-1]


@pytest.mark.parametrize("choice", ["accept", "reject"])
def test_the_answer_names_the_insurers_callback_without_the_query(eco, company, kari, choice):
    code = new_request(eco, company, RedirectUrl=REDIRECT_URI + "?claim=42&step=consent")
    done = answer_form(kari, eco, code, choice)
    assert done.status_code == 302 and done.headers["Location"].startswith(REDIRECT_URI + "?claim=42&")
    event = answer_event(eco, code)
    assert event["status"] == 302 and event["subject"] == KARI["pid"]
    assert event["details"]["redirect_to"] == REDIRECT_URI
    assert event["details"]["answer"] == ("accepted" if choice == "accept" else "rejected")
    # the code is in the event once, as the request it answers, never inside a URL
    assert code not in event["details"]["redirect_to"]
    assert "claim=42" not in json.dumps(event) and "AuthorizationCode=" not in json.dumps(event)


@pytest.mark.parametrize("choice", ["accept", "reject"])
def test_a_legacy_link_answer_names_the_callback_too(eco, company, kari, choice):
    answer = kari.get(link(eco, company))
    assert answer.status_code == 200, answer.text
    code = parse_qs(urlsplit(answer.url).query)["id"][0]
    done = kari.post(gui(eco, code), {"csrf": page_of(answer).hidden("csrf"), "answer": choice})
    assert done.status_code == 302 and done.headers["Location"].startswith(REDIRECT_URI + "?")
    assert answer_event(eco, code)["details"]["redirect_to"] == REDIRECT_URI
    # the link itself sends the browser on to Altinn's own page: no redirect_to there
    [made] = [
        e
        for e in altinn_events(eco)
        if e["operation"].startswith("consent_link") and e["details"].get("authorization_code") == code
    ]
    assert made["status"] == 302 and "redirect_to" not in made["details"]


def test_refused_answers_and_page_views_name_no_redirect(eco, company, kari):
    code = new_request(eco, company)
    kari.get(gui(eco, code))
    refused = answer_form(kari, eco, code, "accept", csrf="not-the-token")
    assert refused.status_code == 403
    events = [e for e in altinn_events(eco) if e["details"].get("authorization_code") == code]
    assert events and all("redirect_to" not in e["details"] for e in events)


@pytest.mark.parametrize(
    "url, target",
    [
        (
            "http://localhost:7200/claims/callback?claim=1&AuthorizationCode=x&Status=OK",
            "http://localhost:7200/claims/callback",
        ),
        ("https://user:secret@bank.example:8443/back/?a=1#top", "https://bank.example:8443/back/"),
        ("https://bank.example/back#AuthorizationCode=x", "https://bank.example/back"),
        ("http://[::1]:7200/cb?x=1", "http://[::1]:7200/cb"),
        ("myapp://consent?AuthorizationCode=x", "myapp://consent"),
    ],
)
def test_the_redirect_target_keeps_origin_and_path_only(url, target):
    assert redirect_target(url) == target
