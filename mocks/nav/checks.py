"""The checks in front of every DSOP API call, in NAV's order (docs/nav.md, «The checks»), on the call
as parsed in the view (:class:`~.api_request.ApiRequest`).

1. The Maskinporten access token: signature against Maskinporten's JWKS (fetched over HTTP and
   cached), issuer, expiry → 401 ``IKKE_TILGANG_MASKINPORTEN``.
2. The token's scope for this API, and the ``consumer`` org on NAV's access list for it → 403.
3. The person identifier (uføre: ``fnr`` only; AAP: ``fnr``, or ``NAV-PersonIdent`` as aap-api
   reads it): a valid synthetic fødselsnummer → 400 ``UGYLDIG_INPUT``.
4. The consent → 403 ``SAMTYKKE_IKKE_GITT``. When the access token carries an Altinn 3 consent
   (``authorization_details`` with a ``urn:altinn:consent`` entry) that consent is checked
   (:mod:`.altinn3_consent`) and ``NAV-Samtykke-Token`` is not read, even when sent: the uføre API
   documents the header as "kun for Altinn 2" and optional since January 2026. Otherwise the
   header's Altinn 2 consent token is checked (:mod:`.altinn2_consent`); with neither, the consent
   is missing.
5. ``fomDato``/``tomDato``: well-formed ISO dates (else 400), inside the consent period (else 403
   ``UTENFOR_SAMTYKKEPERIODE``, ``consent_problem: "outside_period"``), ``fomDato`` not after
   ``tomDato`` (else 400). Missing dates default to the consent period.

Event facts: ``access_token`` (fingerprint), ``caller``, ``client_id``, ``subject``,
``consent_generation`` (``altinn2``/``altinn3``, once NAV knows which consent it reads),
``consent_id``, ``consent_problem`` on a refused consent, ``consent_header: "ignored"`` when an
Altinn 2 header came with an Altinn 3 consent, for Altinn 2 also ``authorization_code`` and
``consent_token`` (fingerprint), and the ``period`` answered.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from dsop_sandbox.mocks.common import jose
from dsop_sandbox.mocks.common.events import annotate, token_fingerprint
from dsop_sandbox.mocks.common.identifiers import fnr_problem
from dsop_sandbox.mocks.common.remote_keys import KeysUnavailable, TokenError, verify_jwt

from . import altinn3_consent
from . import errors as E
from .altinn2_consent import check_consent_token
from .api_request import CONSENT_HEADER, PERSON_HEADERS, ApiRequest
from .consent import ALTINN2, ALTINN3, Consent, refused
from .runtime import Nav


@dataclass(frozen=True)
class Api:
    name: str  # the access list's name for it
    scope: str
    tema: str  # sporingslogg tema
    min_edition: int  # the 5252 editions the API accepts (Altinn 2)
    person_headers: tuple[str, ...]  # the headers it reads the person from


#: The uføre API takes the person only in ``fnr`` (a required header; NAV, «Uføreopplysninger»,
#: https://navikt.github.io/pensjon-ekstern-api/api/uforeopplysninger/uforeopplysninger.html): a call
#: naming the person in ``NAV-PersonIdent`` alone lacks it and is refused as invalid input (400).
UFORE = Api("uforeopplysninger", "nav:helse/v1/uforeopplysninger", "UFO", 2, ("fnr",))
AAP = Api("aap", "nav:arbeid/v1/aap", "AAP", 1, PERSON_HEADERS)
#: Maskinporten, Altinn and NAV read one sandbox clock, so an expired token is refused after one
#: second of grace: an insurer's own clock never enters into it (it only forwards the tokens).
TOKEN_LEEWAY = 1


@dataclass(frozen=True)
class Access:
    api: Api
    consumer_org: str
    supplier_org: str | None
    client_id: str | None
    pid: str
    consent: Consent
    fom: date
    tom: date
    access_token: str  # the Maskinporten token's fingerprint (never the token)


def _org(party) -> str | None:
    if isinstance(party, dict) and isinstance(party.get("ID"), str):
        return party["ID"].rpartition(":")[2]
    return None


def _parsed(token: str) -> jose.CompactJws | str:
    """The token as jose reads it (once: who it says is calling is logged before it is verified), or
    the text itself when it is no JWS (verify_jwt then refuses it as malformed)."""
    try:
        return jose.parse(token)
    except jose.JoseError:
        return token


def _access_token(nav: Nav, asked: ApiRequest) -> tuple[str, dict]:
    """The token's fingerprint and its claims, verified."""
    header = asked.authorization or ""
    if header[:7].lower() != "bearer " or not header[7:].strip():
        raise E.unauthorized("Authorization: Bearer <Maskinporten-token> mangler.")
    token = header[7:].strip()
    fingerprint = token_fingerprint(token)
    parsed = _parsed(token)
    # who the token says is calling, before it is verified: for the event log, refused or not
    claimed = _org(parsed.claims.get("consumer")) if isinstance(parsed, jose.CompactJws) else None
    annotate(access_token=fingerprint, caller=claimed)
    try:
        claims = verify_jwt(
            parsed, nav.maskinporten_keys, issuer=nav.maskinporten_issuer, clock=nav.clock, leeway=TOKEN_LEEWAY
        )
    except KeysUnavailable as exc:
        raise E.nav_error(503, "UKJENT_FEIL", f"Maskinportens nøkler kan ikke leses nå: {exc}") from exc
    except TokenError as exc:
        annotate(token_problem=exc.reason)
        raise E.unauthorized(f"tokenet er ugyldig ({exc.reason}: {exc})") from exc
    aud = claims.get("aud")
    if aud is not None and not ({nav.base_url, nav.base_url + "/"} & set(aud if isinstance(aud, list) else [aud])):
        raise E.unauthorized(f"tokenet er laget for {aud}, ikke NAV")
    return fingerprint, claims


