"""What NAV delivered for a claim, told for a person to read: sentences and tidy tables for the
uføretrygd (status, grade, periods, the income it was reduced by) and AAP (vedtak periods,
meldekort), in bokmål or English. The raw JSON stays one click away on the page.

The fields are NAV's (NAV, «Uføreopplysninger»; the AAP API's ``vedtaksliste`` and
``meldekortliste``, whose codes carry NAV's own Norwegian ``termnavn``). Nothing delivered is
trusted to be well formed: a missing or odd value reads as "ikke oppgitt" / "not stated"."""

from __future__ import annotations

from datetime import date

UFORE_STATUS = {
    "nb": {
        "IKKE_SOKT": "har ikke søkt om uføretrygd",
        "AVSLAG": "har fått avslag på søknaden om uføretrygd",
        "KLAGE_PA_AVSLAG": "har fått avslag på uføretrygd, og en klage behandles",
        "REKONSTRUKSJON": "har en sak om uføretrygd som NAV bygger opp på nytt (prøv igjen senere)",
        "LOPENDE": "har løpende uføretrygd",
        "OPPHORT": "har hatt uføretrygd som er opphørt",
        "UNDER_BEHANDLING": "har en søknad om uføretrygd under behandling",
        "UKJENT_STATUS": "har ukjent status for uføretrygd",
        "EKSPORT": "har uføretrygd eksportert til utlandet",
    },
    "en": {
        "IKKE_SOKT": "has not applied for disability benefit",
        "AVSLAG": "was refused disability benefit",
        "KLAGE_PA_AVSLAG": "was refused disability benefit, and an appeal is being handled",
        "REKONSTRUKSJON": "has a disability case NAV is rebuilding (try again later)",
        "LOPENDE": "receives disability benefit (running)",
        "OPPHORT": "received disability benefit, now ended",
        "UNDER_BEHANDLING": "has an application for disability benefit being handled",
        "UKJENT_STATUS": "has an unknown disability benefit status",
        "EKSPORT": "receives disability benefit exported abroad",
    },
}

TEXTS = {
    "nb": {
        "not_stated": "ikke oppgitt",
        "running": "løpende",
        "ufore_heading": "Uføretrygd",
        "ufore_status": "{name} {status}.",
        "ufore_first": "Første virkningstidspunkt: {date}.",
        "ufore_none": "NAV har ingen beregningsperioder for uføretrygd i perioden samtykket gjelder.",
        "ufore_period": "Fra {fom} til {tom}: uføregrad {grade}.",
        "ufore_reduced": "Inntekt brukt i avkortingen: {amount}.",
        "ufore_appeal": "En klage behandles.",
        "period": "Periode",
        "grade": "Uføregrad",
        "ufore_date": "Uføretidspunkt",
        "ifu": "Inntekt før uførhet (IFU)",
        "reduced_by": "Inntekt brukt i avkortingen",
        "assessed": "Ferdiglignet inntekt",
        "appeal": "Klagebehandles",
        "yes": "ja",
        "no": "nei",
        "aap_heading": "Arbeidsavklaringspenger (AAP): vedtak",
        "aap_none": "NAV har ingen vedtak om arbeidsavklaringspenger i perioden samtykket gjelder.",
        "aap_count": "{name} har {count} vedtak om arbeidsavklaringspenger i perioden samtykket gjelder.",
        "vedtak_id": "Vedtak",
        "vedtakstype": "Vedtakstype",
        "rettighetstype": "Rettighet",
        "status": "Status",
        "utfall": "Utfall",
        "aktivitetsfase": "Aktivitetsfase",
        "meldekort_heading": "Arbeidsavklaringspenger (AAP): meldekort",
        "meldekort_none": "NAV har ingen meldekort i perioden samtykket gjelder.",
        "meldekort_count": "{count} meldekort, til sammen {hours} arbeidet.",
        "meldekort_id": "Meldekort",
        "hours": "Timer arbeidet",
        "asked": "NAV svarte for perioden {fom}–{tom}.",
        "hours_unit": "{hours} timer",
        "kroner": "{amount} kr",
    },
    "en": {
        "not_stated": "not stated",
        "running": "running",
        "ufore_heading": "Disability benefit (uføretrygd)",
        "ufore_status": "{name} {status}.",
        "ufore_first": "First effective date: {date}.",
        "ufore_none": "NAV has no disability benefit periods within the consent's period.",
        "ufore_period": "From {fom} to {tom}: disability grade {grade}.",
        "ufore_reduced": "Income the benefit was reduced by: {amount}.",
        "ufore_appeal": "An appeal is being handled.",
        "period": "Period",
        "grade": "Disability grade",
        "ufore_date": "Date of disability",
        "ifu": "Income before disability (IFU)",
        "reduced_by": "Income the benefit was reduced by",
        "assessed": "Assessed income",
        "appeal": "Under appeal",
        "yes": "yes",
        "no": "no",
        "aap_heading": "Work assessment allowance (AAP): decisions (vedtak)",
        "aap_none": "NAV has no work assessment allowance decisions within the consent's period.",
        "aap_count": "{name} has {count} work assessment allowance decision(s) within the consent's period.",
        "vedtak_id": "Decision",
        "vedtakstype": "Type",
        "rettighetstype": "Entitlement",
        "status": "Status",
        "utfall": "Outcome",
        "aktivitetsfase": "Activity phase",
        "meldekort_heading": "Work assessment allowance (AAP): employment status cards (meldekort)",
        "meldekort_none": "NAV has no employment status cards within the consent's period.",
        "meldekort_count": "{count} card(s), {hours} worked in all.",
        "meldekort_id": "Card",
        "hours": "Hours worked",
        "asked": "NAV answered for {fom}–{tom}.",
        "hours_unit": "{hours} hours",
        "kroner": "NOK {amount}",
    },
}


