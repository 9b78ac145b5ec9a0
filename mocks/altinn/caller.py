"""Who is calling Altinn's REST API, authenticated as the real one authenticates consumers.

Every call carries the consumer's ``ApiKey`` header. The consent-request API also wants the
enterprise behind it: either a Maskinporten access token (``Authorization: Bearer``, checked
against Maskinporten's published keys: signature, issuer, expiry, the operation's scope, and the
``consumer`` org equal to the API key's org) or the enterprise certificate of that org.

With one-way TLS the sandbox cannot see a client certificate, so it takes the certificate chain
the way a TLS-terminating proxy forwards it: the ``X-Client-Cert`` header holding the
URL-encoded PEM chain (leaf first), or ``SSL_CLIENT_CERT`` in the WSGI environment when a server
terminates mutual TLS itself. The chain must lead to the key authority's root and carry the
API key org's organisation number.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from urllib.parse import unquote

from cryptography import x509
from flask import request

from dsop_sandbox.mocks.authority import ChainError, organisation_number
from dsop_sandbox.mocks.common.events import annotate, token_fingerprint
from dsop_sandbox.mocks.common.remote_keys import KeysUnavailable, TokenError, verify_jwt

from . import errors as E
from .runtime import Altinn

CLIENT_CERT_HEADER = "X-Client-Cert"
WRITE_SCOPE = "altinn:consentrequests.write"
READ_SCOPES = ("altinn:consentrequests.read", WRITE_SCOPE)
TOKEN_SCOPES = ("altinn:consenttokens", "altinn:consenttokens.read", *READ_SCOPES)


@dataclass(frozen=True)
class Caller:
    org: str  # the organisation the API key belongs to
    consumer: dict
    via: str  # "maskinporten", "certificate" or "api_key"
    supplier: str | None = None


def consumer_by_api_key(service: Altinn, key: str) -> dict | None:
    found = None
    for consumer in service.consumers.all():
        if hmac.compare_digest(consumer.get("api_key", "").encode(), key.encode()):
            found = consumer
    return found


def authenticate(service: Altinn, scopes: tuple[str, ...], *, enterprise_required: bool = True) -> Caller:
    key = request.headers.get("ApiKey", "").strip()
    if not key:
        raise E.altinn_error(403, E.API_KEY, "The request has no ApiKey header")
    consumer = consumer_by_api_key(service, key)
    if consumer is None:
        raise E.altinn_error(403, E.API_KEY, "The API key is not valid")
    org = consumer["org"]
    annotate(caller=org)
    authorization = request.headers.get("Authorization", "")
    if authorization[:7].lower() == "bearer ":
        return _by_token(service, authorization[7:].strip(), consumer, scopes)
    chain = _client_chain()
    if chain is not None:
        return _by_certificate(service, chain, consumer)
    if enterprise_required:
        raise E.altinn_error(
            401,
            E.AUTHENTICATION,
            "Authenticate the enterprise: an enterprise certificate, or a Maskinporten token "
            f"with scope {scopes[-1]} in Authorization: Bearer",
        )
    annotate(auth="api_key")
    return Caller(org, consumer, "api_key")


def _by_token(service: Altinn, token: str, consumer: dict, scopes: tuple[str, ...]) -> Caller:
    annotate(access_token=token_fingerprint(token))
    try:
        claims = verify_jwt(token, service.maskinporten_keys, issuer=service.maskinporten_issuer, clock=service.clock)
    except KeysUnavailable as exc:
        raise E.altinn_error(503, "50300", f"Maskinporten's keys cannot be read right now: {exc}") from exc
    except TokenError as exc:
        raise E.ERRORS.error(
            401,
            E.AUTHENTICATION,
            f"The Maskinporten token is not valid: {exc}",
            "",
            {"WWW-Authenticate": f'Bearer error="invalid_token", error_description="{exc.reason}"'},
        ) from exc
    aud = claims.get("aud")
    if aud is not None and not _is_altinn_audience(service, aud):
        raise E.altinn_error(401, E.AUTHENTICATION, f"The Maskinporten token is meant for {aud}, not Altinn")
    granted = str(claims.get("scope", "")).split()
    if not any(scope in granted for scope in scopes):
        raise E.altinn_error(403, E.SCOPE, f"The Maskinporten token lacks the scope {scopes[-1]}")
    token_org = _party_org(claims.get("consumer"))
    supplier = _party_org(claims.get("supplier"))
    if token_org != consumer["org"]:
        raise E.altinn_error(
            403,
            E.WRONG_PARTY,
            f"The Maskinporten token is for {token_org}, but the API key belongs to {consumer['org']}",
        )
    annotate(auth="maskinporten", client_id=claims.get("client_id"))
    return Caller(consumer["org"], consumer, "maskinporten", supplier)


def _is_altinn_audience(service: Altinn, aud) -> bool:
    accepted = {service.base_url, service.base_url + "/"}
    audiences = aud if isinstance(aud, list) else [aud]
    return any(a in accepted for a in audiences)


def _party_org(party) -> str | None:
    if isinstance(party, dict) and isinstance(party.get("ID"), str):
        return party["ID"].rpartition(":")[2]
    return None


def _client_chain() -> list[x509.Certificate] | None:
    pem = request.environ.get("SSL_CLIENT_CERT") or request.headers.get(CLIENT_CERT_HEADER)
    if not pem:
        return None
    try:
        return x509.load_pem_x509_certificates(unquote(pem).encode())
    except ValueError as exc:
        raise E.altinn_error(401, E.AUTHENTICATION, f"The client certificate cannot be read: {exc}") from exc


def _by_certificate(service: Altinn, chain: list[x509.Certificate], consumer: dict) -> Caller:
    try:
        leaf = service.authority.verify_chain(chain, service.clock.now())
    except ChainError as exc:
        raise E.altinn_error(401, E.AUTHENTICATION, f"The enterprise certificate is not trusted: {exc}") from exc
    org = organisation_number(leaf)
    if org != consumer["org"]:
        raise E.altinn_error(
            403, E.WRONG_PARTY, f"The enterprise certificate is {org}'s, but the API key belongs to {consumer['org']}"
        )
    annotate(auth="certificate")
    return Caller(consumer["org"], consumer, "certificate")
