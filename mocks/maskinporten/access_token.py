"""Minting Maskinporten access tokens: self-contained RS256 JWTs signed with the issuer's key."""

from __future__ import annotations

import secrets

from dsop_sandbox.mocks.authority import KeyAuthority
from dsop_sandbox.mocks.common import jose
from dsop_sandbox.mocks.common.clock import Clock

from .grant import Grant

ISO6523 = "iso6523-actorid-upis"


def org_party(org: str) -> dict:
    """How Maskinporten names an organisation in ``consumer`` and ``supplier``."""
    return {"authority": ISO6523, "ID": f"0192:{org}"}


def token_lifetime(grant: Grant, default: int) -> int:
    """The client's lifetime (or the sandbox default), capped by every scope's ``at_max_age``."""
    lifetime = grant.client.access_token_lifetime or default
    for scope in grant.scopes:
        if scope.at_max_age:
            lifetime = min(lifetime, scope.at_max_age)
    return lifetime


def mint(
    grant: Grant,
    *,
    issuer: str,
    authority: KeyAuthority,
    clock: Clock,
    lifetime: int,
    authorization_details: list | None = None,
) -> tuple[str, dict]:
    """The access token for ``grant`` and its claims; ``authorization_details`` (a consent Altinn
    confirmed) comes first, as in the real tokens Digdir and Altinn show decoded."""
    iat = clock.epoch()
    claims: dict = {}
    if authorization_details is not None:
        claims["authorization_details"] = authorization_details
    if grant.audience is not None:
        claims["aud"] = grant.audience
    claims.update(
        {
            "scope": " ".join(scope.scope for scope in grant.scopes),
            "iss": issuer,
            "client_amr": grant.client_amr,
            "token_type": "Bearer",
            "exp": iat + lifetime,
            "iat": iat,
            "client_id": grant.client.client_id,
            "jti": secrets.token_urlsafe(32),
            "consumer": org_party(grant.consumer_org),
        }
    )
    if grant.supplier_org:
        claims["supplier"] = org_party(grant.supplier_org)
        claims["delegation_source"] = grant.scopes[0].delegation_source  # delegated scopes all carry one
    if grant.pid:
        claims["pid"] = grant.pid
    key = authority.signing_key("maskinporten")
    token = jose.sign_rs256(claims, key.private_key, {"kid": key.kid, "typ": "JWT"})
    return token, claims
