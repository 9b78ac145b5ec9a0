"""The citizen's side of Altinn, driven over HTTP by a scripted browser: login through ID-porten as
a real relying party, the consent page, the answer's redirect back to the insurer, the legacy
consent link, "Mine samtykker" with its use log and withdrawal, and every refusal page."""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import parse_qs, quote, urlencode, urljoin, urlsplit, urlunsplit

import pytest
import requests

from dsop_sandbox.mocks.altinn.citizen.login import HIGH, acr_problem, safe_return_url
from dsop_sandbox.mocks.altinn.citizen.pages import answer_redirect, with_query
from dsop_sandbox.mocks.altinn.norwegian_time import OSLO, local_clock, local_date
from tests.altinn.conftest import KARI, OLA
from tests.citizen import Citizen, hidden_fields
from tests.conftest import INSURER_NAME, REDIRECT_URI
from tests.idporten.support import Page

PERIOD = re.compile(
    r"fra og med (\d{2})\.(\d{2})\.(\d{4}) kl\. (\d{2}):(\d{2}) "
    r"til og med (\d{2})\.(\d{2})\.(\d{4}) kl\. (\d{2}):(\d{2})"
)
DECLINED = "Status=Failed&ErrorMessage=User%20did%20not%20give%20consent"


def page_of(answer) -> Page:
    assert answer.headers["Content-Type"].startswith("text/html"), answer.headers
    return Page(answer.text)


def gui(eco, code: str) -> str:
    return f"{eco.altinn}/ui/AccessConsent/request?id={code}"


def new_request(eco, company, **overrides) -> str:
    answer = eco.create(company, **overrides)
    assert answer.status_code == 201, answer.text
    return answer.json()["AuthorizationCode"]


def record(eco, code: str) -> dict:
    answer = eco.admin("GET", f"/consents/{code}")
    assert answer.status_code == 200, answer.text
    return answer.json()


def csrf_of(page: Page, form_index: int = 0) -> str:
    return next(i["value"] for i in page.forms[form_index]["inputs"] if i.get("name") == "csrf")


def answer_form(citizen: Citizen, eco, code: str, choice: str, csrf: str | None = None):
    if csrf is None:
        csrf = csrf_of(page_of(citizen.get(gui(eco, code))))
    return citizen.post(gui(eco, code), {"csrf": csrf, "answer": choice})


@pytest.fixture
def kari(eco):
    return Citizen(eco, KARI["pid"])


@pytest.fixture
def ola(eco):
    return Citizen(eco, OLA["pid"])


def altinn_events(eco) -> list[dict]:
    answer = eco.http.get(eco.altinn + "/_sandbox/events", timeout=10)
    return answer.json()["events"]


# -- the consent page and the answer ---------------------------------------------------------------------
def test_a_citizen_logs_in_sees_the_consent_text_and_accepts(eco, company, kari):
    code = new_request(eco, company, RequestMessage={"no-nb": "Saksnummer 4711 – uføreforsikring"})
    first = kari.http.get(gui(eco, code), allow_redirects=False, timeout=10)
    assert first.status_code == 302
    authorize = urlsplit(first.headers["Location"])
    params = {k: v[0] for k, v in parse_qs(authorize.query).items()}
    assert f"{authorize.scheme}://{authorize.netloc}{authorize.path}" == eco.sandbox.url("idporten") + "/authorize"
    assert params["client_id"] == "altinn"
    assert params["redirect_uri"] == eco.altinn + "/ui/authentication/callback"
    assert params["scope"] == "openid profile" and params["response_type"] == "code"
    assert params["acr_values"] == HIGH and params["code_challenge_method"] == "S256"
    assert len(params["code_challenge"]) == 43 and params["state"] and params["nonce"]
    assert params["ui_locales"] == "nb"

    answer = kari.follow(first)
    assert answer.status_code == 200, answer.text
    assert answer.url == gui(eco, code)
    page = page_of(answer)
    assert page.lang == "nb"
    assert f"{INSURER_NAME} ber om samtykke til å hente opplysninger om deg" in page.text
    assert (
        f"{INSURER_NAME} ber om ditt samtykke til å hente opplysninger om deg fra NAV. Opplysningene skal "
        f"brukes til å behandle søknaden din om utbetaling fra uføreforsikring eller innskudds-/premiefritak i "
        f"tjenestepensjon."
    ) in page.text
    assert "Syke- og uføreopplysninger fra NAV" in page.text
    assert "Arbeidsavklaringspenger (AAP): vedtak og meldekort" in page.text
    assert "Opplysninger fra og med 01.01.2024 til og med 31.12.2026" in page.text
    assert "Saksnummer 4711 – uføreforsikring" in page.text
    assert "Innlogget som Kari Nordmann" in page.text
    assert "Du kan når som helst trekke samtykket tilbake under «Mine samtykker» i Altinn." in page.text
    period = PERIOD.search(page.text)
    assert period, page.text
    now = eco.calendar_now().astimezone(OSLO)
    start = tuple(int(x) for x in period.groups()[:5])
    assert start[:3] == (now.day, now.month, now.year)
    valid_to = record(eco, code)["valid_to"]
    assert f"{period.group(6)}.{period.group(7)}.{period.group(8)}" == local_date(valid_to)
    assert f"{period.group(9)}:{period.group(10)}" == local_clock(valid_to)
    buttons = {b.get("value"): b for b in page.form["buttons"]}
    assert set(buttons) == {"accept", "reject"}
    assert "Ja, jeg gir samtykke" in page.text and "Nei, jeg samtykker ikke" in page.text
    assert page.form["method"] == "post"
    assert record(eco, code)["status"] == "Opened"
    assert answer.headers["X-Frame-Options"] == "DENY"

    done = kari.post(gui(eco, code), {"csrf": page.hidden("csrf"), "answer": "accept"})
    assert done.status_code == 302
    assert done.headers["Location"] == f"{REDIRECT_URI}?AuthorizationCode={code}&Status=OK"
    stored = record(eco, code)
    assert stored["status"] == "Accepted" and stored["consent_state"] == "Active"
    assert stored["consent"]["delegated_by"] == KARI["pid"]
    assert eco.consent_token(company, code).status_code == 200
    answered = [
        e for e in altinn_events(eco) if e["details"].get("answer") and e["details"].get("authorization_code") == code
    ]
    assert answered and answered[-1]["details"]["answer"] == "accepted" and answered[-1]["subject"] == KARI["pid"]


