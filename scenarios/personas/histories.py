"""The twelve personas' NAV histories, one builder each: fixed dates and ids, hours drawn from a
random generator seeded by the persona's key, so every build gives the same data."""

from __future__ import annotations

import random
from datetime import date

from dsop_sandbox.people import nav_codes as codes

from .meldekort import card_periods, make_meldekort, ramp
from .model import Beregningsperiode, NavHistory, Uforetrygd, Vedtak


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


def aap_med_meldekort() -> NavHistory:
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


def aap_stanset() -> NavHistory:
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


def aap_opphort() -> NavHistory:
    """AAP from Aug 2022, arbeidsutprøving from Aug 2023 with rising hours, ended (opphør) from
    11 March 2024 as ferdig avklart."""
    grid = D(2022, 8, 15)
    vedtak = (
        _v(35123008, D(2022, 8, 15), D(2023, 8, 13), "O", "O_INNV_SOKNAD", "AVSLU"),
        _v(36200419, D(2024, 3, 11), None, "S", "S_OPPHOR", "IVERK", aktivitetsfase="FA"),
        _v(34987651, D(2023, 8, 14), D(2024, 3, 10), "E", "E_FORLENGE", "AVSLU", aktivitetsfase="AU"),
    )
    weekly = ramp(D(2023, 8, 14), 10.0, D(2024, 3, 10), 30.0)
    cards = make_meldekort(
        1_643_000_000,
        card_periods(D(2022, 8, 15), D(2024, 3, 10), grid),
        _rng("aap-opphort"),
        lambda day: 5.0 if day < D(2023, 8, 14) else weekly(day),
    )
    return NavHistory(vedtak, tuple(cards))


def ikke_nedsatt_arbeidsevne() -> NavHistory:
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


def annullert_vedtak() -> NavHistory:
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


def opphold_mellom_vedtak() -> NavHistory:
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


def byttet_meldesyklus() -> NavHistory:
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


def ufore_okt_grad() -> NavHistory:
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


def ufore_opphort() -> NavHistory:
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


def ufore_klage_pa_avslag() -> NavHistory:
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


def ufore_ikke_sokt() -> NavHistory:
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
        ramp(D(2023, 5, 10), 5.0, D(2024, 5, 12), 35.0),
    )
    return NavHistory(vedtak, tuple(cards), Uforetrygd(codes.IKKE_SOKT, None, ()))
