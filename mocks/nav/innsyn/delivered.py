"""What NAV delivered, told readably on the innsyn's page for one disclosure: the uføre status and its
beregningsperioder, AAP's vedtak, AAP's meldekort. The raw JSON stays on the page, folded.

The rendering follows the field names NAV's APIs answer with (:mod:`..benefits`; NAV,
«Uføreopplysninger»; navikt/aap-arenaoppslag ``kontrakt/dsop``): ``status``,
``forsteVirkningstidspunkt``, ``beregningsperioder[]`` (``fom``, ``tom``, ``uforegrad``,
``uforetidspunkt``, ``ifu``, ``inntektBruktIAvkortingen``, ``ferdiglignetInntekt``,
``klagebehandles``); ``uttrekksperiode``, ``vedtaksliste[]`` (``vedtakId``, ``virkningsperiode``,
``vedtakstype``, ``vedtaksvariant``, ``vedtakstatus``, ``rettighetstype``, ``utfall``,
``aktivitetsfase`` as ``{kode, termnavn}``); ``meldekortliste[]`` (``meldekortId``, ``periode``,
``antallTimerArbeidet``). Kelvin's spelling (``fom``/``tom`` periods, plain string codes) reads too.

Nothing in the delivered data is trusted to be well formed: a missing field shows as "–", an odd
value as itself, and data that is not one of the three shapes is left to the JSON (None here).
Dates are ``dd.mm.åååå``; the data carries dates only, no times.
"""

from __future__ import annotations

import json
import math

from .texts import texts_for
from .view import iso_date

#: A table with more rows than this is folded behind its summary line.
FOLD_AFTER = 12
MISSING = "–"


# -- values ----------------------------------------------------------------------------------------------------
def _day(value) -> str:
    """``2024-01-31`` as ``31.01.2024``; another value as itself, a missing one as "–"."""
    return (iso_date(value) if isinstance(value, str) else None) or _plain(value)


def _number(value) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return None
    return value


def _amount(value, d: dict) -> str:
    """Whole kroner, grouped: ``352 300 kr`` / ``NOK 352,300``."""
    number = _number(value)
    if number is None:
        return _plain(value)
    grouped = f"{round(number):,}"
    return d["kroner"].format(amount=grouped.replace(",", d["thousands"]))


def _hours(value, d: dict) -> str:
    number = _number(value)
    if number is None:
        return _plain(value)
    text = f"{number:.2f}".rstrip("0").rstrip(".")
    return text.replace(".", d["decimal"])


def _flag(value, d: dict) -> str:
    return d["yes"] if value is True else d["no"] if value is False else _plain(value)


def _plain(value) -> str:
    """A value as itself (JSON for anything but text), a missing one as "–"."""
    if value is None or value == "":
        return MISSING
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def _percent(value, d: dict) -> str:
    return f"{_hours(value, d)} %" if _number(value) is not None else _plain(value)


def _period(value, d: dict, open_end: str = MISSING) -> str:
    """``{fraDato, tilDato}`` (or Kelvin's ``{fom, tom}``) as ``01.01.2023–31.10.2023``; an open
    end as ``open_end``."""
    if not isinstance(value, dict):
        return _plain(value)
    start = value.get("fraDato", value.get("fom"))
    end = value.get("tilDato", value.get("tom"))
    return f"{_day(start)} – {_day(end) if end is not None else open_end}"


def _code(value, names: dict) -> str:
    """A ``{kode, termnavn}`` pair (or a bare code) as its name: the page's own name for a known
    code, else NAV's ``termnavn``, else the code (the codes themselves are in the JSON)."""
    if isinstance(value, dict):
        kode, termnavn = value.get("kode"), value.get("termnavn")
    else:
        kode, termnavn = value, None
    kode = kode if isinstance(kode, str) else None
    name = (names.get(kode) if kode else None) or (termnavn if isinstance(termnavn, str) and termnavn else None)
    return name or kode or _plain(value)


def _items(data: dict, *keys: str) -> list[dict]:
    for key in keys:
        if isinstance(data.get(key), list):
            return [item for item in data[key] if isinstance(item, dict)]
    return []


def _extracted(data: dict, d: dict) -> list[tuple[str, str, str]]:
    """The ``uttrekksperiode`` AAP's answers start with, when there is one."""
    if "uttrekksperiode" not in data:
        return []
    return [("extract-period", d["extract_period"], _period(data.get("uttrekksperiode"), d))]


def _table(table_id: str, caption: str, columns: list[str], rows: list[list[str]], d: dict) -> dict:
    return {
        "id": table_id,
        "caption": caption,
        "columns": columns,
        "rows": rows,
        "folded": len(rows) > FOLD_AFTER,
        "show_all": d["show_all"].format(count=len(rows), what=caption.lower()),
    }


