"""The NAV API: data for each persona equal to its history cut to the consent period, every
refusal with its status and kode in NAV's order, and the disclosure log written before data leaves."""

from __future__ import annotations

import base64
import json
from datetime import date, timedelta

import jwt
import pytest

from dsop_sandbox.mocks.nav import errors as E
from dsop_sandbox.people import nav_codes
from dsop_sandbox.people.personas import PERSONAS, persona
from tests.altinn.conftest import KARI, OLA
from tests.nav.conftest import UFORE_SCOPE, nav_error
from tests.support import grant

ALL = [p.person.pid for p in PERSONAS]


def consent_period(world, code: str) -> tuple[date, date]:
    record = world.admin("GET", f"/consents/{code}").json()
    metadata = record["resources"][0]["metadata"]

    def parse(text: str) -> date:
        return date(int(text[6:]), int(text[3:5]), int(text[:2]))

    return parse(metadata["fraOgMed"]), parse(metadata["tilOgMed"])


@pytest.fixture(scope="module")
def consents(world, company):
    """One three-year consent per persona, data period from 2009 on (to show the 2010-03-01 floor)."""
    found = {}
    for pid in ALL:
        code = world.consent(
            company,
            pid,
            services=[{"code": "5252", "edition": 2, "metadata": {"fraOgMed": "01.01.2009", "tilOgMed": "31.12.2029"}}],
        )
        found[pid] = code
    return found


def token_for(world, company, consents, pid) -> str:
    return world.consent_token_text(company, consents[pid])


# -- data --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("pid", ALL)
def test_vedtak_are_the_history_cut_to_the_consent(world, company, consents, pid):
    history = persona(pid).history
    start, end = date(2009, 1, 1), date(2029, 12, 31)
    answer = world.vedtak(company, pid, token_for(world, company, consents, pid))
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["uttrekksperiode"] == {"fraDato": start.isoformat(), "tilDato": end.isoformat()}
    expected = {
        v.vedtak_id
        for v in history.aap_vedtak
        if v.vedtakstatus in ("IVERK", "AVSLU")
        and not (v.til is not None and v.til == v.fra - timedelta(days=1))
        and (v.til is None or v.til >= date(2010, 3, 1))
    }
    got = body["vedtaksliste"]
    assert {v["vedtakId"] for v in got} == expected
    starts = [v["virkningsperiode"]["fraDato"] for v in got]
    assert starts == sorted(starts)  # oldest first
    for item in got:
        assert item["virkningsperiode"]["fraDato"] >= "2010-03-01"
        assert item["virkningsperiode"]["tilDato"] <= end.isoformat()
        assert item["vedtakstatus"]["kode"] in ("IVERK", "AVSLU")
        for field, table in (("vedtakstype", nav_codes.VEDTAKSTYPE), ("utfall", nav_codes.UTFALL)):
            assert item[field]["termnavn"] == table[item[field]["kode"]]


@pytest.mark.parametrize("pid", ALL)
def test_meldekort_are_the_delivered_cards_with_their_hours(world, company, consents, pid):
    history = persona(pid).history
    answer = world.meldekort(company, pid, token_for(world, company, consents, pid))
    assert answer.status_code == 200, answer.text
    got = answer.json()["meldekortliste"]
    returned = [
        v
        for v in history.aap_vedtak
        if v.vedtakstatus in ("IVERK", "AVSLU") and not (v.til is not None and v.til == v.fra - timedelta(days=1))
    ]
    expected = {
        m.meldekort_id: m
        for m in history.meldekort
        if m.til >= date(2010, 3, 1) and any(m.fra <= (v.til or date.max) and m.til >= v.fra for v in returned)
    }
    assert {m["meldekortId"] for m in got} == set(expected)
    for item in got:
        card = expected[item["meldekortId"]]
        assert item["antallTimerArbeidet"] == pytest.approx(
            sum(h for d, h in card.hours_by_day.items() if d >= date(2010, 3, 1))
        )


@pytest.mark.parametrize("pid", ALL)
def test_uforetrygd_is_the_history(world, company, consents, pid):
    history = persona(pid).history
    answer = world.ufore(company, pid, token_for(world, company, consents, pid))
    assert answer.status_code == 200, answer.text
    body = answer.json()
    ufore = history.uforetrygd if history.known_to_nav else None
    if ufore is None:
        assert body == {"status": "IKKE_SOKT", "forsteVirkningstidspunkt": None, "beregningsperioder": []}
        return
    assert body["status"] == ufore.status
    assert [p["uforegrad"] for p in body["beregningsperioder"]] == [p.uforegrad for p in ufore.perioder]
    assert all(p["fom"].endswith("-01") for p in body["beregningsperioder"])


