"""The formats a resource owner documents for its consent metadata (the sandbox's resource field
``sandbox.metadataFormats``; Altinn itself checks only that every key is there and non-empty).

NAV documents ``fraogmed``/``tilogmed`` as ``dd.MM.yyyy`` (NAV, «Uføreopplysninger»,
https://navikt.github.io/pensjon-ekstern-api/api/uforeopplysninger/uforeopplysninger.html);
Skatteetaten's income resources use ``yyyy-MM`` periods and ``yyyy`` income years (Skatteetaten,
«Samtykke», https://github.com/Skatteetaten/api-dokumentasjon/blob/HEAD/docs/om/samtykke.md).
"""

from __future__ import annotations

import re
from datetime import date, datetime


def _day(value: str) -> date:
    if not re.fullmatch(r"\d{2}\.\d{2}\.\d{4}", value):
        raise ValueError("use dd.MM.yyyy")
    return datetime.strptime(value, "%d.%m.%Y").date()


def _month(value: str) -> date:
    if not re.fullmatch(r"\d{4}-\d{2}", value):
        raise ValueError("use yyyy-MM")
    return datetime.strptime(value, "%Y-%m").date()


def _year(value: str) -> date:
    if not re.fullmatch(r"\d{4}", value) or value == "0000":
        raise ValueError("use yyyy")
    return date(int(value), 1, 1)


def _text(value: str) -> str:
    if len(value) > 200:
        raise ValueError("at most 200 characters")
    return value


#: format name -> parser (raises ValueError; the value it returns orders a period's two ends)
FORMATS = {"dd.MM.yyyy": _day, "yyyy-MM": _month, "yyyy": _year, "text": _text}


def parse(format_name: str, value: str):
    """The value read in ``format_name``; ValueError saying what is wrong."""
    return FORMATS[format_name](value)