#: Each table's columns: the keys of its rows, which are also the keys of their headings in TEXTS.
UFORE_COLUMNS = ("period", "grade", "ufore_date", "ifu", "reduced_by", "assessed", "appeal")
VEDTAK_COLUMNS = ("period", "vedtakstype", "rettighetstype", "status", "utfall", "aktivitetsfase", "vedtak_id")
MELDEKORT_COLUMNS = ("period", "hours", "meldekort_id")


def table(heading: str, sentences: list[str], rows: list[dict], t: dict, columns, numeric=()) -> dict:
    """A section: its heading, its sentences, and its table (headings, then rows of cells)."""
    return {
        "heading": heading,
        "sentences": sentences,
        "columns": [t[c] for c in columns],
        "rows": [[{"text": row[c], "numeric": c in numeric} for c in columns] for row in rows],
    }


def texts_for(lang: str) -> dict:
    return TEXTS["en" if lang == "en" else "nb"]


def day(value, t: dict) -> str:
    """``2024-01-31`` as ``31.01.2024``; anything else as it is, or "not stated"."""
    if not isinstance(value, str) or not value:
        return t["not_stated"]
    try:
        return date.fromisoformat(value).strftime("%d.%m.%Y")
    except ValueError:
        return value


def period(fom, tom, t: dict) -> str:
    return f"{day(fom, t)}–{day(tom, t) if tom else t['running']}"


