"""The named personas: synthetic, unique people (the four original test persons kept), each
required NAV situation present, and every history coherent by the rules of docs/nav.md,
checked here on the data itself (``assert_coherent``), not only through ``history_problems``."""

from __future__ import annotations

import dataclasses
import itertools
import re
from datetime import date, timedelta

import pytest

from dsop_sandbox.mocks.common.identifiers import birth_date, fnr_problem
from dsop_sandbox.people import nav_codes as codes
from dsop_sandbox.people.personas import (
    EARLIEST_DATA,
    PERSONAS,
    TODAY,
    UNKNOWN_TO_NAV,
    Beregningsperiode,
    Meldekort,
    NavHistory,
    Uforetrygd,
    Vedtak,
    card_periods,
    cast,
    history_problems,
    persona,
    persona_by_key,
)
from dsop_sandbox.people.population import gender_of, validate_synthetic_fnr
from dsop_sandbox.people.roster import TEST_PERSONS

DAY = timedelta(days=1)
ORIGINAL = [
    ("15838512329", "Kari Nordmann"),
    ("02917945651", "Ola Hansen"),
    ("24869221151", "Ingrid Berg"),
    ("09816834004", "Per Johansen"),
]
NAME = re.compile(r"[^\W\d_]+(?:[ -][^\W\d_]+)*")


# --------------------------------------------------------------------------------------------
# The invariants, written out on the data (also used by test_strategies for generated histories)


def _money(history: NavHistory) -> list[Vedtak]:
    """Returned (IVERK/AVSLU, not invalidated) AAP vedtak with utfall JA that are not a stans."""
    return sorted(
        (
            v
            for v in history.aap_vedtak
            if v.vedtakstatus in ("IVERK", "AVSLU")
            and not (v.til is not None and v.til == v.fra - DAY)
            and v.rettighetstype == "AAP"
            and v.utfall == "JA"
            and v.vedtakstype != "S"
        ),
        key=lambda v: v.fra,
    )


def _spell_starts(money: list[Vedtak]) -> set[date]:
    starts, previous_til = set(), None
    for v in money:
        if previous_til is None or previous_til + DAY != v.fra:
            starts.add(v.fra)
        previous_til = v.til
    return starts


def _days(fra: date, til: date):
    while fra <= til:
        yield fra
        fra += DAY


def assert_coherent(history: NavHistory) -> None:
    assert history_problems(history) == []
    if not history.known_to_nav:
        assert history.aap_vedtak == () and history.meldekort == () and history.uforetrygd is None
        assert history.ufore_status == "IKKE_SOKT"
        return
    for v in history.aap_vedtak:
        for name, table in codes.CODE_LISTS.items():
            assert getattr(v, name) in table, (v, name)
        assert v.vedtaksvariant.startswith(v.vedtakstype + "_"), v
        assert v.til is None or v.til >= v.fra - DAY, v
    assert len({v.vedtak_id for v in history.aap_vedtak}) == len(history.aap_vedtak)
    money = _money(history)
    for a, b in itertools.pairwise(money):
        assert a.til is not None and a.til < b.fra, f"money vedtak overlap: {a} {b}"
    starts = _spell_starts(money)
    assert len({c.meldekort_id for c in history.meldekort}) == len(history.meldekort)
    worked: set[date] = set()
    for card in history.meldekort:
        length = (card.til - card.fra).days + 1
        assert card.til.weekday() == 6, card  # Sunday
        assert 1 <= length <= 14, card
        if length == 14:
            assert card.fra.weekday() == 0, card  # Monday
        else:
            assert card.fra in starts, f"a short card must start an AAP spell: {card}"
        for day in _days(card.fra, card.til):
            assert any(v.fra <= day and (v.til is None or day <= v.til) for v in money), (card, day)
        assert all(card.fra <= day <= card.til and 0 <= h <= 24 for day, h in card.hours_by_day.items())
        assert 0 <= card.total_hours <= 75 and card.total_hours == round(sum(card.hours_by_day.values()), 2)
        days_worked = {day for day, h in card.hours_by_day.items() if h}
        assert not days_worked & worked, f"hours counted on two cards: {card}"
        worked |= days_worked
    ufore = history.uforetrygd
    if ufore is None:
        assert history.ufore_status == "IKKE_SOKT"
        return
    assert ufore.status in codes.UFORE_STATUS
    periods = ufore.perioder
    assert [p.fom for p in periods] == sorted(p.fom for p in periods)
    for p in periods:
        assert p.fom.day == 1, p
        assert p.tom is None or (p.tom >= p.fom and (p.tom + DAY).day == 1), p
        assert p.uforegrad is None or 0 <= p.uforegrad <= 100
        assert not p.klagebehandles or ufore.status == "KLAGE_PA_AVSLAG"
    granted = [p for p in periods if p.uforegrad is not None]
    for a, b in itertools.pairwise(granted):
        assert a.tom is not None and a.tom < b.fom
    if ufore.status == "LOPENDE":
        assert granted and granted[-1].tom is None
    if ufore.status == "OPPHORT":
        assert granted and all(p.tom is not None for p in periods)
    if ufore.status == "IKKE_SOKT":
        assert periods == ()
    if granted:
        assert ufore.forste_virkningstidspunkt is not None and ufore.forste_virkningstidspunkt.day == 1
        assert ufore.forste_virkningstidspunkt <= granted[0].fom


