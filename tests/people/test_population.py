"""The synthetic population: every number it makes is one the sandbox accepts (month + 80, valid
check digits, the birth date read back), genders match the 9th digit, ``generate`` is
deterministic, and the exported strategies do what they promise."""

from __future__ import annotations

import random
import re
from datetime import date

import pytest
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from dsop_sandbox.mocks.common.identifiers import FNR_NOT_SYNTHETIC, birth_date, fnr_problem, is_synthetic_fnr
from dsop_sandbox.people.population import (
    BORN_FROM,
    BORN_TO,
    EARLIEST_BIRTH,
    LATEST_BIRTH,
    Person,
    gender_of,
    generate,
    synthetic_fnr,
)
from dsop_sandbox.people.strategies import non_synthetic_fnrs, persons, synthetic_fnrs
from tests.budgets import examples

PROPERTY = hypothesis_settings(max_examples=examples(200))
#: A name: letters (æøå and all), words joined by a space or a hyphen.
NAME = re.compile(r"[^\W\d_]+(?:[ -][^\W\d_]+)*")


@PROPERTY
@given(
    born=st.dates(EARLIEST_BIRTH, LATEST_BIRTH),
    seed=st.integers(0, 2**32 - 1),
    d_number=st.booleans(),
    gender=st.sampled_from(["K", "M", None]),
)
def test_synthetic_fnr_validates_and_round_trips(born, seed, d_number, gender):
    pid = synthetic_fnr(born, random.Random(seed), d_number, gender=gender)
    assert fnr_problem(pid) is None
    assert birth_date(pid) == born
    assert 81 <= int(pid[2:4]) <= 92
    assert (int(pid[0:2]) > 40) is d_number
    if gender is not None:
        assert gender_of(pid) == gender


@pytest.mark.parametrize(
    "born",
    [
        date(1854, 1, 1),
        date(1899, 12, 31),
        date(1900, 1, 1),
        date(1939, 12, 31),
        date(1940, 1, 1),
        date(1999, 12, 31),
        date(2000, 2, 29),
        date(2039, 12, 31),
    ],
)
def test_century_edges(born):
    for seed in range(20):
        for d_number in (False, True):
            pid = synthetic_fnr(born, random.Random(seed), d_number)
            assert fnr_problem(pid) is None and birth_date(pid) == born


@pytest.mark.parametrize("born", [date(1853, 12, 31), date(2040, 1, 1)])
def test_dates_no_number_can_encode_are_refused(born):
    with pytest.raises(ValueError):
        synthetic_fnr(born, random.Random(0))


def test_bad_gender_is_refused():
    with pytest.raises(ValueError):
        synthetic_fnr(date(1980, 1, 1), random.Random(0), gender="X")


@PROPERTY
@given(synthetic_fnrs(d_number=None))
def test_synthetic_fnrs_strategy_is_accepted(pid):
    assert is_synthetic_fnr(pid)


@PROPERTY
@given(synthetic_fnrs(d_number=True))
def test_d_numbers_are_accepted(pid):
    assert is_synthetic_fnr(pid)
    assert 41 <= int(pid[0:2]) <= 71


@PROPERTY
@given(non_synthetic_fnrs())
def test_non_synthetic_fnrs_are_refused(pid):
    assert fnr_problem(pid) == FNR_NOT_SYNTHETIC
    assert 1 <= int(pid[2:4]) <= 12
    assert birth_date(pid) is not None  # a real date with valid check digits: refused only for being real


def _check_person(person: Person) -> None:
    assert fnr_problem(person.pid) is None
    assert birth_date(person.pid) == person.born
    assert BORN_FROM <= person.born <= BORN_TO
    assert person.gender in ("K", "M")
    assert gender_of(person.pid) == person.gender
    assert (int(person.pid[8]) % 2 == 1) == (person.gender == "M")
    assert NAME.fullmatch(person.first_name) and NAME.fullmatch(person.last_name)
    assert person.name == f"{person.first_name} {person.last_name}"
    assert person.address.street and re.search(r"\d", person.address.street)
    assert re.fullmatch(r"[0-9]{4}", person.address.postal_code)
    assert NAME.fullmatch(person.address.city)


@PROPERTY
@given(persons())
def test_persons_strategy(person):
    _check_person(person)


def test_generate_is_deterministic():
    assert generate(50, seed=7) == generate(50, seed=7)
    assert generate(50, seed=7) != generate(50, seed=8)
    assert generate(10, seed=7) == generate(50, seed=7)[:10]
    assert generate(0, seed=7) == []


def test_two_thousand_people_are_unique_and_valid():
    people = generate(2000, seed=2026)
    assert len({p.pid for p in people}) == 2000
    for person in people:
        _check_person(person)
    genders = {p.gender for p in people}
    assert genders == {"K", "M"}
    assert len({p.last_name for p in people}) > 20
    assert min(p.born for p in people).year < 1950 and max(p.born for p in people).year > 2000


def test_person_is_frozen():
    person = generate(1, seed=1)[0]
    with pytest.raises(AttributeError):
        person.pid = "x"  # type: ignore[misc]
