"""The Maskinporten fake: OAuth AS metadata, ``/jwk`` and ``POST /token`` (JWT-bearer grant only).

There is deliberately no OIDC discovery document and no authorize endpoint, as in the real
service: generic OIDC libraries that expect them fail here as they would against Maskinporten.

A grant may ask for an Altinn 3 consent in ``authorization_details`` (:mod:`.consent`); the token
endpoint then asks Altinn over HTTP, with a token of its own (:mod:`.own_token`,
:mod:`.altinn_lookup`), and puts the consent into the access token or refuses (:mod:`.consent_check`).
"""

from __future__ import annotations

from flask import Blueprint, Flask, Response, abort, current_app
from markupsafe import escape

from dsop_sandbox.mocks.authority import KeyAuthority
from dsop_sandbox.mocks.common.clock import Clock
from dsop_sandbox.mocks.common.direct import direct_post
from dsop_sandbox.mocks.common.errors import json_response
from dsop_sandbox.mocks.common.events import annotate, token_fingerprint
from dsop_sandbox.mocks.common.key_admin import key_admin_blueprint
from dsop_sandbox.mocks.common.payload import require_form, trace_id
from dsop_sandbox.mocks.common.service import create_service_app
from dsop_sandbox.mocks.common.settings import Settings

from . import access_token
from .altinn_lookup import ConsentLookup
from .consent import SERVED_TYPES
from .consent_check import ConsentCheck
from .errors import CATALOGUE, ERRORS, OTHER_ERRORS, MaskinportenErrors
from .fixtures import fixtures
from .grant import ALLOWED_ALGORITHMS, GrantValidator
from .openapi import openapi_document
from .own_token import OwnToken, own_grant
from .registry import REGISTRATION_TABLES, RUNTIME_TABLES, SCHEMA, Registry

SERVICE = "maskinporten"
JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"


class Maskinporten:
    """The service's parts, kept on ``app.extensions["maskinporten"]``."""

    def __init__(self, settings: Settings, rt, authority: KeyAuthority):
        self.issuer = settings.issuer(SERVICE)
        self.base_url = settings.base_url(SERVICE)
        self.authority = authority
        self.delegation_source = settings.maskinporten.delegation_source or settings.base_url("altinn") + "/"
        self.registry = Registry(rt.store, rt.clock, self.delegation_source, rt.shared)
        self.errors = MaskinportenErrors(self.base_url)
        self.validator = GrantValidator(self.registry, authority, self.issuer, settings.maskinporten, self.errors)
        self.own_token = OwnToken(lambda: self.mint_own_token(rt), rt.clock)
        lookup = ConsentLookup(settings.internal_url("altinn"), self.own_token, rt.outbound)
        self.consents = ConsentCheck(lookup, self.errors)

    def mint_own_token(self, rt) -> tuple[str, dict]:
        """Maskinporten's token for its consent lookups at Altinn, with its usual lifetime."""
        grant = own_grant(self.registry)
        lifetime = access_token.token_lifetime(grant, rt.lifetimes["maskinporten.access_token"])
        return access_token.mint(grant, issuer=self.issuer, authority=self.authority, clock=rt.clock, lifetime=lifetime)

    def metadata(self) -> dict:
        return {
            "issuer": self.issuer,
            "token_endpoint": f"{self.base_url}/token",
            "jwks_uri": f"{self.base_url}/jwk",
            "token_endpoint_auth_methods_supported": ["private_key_jwt"],
            "grant_types_supported": [JWT_BEARER],
            "token_endpoint_auth_signing_alg_values_supported": list(ALLOWED_ALGORITHMS),
            "authorization_details_types_supported": list(SERVED_TYPES),
        }