def test_a_grade_rise_shows_as_a_new_period_with_a_new_ifu(world, company, consents):
    periods = world.ufore(company, OLA["pid"], token_for(world, company, consents, OLA["pid"])).json()[
        "beregningsperioder"
    ]
    grades = [p["uforegrad"] for p in periods]
    assert grades[0] == 50 and grades[-1] == 100 and periods[-1]["tom"] is None
    assert periods[-1]["ifu"] != periods[0]["ifu"]


def test_the_asked_interval_selects_and_counts_hours_only_inside_it(world, company, consents):
    token = token_for(world, company, consents, KARI["pid"])
    card = next(m for m in persona(KARI["pid"]).history.meldekort if (m.til - m.fra).days == 13)
    middle = card.fra + timedelta(days=7)
    answer = world.meldekort(
        company, KARI["pid"], token, params={"fomDato": middle.isoformat(), "tomDato": card.til.isoformat()}
    )
    got = {m["meldekortId"]: m for m in answer.json()["meldekortliste"]}
    assert got[card.meldekort_id]["periode"] == {"fraDato": card.fra.isoformat(), "tilDato": card.til.isoformat()}
    inside = sum(h for d, h in card.hours_by_day.items() if middle <= d <= card.til)
    assert got[card.meldekort_id]["antallTimerArbeidet"] == pytest.approx(inside)


def test_periods_are_clamped_to_a_narrower_consent(world, company):
    code = world.consent(
        company,
        KARI["pid"],
        services=[{"code": "5252", "edition": 2, "metadata": {"fraOgMed": "01.06.2025", "tilOgMed": "31.12.2025"}}],
    )
    body = world.vedtak(company, KARI["pid"], world.consent_token_text(company, code)).json()
    assert body["vedtaksliste"], body
    for item in body["vedtaksliste"]:
        assert (
            "2025-06-01" <= item["virkningsperiode"]["fraDato"] <= item["virkningsperiode"]["tilDato"] <= "2025-12-31"
        )


def test_nav_person_ident_header_works_for_aap(world, company, consents):
    answer = world.vedtak(
        company, KARI["pid"], token_for(world, company, consents, KARI["pid"]), person_header="NAV-PersonIdent"
    )
    assert answer.status_code == 200


def test_the_ufore_api_takes_the_person_only_in_fnr(world, company, consents):
    """NAV's «Uføreopplysninger» names one person header, ``fnr`` (required): ``NAV-PersonIdent``
    is aap-api's, and naming the person there alone leaves ``fnr`` missing (400)."""
    token = token_for(world, company, consents, OLA["pid"])
    melding = nav_error(world.ufore(company, OLA["pid"], token, person_header="NAV-PersonIdent"), 400, E.BAD_INPUT)
    assert "personident mangler (header fnr)" in melding
    both = world.ufore(company, OLA["pid"], token, headers={"NAV-PersonIdent": KARI["pid"]})
    assert both.status_code == 200, both.text  # a header the uføre API does not read changes nothing
    aap = world.vedtak(
        company, KARI["pid"], token_for(world, company, consents, KARI["pid"]), headers={"NAV-PersonIdent": OLA["pid"]}
    )
    nav_error(aap, 400, E.BAD_INPUT)  # aap-api reads both, and they must agree


def test_correlation_ids_are_echoed(world, company, consents):
    answer = world.ufore(
        company,
        OLA["pid"],
        token_for(world, company, consents, OLA["pid"]),
        headers={"Nav-Call-Id": "forsikring-4711", "X-Request-Id": "r-1"},
    )
    assert answer.headers["Nav-Call-Id"] == "forsikring-4711" and answer.headers["X-Request-Id"] == "r-1"
    events = world.http.get(world.nav + "/_sandbox/events", timeout=10).json()["events"]
    assert events[-1]["trace_id"] == "forsikring-4711"