def test_declining_sends_failed_with_the_code(eco, company, kari):
    code = new_request(eco, company)
    done = answer_form(kari, eco, code, "reject")
    assert done.status_code == 302
    assert done.headers["Location"] == f"{REDIRECT_URI}?{DECLINED}&FailedAuthorizationCode={code}"
    assert record(eco, code)["status"] == "Rejected"
    assert eco.consent_token(company, code).status_code == 403
    events = [
        e for e in altinn_events(eco) if e["details"].get("authorization_code") == code and e["details"].get("answer")
    ]
    assert events[-1]["details"]["answer"] == "rejected"


def test_a_redirect_url_with_a_query_keeps_it(eco, company, kari):
    code = new_request(eco, company, RedirectUrl=REDIRECT_URI + "?claim=42&step=consent")
    done = answer_form(kari, eco, code, "accept")
    assert done.headers["Location"] == f"{REDIRECT_URI}?claim=42&step=consent&AuthorizationCode={code}&Status=OK"


def test_the_redirect_is_built_as_altinn_2_builds_it():
    base = {"code": "c0de", "redirect_url": "https://bank.example/back", "origin": "api"}
    assert answer_redirect(base, True) == "https://bank.example/back?AuthorizationCode=c0de&Status=OK"
    assert answer_redirect(base, False) == f"https://bank.example/back?{DECLINED}&FailedAuthorizationCode=c0de"
    assert answer_redirect({**base, "origin": "link"}, False) == f"https://bank.example/back?{DECLINED}"
    assert with_query("https://b.example/x?", [("A", "1")]) == "https://b.example/x?A=1"
    assert with_query("myapp://consent#top", [("A", "1 2")]) == "myapp://consent?A=1%202#top"


def test_the_page_speaks_english_with_language_code_en(eco, company, kari):
    code = new_request(eco, company)
    answer = kari.get(gui(eco, code) + "&languageCode=en")
    page = page_of(answer)
    assert page.lang == "en"
    assert f"{INSURER_NAME} asks for your consent to fetch information about you" in page.text
    assert "Yes, I give my consent" in page.text and "No, I do not consent" in page.text
    assert re.search(r"from and including \d{2}\.\d{2}\.\d{4} at \d{2}:\d{2} up to and including", page.text)
    authorize = next(url for url in kari.visited if "/authorize?" in url)
    assert parse_qs(urlsplit(authorize).query)["ui_locales"] == ["en"]


def test_the_old_link_form_redirects_to_the_request_page(eco, company):
    code = new_request(eco, company)
    answer = eco.http.get(f"{eco.altinn}/ui/AccessConsent/{code}", allow_redirects=False, timeout=10)
    assert answer.status_code == 302
    assert answer.headers["Location"].endswith(f"/ui/AccessConsent/request?id={code}")


