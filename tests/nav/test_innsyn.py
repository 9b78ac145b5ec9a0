"""NAV's innsyn, driven over HTTP by a scripted browser: the citizen logs in at ID-porten through
NAV's page (client ``nav``, level high), sees every disclosure NAV made about them under a
consent, grouped by year, opens one, downloads exactly what was delivered, and reads the BFF.

Disclosures are made the real way: an insurer registered through the control plane, a Maskinporten
token, an accepted consent in Altinn, its consent token, and a call to NAV's DSOP API."""

from __future__ import annotations

import base64
import json
import re
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlencode, urljoin, urlsplit, urlunsplit
from zoneinfo import ZoneInfo

import jwt
import pytest

from dsop_sandbox.people.roster import TEST_PERSONS
from tests.altinn.conftest import Ecosystem, Insurer
from tests.citizen import Citizen, hidden_fields
from tests.conftest import INSURER_NAME, INSURER_ORG
from tests.idporten.support import Page

OSLO = ZoneInfo("Europe/Oslo")
HIGH = "idporten-loa-high"
DSOP = "/person/personopplysninger/dsop"
BFF = "/person/dsop-api/get"
UFORE_SCOPE = "nav:helse/v1/uforeopplysninger"
AAP_SCOPE = "nav:arbeid/v1/aap"
WHEN = re.compile(r"^\d{2}\.\d{2}\.\d{4} kl\. \d{2}:\d{2}$")
PERSONS = {p["name"]: p for p in TEST_PERSONS}
KARI, OLA, INGRID, PER = (PERSONS[n] for n in ("Kari Nordmann", "Ola Hansen", "Ingrid Berg", "Per Johansen"))
UNNI, CAMILLA, OLE, JOHAN = (PERSONS[n] for n in ("Unni Thomassen", "Camilla Nygård", "Ole Nielsen", "Johan Tveit"))


class Nav:
    """The NAV side of the ecosystem: the API an insurer calls, the admin API, the in-process app."""

    def __init__(self, eco: Ecosystem, company: Insurer):
        self.eco, self.company = eco, company
        self.url = eco.sandbox.url("nav")
        self.app = eco.sandbox.app("nav")

    def disclose(self, pid: str, api: str = "ufo", **query) -> dict:
        """An accepted consent from ``pid``, its token, and one call to NAV's API: what was delivered."""
        code = self.eco.accepted_consent(self.company, offered_by=pid)
        answer = self.eco.consent_token(self.company, code)
        assert answer.status_code == 200, answer.text
        token = answer.json()
        path, scope, person_header = {
            "ufo": ("/dsop-ufo/uforeopplysninger", UFORE_SCOPE, "fnr"),
            "aap": ("/dsop-aap/v1/vedtak", AAP_SCOPE, "NAV-PersonIdent"),
            "meldekort": ("/dsop-aap/v1/meldekort", AAP_SCOPE, "NAV-PersonIdent"),
        }[api]
        answer = self.eco.http.get(
            self.url + path,
            params=query,
            timeout=15,
            headers={
                "Authorization": f"Bearer {self.company.token(scope, fresh=True)}",
                person_header: pid,
                "NAV-Samtykke-Token": token,
                "Accept": "application/json",
            },
        )
        assert answer.status_code == 200, answer.text
        entry = self.admin_entries(pid)[-1]
        assert entry["samtykkeToken"] == token
        return {"code": code, "token": token, "body": answer.content, "entry": entry}

    def disclose_altinn3(self, pid: str, api: str = "ufo", **query) -> dict:
        """An Altinn 3 consent from ``pid`` inside the Maskinporten token, and one call to NAV's API."""
        consent = self.eco.altinn3_consent(self.company, pid)
        path_attr = {"ufo": "ufore_path", "aap": "aap_vedtak_path"}[api]
        token = self.eco.altinn3_token(self.company, [consent], scope=UFORE_SCOPE if api == "ufo" else AAP_SCOPE)
        answer = self.eco.with_altinn3(path_attr, self.company, pid, token, params=query)
        assert answer.status_code == 200, answer.text
        entry = self.admin_entries(pid)[-1]
        assert entry["consentId"] == consent["id"]
        return {"consent": consent, "token": token, "body": answer.content, "entry": entry}

    def admin_entries(self, pid: str) -> list[dict]:
        answer = self.eco.admin_of("nav", "GET", "/disclosures", params={"person": pid})
        assert answer.status_code == 200, answer.text
        return sorted(answer.json()["disclosures"], key=lambda e: e["id"])

    def move_calendar(self, **body):
        answer = self.eco.http.post(self.url + "/_sandbox/clock", json=body, timeout=10)
        assert answer.status_code == 200, answer.text

    def events(self) -> list[dict]:
        return self.eco.http.get(self.url + "/_sandbox/events", timeout=10).json()["events"]


@pytest.fixture(scope="module")
def eco(world):
    """The package's sandbox (tests/nav/conftest.py ``world``; ``company`` is registered there)."""
    return world


@pytest.fixture(scope="module")
def nav(eco, company) -> Nav:
    return Nav(eco, company)


def citizen(eco, person: dict, method: str = "bankid", services=("nav", "idporten")) -> Citizen:
    """A scripted browser of ``person`` whose session reaches the in-process sandbox."""
    browser = Citizen(eco, person["pid"], method=method, services=services)
    eco.sandbox.mount(browser.http)
    return browser


def page_of(answer) -> Page:
    assert answer.headers["Content-Type"].startswith("text/html"), answer.headers
    return Page(answer.text)


def norwegian(utc_text: str) -> str:
    moment = datetime.fromisoformat(utc_text.replace("Z", "+00:00")).astimezone(OSLO)
    return f"{moment:%d.%m.%Y} kl. {moment:%H:%M}"


