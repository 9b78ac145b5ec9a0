"""What the innsyn shows of a sporingslogg entry: Norwegian times, tema names, the recipient's name,
the consent and its generation, and the request that was answered.

An Altinn 2 consent is read from its token, decoded without checking its signature: NAV checked it
(signature, issuer, lifetime, parties) when it delivered the data, and an expired token must still
be readable here. An Altinn 3 consent is read from the consent facts the entry kept from the
Maskinporten token (``consentDetails``). Nothing in an entry is trusted to be well formed: a missing
or odd value shows as "ukjent" ("unknown"), never as an error.

Each row names what was delivered, not only the tema: AAP's vedtak and its meldekort are both tema
AAP, and are told apart by the API that was asked (``dataForespoersel.path``). Texts come in the
page's language (:mod:`.texts`); times are Norwegian, and the pages say so.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import re
from collections import OrderedDict
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from dsop_sandbox.mocks.common.clock import parse_time

from ..altinn3_consent import RESOURCE
from ..consent import ALTINN3, GENERATIONS
from ..runtime import Nav
from .texts import texts_for

OSLO = ZoneInfo("Europe/Oslo")
#: The Altinn services and resources whose titles the page knows (the title is in :mod:`.texts`).
KNOWN_SERVICES = ("5252",)
KNOWN_RESOURCES = (RESOURCE,)
GENERATION_NAMES = {"altinn2": "Altinn 2", "altinn3": "Altinn 3"}
_METADATA = re.compile(r"^(\d+)_(\d+)_([A-Za-z]+)=(.*)$")
_SERVICE = re.compile(r"^(\d+)_(\d+)$")


# -- times ----------------------------------------------------------------------------------------------
def oslo(utc_text: str | None) -> datetime | None:
    try:
        return parse_time(utc_text).astimezone(OSLO) if utc_text else None
    except (ValueError, TypeError):
        return None


def norwegian(moment: datetime | None, t: dict) -> str:
    """``dd.mm.åååå kl. HH:MM`` (``… at HH:MM``) in Norwegian time."""
    if moment is None:
        return t["unknown"]
    local = moment.astimezone(OSLO)
    return f"{local:%d.%m.%Y} {t['at']} {local:%H:%M}"


def local_iso(utc_text: str) -> str | None:
    """Sporingslogg's ``uthentingsTidspunkt``: Norwegian local time without a zone (docs/nav.md)."""
    moment = oslo(utc_text)
    return moment.strftime("%Y-%m-%dT%H:%M:%S") if moment else None


def from_epoch(value) -> datetime | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return None
    try:
        return datetime.fromtimestamp(value, UTC)
    except (OverflowError, OSError, ValueError):
        return None


def iso_date(text: str | None) -> str | None:
    """``2024-01-31`` as ``31.01.2024``; None when it is not an ISO date."""
    try:
        return date.fromisoformat(text).strftime("%d.%m.%Y") if text else None
    except (TypeError, ValueError):
        return None


# -- parties and tema ---------------------------------------------------------------------------------------
def tema_name(code: str, lang: str = "nb") -> str:
    """NAV's kodeverk Tema, for the temas the DSOP APIs log."""
    return texts_for(lang)["tema_names"].get(code, code)


def mottaker_name(service: Nav, org: str | None) -> str | None:
    """The insurer's registered name on NAV's access list (NAV looks it up in Enhetsregisteret)."""
    listed = service.access_list.get(org) if org else None
    name = (listed or {}).get("name")
    return name if isinstance(name, str) and name.strip() else None


def person_name(service: Nav, pid: str) -> str | None:
    """The citizen's name, from the persons NAV knows."""
    found = service.person(pid)
    return found.name if found is not None else None


# -- the consent token ---------------------------------------------------------------------------------------
def token_claims(token: str | None) -> dict:
    """The JWT's payload, unverified (see the module text); {} when it cannot be read."""
    if not isinstance(token, str) or token.count(".") != 2:
        return {}
    part = token.split(".")[1]
    try:
        claims = json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
    except (ValueError, binascii.Error, UnicodeDecodeError):
        return {}
    return claims if isinstance(claims, dict) else {}