# -- refusals -----------------------------------------------------------------------------------------------
def test_someone_else_cannot_see_or_answer_the_request(eco, company, ola):
    code = new_request(eco, company)  # for Kari
    answer = ola.get(gui(eco, code))
    assert answer.status_code == 403
    page = page_of(answer)
    assert "Denne forespørselen gjelder en annen person" in page.text
    assert INSURER_NAME not in page.text and "uføreforsikring" not in page.text
    assert record(eco, code)["status"] == "Unopened"
    own = new_request(eco, company, OfferedBy=OLA["pid"], OfferedByName=OLA["last_name"])
    csrf = page_of(ola.get(gui(eco, own))).hidden("csrf")  # a good token of Ola's own session
    forged = ola.post(gui(eco, code), {"csrf": csrf, "answer": "accept"})
    assert forged.status_code == 403
    assert "annen person" in page_of(forged).text
    assert record(eco, code)["status"] == "Unopened"


def test_a_required_delegator_must_be_the_one_who_answers(eco, company, kari, ola):
    code = new_request(eco, company, RequiredDelegator=OLA["pid"], RequiredDelegatorName=OLA["last_name"])
    assert kari.get(gui(eco, code)).status_code == 403
    done = answer_form(ola, eco, code, "accept")
    assert done.status_code == 302 and "Status=OK" in done.headers["Location"]


def test_a_lower_level_login_is_refused(eco, company, kari):
    """ID-porten never gives a lower level when high is asked; a citizen (or an attacker) who edits
    acr_values on the way can get one. Altinn must check the acr it got and refuse it."""
    code = new_request(eco, company)
    first = kari.http.get(gui(eco, code), allow_redirects=False, timeout=10)
    parts = urlsplit(first.headers["Location"])
    params = {k: v[0] for k, v in parse_qs(parts.query).items()}
    params["acr_values"] = "idporten-loa-substantial"
    tampered = urlunsplit(parts._replace(query=urlencode(params)))
    kari.method = "minid"
    answer = kari.get(tampered)
    assert answer.status_code == 403, answer.text
    page = page_of(answer)
    assert "Du må logge inn på høyeste sikkerhetsnivå" in page.text
    assert "høyt" in page.text
    assert "altinn_session" not in kari.http.cookies
    again = kari.http.get(gui(eco, code), allow_redirects=False, timeout=10)
    assert again.status_code == 302 and "/authorize?" in again.headers["Location"]  # still not logged in
    assert record(eco, code)["status"] == "Unopened"
    events = [e for e in altinn_events(eco) if e["error"] == "acr_too_low"]
    assert events and events[-1]["subject"] == KARI["pid"]


def test_the_acr_check():
    assert acr_problem({"acr": HIGH}) is None
    assert acr_problem({"acr": "idporten-loa-substantial"})
    assert acr_problem({"acr": "Level4"})
    assert acr_problem({})


def test_an_answered_request_cannot_be_answered_again(eco, company, kari):
    code = new_request(eco, company)
    page = page_of(kari.get(gui(eco, code)))
    csrf = page.hidden("csrf")
    assert kari.post(gui(eco, code), {"csrf": csrf, "answer": "accept"}).status_code == 302
    shown = kari.get(gui(eco, code))
    assert shown.status_code == 200
    text = page_of(shown).text
    assert "Forespørselen er allerede besvart" in text and "Du ga samtykke" in text
    assert "Ja, jeg gir samtykke" not in text
    again = kari.post(gui(eco, code), {"csrf": csrf, "answer": "reject"})
    assert again.status_code == 409
    assert "allerede besvart" in page_of(again).text
    assert record(eco, code)["status"] == "Accepted"


def test_a_declined_request_says_so_when_opened_again(eco, company, kari):
    code = new_request(eco, company)
    answer_form(kari, eco, code, "reject")
    text = page_of(kari.get(gui(eco, code))).text
    assert "allerede besvart" in text and "Du sa nei til samtykke" in text


def test_an_expired_request_cannot_be_answered(eco, company, kari):
    valid_to = (eco.calendar_now() + timedelta(days=2)).astimezone(OSLO).strftime("%Y-%m-%dT%H:%M:%S")
    code = new_request(eco, company, ValidTo=valid_to)
    csrf = page_of(kari.get(gui(eco, code))).hidden("csrf")
    moved = eco.http.post(eco.altinn + "/_sandbox/clock", json={"advance": "P3D"}, timeout=10)
    assert moved.status_code == 200
    try:
        shown = kari.get(gui(eco, code))
        assert shown.status_code == 410
        assert "Forespørselen er utløpt" in page_of(shown).text
        late = kari.post(gui(eco, code), {"csrf": csrf, "answer": "accept"})
        assert late.status_code == 410
        assert record(eco, code)["status"] == "Opened"
    finally:
        eco.http.post(eco.altinn + "/_sandbox/clock", json={"reset": True}, timeout=10)


