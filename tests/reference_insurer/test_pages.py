"""The reference insurer's pages in-process (Flask's test client, no sandbox): what NAV delivered is
told in sentences and tables, with the raw JSON behind a click; the page waits for the data while
it is on its way; the pages follow the citizen's choice of language (``?lang=``, the ``dsop_lang``
cookie the sandbox's pages share)."""

from __future__ import annotations

import json
import re
import time

import pytest

from dsop_sandbox.examples.reference_insurer import create_app
from dsop_sandbox.examples.reference_insurer.store import CONSENTED
from tests.idporten.support import Page
from tests.reference_insurer.conftest import profile

KARI = "15838512329"
#: What NAV's three DSOP APIs answer, as the insurer keeps it (the shapes of mocks/nav/benefits.py).
DATA = {
    "uforeopplysninger": {
        "status": "LOPENDE",
        "forsteVirkningstidspunkt": "2021-03-01",
        "beregningsperioder": [
            {
                "fom": "2023-01-01",
                "tom": None,
                "uforetidspunkt": "2020-06-15",
                "uforegrad": 60,
                "ifu": 512000,
                "inntektBruktIAvkortingen": 143250,
                "klagebehandles": False,
            }
        ],
    },
    "vedtak": {
        "uttrekksperiode": {"fraDato": "2023-01-01", "tilDato": "2025-12-31"},
        "vedtaksliste": [
            {
                "vedtakId": 34023,
                "virkningsperiode": {"fraDato": "2023-02-01", "tilDato": "2023-12-31"},
                "vedtakstype": {"kode": "O", "termnavn": "Ny rettighet"},
                "vedtaksvariant": {"kode": "O_INNV_SOKNAD", "termnavn": "Innvilgelse av søknad"},
                "vedtakstatus": {"kode": "AVSLU", "termnavn": "Avsluttet"},
                "rettighetstype": {"kode": "AAP", "termnavn": "Arbeidsavklaringspenger"},
                "utfall": {"kode": "JA", "termnavn": "Ja"},
                "aktivitetsfase": {"kode": "UA", "termnavn": "Under arbeidsavklaring"},
            }
        ],
    },
    "meldekort": {
        "uttrekksperiode": {"fraDato": "2023-01-01", "tilDato": "2025-12-31"},
        "meldekortliste": [
            {
                "meldekortId": 901,
                "periode": {"fraDato": "2023-02-06", "tilDato": "2023-02-19"},
                "antallTimerArbeidet": 7.5,
            },
            {
                "meldekortId": 902,
                "periode": {"fraDato": "2023-02-20", "tilDato": "2023-03-05"},
                "antallTimerArbeidet": 12,
            },
        ],
    },
}


@pytest.fixture(scope="module")
def app(credentials):
    app = create_app(profile(), base_dir=credentials, public_url="http://insurer.test")
    yield app
    app.extensions["reference_insurer"].close()


def claim(app, *, data=None, retrieval="ok", **changes) -> str:
    claim_id = f"c-{time.monotonic_ns()}"
    app.extensions["reference_insurer"].store.add(
        {
            "id": claim_id,
            "pid": KARI,
            "first_name": "Kari",
            "last_name": "Nordmann",
            "generation": "altinn2",
            "code": "a1b2c3",
            "state": CONSENTED,
            "consent": "active",
            "created": time.time() - 60,
            "answered": time.time() - 30,
            "retrieval": retrieval,
            **({"data": json.dumps(data), "data_at": time.time()} if data else {}),
            **changes,
        }
    )
    return claim_id


def section(html: str, kind: str) -> str:
    """The text of one section of the data, no-break spaces (in numbers and before %) as spaces."""
    found = re.search(rf'<section class="facts" id="data-{kind}">.*?</section>', html, re.S).group(0)
    return Page(found).text.replace("\u00a0", " ")


def test_the_data_reads_as_sentences_and_tables_with_the_json_behind_a_click(app):
    html = app.test_client().get(f"/claims/{claim(app, data=DATA)}").get_data(as_text=True)
    ufore = section(html, "ufore")
    assert "Kari Nordmann har løpende uføretrygd." in ufore
    assert "Fra 01.01.2023 til løpende: uføregrad 60 %. Inntekt brukt i avkortingen: 143 250 kr." in ufore
    assert "Inntekt før uførhet (IFU)" in ufore and "512 000 kr" in ufore
    vedtak = section(html, "vedtak")
    assert "Kari Nordmann har 1 vedtak om arbeidsavklaringspenger" in vedtak
    assert "01.02.2023–31.12.2023" in vedtak and "Ny rettighet – Innvilgelse av søknad" in vedtak
    assert "NAV svarte for perioden 01.01.2023–31.12.2025." in vedtak
    meldekort = section(html, "meldekort")
    assert "2 meldekort, til sammen 19,5 timer arbeidet." in meldekort and "06.02.2023–19.02.2023" in meldekort
    # no field names on the page outside the raw JSON, which is folded away
    readable = html.split('<details id="raw-data">')[0]
    for field in ("inntektBruktIAvkortingen", "vedtaksliste", "antallTimerArbeidet", "data_arrived", "nav_calls"):
        assert field not in readable
    raw = re.search(r'<details id="raw-data"><summary>([^<]*)</summary><pre>(.*?)</pre></details>', html, re.S)
    assert raw and "JSON" in raw.group(1) and "inntektBruktIAvkortingen" in raw.group(2)
    assert "open" not in html.split('<details id="raw-data"')[1].split(">")[0]
    assert 'http-equiv="refresh"' not in html
    assert "Opprettet (norsk tid)" in html