def _with(predicate) -> list:
    return [p for p in PERSONAS if predicate(p.history)]


# --------------------------------------------------------------------------------------------
# The people


def test_every_pid_is_a_unique_valid_synthetic_number():
    assert len(PERSONAS) >= 12
    assert len({p.pid for p in PERSONAS}) == len(PERSONAS)
    assert len({p.key for p in PERSONAS}) == len(PERSONAS)
    for p in PERSONAS:
        assert fnr_problem(p.pid) is None, p.pid
        assert validate_synthetic_fnr(p.pid) == p.pid
        assert 81 <= int(p.pid[2:4]) <= 92
        assert birth_date(p.pid) == p.person.born
        assert gender_of(p.pid) == p.person.gender


def test_the_four_original_test_persons_are_kept_first():
    assert [(p.pid, p.name) for p in PERSONAS[:4]] == ORIGINAL
    assert [(t["pid"], t["name"]) for t in TEST_PERSONS[:4]] == ORIGINAL
    assert persona("15838512329").key == "aap-meldekort"
    assert persona("02917945651").history.ufore_status == "LOPENDE"
    assert persona("09816834004").history.known_to_nav is False


def test_people_have_norwegian_names_and_addresses():
    for p in PERSONAS:
        assert NAME.fullmatch(p.person.first_name) and NAME.fullmatch(p.person.last_name), p.name
        assert p.name == f"{p.person.first_name} {p.person.last_name}"
        assert re.search(r"\d", p.person.address.street) and re.fullmatch(r"[0-9]{4}", p.person.address.postal_code)
        assert p.person.address.city
        assert date(1945, 1, 1) <= p.person.born <= date(2005, 12, 31)
        assert 0 < len(p.description_nb) <= 80


def test_test_persons_are_the_personas():
    assert [t["pid"] for t in TEST_PERSONS] == [p.pid for p in PERSONAS]
    for record, p in zip(TEST_PERSONS, PERSONAS, strict=False):
        assert set(record) == {"pid", "name", "first_name", "last_name", "description"}
        assert record["name"] == p.name == f"{record['first_name']} {record['last_name']}"
        assert record["description"] == f"{p.description_nb}, født {p.person.born:%d.%m.%Y}"
        assert len(record["description"]) <= 200  # ID-porten keeps 200 characters
    assert TEST_PERSONS[0]["description"] == "AAP med meldekort, født 15.03.1985"


def test_each_name_picks_out_one_person_on_the_login_page():
    """The login page labels a person "name pid · description"; a name must match one label only
    (the browser tests find people by a case-insensitive part of their label)."""
    labels = [f"{t['name']} {t['pid']} · {t['description']}".lower() for t in TEST_PERSONS]
    for record in TEST_PERSONS:
        assert sum(record["name"].lower() in label for label in labels) == 1, record["name"]


def test_lookup():
    for p in PERSONAS:
        assert persona(p.pid) is p and persona_by_key(p.key) is p
    assert persona("01818024300") is None and persona("") is None and persona_by_key("nobody") is None