def captions(html: str) -> list[str]:
    return re.findall(r'<caption id="heading-[^"]*">([^<]*)</caption>', html)


def row_ids(html: str) -> list[int]:
    return [int(x) for x in re.findall(r'<tr class="disclosure" id="disclosure-(\d+)"', html)]


# -- login ---------------------------------------------------------------------------------------------------
def test_the_page_logs_the_citizen_in_at_idporten_as_nav_at_level_high(eco, nav):
    kari = citizen(eco, KARI)
    first = kari.http.get(nav.url + DSOP, allow_redirects=False, timeout=10)
    assert first.status_code == 302
    authorize = urlsplit(first.headers["Location"])
    params = {k: v[0] for k, v in parse_qs(authorize.query).items()}
    assert f"{authorize.scheme}://{authorize.netloc}{authorize.path}" == eco.sandbox.url("idporten") + "/authorize"
    assert params["client_id"] == "nav" and params["redirect_uri"] == nav.url + "/oauth2/callback"
    assert params["acr_values"] == HIGH and params["code_challenge_method"] == "S256"
    assert len(params["code_challenge"]) == 43 and params["state"] and params["nonce"]
    assert params["scope"] == "openid profile" and params["response_type"] == "code"
    assert "nav_login" in first.cookies and first.headers["Cache-Control"] == "no-store"

    callback = kari.follow(first, stop_at="/oauth2/callback")
    url = urljoin(callback.url, callback.headers["Location"])
    landed = kari.http.get(url, allow_redirects=False, timeout=10)
    assert landed.status_code == 302 and landed.headers["Location"] == DSOP
    cookie = landed.headers["Set-Cookie"].lower()
    assert "nav_session=" in cookie and "httponly" in cookie and "samesite=lax" in cookie and "path=/" in cookie
    page = kari.get(nav.url + DSOP)
    assert page.status_code == 200
    text = page_of(page).text
    assert "Digital samhandling offentlig-privat" in text and "Innlogget som Kari Nordmann" in text
    events = [e for e in nav.events() if e["details"].get("acr") == HIGH]
    assert events and events[-1]["subject"] == KARI["pid"]


def test_the_page_is_nav_like_and_says_when_nothing_was_fetched(eco, nav):
    answer = citizen(eco, PER).get(nav.url + DSOP)
    assert answer.status_code == 200
    page = page_of(answer)
    assert page.lang == "nb"
    assert "NAV har ikke delt noen opplysninger om deg" in page.text
    assert "TEST" in page.text and "NAV" in page.text
    assert (
        answer.headers["X-Frame-Options"] == "DENY"
        and "default-src 'none'" in answer.headers["Content-Security-Policy"]
    )
    assert answer.headers["Cache-Control"] == "no-store"
    assert "<script" not in answer.text.lower() and "http://" not in answer.text.split("</style>")[0]
    assert 'name="viewport"' in answer.text
    assert "<caption" not in answer.text


# -- the list ---------------------------------------------------------------------------------------------------
def test_the_list_is_grouped_by_year_newest_first(eco, nav):
    nav.move_calendar(advance="-P1Y")
    try:
        last_year = nav.disclose(INGRID["pid"], "ufo")
    finally:
        nav.move_calendar(reset=True)
    first = nav.disclose(INGRID["pid"], "aap")
    second = nav.disclose(INGRID["pid"], "ufo")
    answer = citizen(eco, INGRID).get(nav.url + DSOP)
    assert answer.status_code == 200
    html = answer.text
    this_year = (
        datetime.fromisoformat(second["entry"]["uthentingsTidspunkt"].replace("Z", "+00:00")).astimezone(OSLO).year
    )
    assert captions(html) == [str(this_year), str(this_year - 1)]
    assert row_ids(html) == [second["entry"]["id"], first["entry"]["id"], last_year["entry"]["id"]]
    text = page_of(answer).text
    assert "3 utleveringer, nyeste først" in text
    for made in (first, second, last_year):
        assert norwegian(made["entry"]["uthentingsTidspunkt"]) in text
    row = re.search(rf'<tr class="disclosure" id="disclosure-{first["entry"]["id"]}".*?</tr>', html, re.S).group(0)
    row_text = Page(row).text
    assert "Arbeidsavklaringspenger" in row_text and INSURER_NAME in row_text and INSURER_ORG in row_text
    assert WHEN.match(re.search(r'data-label="Tidspunkt">([^<]*)<', row).group(1))
    assert f'href="{DSOP}/{first["entry"]["id"]}"' in row
    assert (
        "Uføretrygd" in Page(re.search(rf'id="disclosure-{second["entry"]["id"]}".*?</tr>', html, re.S).group(0)).text
    )


def test_only_the_citizens_own_consented_entries_are_shown(eco, nav):
    own_entry = nav.disclose(OLE["pid"], "ufo")["entry"]
    johan_entry = nav.disclose(JOHAN["pid"], "ufo")["entry"]
    disclosures = nav.app.extensions["nav"].disclosures
    with nav.app.app_context():
        legal_basis = disclosures.record(
            person=OLE["pid"],
            mottaker=INSURER_ORG,
            tema="UFO",
            behandlingsgrunnlag="Lov om folketrygd § 21-4",
            data='{"hemmelig": true}',
            samtykke_token=None,
            authorization_code=None,
            foresporsel={"method": "GET", "path": "/dsop-ufo/uforeopplysninger"},
            leverandor=None,
            trace_id="t",
        )
    ole = citizen(eco, OLE)
    html = ole.get(nav.url + DSOP).text
    assert row_ids(html) == [own_entry["id"]]
    # Another person's entry, an entry without a consent, an unknown or malformed id: the same 404.
    for entry_id in (johan_entry["id"], legal_basis, 999999, "abc", "1" * 40, "%C2%B2"):
        for suffix in ("", "/data.json"):
            answer = ole.get(f"{nav.url}{DSOP}/{entry_id}{suffix}")
            assert answer.status_code == 404, (entry_id, suffix)
            text = page_of(answer).text
            assert "Fant ikke innslaget" in text
            assert JOHAN["pid"] not in text and "hemmelig" not in text and "Uføretrygd" not in text
    assert ole.get(f"{nav.url}{DSOP}/{own_entry['id']}").status_code == 200
    bff = ole.get(nav.url + BFF).json()
    assert [item["samtykkeToken"] for item in bff] == [own_entry["samtykkeToken"]]