def test_a_form_without_the_sessions_csrf_token_is_refused(eco, company, kari):
    code = new_request(eco, company)
    kari.get(gui(eco, code))
    for form in ({"answer": "accept"}, {"csrf": "forged", "answer": "accept"}):
        refused = kari.post(gui(eco, code), form)
        assert refused.status_code == 403
        assert "Skjemaet kunne ikke sendes" in page_of(refused).text
    assert record(eco, code)["status"] == "Opened"


def test_a_nonsense_answer_is_refused(eco, company, kari):
    code = new_request(eco, company)
    csrf = page_of(kari.get(gui(eco, code))).hidden("csrf")
    assert kari.post(gui(eco, code), {"csrf": csrf, "answer": "maybe"}).status_code == 400
    assert record(eco, code)["status"] == "Opened"


@pytest.mark.parametrize(
    "query, status",
    [
        ("?id=00000000-0000-0000-0000-000000000000", 404),
        ("?id=" + "x" * 5000, 404),
        ("?id=%00%01../../etc", 404),
        ("?id=", 400),
        ("", 400),
    ],
)
def test_unknown_malformed_or_missing_ids(eco, query, status):
    answer = eco.http.get(f"{eco.altinn}/ui/AccessConsent/request{query}", allow_redirects=False, timeout=10)
    assert answer.status_code == status
    text = page_of(answer).text
    assert ("Fant ikke samtykkeforespørselen" if status == 404 else "Lenken er ufullstendig") in text


def test_posting_an_answer_without_a_session_sends_the_citizen_to_the_page(eco, company):
    code = new_request(eco, company)
    answer = eco.http.post(gui(eco, code), data={"answer": "accept"}, allow_redirects=False, timeout=10)
    assert answer.status_code == 303 and answer.headers["Location"].endswith(f"request?id={code}")
    assert record(eco, code)["status"] == "Unopened"


# -- login: state, cookies, errors --------------------------------------------------------------------------
def test_a_replayed_callback_is_refused(eco, company, kari):
    code = new_request(eco, company)
    callback = kari.get(gui(eco, code), stop_at="/ui/authentication/callback")
    assert callback.status_code == 302
    url = urljoin(callback.url, callback.headers["Location"])
    assert url.startswith(eco.altinn + "/ui/authentication/callback?")
    first = kari.http.get(url, allow_redirects=False, timeout=10)
    assert first.status_code == 302 and first.headers["Location"].endswith(f"request?id={code}")
    cookie = first.cookies.get("altinn_session")
    assert cookie
    assert "httponly" in first.headers["Set-Cookie"].lower() and "samesite=lax" in first.headers["Set-Cookie"].lower()
    replay = kari.http.get(url, allow_redirects=False, timeout=10)
    assert replay.status_code == 400
    assert "Innloggingen er ukjent, allerede brukt eller utløpt" in page_of(replay).text


def test_a_callback_from_another_browser_is_refused(eco, company, kari):
    code = new_request(eco, company)
    callback = kari.get(gui(eco, code), stop_at="/ui/authentication/callback")
    url = urljoin(callback.url, callback.headers["Location"])
    with requests.Session() as stranger:
        stranger.trust_env = False
        answer = stranger.get(url, allow_redirects=False, timeout=10)
    assert answer.status_code == 400
    assert "altinn_session" not in answer.cookies
    assert "en annen nettleser" in page_of(answer).text


@pytest.mark.parametrize(
    "query", ["", "?code=abc", "?state=nope&code=abc", "?state=" + "s" * 300, "?error=access_denied&state=unknown"]
)
def test_callbacks_without_a_pending_login_are_refused(eco, query):
    answer = eco.http.get(f"{eco.altinn}/ui/authentication/callback{query}", allow_redirects=False, timeout=10)
    assert answer.status_code == 400
    assert "Innloggingen kunne ikke fullføres" in page_of(answer).text


def test_a_callback_from_another_issuer_is_refused(eco):
    answer = eco.http.get(
        f"{eco.altinn}/ui/authentication/callback?state=x&code=y&iss=https://evil.example",
        allow_redirects=False,
        timeout=10,
    )
    assert answer.status_code == 400


def test_a_cancelled_login_gets_a_clear_page(eco, company, kari):
    code = new_request(eco, company)
    answer = kari.cancel_login(kari.get(gui(eco, code), stop_at="/login?"))
    assert answer.status_code == 403
    text = page_of(answer).text
    assert "Innloggingen ble avbrutt" in text and "access_denied" in text