def test_the_personas_are_deterministic_frozen_and_hashable():
    assert cast._build() == PERSONAS
    for p in PERSONAS:
        hash(p)
    with pytest.raises(dataclasses.FrozenInstanceError):
        PERSONAS[0].history = UNKNOWN_TO_NAV  # type: ignore[misc]
    card = persona("15838512329").history.meldekort[1]
    with pytest.raises(TypeError):
        card.hours_by_day[card.fra] = 99.0  # type: ignore[index]


# --------------------------------------------------------------------------------------------
# Every history is coherent


@pytest.mark.parametrize("item", PERSONAS, ids=lambda p: p.key)
def test_every_history_is_coherent(item):
    assert_coherent(item.history)


@pytest.mark.parametrize("item", PERSONAS, ids=lambda p: p.key)
def test_vedtak_ids_do_not_follow_period_order(item):
    returned = item.history.returned_vedtak
    if len(returned) >= 2:
        ids = [v.vedtak_id for v in returned]
        assert ids != sorted(ids), item.key


def test_ids_are_unique_across_the_personas():
    vedtak = [v.vedtak_id for p in PERSONAS for v in p.history.aap_vedtak]
    cards = [c.meldekort_id for p in PERSONAS for c in p.history.meldekort]
    assert len(set(vedtak)) == len(vedtak) and len(set(cards)) == len(cards)


def test_dates_are_fixed_and_ongoing_things_stay_ongoing():
    assert date(2026, 11, 29) == TODAY
    early = [
        p.key
        for p in PERSONAS
        if any(v.fra < EARLIEST_DATA for v in p.history.aap_vedtak)
        or any(c.fra < EARLIEST_DATA for c in p.history.meldekort)
        or any(u.fom < EARLIEST_DATA for u in (p.history.uforetrygd.perioder if p.history.uforetrygd else ()))
    ]
    assert early == ["aap-opphold"]  # the one deliberate vedtak from 2009
    old = persona_by_key("aap-opphold").history
    assert any(v.fra.year == 2009 and v.til > EARLIEST_DATA for v in old.money_vedtak)  # crosses the floor
    assert any(c.fra < EARLIEST_DATA <= c.til and c.total_hours > 0 for c in old.meldekort)
    running = [v for p in PERSONAS for v in p.history.money_vedtak if v.covers(TODAY)]
    assert running
    for v in running:  # renewals are decided at most a year ahead
        assert v.til is not None and date(2027, 1, 1) <= v.til <= TODAY + timedelta(days=366), v
    assert max(v.til for v in running) >= date(2027, 9, 1)  # the main one ends late 2027
    for p in PERSONAS:
        for card in p.history.meldekort:
            assert card.til <= TODAY  # only delivered cards
        if p.history.ufore_status == "LOPENDE":
            assert p.history.uforetrygd.perioder[-1].tom is None  # runs beyond 2029


# --------------------------------------------------------------------------------------------
# Each required situation is there


def test_aap_with_meldekort_and_the_11_5_vedtak_alongside():
    kari = persona("15838512329").history
    money = kari.money_vedtak
    running = [v for v in money if v.covers(TODAY)]
    assert len(running) == 1 and running[0].vedtakstatus == "IVERK"
    assert money[0].vedtakstype == "O" and any(v.vedtaksvariant == "E_FORLENGE" for v in money)
    [paragraph] = [v for v in kari.returned_vedtak if v.rettighetstype == "AA115"]
    assert paragraph.utfall == "JA" and paragraph.fra < money[0].fra and paragraph.covers(money[-1].fra)
    hidden = [v for v in kari.aap_vedtak if v.vedtakstatus not in codes.RETURNED_VEDTAKSTATUS]
    assert [v.vedtakstatus for v in hidden] == ["GODKJ"] and not hidden[0].returned
    assert any(hidden[0].fra <= v.til and v.fra <= hidden[0].til for v in money)  # why it must be filtered
    cards = kari.meldekort
    assert len(cards) > 40
    assert cards[0].fra == money[0].fra and cards[0].days < 14 and all(c.days == 14 for c in cards[1:])
    assert all(0 <= c.total_hours <= 75 for c in cards) and any(c.total_hours > 0 for c in cards)
    gaps = [(a.til, b.fra) for a, b in itertools.pairwise(cards) if a.til + DAY != b.fra]
    assert len(gaps) == 1  # a card never sent; the vedtak goes on