# -- one entry ---------------------------------------------------------------------------------------------------
def test_an_entry_shows_recipient_time_tema_basis_consent_and_request(eco, nav):
    code = nav.eco.accepted_consent(nav.company, offered_by=KARI["pid"])
    claims = jwt.decode(nav.eco.consent_token(nav.company, code).json(), options={"verify_signature": False})
    start = datetime.strptime(next(s for s in claims["Services"] if "fraOgMed=" in s).split("=")[1], "%d.%m.%Y").date()
    end = datetime.strptime(next(s for s in claims["Services"] if "tilOgMed=" in s).split("=")[1], "%d.%m.%Y").date()
    fom, tom = start + timedelta(days=31), start + timedelta(days=400)
    made = nav.disclose(KARI["pid"], "aap", fomDato=fom.isoformat(), tomDato=tom.isoformat())
    entry = made["entry"]
    claims = jwt.decode(made["token"], options={"verify_signature": False})
    answer = citizen(eco, KARI).get(f"{nav.url}{DSOP}/{entry['id']}")
    assert answer.status_code == 200
    page = page_of(answer)
    text = page.text
    assert page.lang == "nb"
    assert INSURER_NAME in text and f"Organisasjonsnummer {INSURER_ORG}" in text
    assert f"Uthentingstidspunkt (norsk tid) {norwegian(entry['uthentingsTidspunkt'])}" in text
    assert "Tema Arbeidsavklaringspenger" in text
    assert (
        f"Behandlingsgrunnlag {entry['behandlingsGrunnlag']}" in text and made["code"] in entry["behandlingsGrunnlag"]
    )
    assert f"Referanse i Altinn {made['code']}" in text
    assert f"Samtykke Altinn 2 ({made['code']})" in text and "Samtykkeløsning Altinn 2" in text
    assert f"Opplysninger fra perioden {start:%d.%m.%Y}–{end:%d.%m.%Y}" in text
    valid_to = datetime.fromtimestamp(claims["ValidToDate"], UTC)
    given = datetime.fromtimestamp(claims["DelegatedDate"], UTC)
    assert f"Gyldig til (norsk tid) {norwegian(valid_to.isoformat())}" in text
    assert f"Samtykke gitt (norsk tid) {norwegian(given.isoformat())}" in text
    assert "Syke- og uføreopplysninger fra NAV (tjeneste 5252, utgave 2)" in text
    assert "Tjeneste hos NAV Arbeidsavklaringspenger: vedtak (finnVedtakListe)" in text
    assert f"Periode det ble spurt om {fom:%d.%m.%Y}–{tom:%d.%m.%Y}" in text
    assert "GET /dsop-aap/v1/vedtak" in text
    download = next(link for link in page.links if link.get("id") == "download")
    assert download["href"] == f"{DSOP}/{entry['id']}/data.json"
    assert "Last ned opplysningene (JSON)" in text
    assert "Arbeidsavklaringspenger" in text
    assert f"Fødselsnummer {KARI['pid']}" in text


def test_an_altinn3_entry_names_its_consent_and_generation(eco, nav):
    made = nav.disclose_altinn3(INGRID["pid"], "aap")
    consent, entry = made["consent"], made["entry"]
    ingrid = citizen(eco, INGRID)
    listed = ingrid.get(nav.url + DSOP)
    assert entry["id"] in row_ids(listed.text)
    answer = ingrid.get(f"{nav.url}{DSOP}/{entry['id']}")
    assert answer.status_code == 200
    text = page_of(answer).text
    assert f"Behandlingsgrunnlag Samtykke: Altinn 3-samtykke {consent['id']}" in text
    assert f"Samtykke Altinn 3-samtykke {consent['id']}" in text and "Samtykkeløsning Altinn 3" in text
    assert f"Referanse i Altinn {consent['id']}" in text
    assert "Syke- og uføreopplysninger fra NAV (ressurs nav_samtykke_dsop_aap-ufore)" in text
    assert "Opplysninger fra perioden 01.01.2009–31.12.2029" in text
    assert f"Gyldig til (norsk tid) {norwegian(consent['validTo'])}" in text
    assert f"Samtykke gitt (norsk tid) {norwegian(consent['consented'])}" in text
    assert "Samtykket kan ikke vises" not in text
    assert made["token"] not in answer.text
    download = ingrid.get(f"{nav.url}{DSOP}/{entry['id']}/data.json")
    assert download.status_code == 200 and download.content == made["body"]
    newest = ingrid.get(nav.url + BFF).json()[0]  # newest first: this one
    assert base64.b64decode(newest["leverteData"]) == made["body"]
    assert newest["samtykkeToken"] is None and newest["tema"] == "Arbeidsavklaringspenger"


def test_the_download_is_exactly_what_was_delivered(eco, nav):
    made = nav.disclose(CAMILLA["pid"], "aap")
    camilla = citizen(eco, CAMILLA)
    camilla.get(nav.url + DSOP)
    answer = camilla.get(f"{nav.url}{DSOP}/{made['entry']['id']}/data.json")
    assert answer.status_code == 200
    assert answer.content == made["body"]
    assert answer.headers["Content-Type"].startswith("application/json")
    disposition = answer.headers["Content-Disposition"]
    assert (
        disposition.startswith("attachment") and f'filename="utleverte-data-{made["entry"]["id"]}.json"' in disposition
    )
    assert json.loads(answer.content) == json.loads(made["body"])


