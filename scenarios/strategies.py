"""Hypothesis strategies for the synthetic population, for the sandbox's tests and insurers'.

* ``synthetic_fnrs()``: numbers the sandbox accepts (month + 80, valid check digits).
* ``persons()``: whole synthetic people (``scenarios.population.Person``).
* ``non_synthetic_fnrs()``: real-style numbers (month 01-12, valid check digits, real dates) that
  the sandbox must refuse.
"""
from __future__ import annotations

import random
from datetime import date

from faker import Faker
from hypothesis import assume, strategies as st

from mocks.common.identifiers import fnr_check_digits
from scenarios.population import (BORN_FROM, BORN_TO, EARLIEST_BIRTH, FAKER_LOCALE, GENDERS, LATEST_BIRTH, Person,
                                  first_nine, individual_ranges, make_person, synthetic_fnr)

__all__ = ["synthetic_fnrs", "persons", "non_synthetic_fnrs"]

_FAKE = Faker(FAKER_LOCALE)


def _d_number_flags(d_number: bool | None) -> st.SearchStrategy[bool]:
    return st.booleans() if d_number is None else st.just(d_number)


def synthetic_fnrs(min_born: date = EARLIEST_BIRTH, max_born: date = LATEST_BIRTH, *,
                   d_number: bool | None = False, gender: str | None = None) -> st.SearchStrategy[str]:
    """Synthetic fødselsnummer born in [min_born, max_born]; ``d_number=None`` mixes in D-numbers."""
    return st.builds(
        lambda born, d, g, seed: synthetic_fnr(born, random.Random(seed), d, gender=g),
        st.dates(min_born, max_born), _d_number_flags(d_number),
        st.just(gender) if gender is not None else st.sampled_from(GENDERS),
        st.integers(0, 2**32 - 1),
    )


def _person(seed: int, min_born: date, max_born: date) -> Person:
    _FAKE.seed_instance(seed)
    return make_person(_FAKE, random.Random(seed), earliest=min_born, latest=max_born)


def persons(min_born: date = BORN_FROM, max_born: date = BORN_TO) -> st.SearchStrategy[Person]:
    """Synthetic people (Norwegian Faker names and addresses), each determined by a drawn seed."""
    return st.builds(_person, st.integers(0, 2**32 - 1), st.just(min_born), st.just(max_born))


@st.composite
def non_synthetic_fnrs(draw, min_born: date = EARLIEST_BIRTH, max_born: date = LATEST_BIRTH, *,
                       d_number: bool | None = None) -> str:
    """Real-style numbers (month 01-12) with valid check digits and a real date: to be refused."""
    born = draw(st.dates(min_born, max_born))
    individual = draw(st.one_of(*(st.integers(r.start, r.stop - 1) for r in individual_ranges(born.year))))
    nine = first_nine(born, individual, synthetic=False, d_number=draw(_d_number_flags(d_number)))
    check = fnr_check_digits(nine)
    assume(check is not None)  # about 1 in 6 first-nines has no check digits (a remainder of 10)
    return nine + check