def test_aap_stopped():
    [item] = _with(lambda h: any(v.vedtaksvariant == "S_STANS" for v in h.returned_vedtak))
    assert item.pid == "24869221151"
    [stans] = [v for v in item.history.returned_vedtak if v.vedtakstype == "S"]
    assert stans.utfall == "JA" and stans.til is None
    assert max(v.til for v in item.history.money_vedtak) == stans.fra - DAY
    assert all(c.til < stans.fra for c in item.history.meldekort)


def test_aap_ended():
    [item] = _with(lambda h: any(v.vedtaksvariant == "S_OPPHOR" for v in h.returned_vedtak))
    [opphor] = [v for v in item.history.returned_vedtak if v.vedtakstype == "S"]
    assert opphor.utfall == "JA" and max(v.til for v in item.history.money_vedtak) == opphor.fra - DAY
    assert not any(v.covers(TODAY) for v in item.history.money_vedtak)


def test_only_a_11_5_vedtak_with_utfall_nei():
    [item] = _with(
        lambda h: (
            h.known_to_nav
            and len(h.aap_vedtak) == 1
            and h.aap_vedtak[0].rettighetstype == "AA115"
            and h.aap_vedtak[0].utfall == "NEI"
        )
    )
    assert item.history.returned_vedtak == item.history.aap_vedtak and item.history.meldekort == ()
    assert item.history.ufore_status == "AVSLAG"


def test_an_invalidated_vedtak_beside_valid_ones():
    [item] = _with(lambda h: any(v.til is not None and v.til == v.fra - DAY for v in h.aap_vedtak))
    [invalid] = [v for v in item.history.aap_vedtak if v.invalidated]
    assert invalid.vedtakstatus in codes.RETURNED_VEDTAKSTATUS  # its status alone would let it through
    assert invalid not in item.history.returned_vedtak
    assert len(item.history.money_vedtak) >= 2
    assert any(v.fra == invalid.fra for v in item.history.money_vedtak)  # replaced


def test_gaps_between_vedtak():
    def gaps(history):
        money = _money(history)
        return [(a.til, b.fra) for a, b in itertools.pairwise(money) if a.til + DAY < b.fra]

    assert any(len(gaps(p.history)) >= 2 for p in PERSONAS)
    item = persona_by_key("aap-opphold")
    for til, fra in gaps(item.history):  # no meldekort in a gap
        assert not any(c.fra <= fra - DAY and c.til >= til + DAY for c in item.history.meldekort)


def test_two_meldekort_covering_the_same_period():
    def overlapping(history):
        cards = sorted(history.meldekort, key=lambda c: c.fra)
        return [(a, b) for a, b in itertools.pairwise(cards) if b.fra <= a.til]

    [item] = _with(lambda h: overlapping(h))
    [(first, second)] = overlapping(item.history)
    assert first.days == second.days == 14 and second.fra == first.fra + timedelta(days=7)
    shared = set(_days(second.fra, first.til))
    assert not any(d in second.hours_by_day for d in shared)  # the week's hours are counted once
    assert sum(first.hours_between(d, d) + second.hours_between(d, d) for d in shared) == sum(
        first.hours_by_day.get(d, 0) for d in shared
    )


def test_ufore_lopende_with_a_grade_rise_and_a_new_ifu():
    ola = persona("02917945651").history
    ufore = ola.uforetrygd
    assert ufore.status == "LOPENDE" and ufore.perioder[-1].tom is None
    grades = [p.uforegrad for p in ufore.perioder]
    assert grades[0] == 50 and grades[-1] == 100
    rise = next(i for i, p in enumerate(ufore.perioder) if p.uforegrad == 100)
    before, after = ufore.perioder[rise - 1], ufore.perioder[rise]
    assert after.ifu != before.ifu and after.fom == before.tom + DAY
    assert any(p.inntekt_brukt_i_avkortingen is not None for p in ufore.perioder)
    # AAP ended, then uføretrygd: combined sensibly
    assert max(v.til for v in ola.money_vedtak) < ufore.forste_virkningstidspunkt


