"""The synthetic population: made-up Norwegians with TestID/Tenor-style fødselsnummer.

Every number is built with the synthetic rule (month + 80, see ``dsop_sandbox.mocks.common.identifiers``), so no
number made here can ever be a real person's. ``generate(count, seed)`` is deterministic: the same
seed gives the same people, so scenarios and insurers' tests can name them.

Individual numbers (digits 7-9) depend on the century of birth, as ``identifiers.birth_date``
reads them back: 1854-1899 → 500-749, 1900-1999 → 000-499 (and 900-999 from 1940), 2000-2039 →
500-999. The third individual digit (the 9th digit) is odd for men and even for women.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date

from faker import Faker

from dsop_sandbox.mocks.common.identifiers import (
    D_NUMBER_DAY_OFFSET,
    SYNTHETIC_MONTH_OFFSET,
    fnr_check_digits,
    fnr_problem,
)

#: Faker's Norwegian (bokmål) locale is ``no_NO``; ``nb_NO`` is not a Faker locale.
FAKER_LOCALE = "no_NO"
#: Birth dates of the generated population.
BORN_FROM = date(1945, 1, 1)
BORN_TO = date(2005, 12, 31)
#: The dates a fødselsnummer can encode at all.
EARLIEST_BIRTH = date(1854, 1, 1)
LATEST_BIRTH = date(2039, 12, 31)

FEMALE = "K"
MALE = "M"
GENDERS = (FEMALE, MALE)


def individual_ranges(year: int) -> tuple[range, ...]:
    """The individual numbers (digits 7-9) that place a birth in ``year``."""
    if 1854 <= year <= 1899:
        return (range(500, 750),)
    if 1900 <= year <= 1939:
        return (range(500),)
    if 1940 <= year <= 1999:
        return (range(500), range(900, 1000))
    if 2000 <= year <= 2039:
        return (range(500, 1000),)
    raise ValueError(f"a fødselsnummer cannot encode a birth in {year} (only 1854-2039)")


def gender_of(pid: str) -> str:
    """ "M" if the third individual digit (the 9th digit) is odd, else "K"."""
    return MALE if int(pid[8]) % 2 else FEMALE


def first_nine(born: date, individual: int, *, synthetic: bool = True, d_number: bool = False) -> str:
    """DDMMYY + individual number; ``synthetic`` adds 80 to the month, ``d_number`` 40 to the day."""
    day = born.day + (D_NUMBER_DAY_OFFSET if d_number else 0)
    month = born.month + (SYNTHETIC_MONTH_OFFSET if synthetic else 0)
    return f"{day:02d}{month:02d}{born.year % 100:02d}{individual:03d}"


def synthetic_fnr(born: date, rng: random.Random, d_number: bool = False, *, gender: str | None = None) -> str:
    """A valid synthetic fødselsnummer (or D-number) for ``born``.

    The individual number is drawn from the century's range (odd third digit for ``gender="M"``,
    even for ``"K"``, either if None); numbers whose check digits do not exist (a mod-11 remainder
    of 10) are skipped. Raises ValueError if ``born`` is outside 1854-2039.
    """
    if gender not in (None, *GENDERS):
        raise ValueError(f"gender is 'K', 'M' or None, not {gender!r}")
    candidates = [
        n for r in individual_ranges(born.year) for n in r if gender is None or (n % 2 == 1) == (gender == MALE)
    ]
    # Walk from a random start: one draw from rng, and exhaustive, so it always terminates.
    start = rng.randrange(len(candidates))
    for step in range(len(candidates)):
        nine = first_nine(born, candidates[(start + step) % len(candidates)], d_number=d_number)
        check = fnr_check_digits(nine)
        if check is not None:
            return nine + check
    raise ValueError(f"no individual number gives valid check digits for {born}")  # pragma: no cover


def validate_synthetic_fnr(pid) -> str:
    """``pid`` if it is a synthetic fødselsnummer (or D-number) the sandbox accepts; else ValueError
    saying why (``dsop_sandbox.mocks.common.identifiers.fnr_problem``): a real person's number never gets in."""
    problem = fnr_problem(pid)
    if problem is not None:
        raise ValueError(f"{pid!r}: {problem}")
    return pid


@dataclass(frozen=True)
class Address:
    street: str
    postal_code: str
    city: str


@dataclass(frozen=True)
class Person:
    pid: str
    first_name: str
    last_name: str
    born: date
    gender: str  # "K" or "M", consistent with the pid's 9th digit
    address: Address

    @property
    def name(self) -> str:
        return f"{self.first_name} {self.last_name}"


def _random_date(rng: random.Random, earliest: date, latest: date) -> date:
    return date.fromordinal(rng.randint(earliest.toordinal(), latest.toordinal()))


def make_person(
    fake: Faker, rng: random.Random, taken: set[str] | None = None, earliest: date = BORN_FROM, latest: date = BORN_TO
) -> Person:
    """One person from ``fake`` (a ``no_NO`` Faker) and ``rng``; a pid in ``taken`` is redrawn."""
    gender = rng.choice(GENDERS)
    while True:
        born = _random_date(rng, earliest, latest)
        pid = synthetic_fnr(born, rng, gender=gender)
        if taken is None or pid not in taken:
            break
    first = fake.first_name_female() if gender == FEMALE else fake.first_name_male()
    address = Address(street=fake.street_address(), postal_code=fake.postcode(), city=fake.city())
    return Person(pid=pid, first_name=first, last_name=fake.last_name(), born=born, gender=gender, address=address)


def generate(count: int, seed: int) -> list[Person]:
    """``count`` people with unique pids, born 1945-2005; the same seed gives the same list."""
    if count < 0:
        raise ValueError("count must not be negative")
    fake = Faker(FAKER_LOCALE)
    fake.seed_instance(seed)
    rng = random.Random(seed)
    taken: set[str] = set()
    people = []
    for _ in range(count):
        person = make_person(fake, rng, taken)
        taken.add(person.pid)
        people.append(person)
    return people
