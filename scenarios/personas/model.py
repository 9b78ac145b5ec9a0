"""The data model of a persona's NAV history: AAP vedtak and meldekort as Arena holds them,
uføretrygd with its beregningsperioder, and the persona itself. Each class checks its own fields;
:mod:`.invariants` checks a history as a whole."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from types import MappingProxyType

from dsop_sandbox.people import nav_codes as codes
from dsop_sandbox.people.population import Person

#: The sandbox's fixed "today" for its data: what has happened by then is history.
TODAY = date(2026, 11, 29)
EARLIEST_DATA = codes.EARLIEST_AAP_DATA
CARD_DAYS = 14
#: 37.5 h a week: the work share of a 14-day meldekort is hours / 75.
FULL_TIME_HOURS_PER_CARD = 75.0
ONE_DAY = timedelta(days=1)


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
        if self.til is not None and self.til < self.fra - ONE_DAY:
            raise ValueError(f"vedtak {self.vedtak_id}: til {self.til} before fra {self.fra}")

    @property
    def invalidated(self) -> bool:
        """Til-dato the day before fra-dato: the vedtak was invalidated and is not returned."""
        return self.til is not None and self.til == self.fra - ONE_DAY

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
