"""Dates and meldekort: month boundaries, the 14-day meldekort grid, and cards with drawn hours."""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable
from datetime import date, timedelta

from .model import CARD_DAYS, ONE_DAY, TODAY, Meldekort


def first_of_month(day: date) -> date:
    return day.replace(day=1)


def last_of_month(day: date) -> date:
    following = (day.replace(day=28) + timedelta(days=4)).replace(day=1)
    return following - ONE_DAY


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
        start, cycle_end = cycle_end + ONE_DAY, cycle_end + timedelta(days=CARD_DAYS)
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
            day += ONE_DAY
        cards.append(Meldekort(first_id + len(cards), fra, til, hours))
    return cards


def ramp(start: date, start_hours: float, end: date, end_hours: float) -> Callable[[date], float]:
    """Weekly hours moving linearly from ``start_hours`` at ``start`` to ``end_hours`` at ``end``."""
    span = (end - start).days or 1

    def weekly(day: date) -> float:
        share = min(1.0, max(0.0, (day - start).days / span))
        return start_hours + (end_hours - start_hours) * share

    return weekly