def test_the_download_without_a_session_goes_through_the_login_first(eco, nav):
    made = nav.disclose(CAMILLA["pid"], "ufo")
    answer = citizen(eco, CAMILLA).get(f"{nav.url}{DSOP}/{made['entry']['id']}/data.json")
    assert answer.status_code == 200 and answer.content == made["body"]


def record_directly(nav: Nav, pid: str, **fields) -> int:
    """A sporingslogg entry written straight into NAV's log (for values the real API never makes)."""
    values = {
        "person": pid,
        "mottaker": INSURER_ORG,
        "tema": "UFO",
        "behandlingsgrunnlag": "Samtykke",
        "data": '{"ok": true}',
        "samtykke_token": "x.e30.y",
        "authorization_code": None,
        "foresporsel": {"method": "GET", "path": "/dsop-ufo/uforeopplysninger", "query": {}},
        "leverandor": None,
        "trace_id": "test",
    }
    values.update(fields)
    return nav.app.extensions["nav"].disclosures.record(**values)


def test_everything_shown_is_escaped_and_odd_entries_do_not_break_the_pages(eco, nav):
    evil = "<script>alert(1)</script>"
    org = "310000035"
    added = eco.http.post(
        nav.url + "/_sandbox/access-list",
        timeout=10,
        json={"org": org, "name": f"{evil} & Co", "apis": ["uforeopplysninger"]},
    )
    assert added.status_code == 201, added.text
    claims = {
        "AuthorizationCode": "<img src=x onerror=alert(1)>",
        "Services": [f"5252_2_fraOgMed={evil}"],
        "DelegatedDate": "not a number",
        "ValidToDate": 1e300,
    }
    token = "e30." + base64.urlsafe_b64encode(json.dumps(claims).encode()).decode().rstrip("=") + ".sig"
    odd = record_directly(
        nav,
        JOHAN["pid"],
        mottaker=org,
        behandlingsgrunnlag=evil,
        data=f'{{"x": "{evil}"}}',
        samtykke_token=token,
        tema="XYZ",
        foresporsel={"method": "GET", "path": evil, "query": {"fomDato": evil}},
    )
    garbage = record_directly(nav, JOHAN["pid"], samtykke_token="not-a-jwt", foresporsel={"odd": [1, 2]})
    johan = citizen(eco, JOHAN)
    listed = johan.get(nav.url + DSOP)
    assert listed.status_code == 200
    assert "<script>alert" not in listed.text and "&lt;script&gt;alert(1)&lt;/script&gt; &amp; Co" in listed.text
    shown = johan.get(f"{nav.url}{DSOP}/{odd}")
    assert shown.status_code == 200
    assert "<script>" not in shown.text and "<img src=x" not in shown.text
    assert "&lt;img src=x onerror=alert(1)&gt;" in shown.text and "XYZ" in page_of(shown).text
    unreadable = johan.get(f"{nav.url}{DSOP}/{garbage}")
    assert unreadable.status_code == 200 and "Samtykket kan ikke vises" in page_of(unreadable).text
    data = johan.get(f"{nav.url}{DSOP}/{odd}/data.json")
    assert data.content == f'{{"x": "{evil}"}}'.encode() and data.headers["X-Content-Type-Options"] == "nosniff"
    bff = johan.get(nav.url + BFF).json()
    assert {item["tema"] for item in bff} >= {"XYZ", "Uføretrygd"}


def test_odd_altinn3_entries_are_escaped_and_do_not_break_the_pages(eco, nav):
    evil = "<script>alert(1)</script>"
    odd = record_directly(
        nav,
        JOHAN["pid"],
        samtykke_token=None,
        consent_generation="altinn3",
        consent_id=evil,
        consent_details={
            "id": evil,
            "validTo": "not a time",
            "consented": 17,
            "consentRights": [
                "x",
                {"resource": [{"value": evil}, "y"], "metadata": {"fraogmed": evil, "tilogmed": "x"}},
                {"resource": "z", "Metadata": ["not", "a", "dict"]},
            ],
        },
    )
    empty = record_directly(nav, JOHAN["pid"], samtykke_token=None, consent_generation="altinn3", consent_details=None)
    johan = citizen(eco, JOHAN)
    shown = johan.get(f"{nav.url}{DSOP}/{odd}")
    assert shown.status_code == 200
    assert "<script>alert" not in shown.text and "&lt;script&gt;alert(1)&lt;/script&gt;" in shown.text
    text = page_of(shown).text
    assert "Samtykkeløsning Altinn 3" in text and "Gyldig til (norsk tid) ukjent" in text
    unreadable = johan.get(f"{nav.url}{DSOP}/{empty}")
    assert unreadable.status_code == 200 and "Samtykket kan ikke vises" in page_of(unreadable).text
    assert {odd, empty} <= set(row_ids(johan.get(nav.url + DSOP).text))


# -- the BFF ------------------------------------------------------------------------------------------------------
def test_the_bff_lists_the_entries_as_dsop_api_does(eco, nav):
    made = [nav.disclose(UNNI["pid"], "ufo"), nav.disclose(UNNI["pid"], "aap")]
    unni = citizen(eco, UNNI)
    unni.get(nav.url + DSOP)
    answer = unni.get(nav.url + BFF)
    assert answer.status_code == 200 and answer.headers["Content-Type"].startswith("application/json")
    items = answer.json()
    assert [set(item) for item in items] == [
        {"tema", "uthentingsTidspunkt", "mottaker", "mottakernavn", "leverteData", "samtykkeToken"}
    ] * 2
    assert [item["tema"] for item in items] == ["Arbeidsavklaringspenger", "Uføretrygd"]
    for item, source in zip(items, reversed(made), strict=False):
        assert item["mottaker"] == INSURER_ORG and item["mottakernavn"] == INSURER_NAME
        assert base64.b64decode(item["leverteData"]) == source["body"]
        assert item["samtykkeToken"] == source["token"]
        local = datetime.fromisoformat(source["entry"]["uthentingsTidspunkt"].replace("Z", "+00:00")).astimezone(OSLO)
        assert item["uthentingsTidspunkt"] == local.strftime("%Y-%m-%dT%H:%M:%S")


