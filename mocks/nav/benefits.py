"""The NAV data a consent lets out: AAP vedtak and meldekort, and uføretrygd, shaped as the real
APIs answer (docs/nav.md; NAV, «Uføreopplysninger») and cut to what the consent and the request allow.

AAP (the documented rules):
* only vedtak that are iverksatt (``IVERK``) or avsluttet (``AVSLU``); an invalidated vedtak
  (til-dato the day before fra-dato) is left out;
* a vedtak is selected when it overlaps the asked interval; its dates are clamped to the consent
  period; nothing from before 2010-03-01;
* meldekort only inside returned vedtak, selected by overlap, returned whole but clamped to the
  consent period, with the hours of the days inside the asked interval;
* oldest first by fra-dato (vedtak ids do not follow that order);
* a person NAV does not know gives empty lists.

Uføretrygd: the status, the first effective date and the beregningsperioder that overlap the
asked interval, their ``fom``/``tom`` clamped to the consent period (an open ``tom`` stays open:
it is what says the benefit is running). A person NAV does not know is ``IKKE_SOKT``.
"""

from __future__ import annotations

from datetime import date, timedelta

from dsop_sandbox.people import nav_codes as codes

EARLIEST = codes.EARLIEST_AAP_DATA
RETURNED_STATUSES = codes.RETURNED_VEDTAKSTATUS


def _code(table: dict, kode: str) -> dict:
    return {"kode": kode, "termnavn": table.get(kode, kode)}


def _overlaps(fra: date, til: date | None, fom: date, tom: date) -> bool:
    return fra <= tom and (til is None or til >= fom)


def _clamp(fra: date, til: date | None, start: date, end: date) -> tuple[date, date]:
    return max(fra, start, EARLIEST), min(til or end, end)


def returned_vedtak(history, fom: date, tom: date) -> list:
    """The vedtak the API may show for the asked interval, oldest first."""
    if history is None:
        return []
    chosen = [
        v
        for v in history.aap_vedtak
        if v.vedtakstatus in RETURNED_STATUSES
        and not (v.til is not None and v.til == v.fra - timedelta(days=1))
        and (v.til is None or v.til >= EARLIEST)
        and _overlaps(v.fra, v.til, fom, tom)
    ]
    return sorted(chosen, key=lambda v: (v.fra, v.vedtak_id))


def vedtaksliste(history, fom: date, tom: date, start: date, end: date) -> dict:
    items = []
    for v in returned_vedtak(history, fom, tom):
        fra, til = _clamp(v.fra, v.til, start, end)
        items.append(
            {
                "vedtakId": v.vedtak_id,
                "virkningsperiode": {"fraDato": fra.isoformat(), "tilDato": til.isoformat()},
                "vedtakstype": _code(codes.VEDTAKSTYPE, v.vedtakstype),
                "vedtaksvariant": _code(codes.VEDTAKSVARIANT, v.vedtaksvariant),
                "vedtakstatus": _code(codes.VEDTAKSTATUS, v.vedtakstatus),
                "rettighetstype": _code(codes.RETTIGHETSTYPE, v.rettighetstype),
                "utfall": _code(codes.UTFALL, v.utfall),
                "aktivitetsfase": _code(codes.AKTIVITETSFASE, v.aktivitetsfase),
            }
        )
    return {"uttrekksperiode": {"fraDato": fom.isoformat(), "tilDato": tom.isoformat()}, "vedtaksliste": items}


def meldekortliste(history, fom: date, tom: date, start: date, end: date) -> dict:
    items = []
    if history is not None:
        vedtak = [
            v
            for v in history.aap_vedtak
            if v.vedtakstatus in RETURNED_STATUSES and not (v.til is not None and v.til == v.fra - timedelta(days=1))
        ]
        for card in sorted(history.meldekort, key=lambda m: (m.fra, m.meldekort_id)):
            if card.til < EARLIEST or not _overlaps(card.fra, card.til, fom, tom):
                continue
            if not any(_overlaps(card.fra, card.til, v.fra, v.til or date.max) for v in vedtak):
                continue
            fra, til = _clamp(card.fra, card.til, start, end)
            hours = sum(
                h
                for day, h in card.hours_by_day.items()
                if fom <= day <= tom and start <= day <= end and day >= EARLIEST
            )
            items.append(
                {
                    "meldekortId": card.meldekort_id,
                    "periode": {"fraDato": fra.isoformat(), "tilDato": til.isoformat()},
                    "antallTimerArbeidet": round(float(hours), 2),
                }
            )
    return {"uttrekksperiode": {"fraDato": fom.isoformat(), "tilDato": tom.isoformat()}, "meldekortliste": items}


def uforeopplysninger(history, fom: date, tom: date, start: date, end: date) -> dict:
    ufore = history.uforetrygd if history is not None and history.known_to_nav else None
    if ufore is None:
        return {"status": "IKKE_SOKT", "forsteVirkningstidspunkt": None, "beregningsperioder": []}
    periods = []
    for p in sorted(ufore.perioder, key=lambda p: p.fom):
        if not _overlaps(p.fom, p.tom, fom, tom):
            continue
        item = {
            "fom": max(p.fom, start).isoformat(),
            "tom": None if p.tom is None else min(p.tom, end).isoformat(),
            "uforetidspunkt": p.uforetidspunkt.isoformat() if p.uforetidspunkt else None,
            "uforegrad": p.uforegrad,
            "ifu": p.ifu,
        }
        if p.inntekt_brukt_i_avkortingen is not None:
            item["inntektBruktIAvkortingen"] = p.inntekt_brukt_i_avkortingen
        if p.ferdiglignet_inntekt is not None:
            item["ferdiglignetInntekt"] = p.ferdiglignet_inntekt
        item["klagebehandles"] = bool(p.klagebehandles)
        periods.append(item)
    first = ufore.forste_virkningstidspunkt
    return {
        "status": ufore.status,
        "forsteVirkningstidspunkt": first.isoformat() if first else None,
        "beregningsperioder": periods,
    }
