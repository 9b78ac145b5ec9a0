"""The consent services ("lenketjenester") this Altinn knows, as their service owners set them up.

Each service has its code, the editions that exist, the metadata its consent template needs (all
declared keys present and non-empty, Altinn 20.11; unknown keys refused), the longest consent the
owner allows, whether consents are one-time ("Tillat bare engangssamtykker"), and the template
that renders its consent text (``templates/services/<template>.html``). Services with different
templates cannot be asked for in one request.

NAV's "Syke- og uføreopplysninger" (5252) is the sandbox's reason to exist and the default; the
Skatteetaten income services are the second example, as in Altinn's own documentation
(Altinn, «Samtykke», https://altinn.github.io/docs/utviklingsguider/samtykke/; DSOP, «Syke- og
uføreopplysninger fra NAV», https://dokumentasjon.dsop.no/dsop_su_om.html).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime

NAV_ORG = "889640782"
SKATTEETATEN_ORG = "974761076"


@dataclass(frozen=True)
class MetadataField:
    name: str
    pattern: str  # strftime-like description shown in errors
    parse: object  # callable(str) -> value, raising ValueError
    optional: bool = False


def _date_ddmmyyyy(value: str) -> date:
    if not re.fullmatch(r"\d{2}\.\d{2}\.\d{4}", value):
        raise ValueError("use dd.MM.yyyy")
    return datetime.strptime(value, "%d.%m.%Y").date()


def _year_month(value: str) -> date:
    if not re.fullmatch(r"\d{4}-\d{2}", value):
        raise ValueError("use yyyy-MM")
    return datetime.strptime(value, "%Y-%m").date()


def _year(value: str) -> int:
    if not re.fullmatch(r"\d{4}", value):
        raise ValueError("use yyyy")
    return int(value)


def _text(value: str) -> str:
    if len(value) > 200:
        raise ValueError("at most 200 characters")
    return value


@dataclass(frozen=True)
class Service:
    code: str
    editions: tuple[int, ...]
    title: str
    owner_org: str
    owner_name: str
    template: str
    metadata: tuple[MetadataField, ...]
    max_validity: str  # ISO 8601 duration from the time of the request
    covers: tuple[str, ...]  # what the citizen is told the consent covers
    one_time: bool = False
    period: tuple[str, str] | None = None  # metadata keys bounding the data period, if any
    allows_request_message: bool = True
    notes: tuple[str, ...] = field(default=())

    def key(self, edition: int) -> str:
        return f"{self.code}_{edition}"

    def field(self, name: str) -> MetadataField | None:
        for item in self.metadata:
            if item.name.lower() == name.lower():
                return item
        return None


SERVICES: dict[str, Service] = {
    "5252": Service(
        code="5252",
        editions=(1, 2, 3),
        title="Syke- og uføreopplysninger fra NAV",
        owner_org=NAV_ORG,
        owner_name="Arbeids- og velferdsetaten (NAV)",
        template="nav_5252",
        metadata=(
            MetadataField("fraOgMed", "dd.MM.yyyy", _date_ddmmyyyy),
            MetadataField("tilOgMed", "dd.MM.yyyy", _date_ddmmyyyy),
            MetadataField("Navn", "text", _text, optional=True),
        ),
        max_validity="P3Y",
        covers=(
            "Arbeidsavklaringspenger (AAP): vedtak og meldekort",
            "Uføretrygd: vedtak, uføregrad og inntekt før og etter uførhet",
        ),
        period=("fraOgMed", "tilOgMed"),
        notes=("AAP accepts editions 1 and up, uføretrygd 2 and up; DSOP onboarding uses 5252_2.",),
    ),
    "4628": Service(
        code="4628",
        editions=(1, 210607),
        title="Skattegrunnlag fra Skatteetaten",
        owner_org=SKATTEETATEN_ORG,
        owner_name="Skatteetaten",
        template="skatteetaten_income",
        metadata=(MetadataField("inntektsaar", "yyyy", _year),),
        max_validity="P10D",
        covers=("Skattegrunnlag (skattemelding og skatteoppgjør) for det oppgitte inntektsåret",),
    ),
    "4804": Service(
        code="4804",
        editions=(210607,),
        title="Inntektsopplysninger fra a-ordningen (Skatteetaten)",
        owner_org=SKATTEETATEN_ORG,
        owner_name="Skatteetaten",
        template="skatteetaten_income",
        metadata=(MetadataField("fraOgMed", "yyyy-MM", _year_month), MetadataField("tilOgMed", "yyyy-MM", _year_month)),
        max_validity="P10D",
        covers=("Inntekt rapportert av arbeidsgivere i a-ordningen for den oppgitte perioden",),
        period=("fraOgMed", "tilOgMed"),
    ),
}

DEFAULT_SERVICE = "5252"


def find(code, edition) -> Service | None:
    """The service for ``code`` if ``edition`` exists (both as Altinn sends them: strings or numbers)."""
    service = SERVICES.get(str(code))
    try:
        edition_number = int(edition)
    except (TypeError, ValueError):
        return None
    if service is None or edition_number not in service.editions:
        return None
    return service
