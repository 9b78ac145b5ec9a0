"""Consent tokens and the use log: what the consumer does once the citizen has said yes.

``GET /api/authorization/token/{code}`` (or ``?authcode=``) answers the JWT as a quoted JSON
string (``"eyJ…"``; ``<string>…</string>`` for ``Accept: application/xml``), RS256-signed by
Altinn's key with ``kid`` = ``x5t``, living ``altinn.consent_token`` seconds (30). It can be
fetched again as often as needed while the consent is active. Every other case, unknown code,
unanswered, rejected, withdrawn, used up or expired consent, or another consumer's API key, is
403 with Altinn's one refusal sentence (Altinn, «Hente token»,
https://altinn.github.io/docs/utviklingsguider/samtykke/datakonsument/hente-token/).

``POST /api/authorization/token/{code}/loguse`` records one use (204); the citizen sees it under
"Mine samtykker", and a one-time consent is used up by it (Altinn, «Logge bruk av samtykke»,
https://altinn.github.io/docs/utviklingsguider/samtykke/datakonsument/logge-bruk/).
"""

from __future__ import annotations

from xml.sax.saxutils import escape

import jwt
from flask import Blueprint, Response, request

from dsop_sandbox.mocks.common.clock import isoformat, parse_time
from dsop_sandbox.mocks.common.events import annotate, token_fingerprint
from dsop_sandbox.mocks.common.payload import read_json

from . import consents as C
from . import errors as E
from .caller import TOKEN_SCOPES, Caller, authenticate
from .consents import ConsentError
from .norwegian_time import parse_local
from .runtime import SERVICE, Altinn, altinn

XML_STRING_NAMESPACE = "http://schemas.microsoft.com/2003/10/Serialization/"
WHY_NOT = {
    C.UNOPENED: "the citizen has not answered the request",
    C.OPENED: "the citizen has not answered the request",
    C.REJECTED: "the citizen declined the request",
    C.REVOKED: "the consent has been withdrawn",
    C.USED: "the one-time consent has been used",
    C.EXPIRED: "the consent has expired",
}


def services_claim(record: dict) -> list[str] | str:
    """``<code>_<edition>`` per service, then ``<code>_<edition>_<key>=<value>`` per metadata value;
    a single entry is a plain string, as Altinn's .NET serialiser writes a one-value claim."""
    entries = []
    for resource in record["resources"]:
        key = f"{resource['code']}_{resource['edition']}"
        entries.append(key)
        entries.extend(f"{key}_{name}={value}" for name, value in resource["metadata"].items())
    return entries[0] if len(entries) == 1 else entries


def consent_claims(service: Altinn, record: dict, caller: Caller, now: int, lifetime: int) -> dict:
    consent = record["consent"]
    claims = {
        "Services": services_claim(record),
        "AuthorizationCode": record["code"],
        "OfferedBy": record["offered_by"],
    }
    if record.get("required_delegator"):
        claims["RequiredDelegator"] = record["required_delegator"]
    claims["CoveredBy"] = record["covered_by"]
    if record.get("handled_by") and caller.org == record["handled_by"]:
        claims["HandledBy"] = record["handled_by"]
    claims.update(
        {
            "DelegatedDate": int(parse_time(consent["delegated"]).timestamp()),
            "ValidToDate": int(parse_time(record["valid_to"]).timestamp()),
            "iss": service.settings.consent_token_issuer,
            "nbf": now,
            "exp": now + lifetime,
            "iat": now,
        }
    )
    return claims


def _active_consent(service: Altinn, caller: Caller, code: str | None) -> dict:
    if not code:
        raise E.token_refused("no authorization code")
    record = service.consents.get(code)
    annotate(authorization_code=code)
    if record is None:
        raise E.token_refused("unknown authorization code")
    annotate(subject=record.get("offered_by"))
    if caller.org not in (record["covered_by"], record.get("handled_by")):
        raise E.token_refused("the consent is not given to this API key's organisation")
    state = service.consents.state(record) or record["status"]
    if state != C.ACTIVE:
        annotate(consent_state=state)
        raise E.token_refused(WHY_NOT.get(state, state))
    return record


def consent_tokens_blueprint() -> Blueprint:
    bp = Blueprint("altinn_consent_tokens", __name__)

    @bp.get("/api/authorization/token/<code>")
    @bp.get("/api/authorization/token", endpoint="get_consent_token_by_query")
    def get_consent_token(code: str | None = None):
        service = altinn()
        caller = authenticate(service, TOKEN_SCOPES, enterprise_required=False)
        code = code or request.args.get("authcode") or request.args.get("authCode")
        record = _active_consent(service, caller, code)
        now = service.clock.epoch()
        lifetime = service.rt.lifetimes[f"{SERVICE}.consent_token"]
        key = service.authority.signing_key(SERVICE)
        token = jwt.encode(
            consent_claims(service, record, caller, now, lifetime),
            key.private_key,
            algorithm="RS256",
            headers={"kid": key.kid, "x5t": key.kid, "typ": "JWT"},
        )
        annotate(consent_token=token_fingerprint(token), token_exp=now + lifetime, services=C.service_keys(record))
        if any(mimetype in ("application/xml", "text/xml") for mimetype, _ in request.accept_mimetypes) and not any(
            m in ("application/json", "application/hal+json") for m, _ in request.accept_mimetypes
        ):
            body = f'<string xmlns="{XML_STRING_NAMESPACE}">{escape(token)}</string>'
            return Response(body, mimetype="application/xml")
        return Response(f'"{token}"', mimetype="application/json")

    @bp.post("/api/authorization/token/<code>/loguse")
    def log_use(code: str):
        service = altinn()
        caller = authenticate(service, TOKEN_SCOPES, enterprise_required=False)
        body = read_json(E.ERRORS)
        record = _active_consent(service, caller, code)
        fields = {str(k).lower(): v for k, v in body.items()}
        service_code, edition = fields.get("servicecode"), fields.get("serviceeditioncode")
        key = f"{service_code}_{edition}"
        if isinstance(service_code, bool) or isinstance(edition, bool) or key not in C.service_keys(record):
            raise E.altinn_error(
                400,
                E.LOG_USE,
                f"ServiceCode {service_code} / ServiceEditionCode {edition} is "
                f"not a service of consent {code} ({', '.join(C.service_keys(record))})",
            )
        usage = fields.get("usagedatetime")
        if usage is not None:
            try:
                usage = isoformat(parse_local(usage))
            except (ValueError, TypeError, OverflowError) as exc:
                raise E.altinn_error(400, E.LOG_USE, f"UsageDateTime {usage!r} is not an ISO 8601 time") from exc
        try:
            service.consents.log_use(code, key, usage, caller.org)
        except ConsentError as exc:  # withdrawn between the check and the write
            raise E.token_refused(str(exc)) from exc
        annotate(used_service=key, logged_by=caller.org)
        return Response(status=204)

    return bp
