"""Registering an insurer everywhere it must be known, in one call.

Maskinporten: a client authenticated by the enterprise certificate, with the DSOP scopes and the
insurer on each scope's access list. ID-porten: an OIDC client for the insurer's own citizen
login. Altinn: for Altinn 3 the insurer on the access list of NAV's consent resource, for Altinn 2
a consent consumer with an API key and the redirect URL's domain. NAV: the access list. The
enterprise certificate comes from the key authority. Every insurer is registered for both consent
generations; ``consent`` records which one its profile says it uses.
"""

from __future__ import annotations

from dataclasses import dataclass

from dsop_sandbox.mocks.authority import KeyAuthority
from dsop_sandbox.mocks.common.clock import Clock

from .fanout import Fanout, ServiceRefused
from .registration_options import CONSENT_GENERATIONS, IDPORTEN_AUTH_METHODS

NAV_SERVICE_CODE = "5252"
NAV_SERVICE_EDITION = 2
CONSENT_REQUESTS_PATH = "/accessmanagement/api/v1/enterprise/consentrequests"


@dataclass(frozen=True)
class Registration:
    facts: dict  # what register-insurer prints (README, "Connecting an insurer"), PEM texts under "certificate"
    key_pem: str
    chain_pem: str
    ca_pem: str


def register(
    fanout: Fanout,
    authority: KeyAuthority,
    clock: Clock,
    org: str,
    name: str,
    redirect_uris: list[str],
    replacing: dict | None = None,
    consent: str = CONSENT_GENERATIONS[0],
    idporten_auth: str = IDPORTEN_AUTH_METHODS[0],
) -> Registration:
    """Register the insurer; ``replacing`` (an earlier registration of the same org) is removed
    first, so registering again hands out fresh credentials and leaves no stale clients behind."""
    settings = fanout.settings
    if replacing:
        _forget(fanout, replacing)
    credentials = authority.issue_enterprise_certificate(org, name, clock.now())
    scopes = fanout.call("maskinporten", "GET", "/_sandbox/scopes/dsop")["scopes"]
    client = fanout.call("maskinporten", "POST", "/_sandbox/clients", json={"org": org, "name": name, "scopes": scopes})
    for scope in scopes:
        fanout.call("maskinporten", "PUT", f"/_sandbox/scopes/access/{org}", params={"scope": scope})
    oidc_client = fanout.call(
        "idporten",
        "POST",
        "/_sandbox/clients",
        json={
            "client_name": name,
            "org": org,
            "redirect_uris": redirect_uris,
            "post_logout_redirect_uris": redirect_uris,
            "token_endpoint_auth_method": idporten_auth,
        },
    )
    consumer = fanout.call(
        "altinn", "POST", "/_sandbox/consumers", json={"org": org, "name": name, "redirect_urls": redirect_uris}
    )
    resources = fanout.call("altinn", "GET", "/_sandbox/resources/dsop")["resources"]
    for resource in resources:  # Altinn 3: the insurer may ask consent for NAV's resource
        fanout.call("altinn", "PUT", f"/_sandbox/resources/{resource}/access-list/{org}")
    fanout.call("nav", "POST", "/_sandbox/access-list", json={"org": org, "name": name})
    facts = {
        "org": org,
        "name": name,
        "consent": consent,
        "certificate": {},
        "maskinporten": {
            "issuer": settings.issuer("maskinporten"),
            "token_endpoint": settings.base_url("maskinporten") + "/token",
            "client_id": client["client_id"],
            "scopes": scopes,
        },
        "idporten": {
            "issuer": settings.issuer("idporten"),
            "client_id": oidc_client["client_id"],
            "token_endpoint_auth_method": oidc_client["token_endpoint_auth_method"],
            "client_secret": oidc_client["client_secret"],  # None (left out of insurer.toml) for private_key_jwt
            "redirect_uris": oidc_client["redirect_uris"],
        },
        "altinn": {
            "base_url": settings.base_url("altinn"),
            # Altinn 3: consent requests with a Maskinporten token, for NAV's resource
            "consent_requests": settings.base_url("altinn") + CONSENT_REQUESTS_PATH,
            "resource": resources[0],
            # Altinn 2: the consumer's API key and NAV's service
            "api_key": consumer["api_key"],
            "service_code": NAV_SERVICE_CODE,
            "service_edition": NAV_SERVICE_EDITION,
        },
        "nav": {"base_url": settings.base_url("nav")},
    }
    return Registration(
        facts, credentials.key_pem.decode(), credentials.chain_pem.decode(), credentials.ca_pem.decode()
    )


def _forget(fanout: Fanout, facts: dict) -> None:
    for service, path in (
        ("maskinporten", f"/_sandbox/clients/{facts['maskinporten']['client_id']}"),
        ("idporten", f"/_sandbox/clients/{facts['idporten']['client_id']}"),
    ):
        try:
            fanout.call(service, "DELETE", path)
        except ServiceRefused as exc:
            if exc.status != 404:  # already gone (a reset) is fine
                raise