def test_a_dsop_call_is_answered_beside_flask_as_flask_answers_it(world, company, consents):
    """GET is answered by the service middleware itself (mocks/common/direct.py), HEAD by Flask
    through the same view: the same headers, the call id echoed and ``?lang=`` remembered on both."""
    token = token_for(world, company, consents, OLA["pid"])
    sent = {"Authorization": f"Bearer {company.token(UFORE_SCOPE)}", "fnr": OLA["pid"], "NAV-Samtykke-Token": token}
    sent["Nav-Call-Id"] = "forsikring-4712"
    url = world.nav + world.paths.ufore_path + "?lang=en"
    world.http.cookies.clear()
    got = world.http.get(url, headers=sent, timeout=10)
    world.http.cookies.clear()  # so that HEAD is asked to remember the choice too
    head = world.http.head(url, headers=sent, timeout=10)
    assert got.status_code == head.status_code == 200, got.text
    assert got.headers["Nav-Call-Id"] == "forsikring-4712"
    assert "dsop_lang=en" in got.headers.pop("Set-Cookie") and "dsop_lang=en" in head.headers.pop("Set-Cookie")
    assert dict(got.headers) == dict(head.headers)  # (the cookies' Expires may be a second apart)
    app = world.sandbox.app("nav")
    assert sorted(app.extensions["direct_views"]) == [
        "nav_api.finnMeldekortListe",
        "nav_api.finnVedtakListe",
        "nav_api.hentUforeopplysninger",
    ]


# -- refusals, in NAV's order --------------------------------------------------------------------------
def test_no_access_token(world, company, consents):
    answer = world.http.get(world.nav + world.paths.ufore_path, headers={"fnr": OLA["pid"]}, timeout=10)
    nav_error(answer, 401, E.NO_TOKEN)


def test_a_forged_access_token(world, company, consents):
    forged = jwt.encode(
        {
            "iss": world.sandbox.settings.issuer("maskinporten"),
            "scope": "nav:helse/v1/uforeopplysninger",
            "exp": 4102444800,
            "consumer": {"authority": "iso6523-actorid-upis", "ID": f"0192:{company.org}"},
        },
        company.keys.private_key,
        algorithm="RS256",
        headers={"kid": "x"},
    )
    answer = world.ufore(
        company,
        OLA["pid"],
        token_for(world, company, consents, OLA["pid"]),
        headers={"Authorization": f"Bearer {forged}"},
    )
    nav_error(answer, 401, E.NO_TOKEN)


def _unsigned(claims: dict) -> str:
    def part(data):
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()

    return part({"alg": "none", "typ": "JWT"}) + "." + part(claims) + "."


def test_an_alg_none_access_token(world, company, consents):
    token = _unsigned(
        {
            "iss": world.sandbox.settings.issuer("maskinporten"),
            "scope": "nav:helse/v1/uforeopplysninger",
            "exp": 4102444800,
            "consumer": {"ID": f"0192:{company.org}"},
        }
    )
    answer = world.ufore(
        company,
        OLA["pid"],
        token_for(world, company, consents, OLA["pid"]),
        headers={"Authorization": f"Bearer {token}"},
    )
    nav_error(answer, 401, E.NO_TOKEN)


def test_an_expired_access_token(world, company, consents):
    consent_token = token_for(world, company, consents, OLA["pid"])
    access = company.token("nav:helse/v1/uforeopplysninger", fresh=True)
    clock = world.sandbox.app("nav").extensions["sandbox"].clock
    clock.move(200)
    try:
        answer = world.ufore(company, OLA["pid"], consent_token, headers={"Authorization": f"Bearer {access}"})
    finally:
        clock.move(-200)
    assert "expired" in nav_error(answer, 401, E.NO_TOKEN)


def test_the_wrong_scope(world, company, consents):
    answer = world.call(
        world.paths.ufore_path,
        company,
        OLA["pid"],
        token_for(world, company, consents, OLA["pid"]),
        scope="nav:arbeid/v1/aap",
    )
    nav_error(answer, 403, E.NO_ACCESS)


def test_an_insurer_not_on_navs_access_list(world, company, consents):
    token = token_for(world, company, consents, OLA["pid"])
    entry = world.http.get(f"{world.nav}/_sandbox/access-list/{company.org}", timeout=10).json()
    assert world.http.delete(f"{world.nav}/_sandbox/access-list/{company.org}", timeout=10).status_code == 200
    try:
        nav_error(world.ufore(company, OLA["pid"], token), 403, E.NO_ACCESS)
    finally:
        world.http.post(
            world.nav + "/_sandbox/access-list", json={"org": entry["org"], "name": entry["name"]}, timeout=10
        )
    assert world.ufore(company, OLA["pid"], token).status_code == 200


