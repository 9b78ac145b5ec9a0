"""The cast: who each persona is (an existing test person or a synthetic one born on a given
day), the short text the login page shows, and the history builder; built once, checked against
the invariants, and looked up by fødselsnummer or key."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import date

from faker import Faker

from dsop_sandbox.mocks.common.identifiers import birth_date
from dsop_sandbox.people.population import FAKER_LOCALE, Address, Person, gender_of, make_person, validate_synthetic_fnr

from .histories import (
    aap_med_meldekort,
    aap_opphort,
    aap_stanset,
    annullert_vedtak,
    byttet_meldesyklus,
    ikke_nedsatt_arbeidsevne,
    opphold_mellom_vedtak,
    ufore_ikke_sokt,
    ufore_klage_pa_avslag,
    ufore_okt_grad,
    ufore_opphort,
)
from .invariants import history_problems
from .model import UNKNOWN_TO_NAV, NavHistory, Persona

D = date

#: (key, existing person (pid, first, last) or birth date, description, history builder).
_PLAN: tuple[tuple[str, tuple[str, str, str] | date, str, Callable[[], NavHistory]], ...] = (
    ("aap-meldekort", ("15838512329", "Kari", "Nordmann"), "AAP med meldekort", aap_med_meldekort),
    ("ufore-okt-grad", ("02917945651", "Ola", "Hansen"), "Uføretrygd økt fra 50 til 100 % etter AAP", ufore_okt_grad),
    ("aap-stanset", ("24869221151", "Ingrid", "Berg"), "AAP stanset", aap_stanset),
    ("ukjent-for-nav", ("09816834004", "Per", "Johansen"), "Ukjent for NAV", lambda: UNKNOWN_TO_NAV),
    ("aap-opphort", D(1988, 4, 23), "AAP opphørt", aap_opphort),
    ("aap-11-5-nei", D(1970, 9, 3), "Ikke nedsatt arbeidsevne (§ 11-5), uføretrygd avslått", ikke_nedsatt_arbeidsevne),
    ("aap-annullert-vedtak", D(1996, 12, 11), "AAP med annullert vedtak", annullert_vedtak),
    ("aap-opphold", D(1966, 2, 7), "AAP med opphold mellom vedtak, vedtak fra 2009", opphold_mellom_vedtak),
    ("aap-meldesyklus", D(1983, 7, 30), "AAP, byttet meldesyklus (to meldekort for samme uke)", byttet_meldesyklus),
    ("ufore-opphort", D(1957, 5, 14), "Uføretrygd opphørt ved 67 år", ufore_opphort),
    (
        "ufore-klage-pa-avslag",
        D(1974, 10, 19),
        "Uføretrygd avslått, klage behandles; AAP løper",
        ufore_klage_pa_avslag,
    ),
    ("ufore-ikke-sokt", D(1999, 1, 28), "Tidligere AAP, ikke søkt uføretrygd", ufore_ikke_sokt),
)

#: Seeds Faker (no_NO) for the personas' names and addresses.
PERSONA_SEED = 20261129


def _build() -> tuple[Persona, ...]:
    fake = Faker(FAKER_LOCALE)
    taken = {who[0] for _key, who, _text, _history in _PLAN if isinstance(who, tuple)}
    personas = []
    for key, who, text, history in _PLAN:
        fake.seed_instance(f"{PERSONA_SEED}:{key}")
        if isinstance(who, tuple):
            pid, first, last = who
            validate_synthetic_fnr(pid)
            address = Address(street=fake.street_address(), postal_code=fake.postcode(), city=fake.city())
            person = Person(
                pid=pid, first_name=first, last_name=last, born=birth_date(pid), gender=gender_of(pid), address=address
            )
        else:
            person = make_person(fake, random.Random(f"{PERSONA_SEED}:{key}"), taken, earliest=who, latest=who)
            validate_synthetic_fnr(person.pid)
        taken.add(person.pid)
        built = Persona(key, person, text, history())
        problems = history_problems(built.history)
        if problems:  # pragma: no cover - a broken persona must not load
            raise ValueError(f"persona {key}: {'; '.join(problems)}")
        personas.append(built)
    return tuple(personas)


PERSONAS: tuple[Persona, ...] = _build()
_BY_PID = {p.pid: p for p in PERSONAS}
_BY_KEY = {p.key: p for p in PERSONAS}


def persona(pid: str) -> Persona | None:
    """The persona with fødselsnummer ``pid`` (None for anyone else)."""
    return _BY_PID.get(pid)


def persona_by_key(key: str) -> Persona | None:
    return _BY_KEY.get(key)