def consent_of(entry: dict, t: dict) -> dict:
    """The consent an entry was delivered under, as the page shows it."""
    generation = entry.get("consentGeneration")
    if generation not in GENERATIONS:
        generation = "altinn2" if entry.get("samtykkeToken") else None
    shown = altinn3_consent_of(entry, t) if generation == ALTINN3 else altinn2_consent_of(entry, t)
    shown["generation"] = GENERATION_NAMES.get(generation, t["unknown"])
    code = shown["code"]
    if generation == ALTINN3:
        shown["label"] = t["altinn3_label"].format(code=code or t["unknown"])
    else:
        shown["label"] = f"Altinn 2 ({code})" if code else "Altinn 2"
    return shown


def altinn2_consent_of(entry: dict, t: dict) -> dict:
    """An Altinn 2 consent, from the consent token the entry kept."""
    claims = token_claims(entry.get("samtykkeToken"))
    services = claims.get("Services")
    services = [services] if isinstance(services, str) else services if isinstance(services, list) else []
    names: list[str] = []
    metadata: dict[tuple[str, str], dict[str, str]] = {}
    for item in services:
        if not isinstance(item, str):
            continue
        if (match := _SERVICE.match(item)) is not None:
            code, edition = match.groups()
            title = t["service_title"] if code in KNOWN_SERVICES else t["service_code"].format(code=code)
            names.append(t["service_named"].format(title=title, code=code, edition=edition))
        elif (match := _METADATA.match(item)) is not None:
            code, edition, key, value = match.groups()
            metadata.setdefault((code, edition), {})[key.lower()] = value
    period = None
    for values in metadata.values():
        if values.get("fraogmed") and values.get("tilogmed"):
            period = f"{values['fraogmed']}–{values['tilogmed']}"
            break
    code = claims.get("AuthorizationCode") or entry.get("authorizationCode")
    return {
        "code": code if isinstance(code, str) else None,
        "services": names,
        "period": period,
        "given": norwegian(from_epoch(claims.get("DelegatedDate")), t) if "DelegatedDate" in claims else None,
        "valid_to": norwegian(from_epoch(claims.get("ValidToDate")), t) if "ValidToDate" in claims else None,
        "readable": bool(claims),
    }


def _text(value) -> str | None:
    return value if isinstance(value, str) and value else None


def altinn3_consent_of(entry: dict, t: dict) -> dict:
    """An Altinn 3 consent, from the facts the entry kept of the token's ``authorization_details``."""
    details = entry.get("consentDetails") if isinstance(entry.get("consentDetails"), dict) else {}
    rights = details.get("consentRights") if isinstance(details.get("consentRights"), list) else []
    names: list[str] = []
    period = None
    for right in rights:
        if not isinstance(right, dict):
            continue
        resources = right.get("resource") if isinstance(right.get("resource"), list) else []
        for resource in resources:
            value = _text(resource.get("value")) if isinstance(resource, dict) else None
            if value:
                title = t["service_title"] if value in KNOWN_RESOURCES else t["resource"]
                names.append(t["resource_named"].format(title=title, value=value))
        metadata = {}
        for key, container in right.items():
            if isinstance(key, str) and key.lower() == "metadata" and isinstance(container, dict):
                metadata.update({str(k).lower(): v for k, v in container.items()})
        if period is None and _text(metadata.get("fraogmed")) and _text(metadata.get("tilogmed")):
            period = f"{metadata['fraogmed']}–{metadata['tilogmed']}"
    code = _text(details.get("id")) or _text(entry.get("consentId"))
    return {
        "code": code,
        "services": names,
        "period": period,
        "given": norwegian(oslo(details["consented"]), t) if _text(details.get("consented")) else None,
        "valid_to": norwegian(oslo(details["validTo"]), t) if _text(details.get("validTo")) else None,
        "readable": bool(details),
    }