def create_app(settings: Settings, *, authority: KeyAuthority | None = None, clock: Clock | None = None) -> Flask:
    app = create_service_app(
        SERVICE,
        settings,
        errors=ERRORS,
        schema=SCHEMA,
        runtime_tables=RUNTIME_TABLES,
        registration_tables=REGISTRATION_TABLES,
        clock=clock,
    )
    rt = app.extensions["sandbox"]
    authority = authority or KeyAuthority.open(settings.state_dir, rt.clock.now())
    service = Maskinporten(settings, rt, authority)
    app.extensions[SERVICE] = service
    service.registry.seed_default_scopes()
    rt.on_reset(lambda registrations: service.registry.reseed())
    app.register_blueprint(public_blueprint(service, rt))
    app.register_blueprint(fixtures())
    app.register_blueprint(key_admin_blueprint(authority, SERVICE))
    return app


def _service() -> Maskinporten:
    return current_app.extensions[SERVICE]


def public_blueprint(service: Maskinporten, rt) -> Blueprint:
    bp = Blueprint(SERVICE, __name__)

    @bp.get("/.well-known/oauth-authorization-server")
    def metadata():
        return json_response(_service().metadata())

    @bp.get("/jwk")
    def jwk():
        return json_response(_service().authority.jwks(SERVICE))

    def token(request) -> Response:
        """``POST /token``, answered beside Flask (:func:`~dsop_sandbox.mocks.common.direct.direct_post`)."""
        require_form(ERRORS, asked=request)
        grant_type = request.form.get("grant_type")
        if not grant_type:
            raise ERRORS.error(400, "invalid_request", "Missing parameter grant_type", trace_id())
        if grant_type != JWT_BEARER:
            raise ERRORS.error(
                400,
                "unsupported_grant_type",
                f"Unsupported grant_type {grant_type!r}: Maskinporten only takes {JWT_BEARER}",
                trace_id(),
            )
        assertion = request.form.get("assertion")
        if not assertion:
            raise service.errors("MP-011", trace_id(), "Missing parameter assertion")
        grant = service.validator.validate(assertion, trace_id())
        details = None
        if grant.consent is not None:
            service.validator.refuse_replay(grant, trace_id())  # a replayed grant is not looked up at Altinn
            details = service.consents.admit(grant, trace_id())
        service.validator.redeem(grant, trace_id())
        lifetime = access_token.token_lifetime(grant, rt.lifetimes["maskinporten.access_token"])
        token_value, claims = access_token.mint(
            grant,
            issuer=service.issuer,
            authority=service.authority,
            clock=rt.clock,
            lifetime=lifetime,
            authorization_details=details,
        )
        annotate(
            caller=grant.client.client_id,
            subject=grant.consent.person if grant.consent and grant.consent.person else grant.pid,
            org=grant.client.org,
            consumer=grant.consumer_org,
            supplier=grant.supplier_org,
            scopes=claims["scope"].split(),
            client_amr=grant.client_amr,
            token=token_fingerprint(token_value),
            token_jti=claims["jti"],
            iat=claims["iat"],
            exp=claims["exp"],
            grant_jti=grant.jti,
        )
        return json_response(
            {"access_token": token_value, "token_type": "Bearer", "expires_in": lifetime, "scope": claims["scope"]},
            headers={"Cache-Control": "no-store", "Pragma": "no-cache"},
        )

    direct_post(bp, "/token", "token", token)

    @bp.get("/errors/<code>")
    def error_page(code: str):
        if code not in CATALOGUE:
            abort(404, description=f"no Maskinporten error {code}")
        error, text, hint = CATALOGUE[code]
        errors = " or ".join(f"<code>{escape(name)}</code>" for name in (error, *OTHER_ERRORS.get(code, ())))
        html = (
            f"<!doctype html><html lang='en'><meta charset='utf-8'><title>{code}</title>"
            f"<body style='font-family:system-ui;max-width:40rem;margin:3rem auto'>"
            f"<h1>{code}</h1><p>{errors}</p><p>{escape(text)}</p><p>{escape(hint)}</p>"
            f"<p><small>dsop-sandbox Maskinporten</small></p></body></html>"
        )
        return Response(html, mimetype="text/html")

    @bp.get("/openapi.json")
    def openapi():
        return json_response(openapi_document(_service().base_url))

    return bp