@pytest.mark.parametrize("cookie", [None, "forged-" + "A" * 40, "x" * 500])
def test_the_bff_without_a_session_is_401(eco, nav, cookie):
    with eco.sandbox.session() as http:
        if cookie:
            http.cookies.set("nav_session", cookie)
        answer = http.get(nav.url + BFF, timeout=10)
    assert answer.status_code == 401
    body = answer.json()
    assert set(body) == {"melding", "kode"} and body["kode"] == "IKKE_INNLOGGET"


def test_pages_without_a_session_send_the_browser_to_idporten(eco, nav):
    for path in (DSOP, f"{DSOP}/1", f"{DSOP}/1/data.json"):
        answer = eco.http.get(nav.url + path, allow_redirects=False, timeout=10)
        assert answer.status_code == 302 and "/authorize?" in answer.headers["Location"], path


# -- refusals at login ---------------------------------------------------------------------------------------------
def test_a_lower_level_login_is_refused(eco, nav):
    """ID-porten never gives less than asked; a citizen who edits acr_values on the way can get it.
    NAV must check the acr it got."""
    unni = citizen(eco, UNNI, method="minid")
    first = unni.http.get(nav.url + DSOP, allow_redirects=False, timeout=10)
    parts = urlsplit(first.headers["Location"])
    params = {k: v[0] for k, v in parse_qs(parts.query).items()}
    params["acr_values"] = "idporten-loa-substantial"
    answer = unni.get(urlunsplit(parts._replace(query=urlencode(params))))
    assert answer.status_code == 403, answer.text
    text = page_of(answer).text
    assert "Du må logge inn på høyeste sikkerhetsnivå" in text and "idporten-loa-substantial" in text
    assert "nav_session" not in unni.http.cookies
    again = unni.http.get(nav.url + BFF, timeout=10)
    assert again.status_code == 401
    events = [e for e in nav.events() if e["error"] == "acr_too_low"]
    assert events and events[-1]["subject"] == UNNI["pid"]


def test_a_replayed_callback_and_one_from_another_browser_are_refused(eco, nav):
    kari = citizen(eco, KARI)
    callback = kari.get(nav.url + DSOP, stop_at="/oauth2/callback")
    url = urljoin(callback.url, callback.headers["Location"])
    with eco.sandbox.session() as stranger:
        other = stranger.get(url, allow_redirects=False, timeout=10)
    assert other.status_code == 400 and "en annen nettleser" in page_of(other).text
    assert "nav_session" not in other.cookies
    callback = kari.get(nav.url + DSOP, stop_at="/oauth2/callback")
    url = urljoin(callback.url, callback.headers["Location"])
    assert kari.http.get(url, allow_redirects=False, timeout=10).status_code == 302
    replay = kari.http.get(url, allow_redirects=False, timeout=10)
    assert replay.status_code == 400 and "allerede brukt" in page_of(replay).text


@pytest.mark.parametrize(
    "query",
    [
        "",
        "?code=abc",
        "?state=nope&code=abc",
        "?state=" + "s" * 300,
        "?error=access_denied&state=unknown",
        "?state=x&code=y&iss=https://evil.example",
    ],
)
def test_callbacks_without_a_pending_login_are_refused(eco, nav, query):
    answer = eco.http.get(f"{nav.url}/oauth2/callback{query}", allow_redirects=False, timeout=10)
    assert answer.status_code == 400
    assert "Innloggingen kunne ikke fullføres" in page_of(answer).text


def test_a_cancelled_login_gets_a_clear_page(eco, nav):
    per = citizen(eco, PER)
    answer = per.cancel_login(per.get(nav.url + DSOP, stop_at="/login?"))
    assert answer.status_code == 403 and "Innloggingen ble avbrutt" in page_of(answer).text


def test_idporten_failing_at_token_gives_a_502_page(eco, nav):
    armed = eco.http.post(
        eco.sandbox.url("idporten") + "/_sandbox/faults",
        timeout=10,
        json={"operation": "token", "status": 503, "count": 1},
    )
    assert armed.status_code in (200, 201), armed.text
    per = citizen(eco, PER)
    answer = per.get(nav.url + DSOP)
    assert answer.status_code == 502
    assert "NAV fikk ikke kontakt med ID-porten" in page_of(answer).text
    assert "nav_session" not in per.http.cookies
    assert per.get(nav.url + DSOP).status_code == 200  # the next try works (SSO at ID-porten)


def test_open_redirects_are_not_possible(eco, nav):
    per = citizen(eco, PER)
    for target in ("https://evil.example/", "//evil.example/x", "/\\evil.example", "/\t/evil.example/", "\\/x"):
        start = per.http.get(
            f"{nav.url}/oauth2/login?{urlencode({'redirect': target})}", allow_redirects=False, timeout=10
        )
        assert start.status_code == 302
        assert parse_qs(urlsplit(start.headers["Location"]).query)["prompt"] == ["login"]
        callback = per.follow(start, stop_at="/oauth2/callback")
        landed = per.http.get(urljoin(callback.url, callback.headers["Location"]), allow_redirects=False, timeout=10)
        assert landed.status_code == 302 and landed.headers["Location"] == DSOP