def test_idporten_failing_at_token_gives_a_clear_page(eco, company, kari):
    code = new_request(eco, company)
    armed = eco.http.post(
        eco.sandbox.url("idporten") + "/_sandbox/faults",
        timeout=10,
        json={"operation": "token", "status": 503, "count": 1},
    )
    assert armed.status_code in (200, 201), armed.text
    answer = kari.get(gui(eco, code))
    assert answer.status_code == 502
    assert "Altinn fikk ikke kontakt med ID-porten" in page_of(answer).text
    assert "altinn_session" not in kari.http.cookies
    assert kari.get(gui(eco, code)).status_code == 200  # the next try works (SSO at ID-porten)


def test_an_expired_session_means_logging_in_again(eco, company, kari):
    code = new_request(eco, company)
    assert kari.get(gui(eco, code)).status_code == 200
    clock = eco.sandbox.app("altinn").extensions["sandbox"].clock
    clock.move(31 * 60)
    try:
        again = kari.http.get(gui(eco, code), allow_redirects=False, timeout=10)
        assert again.status_code == 302 and "/authorize?" in again.headers["Location"]
    finally:
        clock.move(-31 * 60)


def test_a_forged_session_cookie_just_means_logging_in(eco, company, kari):
    code = new_request(eco, company)
    kari.http.cookies.set("altinn_session", "forged-" + "A" * 40, domain="localhost.local", path="/")
    kari.http.cookies.set("altinn_session", "forged-" + "A" * 40)
    first = kari.http.get(gui(eco, code), allow_redirects=False, timeout=10)
    assert first.status_code == 302 and "/authorize?" in first.headers["Location"]


def test_logout_drops_the_altinn_session(eco, company, kari):
    code = new_request(eco, company)
    assert kari.get(gui(eco, code)).status_code == 200
    out = kari.http.get(eco.altinn + "/ui/authentication/logout", allow_redirects=False, timeout=10)
    assert out.status_code == 200 and "Du er logget ut av Altinn" in page_of(out).text
    again = kari.http.get(gui(eco, code), allow_redirects=False, timeout=10)
    assert again.status_code == 302 and "/authorize?" in again.headers["Location"]


def test_return_urls_stay_on_altinn():
    assert safe_return_url("/ui/Profile/Consents") == "/ui/Profile/Consents"
    for bad in ("https://evil.example/", "//evil.example/x", "/\\evil.example", None, "", "javascript:alert(1)"):
        assert safe_return_url(bad) == "/ui/Profile/Consents"


@pytest.mark.parametrize("target", ["/\t/evil.example/", "/\n/evil.example/", "\\/evil.example"], ids=repr)
@pytest.mark.parametrize("path", ["/ui/authentication/login", "/ui/authentication/logout"])
def test_a_return_url_with_a_tab_or_backslash_ends_on_altinn_not_elsewhere(eco, kari, path, target):
    """The reported open redirect: ``returnUrl=%2F%09%2Fevil.example%2F`` ended, after login, in
    ``Location: //evil.example/``; a browser drops the tab. Login and logout both end on Altinn."""
    start = kari.http.get(f"{eco.altinn}{path}?{urlencode({'returnUrl': target})}", allow_redirects=False, timeout=10)
    assert start.status_code == 302 and "/authorize?" in start.headers["Location"]
    callback = kari.follow(start, stop_at="/ui/authentication/callback")
    landed = kari.http.get(urljoin(callback.url, callback.headers["Location"]), allow_redirects=False, timeout=10)
    assert landed.status_code == 302
    assert landed.headers["Location"] == "/ui/Profile/Consents"


# -- the legacy link ------------------------------------------------------------------------------------------
def link(eco, company, **overrides) -> str:
    valid_to = (eco.calendar_now() + timedelta(days=300)).astimezone(OSLO).strftime("%Y-%m-%d %H:%M:%S")
    params = {
        "Resources": "5252_2",
        "CoveredBy": company.org,
        "RedirectUrl": REDIRECT_URI,
        "ValidToDate": valid_to,
        "DelegationContext": "Søknad om uføreerstatning, sak 77",
        "ResponseType": "code",
        "5252_2_fraOgMed": "01.01.2023",
        "5252_2_tilOgMed": "31.12.2025",
    }
    params.update(overrides)
    return f"{eco.altinn}/ui/AccessConsent/?{urlencode({k: v for k, v in params.items() if v is not None})}"