# -- the three kinds ----------------------------------------------------------------------------------------------
def ufore(data: dict, d: dict) -> dict:
    status = data.get("status")
    periods = _items(data, "beregningsperioder")
    facts = [("status", d["status"], _code(status, d["ufore_status"]))] if "status" in data else []
    if "forsteVirkningstidspunkt" in data:
        facts.append(("first-effective", d["first_effective"], _day(data.get("forsteVirkningstidspunkt"))))
    rows = []
    for p in periods:
        income = _amount(p.get("inntektBruktIAvkortingen"), d)
        if "inntektBruktIAvkortingen" in p and "ferdiglignetInntekt" in p:
            income += f" ({d['assessed'] if p.get('ferdiglignetInntekt') is True else d['not_assessed']})"
        rows.append(
            [
                _day(p.get("fom")),
                _day(p.get("tom")) if p.get("tom") is not None else d["ongoing"],
                _percent(p.get("uforegrad"), d),
                _day(p.get("uforetidspunkt")),
                _amount(p.get("ifu"), d),
                income if "inntektBruktIAvkortingen" in p else MISSING,
                _flag(p.get("klagebehandles"), d),
            ]
        )
    sentence = d["ufore_none"] if not periods else None
    if periods:
        last = periods[-1]
        sentence = d["ufore_sentence"].format(
            count=len(periods),
            periods=d["period_one"] if len(periods) == 1 else d["period_many"],
            grade=_percent(last.get("uforegrad"), d),
            since=_day(last.get("fom")),
            until=d["until_now"] if last.get("tom") is None else d["until"].format(day=_day(last.get("tom"))),
        )
    table = _table("ufore-periods", d["ufore_periods"], d["ufore_columns"], rows, d)
    return {"facts": facts, "sentence": sentence, "tables": [table] if rows else []}


def _kind_of_vedtak(v: dict, d: dict) -> str:
    """``Ny rettighet: Innvilgelse av søknad``: the vedtakstype and, when there is one, its variant."""
    kind = _code(v.get("vedtakstype", v.get("vedtaksType")), d["vedtakstype"])
    variant = v.get("vedtaksvariant")
    return kind if variant is None else f"{kind}: {_code(variant, {})}"


def vedtak(data: dict, d: dict) -> dict:
    items = _items(data, "vedtaksliste", "vedtak")
    rows = [
        [
            _plain(v.get("vedtakId")),
            _period(v.get("virkningsperiode"), d, d["ongoing"]),
            _kind_of_vedtak(v, d),
            _code(v.get("rettighetstype", v.get("rettighetsType")), {}),
            _code(v.get("vedtakstatus", v.get("vedtakStatus")), d["vedtakstatus"]),
            _code(v.get("utfall"), d["utfall"]),
            _code(v.get("aktivitetsfase"), {}),
        ]
        for v in items
    ]
    facts = _extracted(data, d)
    sentence = d["vedtak_count"].format(count=len(items)) if items else d["vedtak_none"]
    table = _table("vedtak", d["vedtak_caption"], d["vedtak_columns"], rows, d)
    return {"facts": facts, "sentence": sentence, "tables": [table] if rows else []}


def meldekort(data: dict, d: dict) -> dict:
    items = _items(data, "meldekortliste", "meldekort")
    rows = [
        [_plain(m.get("meldekortId")), _period(m.get("periode"), d), _hours(m.get("antallTimerArbeidet"), d)]
        for m in items
    ]
    total = sum(_number(m.get("antallTimerArbeidet")) or 0 for m in items)
    facts = _extracted(data, d)
    sentence = d["meldekort_count"].format(count=len(items), hours=_hours(total, d)) if items else d["meldekort_none"]
    table = _table("meldekort", d["meldekort_caption"], d["meldekort_columns"], rows, d)
    return {"facts": facts, "sentence": sentence, "tables": [table] if rows else []}


KINDS = {"ufore": ufore, "vedtak": vedtak, "meldekort": meldekort}
#: The top-level list that tells a kind when the request path does not (an odd log entry).
SHAPES = {"beregningsperioder": "ufore", "vedtaksliste": "vedtak", "meldekortliste": "meldekort"}


def readable(kind: str | None, raw: bytes, lang: str) -> dict | None:
    """The delivered data of an entry as the page tells it, or None when it cannot be told (not
    JSON, not an object, or none of the DSOP APIs' shapes): then the page shows the JSON alone."""
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError):
        return None
    if not isinstance(data, dict):
        return None
    if kind not in KINDS:
        kind = next((shape for key, shape in SHAPES.items() if key in data), None)
        if kind is None:
            return None
    return {"kind": kind, **KINDS[kind](data, texts_for(lang)["data"])}
