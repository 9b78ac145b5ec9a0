"""NAV served over real HTTP, as an insurer and a citizen meet it: the rest of tests/nav runs the
same apps in process (tests/wsgi_network.py); these keep the sockets, the WSGI server and NAV's
real JWKS fetches and ID-porten calls honest."""

from __future__ import annotations

import base64
import json

import pytest

from tests.altinn.conftest import KARI, OLA, started
from tests.citizen import Citizen
from tests.conftest import INSURER_NAME, INSURER_ORG, REDIRECT_URI
from tests.nav.conftest import NavWorld, nav_error

DSOP = "/person/personopplysninger/dsop"


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    with started(tmp_path_factory, "nav-served", NavWorld) as world:
        yield world


@pytest.fixture(scope="module")
def insurer(served):
    return served.register(INSURER_ORG, INSURER_NAME, REDIRECT_URI)


def test_an_altinn2_fetch_is_answered_logged_and_shown_to_the_citizen(served, insurer):
    code = served.consent(insurer, KARI["pid"])
    token = served.consent_token_text(insurer, code)
    answer = served.vedtak(insurer, KARI["pid"], token, headers={"Nav-Call-Id": "e2e-1"})
    assert answer.status_code == 200, answer.text
    assert answer.headers["Nav-Call-Id"] == "e2e-1"
    entry = served.disclosures(KARI["pid"])[0]
    assert json.loads(base64.b64decode(entry["leverteData"])) == answer.json()
    assert entry["samtykkeToken"] == token and code in entry["behandlingsGrunnlag"]
    kari = Citizen(served, KARI["pid"], services=("nav", "idporten"))
    page = kari.get(f"{served.nav}{DSOP}/{entry['id']}")
    assert page.status_code == 200 and code in page.text


def test_an_altinn3_fetch_is_answered_logged_and_shown_to_the_citizen(served, insurer):
    """The consent inside the Maskinporten token; NAV fetches Maskinporten's keys over a socket."""
    consent = served.altinn3_consent(insurer, OLA["pid"])
    token = served.altinn3_token(insurer, [consent])
    answer = served.with_altinn3("ufore_path", insurer, OLA["pid"], token)
    assert answer.status_code == 200, answer.text
    entry = served.disclosures(OLA["pid"])[0]
    assert (entry["consentGeneration"], entry["consentId"], entry["samtykkeToken"]) == ("altinn3", consent["id"], None)
    ola = Citizen(served, OLA["pid"], services=("nav", "idporten"))
    page = ola.get(f"{served.nav}{DSOP}/{entry['id']}")
    assert page.status_code == 200 and f"Altinn 3-samtykke {consent['id']}" in page.text


def test_a_refusal_over_http_has_navs_shape(served, insurer):
    nav_error(served.ufore(insurer, OLA["pid"], None), 403, "SAMTYKKE_IKKE_GITT")