def test_the_legacy_link_creates_a_request_and_shows_it(eco, company, kari):
    answer = kari.get(link(eco, company))
    assert answer.status_code == 200, answer.text
    code = parse_qs(urlsplit(answer.url).query)["id"][0]
    page = page_of(answer)
    assert "Søknad om uføreerstatning, sak 77" in page.text
    assert "Opplysninger fra og med 01.01.2023 til og med 31.12.2025" in page.text
    assert PERIOD.search(page.text)
    stored = record(eco, code)
    assert stored["origin"] == "link" and stored["offered_by"] is None
    done = kari.post(gui(eco, code), {"csrf": page.hidden("csrf"), "answer": "accept"})
    assert done.headers["Location"] == f"{REDIRECT_URI}?AuthorizationCode={code}&Status=OK"
    stored = record(eco, code)
    assert stored["status"] == "Accepted" and stored["offered_by"] == KARI["pid"]


def test_a_legacy_link_for_someone_hints_the_login_at_them(eco, company, kari):
    first = kari.http.get(link(eco, company, OfferedBy=OLA["pid"]), allow_redirects=False, timeout=10)
    assert parse_qs(urlsplit(first.headers["Location"]).query)["login_hint"] == [OLA["pid"]]
    anyone = kari.http.get(link(eco, company), allow_redirects=False, timeout=10)
    assert "login_hint" not in parse_qs(urlsplit(anyone.headers["Location"]).query)


def test_declining_a_legacy_link_request_has_no_failed_code(eco, company, kari):
    answer = kari.get(link(eco, company, LanguageCode="nb-NO"))
    code = parse_qs(urlsplit(answer.url).query)["id"][0]
    done = kari.post(gui(eco, code), {"csrf": page_of(answer).hidden("csrf"), "answer": "reject"})
    assert done.headers["Location"] == f"{REDIRECT_URI}?{DECLINED}"


def test_the_legacy_link_without_a_trailing_slash_works_too(eco, company, kari):
    answer = kari.get(link(eco, company).replace("/ui/AccessConsent/?", "/ui/AccessConsent?"))
    assert answer.status_code == 200 and "/ui/AccessConsent/request?id=" in answer.url


def test_a_broken_legacy_link_lists_its_errors(eco, company):
    answer = eco.http.get(
        link(eco, company, CoveredBy="123", ResponseType=None, **{"5252_2_tilOgMed": None}),
        allow_redirects=False,
        timeout=10,
    )
    assert answer.status_code == 400
    page = page_of(answer)
    assert "Samtykkelenken er ikke gyldig" in page.text
    for code in ("40332", "40345", "40337"):
        assert code in page.text, page.text
    assert "ResponseType must be code" in page.text
    empty = eco.http.get(eco.altinn + "/ui/AccessConsent/", allow_redirects=False, timeout=10)
    assert empty.status_code == 400 and "Resources is required" in page_of(empty).text


def test_a_legacy_link_is_checked_before_login_and_creates_nothing_without_one(eco, company):
    before = len(eco.admin("GET", "/consents").json()["consents"])
    answer = eco.http.get(link(eco, company), allow_redirects=False, timeout=10)
    assert answer.status_code == 302 and "/authorize?" in answer.headers["Location"]
    assert len(eco.admin("GET", "/consents").json()["consents"]) == before


# -- "Mine samtykker" -------------------------------------------------------------------------------------------
def log_use(eco, company, code: str, when: str | None = None):
    body = {"ServiceCode": "5252", "ServiceEditionCode": 2}
    if when:
        body["UsageDateTime"] = when
    answer = eco.http.post(
        f"{eco.altinn}/api/authorization/token/{code}/loguse",
        json=body,
        timeout=10,
        headers={"ApiKey": company.api_key},
    )
    assert answer.status_code == 204, answer.text


def consent_section(html: str, code: str) -> str:
    start = html.index(f'id="consent-{code}"')
    end = html.find("</section>", start)
    return " ".join(Page(html[start - 9 : end + 10]).text.split())