def test_ufore_opphort():
    [item] = _with(lambda h: h.ufore_status == "OPPHORT")
    perioder = item.history.uforetrygd.perioder
    assert perioder[-1].tom is not None and perioder[-1].tom < TODAY
    assert item.history.uforetrygd.forste_virkningstidspunkt < perioder[0].fom  # converted uførepensjon
    assert perioder[-1].tom.year - item.person.born.year == 67


def test_ufore_avslag_then_klage():
    [item] = _with(lambda h: h.ufore_status == "KLAGE_PA_AVSLAG")
    avslag, klage = item.history.uforetrygd.perioder
    assert not avslag.klagebehandles and klage.klagebehandles
    assert avslag.uforegrad is None and klage.uforegrad is None
    assert [p.key for p in _with(lambda h: h.ufore_status == "AVSLAG")] == ["aap-11-5-nei"]


def test_ufore_ikke_sokt_said_explicitly():
    [item] = _with(lambda h: h.known_to_nav and h.uforetrygd is not None and h.uforetrygd.status == "IKKE_SOKT")
    assert item.history.uforetrygd.perioder == () and item.history.uforetrygd.forste_virkningstidspunkt is None
    assert item.history.money_vedtak  # NAV knows the person (AAP before)


def test_a_person_unknown_to_nav():
    [item] = _with(lambda h: not h.known_to_nav)
    assert item.pid == "09816834004"
    assert item.history == UNKNOWN_TO_NAV and item.history.ufore_status == "IKKE_SOKT"
    assert item.history.returned_vedtak == () and item.history.meldekort == ()


# --------------------------------------------------------------------------------------------
# The model refuses what cannot be, and history_problems finds incoherence


def _vedtak(vid, fra, til, **changes):
    values = {
        "vedtakstype": "O",
        "vedtaksvariant": "O_INNV_SOKNAD",
        "vedtakstatus": "AVSLU",
        "rettighetstype": "AAP",
        "utfall": "JA",
        "aktivitetsfase": "UA",
    }
    values.update(changes)
    return Vedtak(vid, fra, til, **values)


@pytest.mark.parametrize(
    "changes",
    [
        {"vedtakstype": "X"},
        {"utfall": "KANSKJE"},
        {"vedtaksvariant": "E_FORLENGE"},
        {"vedtakstatus": "iverk"},
        {"aktivitetsfase": ""},
    ],
)
def test_unknown_codes_are_refused(changes):
    with pytest.raises(ValueError):
        _vedtak(1, date(2024, 1, 1), date(2024, 6, 30), **changes)


def test_impossible_values_are_refused():
    with pytest.raises(ValueError):
        _vedtak(1, date(2024, 1, 10), date(2024, 1, 8))  # more than invalidated
    with pytest.raises(ValueError):
        Beregningsperiode(date(2024, 1, 2), None, None, 50, 1)
    with pytest.raises(ValueError):
        Beregningsperiode(date(2024, 1, 1), None, None, 101, 1)
    with pytest.raises(ValueError):
        Uforetrygd("LØPENDE", None, ())
    with pytest.raises(ValueError):
        Meldekort(1, date(2024, 1, 1), date(2024, 1, 14), {date(2024, 1, 15): 1.0})
    with pytest.raises(ValueError):
        card_periods(date(2024, 1, 3), None, date(2024, 1, 2))  # the grid starts on a Monday
    with pytest.raises(ValueError):
        card_periods(date(2024, 1, 1), date(2024, 1, 17), date(2024, 1, 1))  # AAP ending mid-cycle


def test_card_periods_follow_the_grid():
    periods = card_periods(date(2024, 11, 6), None, date(2024, 11, 11), delivered_by=date(2024, 12, 10))
    assert periods == [
        (date(2024, 11, 6), date(2024, 11, 10)),
        (date(2024, 11, 11), date(2024, 11, 24)),
        (date(2024, 11, 25), date(2024, 12, 8)),
    ]


