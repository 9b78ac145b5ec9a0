"""Checking an Altinn 2 consent token the way NAV does (docs/nav.md, «The request», «The checks»).

The token comes in ``NAV-Samtykke-Token`` as the bare JWT. It must be RS256-signed by a key in
Altinn's published JWKS, issued by ``altinn.no``, inside ``nbf``/``exp`` (protocol time), with a
``ValidToDate`` still ahead (calendar time: moving the sandbox calendar past it expires the
consent), ``Services`` holding ``5252_X`` for an edition the API accepts (AAP 1 and up, uføre 2
and up), ``CoveredBy`` equal to the org of the Maskinporten token's ``consumer``, ``OfferedBy``
equal to the person asked about, and the consent period in the ``fraOgMed``/``tilOgMed`` metadata
(``dd.MM.yyyy``). Any failure is 403 ``SAMTYKKE_IKKE_GITT``.

``consent_problem`` values: ``token_<reason>`` (signature, issuer, lifetime … of the JWT),
``valid_to``, ``consent_expired``, ``services``, ``service``, ``covered_by``, ``offered_by``,
``period``.
"""

from __future__ import annotations

import math
import re

from dsop_sandbox.mocks.common.clock import Clock
from dsop_sandbox.mocks.common.events import annotate, token_fingerprint
from dsop_sandbox.mocks.common.remote_keys import KeysUnavailable, RemoteKeys, TokenError, verify_jwt

from . import errors as E
from .consent import ALTINN2, Consent, period, refused

SERVICE_CODE = "5252"
_SERVICE = re.compile(rf"^{SERVICE_CODE}_(\d+)$")
_METADATA = re.compile(rf"^{SERVICE_CODE}_(\d+)_([A-Za-z]+)=(.*)$")


def _services(claims: dict) -> list[str]:
    value = claims.get("Services")
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return value
    raise refused("services", "Samtykketokenet mangler Services.")


def _metadata(entries: list[str], edition: int) -> dict[str, str]:
    found = {}
    for entry in entries:
        match = _METADATA.match(entry)
        if match and int(match.group(1)) == edition:
            found[match.group(2).lower()] = match.group(3)
    return found


def check_consent_token(
    token: str,
    *,
    keys: RemoteKeys,
    issuer: str,
    clock: Clock,
    consumer_org: str,
    pid: str,
    min_edition: int,
    leeway: int = 1,
) -> Consent:
    token = token.strip()
    annotate(consent_token=token_fingerprint(token))
    try:
        claims = verify_jwt(token, keys, issuer=issuer, clock=clock, require=("exp", "nbf"), leeway=leeway)
    except KeysUnavailable as exc:
        raise E.nav_error(503, "UKJENT_FEIL", f"Altinns nøkler kan ikke leses nå: {exc}") from exc
    except TokenError as exc:
        raise refused(f"token_{exc.reason}", f"Samtykketokenet er ugyldig ({exc.reason}: {exc}).") from exc
    code = claims.get("AuthorizationCode") if isinstance(claims.get("AuthorizationCode"), str) else None
    annotate(authorization_code=code, consent_id=code)
    valid_to = claims.get("ValidToDate")
    if isinstance(valid_to, bool) or not isinstance(valid_to, (int, float)) or not math.isfinite(valid_to):
        raise refused("valid_to", "Samtykketokenet mangler ValidToDate.")
    if valid_to <= clock.calendar().timestamp():
        raise refused("consent_expired", "Samtykket er utløpt (ValidToDate).")
    entries = _services(claims)
    editions = [int(m.group(1)) for m in map(_SERVICE.match, entries) if m]
    usable = [edition for edition in editions if edition >= min_edition]
    if not usable:
        raise refused("service", f"Samtykket gjelder ikke tjeneste {SERVICE_CODE} utgave {min_edition} eller nyere.")
    if claims.get("CoveredBy") != consumer_org:
        raise refused("covered_by", "Samtykket er ikke gitt til virksomheten i Maskinporten-tokenet (CoveredBy).")
    if claims.get("OfferedBy") != pid:
        raise refused("offered_by", "Samtykket er ikke gitt av personen det spørres om (OfferedBy).")
    start, end = period(_metadata(entries, usable[0]), "fraOgMed/tilOgMed")
    return Consent(ALTINN2, code, start, end, token=token)
