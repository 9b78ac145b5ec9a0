"""Hypothesis strategies for the synthetic population, for the sandbox's tests and insurers'.

* ``synthetic_fnrs()``: numbers the sandbox accepts (month + 80, valid check digits).
* ``persons()``: whole synthetic people (``dsop_sandbox.people.population.Person``).
* ``non_synthetic_fnrs()``: real-style numbers (month 01-12, valid check digits, real dates) that
  the sandbox must refuse.
* ``personas()``: the named personas (``dsop_sandbox.people.personas.PERSONAS``).
* ``nav_histories()``: generated NAV histories that keep the personas' invariants
  (``dsop_sandbox.people.personas.history_problems``): AAP money vedtak that never overlap, meldekort on
  Monday–Sunday 14-day grids inside them, uføre periods from the 1st of a month in order.
* ``generated_personas()``: a generated person with a generated history.
"""

from __future__ import annotations

import random
from datetime import date, timedelta

from faker import Faker
from hypothesis import assume
from hypothesis import strategies as st

from dsop_sandbox.mocks.common.identifiers import fnr_check_digits
from dsop_sandbox.people import nav_codes as codes
from dsop_sandbox.people.personas import (
    EARLIEST_DATA,
    PERSONAS,
    TODAY,
    Beregningsperiode,
    NavHistory,
    Persona,
    Uforetrygd,
    Vedtak,
    card_periods,
    first_of_month,
    last_of_month,
    make_meldekort,
)
from dsop_sandbox.people.population import (
    BORN_FROM,
    BORN_TO,
    EARLIEST_BIRTH,
    FAKER_LOCALE,
    GENDERS,
    LATEST_BIRTH,
    Person,
    first_nine,
    individual_ranges,
    make_person,
    synthetic_fnr,
)

__all__ = ["generated_personas", "nav_histories", "non_synthetic_fnrs", "personas", "persons", "synthetic_fnrs"]

_FAKE = Faker(FAKER_LOCALE)


def _d_number_flags(d_number: bool | None) -> st.SearchStrategy[bool]:
    return st.booleans() if d_number is None else st.just(d_number)


