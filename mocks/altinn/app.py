"""The Altinn fake, both generations on one base URL.

Altinn 2: consent requests, the citizen's consent pages, consent tokens, the use log, the service
owner's list, and the keys that sign consent tokens. Altinn 3 (:mod:`.altinn3`): Access
Management's enterprise consent API, its events feed, Maskinporten's consent lookup, the consent
page and the citizen's active consents; and the resource registry (:mod:`.resource_registry`).

Altinn knows other services only by URL: it checks Maskinporten access tokens against
Maskinporten's published JWKS, and logs citizens in at ID-porten as an OIDC relying party
(authenticating with its own enterprise certificate from the key authority).
"""

from __future__ import annotations

from flask import Blueprint, Flask

from dsop_sandbox.mocks.authority import KeyAuthority
from dsop_sandbox.mocks.common import language
from dsop_sandbox.mocks.common.clock import Clock
from dsop_sandbox.mocks.common.errors import json_response
from dsop_sandbox.mocks.common.key_admin import key_admin_blueprint
from dsop_sandbox.mocks.common.records import records_schema
from dsop_sandbox.mocks.common.service import create_service_app
from dsop_sandbox.mocks.common.settings import Settings

from . import consents
from .altinn3 import consents as consents3
from .altinn3.citizen import citizen_blueprint as altinn3_citizen_blueprint
from .altinn3.enterprise import enterprise_blueprint
from .altinn3.fixtures import fixtures_blueprint as altinn3_fixtures_blueprint
from .altinn3.lookup import lookup_blueprint
from .citizen import CITIZEN_SCHEMA, CITIZEN_TABLES, citizen_blueprint
from .consent_requests import consent_requests_blueprint
from .consent_tokens import consent_tokens_blueprint
from .errors import ERRORS, RequestPath
from .fixtures import fixtures_blueprint, seed
from .openapi import openapi_document
from .resource_registry import registry_blueprint, registry_fixtures_blueprint
from .resource_registry import store as registry_store
from .runtime import SERVICE, Altinn
from .serviceowner import serviceowner_blueprint

RECORD_TABLES = ("consumers", "persons", "service_owners")
REGISTRATION_TABLES = RECORD_TABLES + registry_store.TABLES
SCHEMA = (
    "".join(records_schema(table) for table in RECORD_TABLES)
    + consents.SCHEMA
    + consents3.SCHEMA
    + registry_store.SCHEMA
    + CITIZEN_SCHEMA
)
RUNTIME_TABLES = consents.TABLES + consents3.TABLES + CITIZEN_TABLES


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
    service = Altinn(settings, rt, authority)
    app.extensions[SERVICE] = service
    seed(service)
    rt.on_reset(lambda registrations: seed(service))

    public = Blueprint(SERVICE, __name__)

    @public.get("/.well-known/oauth-authorization-server")
    def metadata():
        return json_response(
            {
                "issuer": service.base_url + "/",
                "jwks_uri": f"{service.base_url}/api/metadata/jwk",
                "response_types_supported": ["code"],
            }
        )

    @public.get("/openapi.json")
    def openapi():
        return json_response(openapi_document(service.base_url))

    @public.get("/api/metadata/jwk")
    def jwk():
        return json_response(authority.jwks(SERVICE), headers={"Cache-Control": "public, max-age=86400"})

    for blueprint in (
        public,
        enterprise_blueprint(),
        lookup_blueprint(),
        registry_blueprint(),
        consent_requests_blueprint(),
        consent_tokens_blueprint(),
        serviceowner_blueprint(),
        citizen_blueprint(),
        altinn3_citizen_blueprint(),
        fixtures_blueprint(),
        registry_fixtures_blueprint(),
        altinn3_fixtures_blueprint(),
        key_admin_blueprint(authority, SERVICE),
    ):
        app.register_blueprint(blueprint)
    app.wsgi_app = RequestPath(app.wsgi_app)
    return language.install(app)