# -- sessions -------------------------------------------------------------------------------------------------------
def test_logout_ends_the_session_at_nav_and_at_idporten(eco, nav):
    per = citizen(eco, PER)
    assert per.get(nav.url + DSOP).status_code == 200
    out = per.http.get(nav.url + "/oauth2/logout", allow_redirects=False, timeout=10)
    assert out.status_code == 302 and "nav_session=;" in out.headers["Set-Cookie"]
    target = urlsplit(out.headers["Location"])
    assert f"{target.scheme}://{target.netloc}{target.path}" == eco.sandbox.url("idporten") + "/logout"
    assert parse_qs(target.query) == {"client_id": ["nav"], "ui_locales": ["nb"]}
    asked = per.follow(out)  # without id_token_hint ID-porten asks the citizen to confirm (issue 15, finding 5)
    assert asked.status_code == 200 and asked.url.startswith(eco.sandbox.url("idporten") + "/logout")
    assert "Vil du logge ut av ID-porten?" in page_of(asked).text
    done = per.post(eco.sandbox.url("idporten") + "/logout", hidden_fields(asked.text))
    assert done.status_code == 200
    assert "logget ut" in page_of(done).text
    assert "nav_session" not in per.http.cookies
    assert per.http.get(nav.url + BFF, timeout=10).status_code == 401
    again = per.get(nav.url + DSOP, stop_at="/login?")  # no single sign-on left: ID-porten asks again
    assert again.status_code == 302 and "/login?" in again.headers["Location"]
    assert per.http.get(nav.url + "/oauth2/logout", allow_redirects=False, timeout=10).status_code == 302


def test_an_expired_session_means_logging_in_again(eco, nav):
    per = citizen(eco, PER)
    assert per.get(nav.url + DSOP).status_code == 200
    clock = nav.app.extensions["sandbox"].clock
    clock.move(31 * 60)
    try:
        assert per.http.get(nav.url + BFF, timeout=10).status_code == 401
    finally:
        clock.move(-31 * 60)


def test_the_altinn_session_does_not_open_navs_pages(eco, nav):
    """Both run on localhost (cookies ignore ports): their cookies have different names and stores."""
    kari = citizen(eco, KARI, services=("altinn", "idporten"))
    kari.get(eco.altinn + "/ui/Profile/Consents")
    assert "altinn_session" in kari.http.cookies
    assert kari.http.get(nav.url + BFF, timeout=10).status_code == 401


def test_a_reset_logs_every_citizen_out(eco, nav):
    per = citizen(eco, PER)
    assert per.get(nav.url + DSOP).status_code == 200
    assert per.http.get(nav.url + BFF, timeout=10).status_code == 200
    assert eco.http.post(nav.url + "/_sandbox/reset", json={}, timeout=10).status_code == 200
    assert per.http.get(nav.url + BFF, timeout=10).status_code == 401


def row_text(html: str, entry_id: int) -> str:
    return Page(re.search(rf'<tr class="disclosure" id="disclosure-{entry_id}".*?</tr>', html, re.S).group(0)).text


def test_aap_vedtak_and_meldekort_are_told_apart(eco, nav):
    """Both are tema AAP: the row names the API that delivered, and the entry page the call."""
    vedtak = nav.disclose(UNNI["pid"], "aap")["entry"]
    meldekort = nav.disclose(UNNI["pid"], "meldekort")["entry"]
    assert vedtak["tema"] == meldekort["tema"] == "AAP"
    browser = citizen(eco, UNNI)
    html = browser.get(nav.url + DSOP).text
    assert row_text(html, vedtak["id"]).endswith("Arbeidsavklaringspenger: vedtak")
    assert row_text(html, meldekort["id"]).endswith("Arbeidsavklaringspenger: meldekort")
    assert f'id="disclosure-{meldekort["id"]}" data-tema="AAP" data-kind="meldekort"' in html
    text = page_of(browser.get(f"{nav.url}{DSOP}/{meldekort['id']}")).text
    assert "Tjeneste hos NAV Arbeidsavklaringspenger: meldekort (finnMeldekortListe)" in text
    assert "Uthentingstidspunkt (norsk tid)" in text


def test_the_innsyn_speaks_english_when_the_citizen_chose_it(eco, nav):
    made = nav.disclose(CAMILLA["pid"], "meldekort")["entry"]
    browser = citizen(eco, CAMILLA)
    answer = browser.get(nav.url + DSOP + "?lang=en")
    page = page_of(answer)
    assert page.lang == "en"
    assert "Work assessment allowance (AAP): employment status cards" in row_text(answer.text, made["id"])
    assert "Fetched (Norwegian time)" in page.text and "1 disclosure, newest first" in page.text
    assert browser.http.cookies.get("dsop_lang") == "en"
    # the choice is remembered: the next page, without ?lang=, is English too, and switches back to bokmål
    answer = browser.get(f"{nav.url}{DSOP}/{made['id']}")
    assert page_of(answer).lang == "en" and "The consent" in page_of(answer).text
    assert f'href="{DSOP}/{made["id"]}?lang=nb" id="switch-language"' in answer.text
    assert page_of(browser.get(f"{nav.url}{DSOP}?lang=nb")).lang == "nb"
    assert page_of(browser.get(nav.url + DSOP)).lang == "nb"


# -- what was delivered, told readably ------------------------------------------------------------------------------
def day(iso: str | None) -> str | None:
    return datetime.strptime(iso, "%Y-%m-%d").strftime("%d.%m.%Y") if iso else None


def kroner(amount: int, lang: str) -> str:
    """As the page shows money (the page's no-break space reads as a space in the page's text)."""
    return f"{amount:,}".replace(",", " ") + " kr" if lang == "nb" else f"NOK {amount:,}"


def hours(value: float, lang: str) -> str:
    return f"{value:g}".replace(".", "," if lang == "nb" else ".")