def test_history_problems_finds_incoherence():
    a = _vedtak(1, date(2024, 1, 1), date(2024, 6, 30))
    b = _vedtak(2, date(2024, 6, 1), date(2024, 12, 29))
    assert any("overlap" in p for p in history_problems(NavHistory((a, b))))
    # the same overlap is fine for the §11-5 vedtak, a non-returned and an invalidated one
    assert history_problems(NavHistory((a, dataclasses.replace(b, rettighetstype="AA115")))) == []
    assert history_problems(NavHistory((a, dataclasses.replace(b, vedtakstatus="GODKJ")))) == []
    assert history_problems(NavHistory((a, _vedtak(3, date(2024, 3, 1), date(2024, 2, 29))))) == []
    # meldekort outside vedtak, short in mid-spell, counted twice, not ending on a Sunday
    money = _vedtak(4, date(2024, 1, 1), date(2024, 3, 24))
    outside = Meldekort(10, date(2024, 3, 25), date(2024, 4, 7))
    assert any("outside" in p for p in history_problems(NavHistory((money,), (outside,))))
    short = Meldekort(11, date(2024, 1, 17), date(2024, 1, 28))
    assert any("short" in p for p in history_problems(NavHistory((money,), (short,))))
    first = Meldekort(12, date(2024, 1, 1), date(2024, 1, 14), {date(2024, 1, 10): 5.0})
    again = Meldekort(13, date(2024, 1, 8), date(2024, 1, 21), {date(2024, 1, 10): 5.0})
    assert any("counted" in p for p in history_problems(NavHistory((money,), (first, again))))
    saturday = Meldekort(14, date(2024, 1, 1), date(2024, 1, 13))
    assert any("Sunday" in p for p in history_problems(NavHistory((money,), (saturday,))))
    much = Meldekort(15, date(2024, 1, 1), date(2024, 1, 14), {date(2024, 1, d): 8.0 for d in range(1, 11)})
    assert any("hours" in p for p in history_problems(NavHistory((money,), (much,))))
    # uføre status against its periods
    open_ = Beregningsperiode(date(2024, 1, 1), None, date(2023, 5, 1), 50, 400_000)
    closed = Beregningsperiode(date(2024, 1, 1), date(2024, 12, 31), date(2023, 5, 1), 50, 400_000)
    assert history_problems(NavHistory(uforetrygd=Uforetrygd("OPPHORT", date(2024, 1, 1), (open_,))))
    assert history_problems(NavHistory(uforetrygd=Uforetrygd("LOPENDE", date(2024, 1, 1), (closed,))))
    assert history_problems(NavHistory(uforetrygd=Uforetrygd("IKKE_SOKT", None, (closed,))))
    assert history_problems(NavHistory(uforetrygd=Uforetrygd("LOPENDE", None, (open_,))))  # no first date
    assert history_problems(NavHistory(uforetrygd=Uforetrygd("LOPENDE", date(2024, 1, 1), (open_,)))) == []
    assert history_problems(
        NavHistory(
            uforetrygd=Uforetrygd("OPPHORT", date(2024, 1, 1), (dataclasses.replace(closed, tom=date(2024, 12, 30)),))
        )
    )  # not a month end
    assert history_problems(
        NavHistory(
            uforetrygd=Uforetrygd(
                "KLAGE_PA_AVSLAG", None, (Beregningsperiode(date(2024, 1, 1), None, None, None, None),)
            )
        )
    )  # nothing klagebehandles
    assert history_problems(NavHistory((a,), known_to_nav=False))


def test_codes_match_the_spec():
    assert set(codes.VEDTAKSTYPE) == set("OEGSTAKMN")
    assert codes.RETURNED_VEDTAKSTATUS == ("IVERK", "AVSLU")
    assert {"AAP", "AA115"} <= set(codes.RETTIGHETSTYPE) and set(codes.UTFALL) == {"JA", "NEI", "AVBRUTT"}
    assert list(codes.UFORE_STATUS) == [
        "IKKE_SOKT",
        "AVSLAG",
        "KLAGE_PA_AVSLAG",
        "REKONSTRUKSJON",
        "LOPENDE",
        "OPPHORT",
        "UNDER_BEHANDLING",
        "UKJENT_STATUS",
        "EKSPORT",
    ]
    assert codes.code(codes.VEDTAKSTATUS, "IVERK") == {"kode": "IVERK", "termnavn": "Iverksatt"}
    for variant in codes.VEDTAKSVARIANT:
        assert variant.split("_")[0] in codes.VEDTAKSTYPE
    with pytest.raises(TypeError):
        codes.UTFALL["JA"] = "Nei"  # type: ignore[index]
