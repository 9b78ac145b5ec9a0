"""The exported strategies for NAV histories and personas: what they generate keeps the same
invariants as the named personas (AAP money vedtak never overlap, meldekort on the Monday–Sunday
grid inside them, uføre periods from the 1st in order), and generated people are synthetic."""

from __future__ import annotations

import itertools
from datetime import date, timedelta

from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from dsop_sandbox.mocks.common.identifiers import birth_date, fnr_problem
from dsop_sandbox.people.personas import PERSONAS, TODAY, NavHistory, history_problems
from dsop_sandbox.people.population import gender_of
from dsop_sandbox.people.strategies import generated_personas, nav_histories, personas
from tests.budgets import examples
from tests.people.test_personas import assert_coherent

PROPERTY = hypothesis_settings(max_examples=examples(300))


@PROPERTY
@given(nav_histories())
def test_generated_histories_are_coherent(history):
    assert isinstance(history, NavHistory)
    assert_coherent(history)


@PROPERTY
@given(nav_histories(known_to_nav=True), st.data())
def test_money_vedtak_never_overlap_and_cards_sit_inside_them(history, data):
    money = history.money_vedtak
    for a in money:
        for b in money:
            if a is not b:
                assert a.til is not None and b.til is not None and (a.til < b.fra or b.til < a.fra)
    for card in history.meldekort:
        assert card.til.weekday() == 6 and card.days <= 14 and card.til <= TODAY
        inside = [v for v in money if v.covers(card.fra) or v.covers(card.til)]
        assert inside, card
    # a cut interval counts only its days
    if history.meldekort:
        card = data.draw(st.sampled_from(history.meldekort))
        day = data.draw(st.dates(card.fra, card.til))
        split = card.hours_between(card.fra, day) + card.hours_between(day + timedelta(days=1), card.til)
        assert abs(split - card.total_hours) < 1e-9


@PROPERTY
@given(nav_histories(known_to_nav=True))
def test_only_iverksatt_or_avsluttet_valid_vedtak_are_returned(history):
    for v in history.aap_vedtak:
        assert (v in history.returned_vedtak) == (v.vedtakstatus in ("IVERK", "AVSLU") and not v.invalidated)
    assert [v.fra for v in history.returned_vedtak] == sorted(v.fra for v in history.returned_vedtak)


@PROPERTY
@given(nav_histories(known_to_nav=True))
def test_uforetrygd_periods(history):
    ufore = history.uforetrygd
    if ufore is None:
        return
    assert all(p.fom.day == 1 for p in ufore.perioder)
    assert [p.fom for p in ufore.perioder] == sorted(p.fom for p in ufore.perioder)
    if ufore.status == "LOPENDE":
        assert ufore.perioder[-1].tom is None
    if ufore.status == "OPPHORT":
        assert ufore.perioder and ufore.perioder[-1].tom is not None


@PROPERTY
@given(nav_histories(known_to_nav=False))
def test_unknown_people_have_nothing(history):
    assert history == NavHistory(known_to_nav=False) and history_problems(history) == []
    assert history.ufore_status == "IKKE_SOKT"


@PROPERTY
@given(nav_histories(today=date(2018, 6, 30)))
def test_another_today(history):
    assert_coherent(history)
    assert all(c.til <= date(2018, 6, 30) for c in history.meldekort)


@PROPERTY
@given(generated_personas())
def test_generated_personas_are_synthetic_and_coherent(item):
    assert fnr_problem(item.pid) is None
    assert birth_date(item.pid) == item.person.born and gender_of(item.pid) == item.person.gender
    assert_coherent(item.history)


@hypothesis_settings(max_examples=examples(50))
@given(personas())
def test_personas_strategy_draws_the_named_personas(item):
    assert item in PERSONAS
    assert_coherent(item.history)


def test_the_strategies_reach_every_situation():
    """Over many draws the generator makes every kind of history the personas show."""
    seen = set()

    # a fixed, derandomized draw that must reach every situation: the same 400 in every profile
    @hypothesis_settings(max_examples=400, deadline=None, database=None, derandomize=True)
    @given(nav_histories())
    def collect(history):
        seen.add(history.ufore_status)
        seen.update(v.vedtaksvariant for v in history.returned_vedtak)
        if not history.known_to_nav:
            seen.add("unknown")
        if any(v.invalidated for v in history.aap_vedtak):
            seen.add("invalidated")
        if any(not v.returned and not v.invalidated for v in history.aap_vedtak):
            seen.add("not returned")
        cards = sorted(history.meldekort, key=lambda c: c.fra)
        if any(b.fra <= a.til for a, b in itertools.pairwise(cards)):
            seen.add("meldesyklus")
        if any(c.days < 14 for c in cards):
            seen.add("short first card")
        money = history.money_vedtak
        if any(a.til + timedelta(days=1) < b.fra for a, b in itertools.pairwise(money)):
            seen.add("gap")
        if any(v.rettighetstype == "AA115" for v in history.returned_vedtak):
            seen.add("11-5")

    collect()
    assert {
        "LOPENDE",
        "OPPHORT",
        "AVSLAG",
        "KLAGE_PA_AVSLAG",
        "IKKE_SOKT",
        "S_STANS",
        "S_OPPHOR",
        "E_FORLENGE",
        "unknown",
        "invalidated",
        "not returned",
        "meldesyklus",
        "short first card",
        "gap",
        "11-5",
    } <= seen