def data_rows(html: str, table_id: str) -> list[list[str]]:
    """The body rows of one of the delivered data's tables, as the text of their cells."""
    table = re.search(rf'<table class="data" id="{table_id}">.*?</table>', html, re.S).group(0)
    rows = re.findall(r"<tr>(.*?)</tr>", table.split("<tbody>")[1], re.S)
    return [[Page(cell).text for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)] for row in rows]


def delivered_part(html: str) -> tuple[str, str]:
    """The readable part of the delivered data (its HTML and text), without the folded JSON."""
    part = html.split('id="delivered-heading"')[1].split('<details id="data-preview">')[0]
    return part, Page(part).text


def test_uforeopplysninger_are_told_as_status_and_periods_in_both_languages(eco, nav):
    made = nav.disclose(OLA["pid"], "ufo")
    body = json.loads(made["body"])
    periods = body["beregningsperioder"]
    assert body["status"] == "LOPENDE" and len(periods) >= 2  # the persona: grade raised from 50 to 100 %
    ola = citizen(eco, OLA)
    url = f"{nav.url}{DSOP}/{made['entry']['id']}"
    for lang, status, ongoing, heading in (
        ("nb", "Status Løpende", "løpende", "Opplysningene som ble utlevert"),
        ("en", "Status Ongoing", "ongoing", "The data that was disclosed"),
    ):
        answer = ola.get(f"{url}?lang={lang}")
        assert answer.status_code == 200
        _html, text = delivered_part(answer.text)
        assert heading in page_of(answer).text and status in text
        first = {"nb": "Første virkningstidspunkt", "en": "First effective date"}[lang]
        assert f"{first} {day(body['forsteVirkningstidspunkt'])}" in text
        rows = data_rows(answer.text, "ufore-periods")
        assert len(rows) == len(periods)
        for row, period in zip(rows, periods, strict=True):
            assert row[:5] == [
                day(period["fom"]),
                day(period["tom"]) or ongoing,
                f"{period['uforegrad']} %",
                day(period["uforetidspunkt"]),
                kroner(period["ifu"], lang),
            ]
            if "inntektBruktIAvkortingen" in period:
                assert row[5].startswith(kroner(period["inntektBruktIAvkortingen"], lang))
            assert row[6] == {"nb": "Nei", "en": "No"}[lang]  # klagebehandles false
        grades = [row[2] for row in rows]
        assert "50 %" in grades and grades[-1] == "100 %"
        last = {"nb": "Den siste gjelder fra", "en": "The latest applies from"}[lang]
        assert f"{last} {day(periods[-1]['fom'])}" in text
        # the raw JSON is still one click away, as delivered
        raw = answer.text.split('<details id="data-preview"><summary>')[1]
        assert '"beregningsperioder"' in Page(raw).text and "</details>" in raw
        assert "<details open" not in answer.text


ENGLISH_KINDS = {"O": "New entitlement", "E": "Change", "G": "Resumption", "S": "Stop"}
ENGLISH_STATUSES = {"IVERK": "Implemented", "AVSLU": "Closed"}


def test_aap_vedtak_are_told_as_a_table_in_both_languages(eco, nav):
    made = nav.disclose(JOHAN["pid"], "aap")
    body = json.loads(made["body"])
    vedtak = body["vedtaksliste"]
    assert len(vedtak) >= 2  # the persona: a pause between two vedtak
    johan = citizen(eco, JOHAN)
    url = f"{nav.url}{DSOP}/{made['entry']['id']}"
    extract = f"{day(body['uttrekksperiode']['fraDato'])} – {day(body['uttrekksperiode']['tilDato'])}"
    for lang, label, count in (
        ("nb", "Uttrekksperiode", f"{len(vedtak)} vedtak om arbeidsavklaringspenger."),
        ("en", "Period extracted", f"Decisions on work assessment allowance: {len(vedtak)}."),
    ):
        answer = johan.get(f"{url}?lang={lang}")
        assert answer.status_code == 200
        _html, text = delivered_part(answer.text)
        assert f"{label} {extract}" in text and count in text
        rows = data_rows(answer.text, "vedtak")
        assert len(rows) == len(vedtak)
        for row, item in zip(rows, vedtak, strict=True):
            period = item["virkningsperiode"]
            assert row[0] == str(item["vedtakId"])
            assert row[1] == f"{day(period['fraDato'])} – {day(period['tilDato'])}"
            kind, variant = item["vedtakstype"], item["vedtaksvariant"]
            status, outcome = item["vedtakstatus"], item["utfall"]
            assert row[3:] == [item["rettighetstype"]["termnavn"], *row[4:6], item["aktivitetsfase"]["termnavn"]]
            if lang == "nb":  # NAV's own terms
                assert row[2] == f"{kind['termnavn']}: {variant['termnavn']}"
                assert row[4:6] == [status["termnavn"], outcome["termnavn"]]
            else:  # the page's translation where it has one, NAV's term where not
                assert row[2] == f"{ENGLISH_KINDS[kind['kode']]}: {variant['termnavn']}"
                assert row[4:6] == [ENGLISH_STATUSES[status["kode"]], {"JA": "Yes", "NEI": "No"}[outcome["kode"]]]