# -- the request -------------------------------------------------------------------------------------------------
def asked(entry: dict) -> tuple[str | None, dict, str]:
    """The path, query and method of the request that was answered."""
    request = entry.get("dataForespoersel") if isinstance(entry.get("dataForespoersel"), dict) else {}
    path = request.get("path") if isinstance(request.get("path"), str) else None
    query = request.get("query") if isinstance(request.get("query"), dict) else {}
    return path, query, str(request.get("method", "GET"))


def kind_of(service: Nav, entry: dict) -> str | None:
    """``ufore``, ``vedtak`` or ``meldekort``: which DSOP API delivered the entry (None: another)."""
    paths = service.settings.nav
    path = asked(entry)[0] or ""
    return {paths.ufore_path: "ufore", paths.aap_vedtak_path: "vedtak", paths.aap_meldekort_path: "meldekort"}.get(path)


def request_of(service: Nav, entry: dict, consent: dict, t: dict) -> dict:
    path, query, method = asked(entry)
    fom, tom = iso_date(query.get("fomDato")), iso_date(query.get("tomDato"))
    if fom or tom:
        period = f"{fom or t['consent_start']}–{tom or t['consent_end']}"
    else:
        period = t["whole_period"] + (f" ({consent['period']})" if consent.get("period") else "")
    kind = kind_of(service, entry)
    return {
        "api": t["apis"][kind] if kind else path or t["unknown"],
        "call": f"{method} {path}" if path else None,
        "period": period,
    }


def delivered_json(entry: dict) -> bytes:
    """The JSON exactly as it was delivered (decoded from ``leverteData``)."""
    return base64.b64decode(entry["leverteData"])


def pretty_json(entry: dict) -> str:
    raw = delivered_json(entry)
    try:
        return json.dumps(json.loads(raw), ensure_ascii=False, indent=2)
    except (ValueError, RecursionError):  # not JSON, or nested too deep to parse: shown as it came
        return raw.decode("utf-8", "replace")


# -- rows --------------------------------------------------------------------------------------------------------
def row(service: Nav, entry: dict, lang: str) -> dict:
    t = texts_for(lang)
    moment = oslo(entry["uthentingsTidspunkt"])
    kind = kind_of(service, entry)
    tema = tema_name(entry["tema"], lang)
    return {
        "id": entry["id"],
        "when": norwegian(moment, t),
        "year": moment.year if moment else None,
        "mottaker": entry["mottaker"],
        "mottakernavn": mottaker_name(service, entry["mottaker"]),
        "tema": tema,
        "tema_code": entry["tema"],
        "kind": kind,
        # AAP's two APIs share a tema: the row says which of them delivered
        "what": f"{tema}: {t['kinds'][kind]}" if kind in ("vedtak", "meldekort") else tema,
    }


def by_year(rows: list[dict]) -> list[tuple[int | None, list[dict]]]:
    """Rows (already newest first) grouped by their Norwegian year, newest year first."""
    groups: OrderedDict[int | None, list[dict]] = OrderedDict()
    for item in rows:
        groups.setdefault(item["year"], []).append(item)
    return sorted(groups.items(), key=lambda pair: pair[0] if pair[0] is not None else -1, reverse=True)


def detail(service: Nav, entry: dict, lang: str) -> dict:
    t = texts_for(lang)
    consent = consent_of(entry, t)
    return {
        **row(service, entry, lang),
        "grunnlag": entry.get("behandlingsGrunnlag") or t["unknown"],
        "person": entry["person"],
        "leverandoer": entry.get("leverandoer"),
        "leverandoernavn": mottaker_name(service, entry.get("leverandoer")),
        "consent": consent,
        "request": request_of(service, entry, consent, t),
        "data": pretty_json(entry),
    }


def bff_item(service: Nav, entry: dict) -> dict:
    """One entry as ``GET /person/dsop-api/get`` answers it (navikt/dsop-api's SporingsloggOutbound)."""
    return {
        "tema": tema_name(entry["tema"]),
        "uthentingsTidspunkt": local_iso(entry["uthentingsTidspunkt"]),
        "mottaker": entry["mottaker"],
        "mottakernavn": mottaker_name(service, entry["mottaker"]),
        "leverteData": entry["leverteData"],
        "samtykkeToken": entry["samtykkeToken"],
    }