def synthetic_fnrs(
    min_born: date = EARLIEST_BIRTH,
    max_born: date = LATEST_BIRTH,
    *,
    d_number: bool | None = False,
    gender: str | None = None,
) -> st.SearchStrategy[str]:
    """Synthetic fødselsnummer born in [min_born, max_born]; ``d_number=None`` mixes in D-numbers."""
    return st.builds(
        lambda born, d, g, seed: synthetic_fnr(born, random.Random(seed), d, gender=g),
        st.dates(min_born, max_born),
        _d_number_flags(d_number),
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
def non_synthetic_fnrs(
    draw, min_born: date = EARLIEST_BIRTH, max_born: date = LATEST_BIRTH, *, d_number: bool | None = None
) -> str:
    """Real-style numbers (month 01-12) with valid check digits and a real date: to be refused."""
    born = draw(st.dates(min_born, max_born))
    individual = draw(st.one_of(*(st.integers(r.start, r.stop - 1) for r in individual_ranges(born.year))))
    nine = first_nine(born, individual, synthetic=False, d_number=draw(_d_number_flags(d_number)))
    check = fnr_check_digits(nine)
    assume(check is not None)  # about 1 in 6 first-nines has no check digits (a remainder of 10)
    return nine + check


def personas() -> st.SearchStrategy[Persona]:
    """One of the named personas."""
    return st.sampled_from(PERSONAS)


_DAY = timedelta(days=1)
_NOT_RETURNED = tuple(s for s in codes.VEDTAKSTATUS if s not in codes.RETURNED_VEDTAKSTATUS)
_FIRST_VEDTAK = (("O", "O_INNV_SOKNAD"), ("O", "O_INNV_NAV"))
_RESUMED_VEDTAK = (("G", "G_INNV_SOKNAD"), ("G", "G_INNV_NAV"), ("O", "O_INNV_SOKNAD"))
_FOLLOWING_VEDTAK = (("E", "E_FORLENGE"), ("E", "E_VERDI"))
_FASER = ("UA", "SPE", "AU", "UVUP")


def _monday_of(day: date) -> date:
    return day - timedelta(days=day.weekday())


def _add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def _aap(draw, ids, today: date) -> tuple[list[Vedtak], list]:
    """Spells of AAP (contiguous money vedtak, gaps between spells) with their meldekort, a stans
    or opphør after the last spell now and then, the §11-5 vedtak, and vedtak the API must not
    return (other statuses, invalidated)."""
    vedtak: list[Vedtak] = []
    cards: list = []
    counted: set[date] = set()
    rng = random.Random(draw(st.integers(0, 2**32 - 1)))
    first_card_id = draw(st.integers(1, 2**31 - 10_000))
    spells: list[tuple[date, date]] = []
    cursor = draw(st.dates(EARLIEST_DATA - timedelta(days=400), today - timedelta(days=30)))
    for spell in range(draw(st.integers(0, 3))):
        if spell:
            cursor = spells[-1][1] + timedelta(days=draw(st.integers(2, 400)))
            if cursor > today:
                break
        fra = start = cursor
        anchor = _monday_of(fra) + timedelta(days=7 * draw(st.integers(0, 1)))
        weekly = draw(st.floats(0, 37.5, allow_nan=False))
        for index in range(draw(st.integers(1, 3))):
            # a change of meldesyklus, when the previous vedtak covers the week the new grid goes back
            shifted = index > 0 and vedtak[-1].fra <= start - timedelta(days=7) and draw(st.integers(0, 3)) == 0
            if shifted:
                anchor += timedelta(days=7)
            first_end = start + timedelta(days=13 - (start - anchor).days % 14)
            til = first_end + timedelta(days=14 * draw(st.integers(0, 26)))
            kind = draw(st.sampled_from(_FOLLOWING_VEDTAK if index else _RESUMED_VEDTAK if spell else _FIRST_VEDTAK))
            vedtak.append(
                Vedtak(
                    next(ids),
                    start,
                    til,
                    kind[0],
                    kind[1],
                    "AVSLU" if til < today else "IVERK",
                    "AAP",
                    "JA",
                    draw(st.sampled_from(_FASER)),
                )
            )
            # the first card of the spell may be short; after a change of meldesyklus the new
            # grid's first card starts a week back, covering the old grid's last week again
            periods = card_periods(start - timedelta(days=7) if shifted else start, til, anchor, delivered_by=today)
            skip = draw(st.sets(st.sampled_from([p[0] for p in periods]), max_size=2)) if periods else ()
            cards += make_meldekort(first_card_id + len(cards), periods, rng, weekly, counted=counted, skip=skip)
            start = til + _DAY
            if til >= today:  # nothing is decided further ahead than the running vedtak
                break
        spells.append((fra, start - _DAY))
        if spells[-1][1] >= today:
            break
        if draw(st.integers(0, 3)) == 0:  # stopped or ended: no more AAP
            variant = draw(st.sampled_from(("S_STANS", "S_OPPHOR")))
            vedtak.append(
                Vedtak(next(ids), start, None, "S", variant, "IVERK", "AAP", "JA", draw(st.sampled_from(("UA", "FA"))))
            )
            break
    if spells and draw(st.booleans()):  # the §11-5 vedtak alongside, often from earlier
        fra = spells[0][0] - timedelta(days=draw(st.integers(0, 180)))
        til = draw(st.sampled_from((None, spells[-1][1])))
        vedtak.append(
            Vedtak(
                next(ids),
                fra,
                til,
                "O",
                "O_INNV_NAV",
                "IVERK" if til is None or til >= today else "AVSLU",
                codes.PARAGRAPH_11_5,
                "JA",
                "UA",
            )
        )
    elif not spells and draw(st.booleans()):  # judged not to have reduced work capacity
        vedtak.append(
            Vedtak(
                next(ids),
                draw(st.dates(EARLIEST_DATA, today)),
                None,
                "O",
                "O_AVSLAG",
                "AVSLU",
                codes.PARAGRAPH_11_5,
                "NEI",
                "IKKE",
            )
        )
    if draw(st.booleans()):  # decided but not iverksatt: never returned
        fra = draw(st.dates(EARLIEST_DATA, today + timedelta(days=60)))
        vedtak.append(
            Vedtak(
                next(ids),
                fra,
                fra + timedelta(days=draw(st.integers(0, 365))),
                "E",
                "E_VERDI",
                draw(st.sampled_from(_NOT_RETURNED)),
                "AAP",
                "JA",
                "UA",
            )
        )
    if draw(st.booleans()):  # invalidated: til-dato the day before fra-dato
        fra = draw(st.dates(EARLIEST_DATA, today))
        vedtak.append(Vedtak(next(ids), fra, fra - _DAY, "O", "O_INNV_SOKNAD", "AVSLU", "AAP", "JA", "UA"))
    return draw(st.permutations(vedtak)), cards


def _granted(draw, status: str, today: date) -> Uforetrygd:
    fom = first_of_month(draw(st.dates(date(2010, 1, 1), today)))
    first = _add_months(fom, -draw(st.sampled_from((0, 0, 12, 40))))  # earlier for a converted uførepensjon
    uforetidspunkt = first - timedelta(days=draw(st.integers(0, 2000)))
    grade = draw(st.sampled_from(range(40, 101, 5)))
    ifu = draw(st.integers(150, 900)) * 1000
    periods = []
    count = draw(st.integers(1, 4))
    for index in range(count):
        tom = last_of_month(_add_months(fom, draw(st.integers(1, 60)) - 1))
        if index == count - 1 and status == codes.LOPENDE:
            tom = None
        raised = draw(st.booleans())
        if raised and grade < 100:  # a new IFU (and uføretidspunkt) can come with a higher grade
            grade = draw(st.sampled_from(range(grade + 5, 101, 5)))
            ifu = draw(st.integers(150, 900)) * 1000
            uforetidspunkt = fom - timedelta(days=draw(st.integers(0, 300)))
        income = draw(st.none() | st.integers(0, 600).map(lambda n: n * 1000))
        periods.append(
            Beregningsperiode(
                fom, tom, uforetidspunkt, grade, ifu, income, None if income is None else draw(st.booleans())
            )
        )
        if tom is not None:
            fom = tom + _DAY
    return Uforetrygd(status, first, tuple(periods))


def _uforetrygd(draw, today: date) -> Uforetrygd | None:
    status = draw(
        st.sampled_from(
            (
                None,
                codes.IKKE_SOKT,
                codes.LOPENDE,
                codes.OPPHORT,
                codes.AVSLAG,
                codes.KLAGE_PA_AVSLAG,
                codes.UNDER_BEHANDLING,
            )
        )
    )
    if status is None:
        return None
    if status in (codes.LOPENDE, codes.OPPHORT):
        return _granted(draw, status, today)
    if status in (codes.AVSLAG, codes.KLAGE_PA_AVSLAG):
        fom = first_of_month(draw(st.dates(date(2010, 1, 1), today)))
        rejected = Beregningsperiode(fom, None, None, None, None)
        if status == codes.AVSLAG:
            return Uforetrygd(status, None, (rejected,))
        return Uforetrygd(status, None, (rejected, Beregningsperiode(fom, None, None, None, None, klagebehandles=True)))
    return Uforetrygd(status, None, ())


@st.composite
def nav_histories(draw, *, today: date = TODAY, known_to_nav: bool | None = None) -> NavHistory:
    """Coherent NAV histories as of ``today`` (``history_problems`` finds nothing in them); about
    one in ten is a person NAV does not know, unless ``known_to_nav`` says."""
    known = draw(st.integers(0, 9).map(bool)) if known_to_nav is None else known_to_nav
    if not known:
        return NavHistory(known_to_nav=False)
    ids = iter(draw(st.lists(st.integers(10_000_000, 99_999_999), min_size=16, max_size=16, unique=True)))
    vedtak, cards = _aap(draw, ids, today)
    return NavHistory(tuple(vedtak), tuple(cards), _uforetrygd(draw, today))


def generated_personas(min_born: date = BORN_FROM, max_born: date = BORN_TO) -> st.SearchStrategy[Persona]:
    """A generated synthetic person with a generated history."""
    return st.builds(
        Persona, st.just("generert"), persons(min_born, max_born), st.just("Generert person"), nav_histories()
    )