def test_meldekort_are_told_with_their_hours_and_a_long_list_is_folded(eco, nav):
    made = nav.disclose(KARI["pid"], "meldekort")
    cards = json.loads(made["body"])["meldekortliste"]
    assert cards
    total = sum(card["antallTimerArbeidet"] for card in cards)
    kari = citizen(eco, KARI)
    for lang, summary in (
        ("nb", f"{len(cards)} meldekort, til sammen {hours(total, 'nb')} timer arbeidet."),
        ("en", f"Employment status cards: {len(cards)}, with {hours(total, 'en')} hours worked in all."),
    ):
        answer = kari.get(f"{nav.url}{DSOP}/{made['entry']['id']}?lang={lang}")
        assert answer.status_code == 200
        html, text = delivered_part(answer.text)
        assert summary in text
        rows = data_rows(answer.text, "meldekort")
        assert rows == [
            [
                str(card["meldekortId"]),
                f"{day(card['periode']['fraDato'])} – {day(card['periode']['tilDato'])}",
                hours(card["antallTimerArbeidet"], lang),
            ]
            for card in cards
        ]
        assert ('<details class="fold" id="meldekort-fold">' in html) == (len(cards) > 12)
    # a long list is folded behind its summary; a short one is not
    many = {
        "uttrekksperiode": {"fraDato": "2023-01-02", "tilDato": "2023-12-31"},
        "meldekortliste": [
            {
                "meldekortId": n,
                "periode": {"fraDato": f"2023-{n:02d}-01", "tilDato": f"2023-{n:02d}-14"},
                "antallTimerArbeidet": 7.5,
            }
            for n in range(1, 14)
        ],
    }
    long_one = record_directly(
        nav,
        KARI["pid"],
        tema="AAP",
        data=json.dumps(many),
        foresporsel={"method": "GET", "path": "/dsop-aap/v1/meldekort"},
    )
    answer = kari.get(f"{nav.url}{DSOP}/{long_one}?lang=nb")
    html, text = delivered_part(answer.text)
    assert "13 meldekort, til sammen 97,5 timer arbeidet." in text and "Uttrekksperiode 02.01.2023 – 31.12.2023" in text
    assert '<details class="fold" id="meldekort-fold"><summary>Vis alle 13 rader (meldekort)</summary>' in html
    assert data_rows(answer.text, "meldekort")[0] == ["1", "01.01.2023 – 14.01.2023", "7,5"]


ODD_DATA = [
    # uføre: an unknown status, a period with little in it, odd values, an extra field
    (
        "/dsop-ufo/uforeopplysninger",
        {
            "status": "NY_STATUS",
            "beregningsperioder": [{"fom": "2020-01-01"}, "x", {"uforegrad": "mye", "ifu": None, "tom": "snart"}],
            "ekstra": {"a": 1},
        },
        ["Status NY_STATUS", "01.01.2020 løpende", "mye", "snart"],
    ),
    # no status at all, and a list that is not a list
    ("/dsop-ufo/uforeopplysninger", {"beregningsperioder": "ingen"}, ["Ingen beregningsperioder"]),
    # vedtak: codes without termnavn, a bare code, a period that is not an object
    (
        "/dsop-aap/v1/vedtak",
        {"vedtaksliste": [{"vedtakstype": {"kode": "Q"}, "utfall": "JA", "virkningsperiode": "2023", "ny": 1}]},
        ["1 vedtak", "– 2023 Q – – JA –"],
    ),
    # Kelvin's spelling: fom/tom and string codes
    (
        "/dsop-aap/v1/vedtak",
        {"vedtak": [{"vedtakId": "K1", "vedtakStatus": "LØPENDE", "virkningsperiode": {"fom": "2024-02-01"}}]},
        ["K1", "01.02.2024 – løpende", "LØPENDE"],
    ),
    # meldekort: missing hours and ids, a period without an end
    ("/dsop-aap/v1/meldekort", {"meldekortliste": [{"periode": {"fraDato": "2023-10-09"}}, {}]}, ["2 meldekort"]),
    # an unknown path: the shape tells the kind
    (
        "/ukjent",
        {"meldekortliste": [{"meldekortId": 9, "antallTimerArbeidet": 1e400}]},
        ["1 meldekort", "9"],
    ),
]


@pytest.mark.parametrize("path, data, shown", ODD_DATA)
def test_odd_delivered_data_shows_what_exists_and_never_fails(eco, nav, path, data, shown):
    entry = record_directly(nav, JOHAN["pid"], data=json.dumps(data), foresporsel={"method": "GET", "path": path})
    answer = citizen(eco, JOHAN).get(f"{nav.url}{DSOP}/{entry}?lang=nb")
    assert answer.status_code == 200
    html, text = delivered_part(answer.text)
    assert 'id="delivered" data-kind=' in html
    for fact in shown:
        assert fact in text, (fact, text)


@pytest.mark.parametrize("lang", ["nb", "en"])
def test_data_that_is_none_of_the_apis_shapes_is_left_to_the_json(eco, nav, lang):
    evil = "<script>alert(1)</script>"
    johan = citizen(eco, JOHAN)
    told = {"nb": "Opplysningene kan ikke vises som tekst her", "en": "The data cannot be shown as text here"}[lang]
    ongoing = {"nb": "løpende", "en": "ongoing"}[lang]
    for path, data in (
        ("/dsop-ufo/uforeopplysninger", "[1, 2]"),
        ("/dsop-aap/v1/meldekort", "ikke json"),
        ("/ukjent", json.dumps({"x": evil})),
        ("/dsop-aap/v1/vedtak", "[" * 5000 + "]" * 5000),
    ):
        entry = record_directly(nav, JOHAN["pid"], data=data, foresporsel={"method": "GET", "path": path})
        answer = johan.get(f"{nav.url}{DSOP}/{entry}?lang={lang}")
        assert answer.status_code == 200, (path, data[:20])
        html, text = delivered_part(answer.text)
        assert told in text and "<table" not in html
        assert "<script>alert" not in answer.text
    status = record_directly(
        nav,
        JOHAN["pid"],
        data=json.dumps({"status": evil, "beregningsperioder": [{"fom": evil}]}),
        foresporsel={"method": "GET", "path": "/dsop-ufo/uforeopplysninger"},
    )
    answer = johan.get(f"{nav.url}{DSOP}/{status}?lang={lang}")
    assert answer.status_code == 200
    assert "<script>alert" not in answer.text and "&lt;script&gt;alert(1)&lt;/script&gt;" in answer.text
    assert f"Status {evil}" in delivered_part(answer.text)[1] and f"{evil} {ongoing}" in delivered_part(answer.text)[1]
