"""The Altinn fake: its consent-token signing key (``/api/metadata/jwk``, advertised by
``/.well-known/oauth-authorization-server``) and its registry of consumers (API keys and
allowed redirect domains). Consent requests, pages and tokens build on this factory."""
from __future__ import annotations

import secrets
from urllib.parse import urlsplit

from flask import Blueprint, Flask, current_app

from mocks.authority import KeyAuthority
from mocks.authority.admin import key_admin_blueprint
from mocks.common import validation as check
from mocks.common.admin import admin_json, fixtures_blueprint
from mocks.common.clock import Clock
from mocks.common.errors import ErrorShape, json_response
from mocks.common.records import Records, record_routes, records_schema
from mocks.common.service import create_service_app
from mocks.common.settings import Settings

SERVICE = "altinn"


def error_body(status: int, code: str, message: str, trace_id: str) -> list:
    """Altinn 2's REST errors: a list of ``{"ErrorCode", "ErrorMessage"}``."""
    return [{"ErrorCode": code, "ErrorMessage": message}]


ERRORS = ErrorShape(error_body)


def create_app(settings: Settings, *, authority: KeyAuthority | None = None, clock: Clock | None = None) -> Flask:
    app = create_service_app(SERVICE, settings, errors=ERRORS, schema=records_schema("consumers"),
                             registration_tables=("consumers",), clock=clock)
    rt = app.extensions["sandbox"]
    authority = authority or KeyAuthority.open(settings.state_dir, rt.clock.now())
    app.extensions[SERVICE] = {"authority": authority, "consumers": Records(rt.store, "consumers", rt.clock)}
    base_url = settings.base_url(SERVICE)
    public = Blueprint(SERVICE, __name__)

    @public.get("/.well-known/oauth-authorization-server")
    def metadata():
        return json_response({"issuer": base_url + "/", "jwks_uri": f"{base_url}/api/metadata/jwk",
                              "response_types_supported": ["code"]})

    @public.get("/api/metadata/jwk")
    def jwk():
        return json_response(authority.jwks(SERVICE))

    app.register_blueprint(public)
    app.register_blueprint(consumer_fixtures())
    app.register_blueprint(key_admin_blueprint(authority, SERVICE))
    return app


def _consumers() -> Records:
    return current_app.extensions[SERVICE]["consumers"]


def consumer_fixtures() -> Blueprint:
    bp = fixtures_blueprint(SERVICE)

    @bp.post("/consumers")
    def register_consumer():
        """``{"org", "name", "redirect_urls": [...]}``: the insurer as a consent consumer. Its
        allowed redirect domains are the hosts of ``redirect_urls`` (plus ``redirect_domains``)."""
        body = admin_json()
        org = check.org_number(body.get("org"))
        urls = [check.absolute_url(url, "redirect_urls") for url in check.string_list(body, "redirect_urls")]
        domains = check.string_list(body, "redirect_domains") + [urlsplit(url).hostname for url in urls]
        record = {"org": org, "name": check.text(body, "name"), "api_key": secrets.token_hex(16),
                  "redirect_urls": urls, "redirect_domains": list(dict.fromkeys(domains))}
        return json_response(_consumers().put(org, record), 201)

    record_routes(bp, "/consumers", _consumers, listing="consumers", missing="unknown_consumer")
    return bp
