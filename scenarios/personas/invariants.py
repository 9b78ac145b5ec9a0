"""What makes a NAV history coherent: the rules every persona keeps, and so must the generated
histories of ``dsop_sandbox.people.strategies``."""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from datetime import date

from dsop_sandbox.people import nav_codes as codes

from .meldekort import last_of_month
from .model import CARD_DAYS, FULL_TIME_HOURS_PER_CARD, ONE_DAY, NavHistory, Uforetrygd, Vedtak


def _runs(money: Iterable[Vedtak]) -> list[tuple[date, date | None]]:
    """Contiguous AAP periods: money vedtak that follow each other day by day are one run."""
    runs: list[list] = []
    for v in sorted(money, key=lambda v: v.fra):
        if runs and runs[-1][1] is not None and runs[-1][1] + ONE_DAY == v.fra:
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
            day += ONE_DAY
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
