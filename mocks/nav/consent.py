"""Checking an Altinn 2 consent token the way NAV does (nav-api.md §2.2, §2.4).

The token comes in ``NAV-Samtykke-Token`` as the bare JWT. It must be RS256-signed by a key in
Altinn's published JWKS, issued by ``altinn.no``, inside ``nbf``/``exp`` (protocol time), with a
``ValidToDate`` still ahead (calendar time: moving the sandbox calendar past it expires the
consent), ``Services`` holding ``5252_X`` for an edition the API accepts (AAP 1 and up, uføre 2
and up), ``CoveredBy`` equal to the org of the Maskinporten token's ``consumer``, ``OfferedBy``
equal to the person asked about, and the consent period in the ``fraOgMed``/``tilOgMed`` metadata
(``dd.MM.yyyy``). Any failure is 403 ``SAMTYKKE_IKKE_GITT``.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import date, datetime

from dsop_sandbox.mocks.common.clock import Clock
from dsop_sandbox.mocks.common.events import annotate
from dsop_sandbox.mocks.common.remote_keys import KeysUnavailable, RemoteKeys, TokenError, verify_jwt

from . import errors as E

SERVICE_CODE = "5252"
_SERVICE = re.compile(rf"^{SERVICE_CODE}_(\d+)$")
_METADATA = re.compile(rf"^{SERVICE_CODE}_(\d+)_([A-Za-z]+)=(.*)$")


@dataclass(frozen=True)
class Consent:
    token: str
    claims: dict
    authorization_code: str | None
    edition: int
    start: date
    end: date


def _refused(problem: str, detail: str):
    """403 SAMTYKKE_IKKE_GITT; the event log gets ``consent_problem`` (what the conformance suite reads)."""
    annotate(consent_problem=problem)
    return E.no_consent(detail)


def _services(claims: dict) -> list[str]:
    value = claims.get("Services")
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return value
    raise _refused("services", "Samtykketokenet mangler Services.")


def _period(entries: list[str], edition: int) -> tuple[date, date]:
    metadata = {}
    for entry in entries:
        match = _METADATA.match(entry)
        if match and int(match.group(1)) == edition:
            metadata[match.group(2).lower()] = match.group(3)
    try:
        start = datetime.strptime(metadata["fraogmed"], "%d.%m.%Y").date()
        end = datetime.strptime(metadata["tilogmed"], "%d.%m.%Y").date()
    except (KeyError, ValueError) as exc:
        raise _refused(
            "period", "Samtykket mangler en gyldig samtykkeperiode (fraOgMed/tilOgMed, dd.MM.yyyy)."
        ) from exc
    if start > end:
        raise _refused("period", "Samtykkeperioden slutter før den begynner.")
    return start, end


def check_consent(
    token: str | None,
    *,
    keys: RemoteKeys,
    issuer: str,
    clock: Clock,
    consumer_org: str,
    pid: str,
    min_edition: int,
    leeway: int = 1,
) -> Consent:
    if not token:
        raise _refused("missing", "NAV-Samtykke-Token mangler.")
    try:
        claims = verify_jwt(token.strip(), keys, issuer=issuer, clock=clock, require=("exp", "nbf"), leeway=leeway)
    except KeysUnavailable as exc:
        raise E.nav_error(503, "UKJENT_FEIL", f"Altinns nøkler kan ikke leses nå: {exc}") from exc
    except TokenError as exc:
        raise _refused(f"token_{exc.reason}", f"Samtykketokenet er ugyldig ({exc.reason}: {exc}).") from exc
    valid_to = claims.get("ValidToDate")
    if isinstance(valid_to, bool) or not isinstance(valid_to, (int, float)) or not math.isfinite(valid_to):
        raise _refused("valid_to", "Samtykketokenet mangler ValidToDate.")
    if valid_to <= clock.calendar().timestamp():
        raise _refused("consent_expired", "Samtykket er utløpt (ValidToDate).")
    entries = _services(claims)
    editions = [int(m.group(1)) for m in map(_SERVICE.match, entries) if m]
    usable = [edition for edition in editions if edition >= min_edition]
    if not usable:
        raise _refused("service", f"Samtykket gjelder ikke tjeneste {SERVICE_CODE} utgave {min_edition} eller nyere.")
    if claims.get("CoveredBy") != consumer_org:
        raise _refused("covered_by", "Samtykket er ikke gitt til virksomheten i Maskinporten-tokenet (CoveredBy).")
    if claims.get("OfferedBy") != pid:
        raise _refused("offered_by", "Samtykket er ikke gitt av personen det spørres om (OfferedBy).")
    start, end = _period(entries, usable[0])
    return Consent(token.strip(), claims, claims.get("AuthorizationCode"), usable[0], start, end)