def test_a_long_table_is_folded_behind_its_sentence(app):
    year = {
        "meldekortliste": [
            {"meldekortId": n, "periode": {"fraDato": "2024-01-01", "tilDato": "2024-01-14"}, "antallTimerArbeidet": 1}
            for n in range(26)
        ]
    }
    html = app.test_client().get(f"/claims/{claim(app, data={'meldekort': year})}").get_data(as_text=True)
    assert "26 meldekort, til sammen 26 timer arbeidet." in section(html, "meldekort")
    folded = re.search(r'<details class="rows"><summary>Vis alle 26 radene</summary>\s*<table>', html)
    rows = re.search(r'<section class="facts" id="data-meldekort">.*?</section>', html, re.S).group(0).count("<tr>")
    assert folded and rows == 27
    short = app.test_client().get(f"/claims/{claim(app, data=DATA)}").get_data(as_text=True)
    assert '<details class="rows">' not in short


def test_while_the_data_is_on_its_way_the_page_looks_again(app):
    waiting = claim(app, retrieval="running")
    html = app.test_client().get(f"/claims/{waiting}").get_data(as_text=True)
    # the refresh names the page itself: with no URL a browser that came through the thanks page's
    # link (…#data) only scrolls to the fragment and never asks again
    assert f'<meta http-equiv="refresh" content="2; url=/claims/{waiting}">' in html and 'id="data-waiting"' in html
    english = app.test_client().get(f"/claims/{waiting}?lang=en").get_data(as_text=True)
    assert f'content="2; url=/claims/{waiting}?lang=en"' in english
    done = app.test_client().get(f"/claims/{claim(app, retrieval='unavailable')}").get_data(as_text=True)
    assert 'http-equiv="refresh"' not in done and 'id="data-none"' in done


def test_a_person_without_benefits_reads_so(app):
    nothing = {
        "uforeopplysninger": {"status": "IKKE_SOKT", "forsteVirkningstidspunkt": None, "beregningsperioder": []},
        "vedtak": {"vedtaksliste": []},
        "meldekort": {"meldekortliste": []},
    }
    html = app.test_client().get(f"/claims/{claim(app, data=nothing)}?lang=en").get_data(as_text=True)
    assert "Kari Nordmann has not applied for disability benefit." in section(html, "ufore")
    assert "NAV has no work assessment allowance decisions" in section(html, "vedtak")
    assert "NAV has no employment status cards" in section(html, "meldekort")


def test_odd_data_never_breaks_the_page(app):
    odd = {"uforeopplysninger": {"beregningsperioder": [{"fom": "nope", "uforegrad": "x"}, 7]}, "vedtak": [1]}
    answer = app.test_client().get(f"/claims/{claim(app, data=odd)}")
    assert answer.status_code == 200 and "ikke oppgitt" in section(answer.get_data(as_text=True), "ufore")


def test_the_language_is_the_citizens_choice_and_is_remembered(app):
    client = app.test_client()
    claim_id = claim(app, data=DATA)
    assert Page(client.get("/").get_data(as_text=True)).lang == "nb"
    english = client.get(f"/claims/{claim_id}?lang=en")
    assert "dsop_lang=en" in english.headers["Set-Cookie"] and "SameSite=Lax" in english.headers["Set-Cookie"]
    html = english.get_data(as_text=True)
    assert Page(html).lang == "en" and "Kari Nordmann receives disability benefit (running)." in html
    assert (
        "From 01.01.2023 to running: disability grade 60\u00a0%. Income the benefit was reduced by: NOK 143,250."
        in html
    )
    assert f'href="/claims/{claim_id}?lang=nb"' in html
    # the cookie (set here or by another service of the sandbox) holds on the next page
    index = client.get("/")
    assert Page(index.get_data(as_text=True)).lang == "en" and "Report a claim" in index.get_data(as_text=True)
    assert "Set-Cookie" not in index.headers
    other = app.test_client()
    other.set_cookie("dsop_lang", "en")
    assert Page(other.get("/claims/nope").get_data(as_text=True)).lang == "en"
    assert Page(client.get("/?lang=nb").get_data(as_text=True)).lang == "nb"
    assert Page(client.get("/?lang=xx").get_data(as_text=True)).lang == "nb"


def test_the_thanks_page_leads_to_the_data_and_errors_follow_the_language(app):
    client = app.test_client()
    assert client.get("/favicon.ico").status_code == 200
    start = client.get("/claims/start?pid=123&last_name=N&lang=en")
    assert start.status_code == 400 and "A national identity number has 11 digits." in start.get_data(as_text=True)
    assert "Et fødselsnummer har 11 siffer." in client.get("/claims/start?pid=123&lang=nb").get_data(as_text=True)
    page = app.test_client().get("/claims/nope").get_data(as_text=True)
    assert "Ukjent sak" in page
