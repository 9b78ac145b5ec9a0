"""NAV serves the persons it is given (``create_app(..., personas=...)``), not a module-level
register: the data API and the innsyn page both read the app's own lookup."""

from __future__ import annotations

from dataclasses import replace

import pytest

from dsop_sandbox.people.personas import persona
from tests.altinn.conftest import KARI, OLA
from tests.conftest import INSURER_NAME, INSURER_ORG, REDIRECT_URI, free_port_settings
from tests.nav.conftest import NavWorld
from tests.wsgi_network import InProcessSandbox

#: Ola's history, under Kari's fødselsnummer and another name: the only person this NAV knows.
SWAPPED = replace(persona(OLA["pid"]), person=replace(persona(OLA["pid"]).person, pid=KARI["pid"], first_name="Annen"))


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    settings = free_port_settings(tmp_path_factory.mktemp("personas") / "state")
    with InProcessSandbox(settings, options={"nav": {"personas": [SWAPPED]}}) as sandbox, sandbox.session() as http:
        yield NavWorld(sandbox, http)


@pytest.fixture(scope="module")
def company(world):
    return world.register(INSURER_ORG, INSURER_NAME, REDIRECT_URI)


def fetch(world, company, pid: str) -> dict:
    answer = world.ufore(company, pid, world.consent_token_text(company, world.consent(company, pid)))
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_the_data_comes_from_the_given_persons(world, company):
    body = fetch(world, company, KARI["pid"])
    assert body["status"] == persona(OLA["pid"]).history.uforetrygd.status == "LOPENDE"
    ola = persona(OLA["pid"]).history.uforetrygd
    assert [p["uforegrad"] for p in body["beregningsperioder"]] == [p.uforegrad for p in ola.perioder]
    assert persona(KARI["pid"]).history.uforetrygd is None  # the sandbox's own Kari has none


def test_a_person_left_out_is_unknown_to_nav(world, company):
    assert fetch(world, company, OLA["pid"]) == {
        "status": "IKKE_SOKT",
        "forsteVirkningstidspunkt": None,
        "beregningsperioder": [],
    }


def test_the_innsyn_names_the_citizen_from_the_given_persons(world):
    from tests.citizen import Citizen

    kari = Citizen(world, KARI["pid"], services=("nav", "idporten"))
    world.sandbox.mount(kari.http)
    page = kari.get(world.nav + "/person/personopplysninger/dsop")
    assert page.status_code == 200
    assert "Innlogget som <strong>Annen Hansen</strong>" in page.text and "Kari Nordmann" not in page.text