def test_my_consents_shows_the_consent_its_use_log_and_withdrawal(eco, company, kari):
    code = eco.accepted_consent(company)
    log_use(eco, company, code, "2026-03-01T10:15:00")
    answer = kari.get(eco.altinn + "/ui/Profile/Consents")
    assert answer.status_code == 200, answer.text
    section = consent_section(answer.text, code)
    assert f"Samtykke til {INSURER_NAME}" in section
    assert company.org in section
    assert "Aktiv" in section
    assert "Syke- og uføreopplysninger fra NAV" in section and "Uføretrygd: vedtak" in section
    assert re.search(
        r"Gyldig fra \d{2}\.\d{2}\.\d{4} kl\. \d{2}:\d{2} til \d{2}\.\d{2}\.\d{4} kl\. \d{2}:\d{2}", section
    ), section
    assert "01.03.2026 kl. 10:15" in section
    assert f"{INSURER_NAME} ({company.org})" in section
    assert "Trekk samtykke" in section

    page = Page(answer.text)
    action = f"/ui/Profile/Consents/{code}/withdraw"
    form = next(f for f in page.forms if f["action"] == action)
    csrf = next(i["value"] for i in form["inputs"] if i.get("name") == "csrf")
    done = kari.http.post(eco.altinn + action, data={"csrf": csrf}, allow_redirects=False, timeout=10)
    assert done.status_code == 303
    after = kari.get(urljoin(eco.altinn, done.headers["Location"]))
    assert f"Samtykket til {INSURER_NAME} er trukket tilbake" in page_of(after).text
    section = consent_section(after.text, code)
    assert "Trukket tilbake" in section and "Trekk samtykke" not in section
    assert "01.03.2026 kl. 10:15" in section  # the use log stays
    stored = record(eco, code)
    assert stored["consent_state"] == "Revoked" and stored["consent"]["revoked"]["by"] == KARI["pid"]
    assert eco.consent_token(company, code).status_code == 403
    events = [e for e in altinn_events(eco) if e["operation"] == "withdraw_my_consent"]
    assert events[-1]["subject"] == KARI["pid"] and events[-1]["details"]["authorization_code"] == code
    again = kari.http.post(eco.altinn + action, data={"csrf": csrf}, allow_redirects=False, timeout=10)
    assert again.status_code == 409


def test_accepted_consents_come_before_refusals(eco, company, kari):
    refused = new_request(eco, company)
    answer_form(kari, eco, refused, "reject")
    accepted = eco.accepted_consent(company)
    html = kari.get(eco.altinn + "/ui/Profile/Consents").text
    assert html.index(f'id="consent-{accepted}"') < html.index(f'id="consent-{refused}"')
    section = consent_section(html, refused)
    assert f"Nei til {INSURER_NAME}" in section and "Avslått" in section and "Trekk samtykke" not in section


def test_expired_and_one_time_consents_cannot_be_withdrawn(eco, company, kari):
    expired = eco.accepted_consent(company)
    assert eco.admin("POST", f"/consents/{expired}/expire").status_code == 200
    one_time = eco.accepted_consent(company, one_time=True)
    answer = kari.get(eco.altinn + "/ui/Profile/Consents")
    assert "Utløpt" in consent_section(answer.text, expired)
    assert "Trekk samtykke" not in consent_section(answer.text, expired)
    assert "Engangssamtykke" in consent_section(answer.text, one_time)
    assert "Trekk samtykke" not in consent_section(answer.text, one_time)
    csrf = csrf_of(Page(answer.text)) if Page(answer.text).forms else None
    if csrf is None:  # no withdraw form on the page at all: take the token from a consent page
        csrf = page_of(kari.get(gui(eco, new_request(eco, company)))).hidden("csrf")
    for code in (expired, one_time):
        refused = kari.http.post(
            f"{eco.altinn}/ui/Profile/Consents/{code}/withdraw", data={"csrf": csrf}, allow_redirects=False, timeout=10
        )
        assert refused.status_code == 409, refused.text
    log_use(eco, company, one_time)
    assert "Brukt opp" in consent_section(kari.get(eco.altinn + "/ui/Profile/Consents").text, one_time)


def test_only_the_owner_may_withdraw(eco, company, kari, ola):
    code = eco.accepted_consent(company)  # Kari's
    html = ola.get(eco.altinn + "/ui/Profile/Consents").text
    assert f'id="consent-{code}"' not in html
    csrf = page_of(
        ola.get(gui(eco, new_request(eco, company, OfferedBy=OLA["pid"], OfferedByName=OLA["last_name"])))
    ).hidden("csrf")
    refused = ola.http.post(
        f"{eco.altinn}/ui/Profile/Consents/{code}/withdraw", data={"csrf": csrf}, allow_redirects=False, timeout=10
    )
    assert refused.status_code == 403
    assert "Dette er ikke ditt samtykke" in page_of(refused).text
    assert record(eco, code)["consent_state"] == "Active"
    unknown = ola.http.post(
        f"{eco.altinn}/ui/Profile/Consents/nope/withdraw", data={"csrf": csrf}, allow_redirects=False, timeout=10
    )
    assert unknown.status_code == 404


def test_withdrawing_needs_the_sessions_csrf_token(eco, company, kari):
    code = eco.accepted_consent(company)
    kari.get(eco.altinn + "/ui/Profile/Consents")
    refused = kari.http.post(
        f"{eco.altinn}/ui/Profile/Consents/{code}/withdraw", data={"csrf": "forged"}, allow_redirects=False, timeout=10
    )
    assert refused.status_code == 403
    assert record(eco, code)["consent_state"] == "Active"


