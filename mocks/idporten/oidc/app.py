"""The ID-porten fake: the key it signs id_tokens with (``/jwks.json``) and its client registry.

The OIDC endpoints (discovery, authorize, login page, token, userinfo, logout, PAR) build on
this factory.
"""
from __future__ import annotations

import secrets
import uuid

from flask import Blueprint, Flask, current_app

from mocks.authority import KeyAuthority
from mocks.authority.admin import key_admin_blueprint
from mocks.common import validation as check
from mocks.common.admin import admin_error, admin_json, fixtures_blueprint
from mocks.common.clock import Clock
from mocks.common.errors import ErrorShape, json_response
from mocks.common.records import Records, record_routes, records_schema
from mocks.common.service import create_service_app
from mocks.common.settings import Settings

SERVICE = "idporten"
AUTH_METHODS = ("client_secret_basic", "client_secret_post", "private_key_jwt", "none")


def error_body(status: int, code: str, message: str, trace_id: str) -> dict:
    return {"error": code, "error_description": message}


ERRORS = ErrorShape(error_body)


def create_app(settings: Settings, *, authority: KeyAuthority | None = None, clock: Clock | None = None) -> Flask:
    app = create_service_app(SERVICE, settings, errors=ERRORS, schema=records_schema("clients"),
                             registration_tables=("clients",), clock=clock)
    rt = app.extensions["sandbox"]
    authority = authority or KeyAuthority.open(settings.state_dir, rt.clock.now())
    app.extensions[SERVICE] = {"authority": authority, "clients": Records(rt.store, "clients", rt.clock)}
    public = Blueprint(SERVICE, __name__)

    @public.get("/jwks.json")
    def jwks():
        return json_response(authority.jwks(SERVICE))

    app.register_blueprint(public)
    app.register_blueprint(client_fixtures())
    app.register_blueprint(key_admin_blueprint(authority, SERVICE))
    return app


def _clients() -> Records:
    return current_app.extensions[SERVICE]["clients"]


def client_fixtures() -> Blueprint:
    bp = fixtures_blueprint(SERVICE)

    @bp.post("/clients")
    def register_client():
        """``{"client_name", "redirect_uris": [...], "client_id"?, "org"?, "post_logout_redirect_uris"?,
        "token_endpoint_auth_method"?, "grant_types"?, "scopes"?, "frontchannel_logout_uri"?,
        "jwks"?}``; a client secret is made for the client_secret_* methods."""
        body = admin_json()
        client_id = body.get("client_id") or str(uuid.uuid4())
        if not isinstance(client_id, str):
            raise admin_error(400, "invalid_request", "client_id must be a string")
        if _clients().get(client_id):
            raise admin_error(409, "client_exists", f"client {client_id} exists")
        method = check.one_of(body, "token_endpoint_auth_method", AUTH_METHODS, "client_secret_basic")
        redirect_uris = [check.absolute_url(uri, "redirect_uris")
                         for uri in check.string_list(body, "redirect_uris", allow_empty=False)]
        logout_uris = [check.absolute_url(uri, "post_logout_redirect_uris")
                       for uri in check.string_list(body, "post_logout_redirect_uris")]
        grant_types = check.string_list(body, "grant_types", ["authorization_code"])
        if not set(grant_types) <= {"authorization_code", "refresh_token"}:
            raise admin_error(400, "invalid_request", "grant_types: authorization_code and/or refresh_token")
        record = {
            "client_id": client_id,
            "client_name": check.text(body, "client_name"),
            "org": check.org_number(body["org"]) if body.get("org") is not None else None,
            "redirect_uris": redirect_uris,
            "post_logout_redirect_uris": logout_uris,
            "token_endpoint_auth_method": method,
            "client_secret": secrets.token_urlsafe(32) if method.startswith("client_secret") else None,
            "grant_types": grant_types,
            "scopes": check.string_list(body, "scopes", ["openid", "profile"]),
            "frontchannel_logout_uri": body.get("frontchannel_logout_uri"),
            "jwks": body.get("jwks"),
        }
        return json_response(_clients().put(client_id, record), 201)

    record_routes(bp, "/clients", _clients, listing="clients", missing="unknown_client")
    return bp