def number(value, lang: str) -> str:
    """12 345 (bokmål: a space between thousands, decimal comma) or 12,345 (English)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return ""
    text = f"{value:,.2f}".rstrip("0").rstrip(".") if isinstance(value, float) else f"{value:,}"
    return text.replace(",", "\u00a0").replace(".", ",") if lang != "en" else text


def kroner(value, lang: str, t: dict) -> str:
    return t["kroner"].format(amount=number(value, lang)) if number(value, lang) else t["not_stated"]


def percent(value, lang: str, t: dict) -> str:
    return f"{number(value, lang)}\u00a0%" if number(value, lang) else t["not_stated"]


def term(code) -> str:
    """A coded AAP field as NAV names it (``termnavn``), else its ``kode``."""
    if isinstance(code, dict):
        return str(code.get("termnavn") or code.get("kode") or "")
    return str(code or "")


def _items(block, key: str) -> list[dict]:
    values = block.get(key) if isinstance(block, dict) else None
    return [v for v in values if isinstance(v, dict)] if isinstance(values, list) else []


def ufore(block, name: str, lang: str) -> dict | None:
    if not isinstance(block, dict):
        return None
    t = texts_for(lang)
    status = block.get("status")
    sentences = [
        t["ufore_status"].format(name=name, status=UFORE_STATUS[lang if lang == "en" else "nb"].get(status, status))
    ]
    if block.get("forsteVirkningstidspunkt"):
        sentences.append(t["ufore_first"].format(date=day(block["forsteVirkningstidspunkt"], t)))
    rows = []
    for item in _items(block, "beregningsperioder"):
        reduced = item.get("inntektBruktIAvkortingen")
        rows.append(
            {
                "period": period(item.get("fom"), item.get("tom"), t),
                "grade": percent(item.get("uforegrad"), lang, t),
                "ufore_date": day(item.get("uforetidspunkt"), t),
                "ifu": kroner(item.get("ifu"), lang, t),
                "reduced_by": kroner(reduced, lang, t) if reduced is not None else "–",
                "assessed": kroner(item["ferdiglignetInntekt"], lang, t) if "ferdiglignetInntekt" in item else "–",
                "appeal": t["yes"] if item.get("klagebehandles") else t["no"],
            }
        )
        sentence = t["ufore_period"].format(
            fom=day(item.get("fom"), t),
            tom=day(item.get("tom"), t) if item.get("tom") else t["running"],
            grade=percent(item.get("uforegrad"), lang, t),
        )
        if reduced is not None:
            sentence += " " + t["ufore_reduced"].format(amount=kroner(reduced, lang, t))
        if item.get("klagebehandles"):
            sentence += " " + t["ufore_appeal"]
        sentences.append(sentence)
    if not rows:
        sentences.append(t["ufore_none"])
    return table(
        t["ufore_heading"], sentences, rows, t, UFORE_COLUMNS, numeric=("grade", "ifu", "reduced_by", "assessed")
    )


def asked(block, t: dict) -> str | None:
    span = block.get("uttrekksperiode") if isinstance(block, dict) else None
    if not isinstance(span, dict):
        return None
    return t["asked"].format(fom=day(span.get("fraDato"), t), tom=day(span.get("tilDato"), t))


def vedtak(block, name: str, lang: str) -> dict | None:
    if not isinstance(block, dict):
        return None
    t = texts_for(lang)
    rows = []
    for item in _items(block, "vedtaksliste"):
        span = item.get("virkningsperiode") if isinstance(item.get("virkningsperiode"), dict) else {}
        rows.append(
            {
                "vedtak_id": str(item.get("vedtakId") or ""),
                "period": period(span.get("fraDato"), span.get("tilDato"), t),
                "vedtakstype": " – ".join(
                    x for x in (term(item.get("vedtakstype")), term(item.get("vedtaksvariant"))) if x
                ),
                "rettighetstype": term(item.get("rettighetstype")),
                "status": term(item.get("vedtakstatus")),
                "utfall": term(item.get("utfall")),
                "aktivitetsfase": term(item.get("aktivitetsfase")),
            }
        )
    sentences = [t["aap_count"].format(name=name, count=len(rows)) if rows else t["aap_none"]]
    if asked(block, t):
        sentences.append(asked(block, t))
    return table(t["aap_heading"], sentences, rows, t, VEDTAK_COLUMNS)


def meldekort(block, lang: str) -> dict | None:
    if not isinstance(block, dict):
        return None
    t = texts_for(lang)
    rows, total = [], 0.0
    for item in _items(block, "meldekortliste"):
        span = item.get("periode") if isinstance(item.get("periode"), dict) else {}
        hours = item.get("antallTimerArbeidet")
        if isinstance(hours, (int, float)) and not isinstance(hours, bool):
            total += hours
        rows.append(
            {
                "meldekort_id": str(item.get("meldekortId") or ""),
                "period": period(span.get("fraDato"), span.get("tilDato"), t),
                "hours": number(hours, lang) or t["not_stated"],
            }
        )
    if rows:
        hours = t["hours_unit"].format(hours=number(round(total, 2), lang))
        sentences = [t["meldekort_count"].format(count=len(rows), hours=hours)]
    else:
        sentences = [t["meldekort_none"]]
    if asked(block, t):
        sentences.append(asked(block, t))
    return table(t["meldekort_heading"], sentences, rows, t, MELDEKORT_COLUMNS, numeric=("hours",))


def sections(data, name: str, lang: str) -> list[dict]:
    """The readable sections of what NAV delivered (``{"uforeopplysninger", "vedtak", "meldekort"}``),
    each ``{"kind", "heading", "sentences", "columns", "rows"}``; a section NAV did not deliver is left out."""
    if not isinstance(data, dict):
        return []
    made = [
        ("ufore", ufore(data.get("uforeopplysninger"), name, lang)),
        ("vedtak", vedtak(data.get("vedtak"), name, lang)),
        ("meldekort", meldekort(data.get("meldekort"), lang)),
    ]
    return [{"kind": kind, **section} for kind, section in made if section is not None]