def _person(asked: ApiRequest, api: Api) -> str:
    values = {name: value for name, value in asked.persons.items() if name in api.person_headers}
    if not values:
        raise E.bad_input(f"personident mangler (header {' eller '.join(api.person_headers)}).")
    if len(set(values.values())) > 1:
        raise E.bad_input("fnr og NAV-PersonIdent oppgir ulike personer.")
    pid = next(iter(values.values())).strip()
    problem = fnr_problem(pid)
    if problem:
        raise E.bad_input(f"personidenten er ikke gyldig: {problem}.")
    return pid


def _date(name: str, raw: str | None) -> date | None:
    if raw is None:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError as exc:
        raise E.bad_input(f"{name} må være en dato på formen ÅÅÅÅ-MM-DD, ikke {raw!r}.", E.BAD_PERIOD) from exc


def _consent(nav: Nav, asked: ApiRequest, claims: dict, consumer: str, pid: str, api: Api) -> Consent:
    """Step 4: the Altinn 3 consent in the token, else the Altinn 2 token in the header."""
    if altinn3_consent.carries_consent(claims):
        annotate(consent_generation=ALTINN3)
        if asked.consent_token is not None:
            annotate(consent_header="ignored")
        return altinn3_consent.check_token_consent(claims, pid=pid, clock=nav.clock)
    if asked.consent_token is None:
        raise refused(
            "missing", f"{CONSENT_HEADER} mangler, og Maskinporten-tokenet bærer ikke et samtykke fra Altinn 3."
        )
    annotate(consent_generation=ALTINN2)
    return check_consent_token(
        asked.consent_token,
        keys=nav.altinn_keys,
        issuer=nav.settings.consent_token_issuer,
        clock=nav.clock,
        consumer_org=consumer,
        pid=pid,
        min_edition=api.min_edition,
        leeway=TOKEN_LEEWAY,
    )


def check_request(nav: Nav, api: Api, asked: ApiRequest) -> Access:
    fingerprint, claims = _access_token(nav, asked)
    consumer = _org(claims.get("consumer"))
    annotate(caller=consumer, client_id=claims.get("client_id"))
    if api.scope not in str(claims.get("scope", "")).split():
        raise E.forbidden(f"tokenet mangler scopet {api.scope}.")
    listed = nav.access_list.get(consumer) if consumer else None
    if listed is None or api.name not in listed.get("apis", []):
        raise E.forbidden(f"virksomheten {consumer} har ikke tilgang til {api.name} hos NAV.")
    pid = _person(asked, api)
    annotate(subject=pid)
    consent = _consent(nav, asked, claims, consumer, pid, api)
    fom, tom = _date("fomDato", asked.fom), _date("tomDato", asked.tom)
    for name, value in (("fomDato", fom), ("tomDato", tom)):
        if value is not None and not consent.start <= value <= consent.end:
            annotate(consent_problem="outside_period")
            raise E.outside_consent(
                f"{name} {value.isoformat()} er utenfor samtykkeperioden "
                f"{consent.start.isoformat()}–{consent.end.isoformat()}."
            )
    fom, tom = fom or consent.start, tom or consent.end
    if fom > tom:
        raise E.bad_input("fomDato er etter tomDato.", E.BAD_PERIOD)
    annotate(period=f"{fom.isoformat()}/{tom.isoformat()}")
    return Access(
        api,
        consumer,
        _org(claims.get("supplier")),
        claims.get("client_id"),
        pid,
        consent,
        fom,
        tom,
        fingerprint,
    )


__all__ = ["AAP", "CONSENT_HEADER", "PERSON_HEADERS", "UFORE", "Access", "Api", "check_request"]