def _access_token_for(world, company, resource: str) -> str:
    """A Maskinporten token for uføre whose grant named ``resource`` (RFC 8707): Maskinporten writes
    it into the token's ``aud``."""
    mp = company.facts["maskinporten"]
    assertion = grant(company.keys, mp["client_id"], mp["issuer"], UFORE_SCOPE, resource=[resource])
    answer = world.http.post(
        mp["token_endpoint"],
        data={"grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer", "assertion": assertion},
        timeout=10,
    )
    assert answer.status_code == 200, answer.text
    token = answer.json()["access_token"]
    assert jwt.decode(token, options={"verify_signature": False})["aud"] == resource
    return token


def test_an_access_token_made_for_another_audience(world, company, consents):
    consent_token = token_for(world, company, consents, OLA["pid"])
    elsewhere = _access_token_for(world, company, "https://api.example.com/")
    answer = world.ufore(company, OLA["pid"], consent_token, headers={"Authorization": f"Bearer {elsewhere}"})
    assert "https://api.example.com/" in nav_error(answer, 401, E.NO_TOKEN)
    for audience in (world.nav, world.nav + "/"):  # NAV's own address, as Maskinporten's clients write it
        meant = _access_token_for(world, company, audience)
        answer = world.ufore(company, OLA["pid"], consent_token, headers={"Authorization": f"Bearer {meant}"})
        assert answer.status_code == 200, answer.text


def test_an_insurer_listed_for_aap_only_gets_no_uforetrygd(world, company, consents):
    token = token_for(world, company, consents, OLA["pid"])
    entry = world.http.get(f"{world.nav}/_sandbox/access-list/{company.org}", timeout=10).json()
    listed = world.http.post(
        world.nav + "/_sandbox/access-list",
        json={"org": company.org, "name": entry["name"], "apis": ["aap"]},
        timeout=10,
    )
    assert listed.status_code == 201, listed.text
    try:
        assert "uforeopplysninger" in nav_error(world.ufore(company, OLA["pid"], token), 403, E.NO_ACCESS)
        assert world.vedtak(company, OLA["pid"], token_for(world, company, consents, OLA["pid"])).status_code == 200
    finally:
        world.http.post(
            world.nav + "/_sandbox/access-list",
            json={"org": company.org, "name": entry["name"], "apis": entry["apis"]},
            timeout=10,
        )
    assert world.ufore(company, OLA["pid"], token_for(world, company, consents, OLA["pid"])).status_code == 200


@pytest.mark.parametrize("pid", [None, "", "1234", "15038512345", "15838512328", "abcdefghijk"])
def test_a_bad_person_identifier(world, company, consents, pid):
    answer = world.ufore(company, pid, token_for(world, company, consents, OLA["pid"]))
    nav_error(answer, 400, E.BAD_INPUT)


def test_no_consent_token(world, company, consents):
    nav_error(world.ufore(company, OLA["pid"], None), 403, E.NO_CONSENT)


def test_a_consent_token_with_its_json_quotes_left_on(world, company, consents):
    token = token_for(world, company, consents, OLA["pid"])
    nav_error(world.ufore(company, OLA["pid"], f'"{token}"'), 403, E.NO_CONSENT)


def test_a_consent_token_given_to_another_insurer(world, company, other_company, consents):
    theirs = world.consent_token_text(other_company, world.consent(other_company, OLA["pid"]))
    assert "CoveredBy" in nav_error(world.ufore(company, OLA["pid"], theirs), 403, E.NO_CONSENT)


def test_a_consent_token_for_another_person(world, company, consents):
    karis = token_for(world, company, consents, KARI["pid"])
    assert "OfferedBy" in nav_error(world.ufore(company, OLA["pid"], karis), 403, E.NO_CONSENT)


def test_a_forged_consent_token(world, company, consents):
    real = jwt.decode(token_for(world, company, consents, OLA["pid"]), options={"verify_signature": False})
    forged = jwt.encode(
        real,
        company.keys.private_key,
        algorithm="RS256",
        headers={"kid": jwt.get_unverified_header(token_for(world, company, consents, OLA["pid"]))["kid"]},
    )
    nav_error(world.ufore(company, OLA["pid"], forged), 403, E.NO_CONSENT)


