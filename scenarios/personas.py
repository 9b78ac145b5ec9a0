"""Named personas: synthetic people with coherent NAV histories (AAP vedtak and meldekort,
uføretrygd), as plain data the NAV fake serves and tests name.

The data is the *source* (what NAV's systems hold), not an API answer: it includes what the API
must not return, so the fake has something to filter.

* ``Vedtak.returned`` is False for a vedtak that is not iverksatt or avsluttet (``GODKJ`` …) and for
  an invalidated one (til-dato the day before fra-dato); neither may be returned.
* Vedtak and meldekort before 2010-03-01 exist (one persona has a vedtak from 2009): the API never
  returns data from before ``EARLIEST_DATA``.
* A stans or opphør vedtak (vedtakstype ``S``, utfall ``JA``) and the §11-5 vedtak are returned,
  but grant no money; ``til=None`` means open (for ``S``, AA115 and avslag vedtak, as NAV's newer
  contract has it), which an answer clamps to the consent period's end.
* ``Meldekort.hours_by_day`` holds only the days worked; after a change of meldesyklus two cards
  cover the same week, and that week's hours are on one of them only (the total stays correct).
* A person NAV knows with ``uforetrygd=None`` has not applied: the uføre API answers ``IKKE_SOKT``.
  ``known_to_nav=False``: empty AAP lists and ``IKKE_SOKT`` with no periods.

Everything is fixed and deterministic ("today" is ``TODAY``, 2026-11-29): the same names, numbers
and hours every time. ``history_problems`` states the invariants every history here keeps (and so
must the generated ones in ``dsop_sandbox.people.strategies``).
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from types import MappingProxyType

from faker import Faker

from dsop_sandbox.mocks.common.identifiers import birth_date
from dsop_sandbox.people import nav_codes as codes
from dsop_sandbox.people.population import FAKER_LOCALE, Address, Person, gender_of, make_person, validate_synthetic_fnr

__all__ = [
    "CARD_DAYS",
    "EARLIEST_DATA",
    "FULL_TIME_HOURS_PER_CARD",
    "PERSONAS",
    "TODAY",
    "UNKNOWN_TO_NAV",
    "Beregningsperiode",
    "Meldekort",
    "NavHistory",
    "Persona",
    "Uforetrygd",
    "Vedtak",
    "card_periods",
    "first_of_month",
    "history_problems",
    "last_of_month",
    "make_meldekort",
    "persona",
    "persona_by_key",
]

#: The sandbox's fixed "today" for its data: what has happened by then is history.
TODAY = date(2026, 11, 29)
EARLIEST_DATA = codes.EARLIEST_AAP_DATA
CARD_DAYS = 14
#: 37.5 h a week: the work share of a 14-day meldekort is hours / 75.
FULL_TIME_HOURS_PER_CARD = 75.0
_ONE_DAY = timedelta(days=1)


# --------------------------------------------------------------------------------------------
# The data model


@dataclass(frozen=True)
class Vedtak:
    """An AAP vedtak as Arena holds it; every code is a ``kode`` of its ``nav_codes`` list."""

    vedtak_id: int
    fra: date
    til: date | None
    vedtakstype: str
    vedtaksvariant: str
    vedtakstatus: str
    rettighetstype: str
    utfall: str
    aktivitetsfase: str

    def __post_init__(self) -> None:
        for name, table in codes.CODE_LISTS.items():
            if getattr(self, name) not in table:
                raise ValueError(f"vedtak {self.vedtak_id}: {name} {getattr(self, name)!r} is not a known code")
        if not codes.variant_fits_type(self.vedtaksvariant, self.vedtakstype):
            raise ValueError(
                f"vedtak {self.vedtak_id}: variant {self.vedtaksvariant} is not of type {self.vedtakstype}"
            )
        if self.til is not None and self.til < self.fra - _ONE_DAY:
            raise ValueError(f"vedtak {self.vedtak_id}: til {self.til} before fra {self.fra}")

    @property
    def invalidated(self) -> bool:
        """Til-dato the day before fra-dato: the vedtak was invalidated and is not returned."""
        return self.til is not None and self.til == self.fra - _ONE_DAY

    @property
    def returned(self) -> bool:
        """Iverksatt or avsluttet, and not invalidated: the API may return it (within the periods)."""
        return self.vedtakstatus in codes.RETURNED_VEDTAKSTATUS and not self.invalidated

    @property
    def grants_money(self) -> bool:
        """An AAP vedtak granting the benefit (not §11-5, not a stans, not a «nei»)."""
        return (
            self.rettighetstype == codes.MONEY_RETTIGHETSTYPE
            and self.utfall == "JA"
            and self.vedtakstype != codes.STANS
        )

    def covers(self, day: date) -> bool:
        return self.fra <= day and (self.til is None or day <= self.til)


@dataclass(frozen=True)
class Meldekort:
    """A delivered meldekort: its period and the hours worked on each day (days worked only)."""

    meldekort_id: int
    fra: date
    til: date
    hours_by_day: Mapping[date, float] = field(default_factory=dict, hash=False)

    def __post_init__(self) -> None:
        if self.til < self.fra:
            raise ValueError(f"meldekort {self.meldekort_id}: til {self.til} before fra {self.fra}")
        for day, hours in self.hours_by_day.items():
            if not self.fra <= day <= self.til:
                raise ValueError(f"meldekort {self.meldekort_id}: {day} is outside {self.fra}–{self.til}")
            if not 0 <= hours <= 24:
                raise ValueError(f"meldekort {self.meldekort_id}: {hours} hours on {day}")
        object.__setattr__(self, "hours_by_day", MappingProxyType(dict(sorted(self.hours_by_day.items()))))

    @property
    def days(self) -> int:
        return (self.til - self.fra).days + 1

    @property
    def total_hours(self) -> float:
        """``antallTimerArbeidet`` for the whole card."""
        return round(sum(self.hours_by_day.values()), 2)

    def hours_between(self, fom: date, tom: date) -> float:
        """The hours of the days in [fom, tom] only (how the API counts a cut interval)."""
        return round(sum(h for day, h in self.hours_by_day.items() if fom <= day <= tom), 2)


@dataclass(frozen=True)
class Beregningsperiode:
    """One uføre beregningsperiode (field names are the API's, in snake_case).

    A rejected application (and the appeal against it) is a period with no grade, no IFU and no
    uføretidspunkt; ``klagebehandles`` marks the period whose appeal is being processed."""

    fom: date
    tom: date | None
    uforetidspunkt: date | None
    uforegrad: int | None
    ifu: int | None
    inntekt_brukt_i_avkortingen: int | None = None
    ferdiglignet_inntekt: bool | None = None
    klagebehandles: bool = False

    def __post_init__(self) -> None:
        if self.fom.day != 1:
            raise ValueError(f"beregningsperiode fom {self.fom} is not the 1st of a month")
        if self.tom is not None and self.tom < self.fom:
            raise ValueError(f"beregningsperiode tom {self.tom} before fom {self.fom}")
        if self.uforegrad is not None and not 0 <= self.uforegrad <= 100:
            raise ValueError(f"uføregrad {self.uforegrad} is not a percentage")

    @property
    def granted(self) -> bool:
        return self.uforegrad is not None


@dataclass(frozen=True)
class Uforetrygd:
    status: str
    forste_virkningstidspunkt: date | None
    perioder: tuple[Beregningsperiode, ...] = ()

    def __post_init__(self) -> None:
        if self.status not in codes.UFORE_STATUS:
            raise ValueError(f"uføre status {self.status!r} is not in the API's enum")
        object.__setattr__(self, "perioder", tuple(self.perioder))


@dataclass(frozen=True)
class NavHistory:
    aap_vedtak: tuple[Vedtak, ...] = ()
    meldekort: tuple[Meldekort, ...] = ()
    uforetrygd: Uforetrygd | None = None
    known_to_nav: bool = True

    def __post_init__(self) -> None:
        object.__setattr__(self, "aap_vedtak", tuple(self.aap_vedtak))
        object.__setattr__(self, "meldekort", tuple(self.meldekort))

    @property
    def returned_vedtak(self) -> tuple[Vedtak, ...]:
        """The vedtak the API may return (status and validity only; no period cut), by fra-dato."""
        return tuple(sorted((v for v in self.aap_vedtak if v.returned), key=lambda v: (v.fra, v.vedtak_id)))

    @property
    def money_vedtak(self) -> tuple[Vedtak, ...]:
        """The returned vedtak that grant AAP: they never overlap, and every meldekort lies inside them."""
        return tuple(v for v in self.returned_vedtak if v.grants_money)

    @property
    def ufore_status(self) -> str:
        """What the uføre API answers as ``status``."""
        if not self.known_to_nav or self.uforetrygd is None:
            return codes.IKKE_SOKT
        return self.uforetrygd.status


UNKNOWN_TO_NAV = NavHistory(known_to_nav=False)


@dataclass(frozen=True)
class Persona:
    key: str
    person: Person
    description_nb: str  # short, for the ID-porten login page
    history: NavHistory

    @property
    def pid(self) -> str:
        return self.person.pid

    @property
    def name(self) -> str:
        return self.person.name


# --------------------------------------------------------------------------------------------
# Dates and meldekort


def first_of_month(day: date) -> date:
    return day.replace(day=1)


def last_of_month(day: date) -> date:
    following = (day.replace(day=28) + timedelta(days=4)).replace(day=1)
    return following - _ONE_DAY


def card_periods(fra: date, til: date | None, anchor: date, *, delivered_by: date = TODAY) -> list[tuple[date, date]]:
    """The meldekort periods of AAP running from ``fra`` to ``til`` (None: open) on the 14-day
    Monday–Sunday grid through ``anchor`` (a Monday): the first card runs from ``fra`` to the end of
    its cycle (shorter if ``fra`` is mid-cycle), the rest are whole cycles; only cards that end by
    ``til`` and by ``delivered_by`` (a card is sent when its period is over).

    An AAP period that ends before ``delivered_by`` must end on the grid (a Sunday ending a cycle)."""
    if anchor.weekday() != 0:
        raise ValueError(f"the meldekort grid starts on a Monday, not {anchor:%A} {anchor}")
    if til is not None and til < delivered_by and (til - anchor).days % CARD_DAYS != CARD_DAYS - 1:
        raise ValueError(f"AAP ending {til} does not end a meldekort cycle of the grid through {anchor}")
    limit = delivered_by if til is None else min(til, delivered_by)
    start = fra
    cycle_end = fra + timedelta(days=CARD_DAYS - 1 - (fra - anchor).days % CARD_DAYS)
    periods = []
    while cycle_end <= limit:
        periods.append((start, cycle_end))
        start, cycle_end = cycle_end + _ONE_DAY, cycle_end + timedelta(days=CARD_DAYS)
    return periods


def _day_hours(rng: random.Random, weekly: float) -> float:
    """Hours on one weekday for someone working about ``weekly`` hours a week: shifts of whole
    half-hours (0.5–7.5) on some days, so the mean is about ``weekly / 5``."""
    if weekly <= 0:
        return 0.0
    shift = min(7.5, max(3.0, weekly / 3))
    works = min(0.95, weekly / (5 * shift))  # a day off now and then, even at full time
    if rng.random() >= works:
        return 0.0
    return min(7.5, max(0.5, round(rng.gauss(shift, 0.75) * 2) / 2))


def make_meldekort(
    first_id: int,
    periods: Iterable[tuple[date, date]],
    rng: random.Random,
    weekly_hours: float | Callable[[date], float],
    *,
    counted: set[date] | None = None,
    skip: Iterable[date] = (),
) -> list[Meldekort]:
    """Meldekort for ``periods`` with ids from ``first_id``, hours drawn from ``rng`` on weekdays
    (``weekly_hours`` a week, or a function of the day); a day already in ``counted`` gets no hours
    (so two cards covering the same week count it once). Periods starting on a date in ``skip``
    were never sent (no card)."""
    counted = set() if counted is None else counted
    skipped = set(skip)
    weekly = weekly_hours if callable(weekly_hours) else (lambda _day: float(weekly_hours))
    cards = []
    for fra, til in periods:
        if fra in skipped:
            continue
        hours = {}
        day = fra
        while day <= til:
            if day.weekday() < 5 and day not in counted:
                worked = _day_hours(rng, weekly(day))
                if worked:
                    hours[day] = worked
            counted.add(day)
            day += _ONE_DAY
        cards.append(Meldekort(first_id + len(cards), fra, til, hours))
    return cards


def _ramp(start: date, start_hours: float, end: date, end_hours: float) -> Callable[[date], float]:
    """Weekly hours moving linearly from ``start_hours`` at ``start`` to ``end_hours`` at ``end``."""
    span = (end - start).days or 1

    def weekly(day: date) -> float:
        share = min(1.0, max(0.0, (day - start).days / span))
        return start_hours + (end_hours - start_hours) * share

    return weekly


# --------------------------------------------------------------------------------------------
# The invariants


def _runs(money: Iterable[Vedtak]) -> list[tuple[date, date | None]]:
    """Contiguous AAP periods: money vedtak that follow each other day by day are one run."""
    runs: list[list] = []
    for v in sorted(money, key=lambda v: v.fra):
        if runs and runs[-1][1] is not None and runs[-1][1] + _ONE_DAY == v.fra:
            runs[-1][1] = v.til
        else:
            runs.append([v.fra, v.til])
    return [(fra, til) for fra, til in runs]


def _aap_problems(history: NavHistory) -> list[str]:
    problems = []
    ids = [v.vedtak_id for v in history.aap_vedtak]
    if len(set(ids)) != len(ids):
        problems.append("vedtak ids are not unique")
    money = history.money_vedtak
    for a, b in itertools.pairwise(money):
        if a.til is None or a.til >= b.fra:
            problems.append(f"money vedtak {a.vedtak_id} and {b.vedtak_id} overlap")
    run_starts = {fra for fra, _til in _runs(money)}
    card_ids = [c.meldekort_id for c in history.meldekort]
    if len(set(card_ids)) != len(card_ids):
        problems.append("meldekort ids are not unique")
    counted: set[date] = set()
    for card in sorted(history.meldekort, key=lambda c: (c.fra, c.meldekort_id)):
        name = f"meldekort {card.meldekort_id} ({card.fra}–{card.til})"
        if card.til.weekday() != 6:
            problems.append(f"{name} does not end on a Sunday")
        if card.days > CARD_DAYS:
            problems.append(f"{name} is longer than {CARD_DAYS} days")
        elif card.days < CARD_DAYS and card.fra not in run_starts:
            problems.append(f"{name} is short but not the first card of an AAP period")
        day = card.fra
        while day <= card.til:
            if not any(v.covers(day) for v in money):
                problems.append(f"{name}: {day} is outside every iverksatt/avsluttet AAP vedtak")
                break
            day += _ONE_DAY
        if not 0 <= card.total_hours <= FULL_TIME_HOURS_PER_CARD:
            problems.append(f"{name}: {card.total_hours} hours")
        twice = counted & {d for d, h in card.hours_by_day.items() if h}
        if twice:
            problems.append(f"{name}: hours on {min(twice)} are counted on another card too")
        counted |= {d for d, h in card.hours_by_day.items() if h}
    return problems


def _ufore_problems(ufore: Uforetrygd) -> list[str]:
    problems = []
    status, periods = ufore.status, ufore.perioder
    if [p.fom for p in periods] != sorted(p.fom for p in periods):
        problems.append("beregningsperioder are not in fom order")
    for p in periods:
        if p.fom.day != 1:
            problems.append(f"fom {p.fom} is not the 1st of a month")
        if p.tom is not None and (p.tom < p.fom or p.tom != last_of_month(p.tom)):
            problems.append(f"tom {p.tom} is not the last day of a month at or after fom {p.fom}")
        if p.klagebehandles and status != codes.KLAGE_PA_AVSLAG:
            problems.append(f"klagebehandles on a period of a {status} case")
    granted = [p for p in periods if p.granted]
    for a, b in itertools.pairwise(granted):
        if a.tom is None or a.tom >= b.fom:
            problems.append(f"granted periods from {a.fom} and {b.fom} overlap")
    first = ufore.forste_virkningstidspunkt
    if first is not None and first.day != 1:
        problems.append(f"forsteVirkningstidspunkt {first} is not the 1st of a month")
    if granted and (first is None or first > granted[0].fom):
        problems.append("forsteVirkningstidspunkt is missing or after the first granted period")
    if status == codes.LOPENDE and (not granted or granted[-1].tom is not None):
        problems.append("LOPENDE without a last granted period open (tom None)")
    if status == codes.OPPHORT and (not granted or any(p.tom is None for p in periods)):
        problems.append("OPPHORT needs periods that all have a tom")
    if status in (codes.IKKE_SOKT, codes.UNDER_BEHANDLING, codes.REKONSTRUKSJON) and periods:
        problems.append(f"{status} shows no beregningsperioder")
    if status == codes.KLAGE_PA_AVSLAG and not any(p.klagebehandles for p in periods):
        problems.append("KLAGE_PA_AVSLAG without a period whose appeal is processed (klagebehandles)")
    if status in (codes.AVSLAG, codes.KLAGE_PA_AVSLAG) and not periods:
        problems.append(f"{status} without the rejected application's period")
    return problems


def history_problems(history: NavHistory) -> list[str]:
    """What makes ``history`` incoherent (an empty list when it is not):

    * a person NAV does not know has no data;
    * vedtak ids are unique; money vedtak (returned, rettighetstype AAP, utfall JA, not a stans)
      never overlap (the §11-5 vedtak, stans and non-returned ones may);
    * meldekort ids are unique; a card ends on a Sunday, is 14 days (Monday–Sunday) or shorter only
      as the first card of an AAP period, lies inside money vedtak, has 0–75 hours, and no day's
      hours are on two cards;
    * uføre periods start on the 1st, end (if they do) on a month's last day, come in fom order,
      granted ones do not overlap, LOPENDE ends open, OPPHORT has every tom, IKKE_SOKT has none,
      klagebehandles only in KLAGE_PA_AVSLAG (and there at least once).
    """
    if not history.known_to_nav:
        if history.aap_vedtak or history.meldekort or history.uforetrygd is not None:
            return ["a person NAV does not know has NAV data"]
        return []
    problems = _aap_problems(history)
    if history.uforetrygd is not None:
        problems += _ufore_problems(history.uforetrygd)
    return problems


# --------------------------------------------------------------------------------------------
# The personas


def _v(
    vedtak_id: int,
    fra: date,
    til: date | None,
    vedtakstype: str,
    vedtaksvariant: str,
    vedtakstatus: str,
    *,
    rettighetstype: str = "AAP",
    utfall: str = "JA",
    aktivitetsfase: str = "UA",
) -> Vedtak:
    return Vedtak(
        vedtak_id, fra, til, vedtakstype, vedtaksvariant, vedtakstatus, rettighetstype, utfall, aktivitetsfase
    )


def _rng(key: str) -> random.Random:
    return random.Random(f"dsop-sandbox:{key}:hours")


D = date


def _aap_med_meldekort() -> NavHistory:
    """Ongoing AAP since Nov 2024 (renewed twice, arbeidsutprøving from Nov 2026), the §11-5 vedtak
    alongside from Aug 2024, a GODKJ change not yet iverksatt, one summer card never sent."""
    grid = D(2024, 11, 11)
    vedtak = (
        _v(41990345, D(2024, 11, 6), D(2025, 11, 9), "O", "O_INNV_SOKNAD", "AVSLU"),
        _v(42561190, D(2026, 12, 7), D(2027, 11, 7), "E", "E_VERDI", "GODKJ", aktivitetsfase="AU"),
        _v(41872213, D(2024, 8, 19), None, "O", "O_INNV_NAV", "IVERK", rettighetstype="AA115"),
        _v(42433518, D(2026, 11, 9), D(2027, 11, 7), "E", "E_FORLENGE", "IVERK", aktivitetsfase="AU"),
        _v(41950077, D(2025, 11, 10), D(2026, 11, 8), "E", "E_FORLENGE", "AVSLU"),
    )

    def weekly(day: date) -> float:
        return 16.0 if day >= D(2026, 11, 9) else 8.0

    cards = make_meldekort(
        1_641_000_000, card_periods(D(2024, 11, 6), D(2027, 11, 7), grid), _rng("kari"), weekly, skip={D(2025, 7, 7)}
    )
    return NavHistory(vedtak, tuple(cards))


def _aap_stanset() -> NavHistory:
    """AAP from Feb 2023, renewed, stopped from 9 June 2025 (the last meldekort were never sent)."""
    grid = D(2023, 2, 20)
    vedtak = (
        _v(39904120, D(2025, 6, 9), None, "S", "S_STANS", "IVERK"),
        _v(38810452, D(2023, 2, 15), D(2024, 2, 18), "O", "O_INNV_SOKNAD", "AVSLU"),
        _v(38620991, D(2024, 2, 19), D(2025, 6, 8), "E", "E_FORLENGE", "AVSLU"),
    )
    periods = card_periods(D(2023, 2, 15), D(2025, 6, 8), grid)
    cards = make_meldekort(1_642_000_000, periods[:-2], _rng("ingrid"), 4.0)
    return NavHistory(vedtak, tuple(cards))


def _aap_opphort() -> NavHistory:
    """AAP from Aug 2022, arbeidsutprøving from Aug 2023 with rising hours, ended (opphør) from
    11 March 2024 as ferdig avklart."""
    grid = D(2022, 8, 15)
    vedtak = (
        _v(35123008, D(2022, 8, 15), D(2023, 8, 13), "O", "O_INNV_SOKNAD", "AVSLU"),
        _v(36200419, D(2024, 3, 11), None, "S", "S_OPPHOR", "IVERK", aktivitetsfase="FA"),
        _v(34987651, D(2023, 8, 14), D(2024, 3, 10), "E", "E_FORLENGE", "AVSLU", aktivitetsfase="AU"),
    )
    weekly = _ramp(D(2023, 8, 14), 10.0, D(2024, 3, 10), 30.0)
    cards = make_meldekort(
        1_643_000_000,
        card_periods(D(2022, 8, 15), D(2024, 3, 10), grid),
        _rng("aap-opphort"),
        lambda day: 5.0 if day < D(2023, 8, 14) else weekly(day),
    )
    return NavHistory(vedtak, tuple(cards))


def _ikke_nedsatt_arbeidsevne() -> NavHistory:
    """Only a §11-5 vedtak with utfall NEI (no reduced work capacity, no separate avslag), and an
    uføre application rejected."""
    vedtak = (
        _v(
            40711236,
            D(2025, 2, 10),
            None,
            "O",
            "O_AVSLAG",
            "AVSLU",
            rettighetstype="AA115",
            utfall="NEI",
            aktivitetsfase="IKKE",
        ),
    )
    rejected = Beregningsperiode(D(2025, 10, 1), None, None, None, None)
    return NavHistory(vedtak, (), Uforetrygd(codes.AVSLAG, None, (rejected,)))


def _annullert_vedtak() -> NavHistory:
    """AAP from April 2025 whose first «ny rettighet» vedtak was invalidated (til the day before fra)
    and replaced by a G-regulated one; renewed to April 2027."""
    grid = D(2025, 4, 7)
    vedtak = (
        _v(43412009, D(2025, 4, 9), D(2026, 4, 5), "E", "E_VERDI", "AVSLU"),
        _v(43300871, D(2025, 4, 9), D(2025, 4, 8), "O", "O_INNV_SOKNAD", "AVSLU"),
        _v(43180554, D(2026, 4, 6), D(2027, 4, 4), "E", "E_FORLENGE", "IVERK"),
    )
    cards = make_meldekort(1_645_000_000, card_periods(D(2025, 4, 9), D(2027, 4, 4), grid), _rng("annullert"), 3.0)
    return NavHistory(vedtak, tuple(cards))


def _opphold_mellom_vedtak() -> NavHistory:
    """An old vedtak from Sept 2009 to Sept 2010 (to prove the 2010-03-01 floor: one of its cards
    runs 22 Feb–7 Mar 2010), then AAP in three spells with gaps: Oct 2023–Apr 2024, Jun 2024–May
    2025, Sep 2025 onwards (renewed to Aug 2027)."""
    vedtak = (
        _v(44017720, D(2023, 10, 4), D(2024, 4, 7), "O", "O_INNV_SOKNAD", "AVSLU"),
        _v(45890333, D(2025, 9, 1), D(2026, 8, 30), "G", "G_INNV_NAV", "AVSLU", aktivitetsfase="AU"),
        _v(21004517, D(2009, 9, 21), D(2010, 9, 19), "O", "O_INNV_SOKNAD", "AVSLU"),
        _v(45002786, D(2026, 8, 31), D(2027, 8, 29), "E", "E_FORLENGE", "IVERK", aktivitetsfase="AU"),
        _v(43755102, D(2024, 6, 12), D(2025, 5, 18), "G", "G_INNV_SOKNAD", "AVSLU"),
    )
    rng, counted = _rng("opphold"), set()
    cards = []
    for fra, til, grid, weekly in (
        (D(2009, 9, 21), D(2010, 9, 19), D(2009, 9, 21), 4.0),
        (D(2023, 10, 4), D(2024, 4, 7), D(2023, 10, 9), 10.0),
        (D(2024, 6, 12), D(2025, 5, 18), D(2024, 6, 17), 5.0),
        (D(2025, 9, 1), D(2027, 8, 29), D(2025, 9, 1), 12.0),
    ):
        cards += make_meldekort(1_646_000_000 + len(cards), card_periods(fra, til, grid), rng, weekly, counted=counted)
    return NavHistory(vedtak, tuple(cards))


def _byttet_meldesyklus() -> NavHistory:
    """AAP from Jan 2025 (renewed to Jan 2027); the meldesyklus moved a week in July 2025, so the
    cards for 21 Jul–3 Aug and 28 Jul–10 Aug both cover 28 Jul–3 Aug (its hours are on the first)."""
    vedtak = (
        _v(44102374, D(2026, 1, 26), D(2027, 1, 24), "E", "E_FORLENGE", "IVERK"),
        _v(44560981, D(2025, 1, 15), D(2026, 1, 25), "O", "O_INNV_SOKNAD", "AVSLU"),
    )
    periods = card_periods(D(2025, 1, 15), D(2025, 8, 3), D(2025, 1, 20)) + card_periods(
        D(2025, 7, 28), D(2027, 1, 24), D(2025, 1, 27)
    )
    cards = make_meldekort(1_647_000_000, periods, _rng("meldesyklus"), 15.0)
    return NavHistory(vedtak, tuple(cards))


def _ufore_okt_grad() -> NavHistory:
    """AAP Mar 2020–May 2022 (vurdering for uføre at the end), then uføretrygd from June 2022 at
    50 %, an income revision in 2024, raised to 100 % from Sept 2024 with a new IFU; løpende."""
    grid = D(2020, 3, 9)
    vedtak = (
        _v(30977015, D(2021, 3, 8), D(2022, 5, 29), "E", "E_FORLENGE", "AVSLU", aktivitetsfase="UVUP"),
        _v(31240662, D(2020, 3, 4), D(2021, 3, 7), "O", "O_INNV_SOKNAD", "AVSLU"),
        _v(30950118, D(2020, 1, 20), D(2022, 5, 29), "O", "O_INNV_NAV", "AVSLU", rettighetstype="AA115"),
    )
    cards = make_meldekort(
        1_648_000_000,
        card_periods(D(2020, 3, 4), D(2022, 5, 29), grid),
        _rng("ola"),
        lambda day: 6.0 if day < D(2021, 3, 8) else 1.0,
    )
    first = D(2019, 10, 14)
    ufore = Uforetrygd(
        codes.LOPENDE,
        D(2022, 6, 1),
        (
            Beregningsperiode(D(2022, 6, 1), D(2023, 12, 31), first, 50, 468_000),
            Beregningsperiode(
                D(2024, 1, 1),
                D(2024, 8, 31),
                first,
                50,
                468_000,
                inntekt_brukt_i_avkortingen=182_000,
                ferdiglignet_inntekt=False,
            ),
            Beregningsperiode(D(2024, 9, 1), None, D(2024, 4, 15), 100, 512_300),
        ),
    )
    return NavHistory(vedtak, tuple(cards), ufore)


def _ufore_opphort() -> NavHistory:
    """Uførepensjon from Sept 2011, converted to uføretrygd in 2015 (60 %), income revisions, ended
    at 67 (May 2024): OPPHORT, the last period has a tom."""
    first = D(2010, 11, 22)
    ufore = Uforetrygd(
        codes.OPPHORT,
        D(2011, 9, 1),
        (
            Beregningsperiode(D(2015, 1, 1), D(2017, 12, 31), first, 60, 398_700),
            Beregningsperiode(
                D(2018, 1, 1),
                D(2021, 12, 31),
                first,
                60,
                398_700,
                inntekt_brukt_i_avkortingen=95_000,
                ferdiglignet_inntekt=True,
            ),
            Beregningsperiode(
                D(2022, 1, 1),
                D(2024, 5, 31),
                first,
                60,
                398_700,
                inntekt_brukt_i_avkortingen=64_000,
                ferdiglignet_inntekt=False,
            ),
        ),
    )
    return NavHistory(uforetrygd=ufore)


def _ufore_klage_pa_avslag() -> NavHistory:
    """AAP since Jan 2024 (vurdering for uføre from 2025, renewed to Jan 2027); uføretrygd from Nov
    2025 rejected, and the appeal is being processed: the avslag and the klage, two periods."""
    grid = D(2024, 1, 15)
    vedtak = (
        _v(39011877, D(2025, 1, 13), D(2026, 1, 11), "E", "E_FORLENGE", "AVSLU", aktivitetsfase="UVUP"),
        _v(37765230, D(2024, 1, 10), D(2025, 1, 12), "O", "O_INNV_SOKNAD", "AVSLU"),
        _v(38420556, D(2026, 1, 12), D(2027, 1, 10), "E", "E_FORLENGE", "IVERK", aktivitetsfase="UVUP"),
    )
    cards = make_meldekort(1_650_000_000, card_periods(D(2024, 1, 10), D(2027, 1, 10), grid), _rng("klage"), 5.0)
    ufore = Uforetrygd(
        codes.KLAGE_PA_AVSLAG,
        None,
        (
            Beregningsperiode(D(2025, 11, 1), None, None, None, None),
            Beregningsperiode(D(2025, 11, 1), None, None, None, None, klagebehandles=True),
        ),
    )
    return NavHistory(vedtak, tuple(cards), ufore)


def _ufore_ikke_sokt() -> NavHistory:
    """AAP May 2023–May 2024 with the §11-5 vedtak, back to (nearly) full-time work; never applied
    for uføretrygd (IKKE_SOKT, said explicitly)."""
    vedtak = (
        _v(36044215, D(2023, 4, 17), D(2024, 5, 12), "O", "O_INNV_NAV", "AVSLU", rettighetstype="AA115"),
        _v(36011904, D(2023, 5, 10), D(2024, 5, 12), "O", "O_INNV_SOKNAD", "AVSLU"),
    )
    cards = make_meldekort(
        1_651_000_000,
        card_periods(D(2023, 5, 10), D(2024, 5, 12), D(2023, 5, 15)),
        _rng("ikke-sokt"),
        _ramp(D(2023, 5, 10), 5.0, D(2024, 5, 12), 35.0),
    )
    return NavHistory(vedtak, tuple(cards), Uforetrygd(codes.IKKE_SOKT, None, ()))


#: (key, existing person (pid, first, last) or birth date, description, history builder).
_PLAN: tuple[tuple[str, tuple[str, str, str] | date, str, Callable[[], NavHistory]], ...] = (
    ("aap-meldekort", ("15838512329", "Kari", "Nordmann"), "AAP med meldekort", _aap_med_meldekort),
    ("ufore-okt-grad", ("02917945651", "Ola", "Hansen"), "Uføretrygd økt fra 50 til 100 % etter AAP", _ufore_okt_grad),
    ("aap-stanset", ("24869221151", "Ingrid", "Berg"), "AAP stanset", _aap_stanset),
    ("ukjent-for-nav", ("09816834004", "Per", "Johansen"), "Ukjent for NAV", lambda: UNKNOWN_TO_NAV),
    ("aap-opphort", D(1988, 4, 23), "AAP opphørt", _aap_opphort),
    ("aap-11-5-nei", D(1970, 9, 3), "Ikke nedsatt arbeidsevne (§ 11-5), uføretrygd avslått", _ikke_nedsatt_arbeidsevne),
    ("aap-annullert-vedtak", D(1996, 12, 11), "AAP med annullert vedtak", _annullert_vedtak),
    ("aap-opphold", D(1966, 2, 7), "AAP med opphold mellom vedtak, vedtak fra 2009", _opphold_mellom_vedtak),
    ("aap-meldesyklus", D(1983, 7, 30), "AAP, byttet meldesyklus (to meldekort for samme uke)", _byttet_meldesyklus),
    ("ufore-opphort", D(1957, 5, 14), "Uføretrygd opphørt ved 67 år", _ufore_opphort),
    (
        "ufore-klage-pa-avslag",
        D(1974, 10, 19),
        "Uføretrygd avslått, klage behandles; AAP løper",
        _ufore_klage_pa_avslag,
    ),
    ("ufore-ikke-sokt", D(1999, 1, 28), "Tidligere AAP, ikke søkt uføretrygd", _ufore_ikke_sokt),
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
