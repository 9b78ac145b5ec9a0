"""NAV's code lists for the DSOP data, in one place for the personas, the NAV fake and the tests.

The Arena code lists (docs/nav.md, «Code lists and what is returned») are ``{kode: termnavn}``: the
AAP API answers every code as ``{"kode": ..., "termnavn": ...}`` (see ``code``). ``UFORE_STATUS`` is
the uføre API's ``status`` enum (NAV, «Uføreopplysninger») with what each value means.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from types import MappingProxyType

__all__ = [
    "AKTIVITETSFASE",
    "AVSLAG",
    "CODE_LISTS",
    "EARLIEST_AAP_DATA",
    "EKSPORT",
    "IKKE_SOKT",
    "KLAGE_PA_AVSLAG",
    "LOPENDE",
    "MONEY_RETTIGHETSTYPE",
    "OPPHORT",
    "PARAGRAPH_11_5",
    "REKONSTRUKSJON",
    "RETTIGHETSTYPE",
    "RETURNED_VEDTAKSTATUS",
    "STANS",
    "UFORE_STATUS",
    "UKJENT_STATUS",
    "UNDER_BEHANDLING",
    "UTFALL",
    "VEDTAKSTATUS",
    "VEDTAKSTYPE",
    "VEDTAKSVARIANT",
    "code",
    "variant_fits_type",
]


def _frozen(table: dict[str, str]) -> Mapping[str, str]:
    return MappingProxyType(table)


#: Vedtakstype (Arena VEDTAKTYPE).
VEDTAKSTYPE: Mapping[str, str] = _frozen(
    {
        "O": "Ny rettighet",
        "E": "Endring",
        "G": "Gjenopptak",
        "S": "Stans",
        "T": "Tidsbegrenset bortfall",
        "A": "Reaksjon",
        "K": "Kontroll",
        "M": "Omgjør reaksjon",
        "N": "Annuller sanksjon",
    }
)

#: Vedtaksvariant (Arena BREV_TEKSTVARIANT); the prefix before ``_`` is the vedtakstype.
VEDTAKSVARIANT: Mapping[str, str] = _frozen(
    {
        "O_INNV_SOKNAD": "Innvilgelse av søknad",
        "O_INNV_NAV": "Innvilgelse (generell)",
        "O_AVSLAG": "Avslag på søknad",
        "E_VERDI": "Endring",
        "E_FORLENGE": "Forlengelse",
        "G_INNV_SOKNAD": "Innvilgelse av søknad om gjenopptak",
        "G_INNV_NAV": "Gjenopptak (av andre grunner enn etter søknad)",
        "G_AVSLAG": "Avslag på søknad om gjenopptak",
        "S_STANS": "Stans",
        "S_OPPHOR": "Opphør (Endelig avslag)",
        "S_DOD": "Stans ved dødsfall",
        "T_SANKSJON": "Tidsbegrenset bortfall",
    }
)

#: Vedtakstatus. DSOP returns only ``RETURNED_VEDTAKSTATUS``.
VEDTAKSTATUS: Mapping[str, str] = _frozen(
    {
        "IVERK": "Iverksatt",
        "AVSLU": "Avsluttet",
        "GODKJ": "Godkjent",
        "INNST": "Innstilt",
        "MOTAT": "Mottatt",
        "OPPRE": "Opprettet",
        "REGIS": "Registrert",
        "KONT": "Etter kontroll",
    }
)

RETTIGHETSTYPE: Mapping[str, str] = _frozen(
    {
        "AAP": "Arbeidsavklaringspenger",
        "AA115": "§11-5 nedsatt arbeidsevne",
        "AA116": "§11-6 behov for bistand",
        "AAUNGUFOR": "Ung ufør",
        "FRI_MK_AAP": "Fritak fra å sende meldekort AAP",
    }
)

UTFALL: Mapping[str, str] = _frozen(
    {
        "JA": "Ja",
        "NEI": "Nei",
        "AVBRUTT": "Avbrutt / Ikke behandlet",
    }
)

AKTIVITETSFASE: Mapping[str, str] = _frozen(
    {
        "UA": "Under arbeidsavklaring",
        "SPE": "Sykepengeerstatning",
        "AU": "Arbeidsutprøving",
        "FA": "Ferdig avklart",
        "UVUP": "Vurdering for uføre",
        "IKKE": "Ikke spesif. aktivitetsfase",
    }
)

#: Each coded field of a vedtak and its code list (the field names of ``dsop_sandbox.people.personas.Vedtak``).
CODE_LISTS: Mapping[str, Mapping[str, str]] = _frozen(
    {
        "vedtakstype": VEDTAKSTYPE,
        "vedtaksvariant": VEDTAKSVARIANT,
        "vedtakstatus": VEDTAKSTATUS,
        "rettighetstype": RETTIGHETSTYPE,
        "utfall": UTFALL,
        "aktivitetsfase": AKTIVITETSFASE,
    }
)

#: Only iverksatte (løpende) and avsluttede vedtak are returned (docs/nav.md).
RETURNED_VEDTAKSTATUS = ("IVERK", "AVSLU")
#: The rettighetstype of the vedtak that grant money (the §11-5 vedtak runs alongside them).
MONEY_RETTIGHETSTYPE = "AAP"
PARAGRAPH_11_5 = "AA115"
#: Vedtakstype «S»: with utfall «JA» it means the benefit was stopped, not granted.
STANS = "S"
#: The earliest AAP vedtak or meldekort data the API ever returns.
EARLIEST_AAP_DATA = date(2010, 3, 1)

IKKE_SOKT = "IKKE_SOKT"
AVSLAG = "AVSLAG"
KLAGE_PA_AVSLAG = "KLAGE_PA_AVSLAG"
REKONSTRUKSJON = "REKONSTRUKSJON"
LOPENDE = "LOPENDE"
OPPHORT = "OPPHORT"
UNDER_BEHANDLING = "UNDER_BEHANDLING"
UKJENT_STATUS = "UKJENT_STATUS"
EKSPORT = "EKSPORT"

#: The uføre API's ``status`` enum (in the schema's order) and what each value means.
UFORE_STATUS: Mapping[str, str] = _frozen(
    {
        IKKE_SOKT: "Ikke søkt: ingen søknad mottatt (også når personen er ukjent i fagsystemet)",
        AVSLAG: "Avslag: søknaden er avslått (ikke en endringssøknad)",
        KLAGE_PA_AVSLAG: "Klage på avslag: søknaden er avslått og en klage behandles",
        REKONSTRUKSJON: "Rekonstruksjon: saken bygges opp på nytt; ingen historikk vises, prøv igjen senere",
        LOPENDE: "Løpende: minst ett vedtak uten tom-dato",
        OPPHORT: "Opphørt: alle vedtak har tom-dato",
        UNDER_BEHANDLING: "Under behandling: åpent krav som ikke er rekonstruksjon eller klage",
        UKJENT_STATUS: "Ukjent status",
        EKSPORT: "Eksport: flyttet utenlands, eksport innvilget",
    }
)


def code(table: Mapping[str, str], kode: str) -> dict:
    """``{"kode", "termnavn"}`` as the AAP API answers a code; KeyError for a code not in ``table``."""
    return {"kode": kode, "termnavn": table[kode]}


def variant_fits_type(vedtaksvariant: str, vedtakstype: str) -> bool:
    """A vedtaksvariant belongs to the vedtakstype its prefix names (``S_STANS`` to ``S``)."""
    return vedtaksvariant.split("_", 1)[0] == vedtakstype
