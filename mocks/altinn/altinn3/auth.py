"""Who calls Altinn 3's consent APIs: an organisation with a plain Maskinporten access token.

As Access Management authenticates them (Altinn/altinn-authorization-tmp, ``AccessManagementHost``
and ``Api.Enterprise/Utils/OrgUtil.cs``): ``Authorization: Bearer <token>`` checked against
Maskinporten's published keys (signature, issuer, expiry; no audience check and no clock skew,
``ValidateAudience = false``, ``ClockSkew = TimeSpan.Zero``), the operation's scope policy, then the
caller is the token's ``consumer`` (``{"authority": "iso6523-actorid-upis", "ID": "0192:<orgnr>"}``)
and a ``supplier`` claim (a supplier acting for its customer) in the same form. No API key.

The real service answers a missing or bad token with 401 and a missing scope with 403, both
without a body; the sandbox adds problem details with its own codes (``SBX-00001``, ``SBX-00002``)
so that an integration can tell why, and keeps the statuses and the ``WWW-Authenticate`` header.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import request

from dsop_sandbox.mocks.common.events import annotate, token_fingerprint
from dsop_sandbox.mocks.common.remote_keys import KeysUnavailable, TokenError, verify_jwt

from ..runtime import Altinn
from . import problems as P
from . import urns

ISO6523 = "iso6523-actorid-upis"
WRITE_SCOPE = "altinn:consentrequests.write"
READ_SCOPE = "altinn:consentrequests.read"
#: Digdir's own scope: may ask for consent on behalf of another organisation (eBevis).
ORG_SCOPE = "altinn:consentrequests.org"
LOOKUP_SCOPE = "altinn:maskinporten/consent.read"
#: The scopes each policy accepts (AccessManagementHost: CONSENTREQUEST_WRITE / _READ).
WRITE_SCOPES = (ORG_SCOPE, WRITE_SCOPE)
READ_SCOPES = (ORG_SCOPE, READ_SCOPE, WRITE_SCOPE)


@dataclass(frozen=True)
class Enterprise:
    org: str | None  # the token's consumer; None when the claim is missing or unreadable
    supplier: str | None
    scopes: tuple[str, ...]
    client_id: str | None


def party_org(claim) -> str | None:
    """OrgUtil.GetOrg: ``{"authority": "iso6523-actorid-upis", "ID": "0192:<orgnr>"}`` -> orgnr."""
    if not isinstance(claim, dict) or claim.get("authority") != ISO6523:
        return None
    identifier = claim.get("ID")
    if not isinstance(identifier, str) or identifier.count(":") != 1:
        return None
    org = identifier.split(":")[1]
    return org if urns.is_organization_number(org) else None


def _unauthenticated(detail: str, reason: str | None = None) -> P.ProblemError:
    challenge = "Bearer" if reason is None else f'Bearer error="invalid_token", error_description="{reason}"'
    return P.fail(P.Problem(P.SBX_UNAUTHENTICATED, detail), {"WWW-Authenticate": challenge})


def authenticate(service: Altinn, scopes: tuple[str, ...]) -> Enterprise:
    """The calling enterprise, once its Maskinporten token holds one of ``scopes``."""
    authorization = request.headers.get("Authorization", "")
    if authorization[:7].lower() != "bearer " or not authorization[7:].strip():
        raise _unauthenticated("Send a Maskinporten access token in Authorization: Bearer")
    token = authorization[7:].strip()
    annotate(access_token=token_fingerprint(token))
    try:
        claims = verify_jwt(
            token, service.maskinporten_keys, issuer=service.maskinporten_issuer, clock=service.clock, leeway=0
        )
    except KeysUnavailable as exc:
        raise P.fail(P.Problem(P.SBX_KEYS_UNAVAILABLE, str(exc))) from exc
    except TokenError as exc:
        annotate(token_problem=exc.reason)
        raise _unauthenticated(f"The Maskinporten token is not valid: {exc}", exc.reason) from exc
    granted = tuple(str(claims.get("scope", "")).split())
    annotate(client_id=claims.get("client_id"))
    if not any(scope in granted for scope in scopes):
        annotate(scopes=list(granted))
        raise P.fail(P.Problem(P.SBX_SCOPE, f"This operation needs one of the scopes {', '.join(scopes)}"))
    org = party_org(claims.get("consumer"))
    supplier = party_org(claims.get("supplier"))
    annotate(caller=org, supplier=supplier)
    return Enterprise(org, supplier, granted, claims.get("client_id"))


def consumer_org(enterprise: Enterprise) -> str:
    """The caller's organisation (Access Management answers 401 when it cannot read one)."""
    if enterprise.org is None:
        raise P.fail(P.Problem(P.SBX_NO_CONSUMER, "The token's consumer claim names no organization"))
    return enterprise.org