def test_an_alg_none_consent_token(world, company, consents):
    real = jwt.decode(token_for(world, company, consents, OLA["pid"]), options={"verify_signature": False})
    nav_error(world.ufore(company, OLA["pid"], _unsigned(real)), 403, E.NO_CONSENT)


def test_an_expired_consent(world, company):
    code = world.consent(company, OLA["pid"], valid_for="P3Y")
    token = world.consent_token_text(company, code)
    assert world.http.post(world.control + "/_sandbox/clock", json={"advance": "P3Y1D"}, timeout=10).status_code == 200
    try:
        assert "ValidToDate" in nav_error(world.ufore(company, OLA["pid"], token), 403, E.NO_CONSENT)
        assert world.consent_token(company, code).status_code == 403  # and no new token either
    finally:
        world.http.post(world.control + "/_sandbox/clock", json={"reset": True}, timeout=10)


def test_a_withdrawn_consent_gives_no_new_token(world, company):
    code = world.consent(company, OLA["pid"])
    assert world.ufore(company, OLA["pid"], world.consent_token_text(company, code)).status_code == 200
    world.admin("POST", f"/consents/{code}/withdraw")
    assert world.consent_token(company, code).status_code == 403


def test_uforetrygd_needs_edition_two(world, company):
    code = world.consent(
        company,
        OLA["pid"],
        services=[{"code": "5252", "edition": 1, "metadata": {"fraOgMed": "01.01.2024", "tilOgMed": "31.12.2027"}}],
    )
    token = world.consent_token_text(company, code)
    nav_error(world.ufore(company, OLA["pid"], token), 403, E.NO_CONSENT)
    assert world.vedtak(company, OLA["pid"], token).status_code == 200  # AAP takes edition 1


@pytest.mark.parametrize(
    "params, status, kode",
    [
        ({"fomDato": "2008-01-01"}, 403, E.OUTSIDE_CONSENT),
        ({"tomDato": "2030-01-01"}, 403, E.OUTSIDE_CONSENT),
        ({"fomDato": "2024-05-01", "tomDato": "2024-04-01"}, 400, E.BAD_PERIOD),
        ({"fomDato": "01.05.2024"}, 400, E.BAD_PERIOD),
    ],
)
def test_the_asked_period(world, company, consents, params, status, kode):
    nav_error(
        world.vedtak(company, KARI["pid"], token_for(world, company, consents, KARI["pid"]), params=params),
        status,
        kode,
    )


# -- the disclosure log ---------------------------------------------------------------------------------
def test_every_delivery_is_logged_with_what_left(world, company, consents):
    token = token_for(world, company, consents, OLA["pid"])
    before = len(world.disclosures(OLA["pid"]))
    answer = world.ufore(company, OLA["pid"], token, params={"fomDato": "2024-01-01"})
    entries = world.disclosures(OLA["pid"])
    assert len(entries) == before + 1
    entry = entries[0]
    assert (entry["person"], entry["mottaker"], entry["tema"]) == (OLA["pid"], company.org, "UFO")
    assert json.loads(base64.b64decode(entry["leverteData"])) == answer.json()
    assert entry["samtykkeToken"] == token and entry["authorizationCode"] == consents[OLA["pid"]]
    assert entry["dataForespoersel"]["query"] == {"fomDato": "2024-01-01"}
    assert entry["behandlingsGrunnlag"].startswith("Samtykke")


def test_refusals_are_not_disclosures(world, company, consents):
    before = len(world.disclosures())
    world.ufore(company, OLA["pid"], None)
    assert len(world.disclosures()) == before


def test_a_failed_log_write_returns_no_data(world, company, consents):
    token = token_for(world, company, consents, KARI["pid"])
    before = len(world.disclosures())
    armed = world.http.post(
        world.nav + "/_sandbox/faults", json={"operation": "sporingslogg", "status": 500, "count": 1}, timeout=10
    )
    assert armed.status_code == 201, armed.text
    answer = world.vedtak(company, KARI["pid"], token)
    nav_error(answer, 503, E.LOG_FAILED)
    assert "vedtaksliste" not in answer.text
    assert len(world.disclosures()) == before
    assert world.vedtak(company, KARI["pid"], token).status_code == 200  # the fault was for one call