def test_my_consents_needs_a_login(eco):
    answer = eco.http.get(eco.altinn + "/ui/Profile/Consents", allow_redirects=False, timeout=10)
    assert answer.status_code == 302 and "/authorize?" in answer.headers["Location"]
    post = eco.http.post(eco.altinn + "/ui/Profile/Consents/x/withdraw", allow_redirects=False, timeout=10)
    assert post.status_code == 303


def test_pages_escape_what_insurers_send(eco, company, kari):
    code = new_request(eco, company, RequestMessage={"no-nb": "<script>alert(1)</script> & <b>fet</b>"})
    html = kari.get(gui(eco, code)).text
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<b>fet</b>" not in html


def test_pages_are_quoted_safely_in_links(eco, company, kari):
    """The language switch and the answer form keep the id quoted."""
    code = new_request(eco, company)
    html = kari.get(gui(eco, code)).text
    assert f'action="/ui/AccessConsent/request?id={quote(code)}"' in html


# -- the login is for the person the request is for; the language carries across the services -------------------
def login_page_of(citizen: Citizen, url: str) -> requests.Response:
    """Follows ``url`` to ID-porten's login page without logging in (stops there)."""
    answer = citizen.http.get(url, allow_redirects=False, timeout=10)
    while answer.status_code == 302:
        answer = citizen.http.get(urljoin(answer.url, answer.headers["Location"]), allow_redirects=False, timeout=10)
    assert answer.url.startswith(citizen.idporten + "/login?"), answer.url
    return answer


def test_the_login_preselects_the_person_the_request_is_for_and_says_why(eco, company, kari):
    code = new_request(eco, company, OfferedBy=OLA["pid"], OfferedByName=OLA["last_name"])
    first = kari.http.get(gui(eco, code), allow_redirects=False, timeout=10)
    assert parse_qs(urlsplit(first.headers["Location"]).query)["login_hint"] == [OLA["pid"]]
    page = login_page_of(kari, gui(eco, code)).text
    checked = re.findall(r'<input type="radio" name="pid" value="(\d{11})" checked>', page)
    assert checked == [OLA["pid"]]
    marked = re.search(r'<small class="preselected" id="preselected">([^<]*)</small>', page)
    assert marked and marked.group(1).startswith("Forhåndsvalgt av sandkassen")
    # Kari may still log in as herself: she is told the request is for someone else
    answer = Citizen(eco, KARI["pid"]).get(gui(eco, code))
    assert answer.status_code == 403


def test_without_a_hint_nothing_is_marked_as_preselected(eco, kari):
    answer = kari.http.get(eco.altinn + "/ui/Profile/Consents", allow_redirects=False, timeout=10)
    assert "login_hint" not in parse_qs(urlsplit(answer.headers["Location"]).query)
    assert 'id="preselected"' not in login_page_of(kari, eco.altinn + "/ui/Profile/Consents").text


def test_english_chosen_at_idporten_holds_at_altinn(eco, company, kari):
    code = new_request(eco, company)
    login = login_page_of(kari, gui(eco, code)).text
    assert Page(login).lang == "nb"
    switch = re.search(r'<a class="lang" href="([^"]+)" lang="en" id="switch-language">English</a>', login)
    english = kari.http.get(urljoin(kari.idporten, switch.group(1).replace("&amp;", "&")), timeout=10)
    assert Page(english.text).lang == "en" and "Log in with ID-porten" in english.text
    assert kari.http.cookies.get("dsop_lang") == "en"
    answer = kari.post(
        kari.idporten + "/login",
        {**hidden_fields(english.text), "pid": KARI["pid"], "method": "bankid", "action": "login"},
    )
    assert answer.status_code == 200 and answer.url == gui(eco, code)
    page = page_of(answer)
    assert page.lang == "en" and f"{INSURER_NAME} asks for your consent" in page.text
    # the choice holds on Altinn's next page too, until the citizen switches back
    assert page_of(kari.get(eco.altinn + "/ui/Profile/Consents")).lang == "en"
    assert page_of(kari.get(eco.altinn + "/ui/Profile/Consents?lang=nb")).lang == "nb"
    assert kari.http.cookies.get("dsop_lang") == "nb"


def test_the_citizens_choice_wins_over_the_links_language(eco, company, kari):
    code = new_request(eco, company)
    kari.http.cookies.set("dsop_lang", "en")
    assert page_of(kari.get(gui(eco, code) + "&languageCode=nb")).lang == "en"
    assert page_of(kari.get(gui(eco, code) + "&lang=nb")).lang == "nb"
