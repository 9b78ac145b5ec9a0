"""The NAV fake: its access list of insurers (tilgangsstyring). The DSOP APIs, the disclosure
log and the innsyn page build on this factory."""
from __future__ import annotations

from flask import Blueprint, Flask, current_app

from mocks.common import validation as check
from mocks.common.admin import admin_error, admin_json, fixtures_blueprint
from mocks.common.clock import Clock
from mocks.common.errors import ErrorShape, json_response
from mocks.common.records import Records, record_routes, records_schema
from mocks.common.service import create_service_app
from mocks.common.settings import Settings

SERVICE = "nav"
#: The DSOP APIs NAV opens to an insurer on its access list.
APIS = ("uforeopplysninger", "aap")


def error_body(status: int, code: str, message: str, trace_id: str) -> dict:
    """NAV's API errors: ``{"melding", "kode"}``."""
    return {"melding": message, "kode": code.upper()}


ERRORS = ErrorShape(error_body)


def create_app(settings: Settings, *, authority=None, clock: Clock | None = None) -> Flask:
    """``authority`` is accepted for a uniform factory signature and not used: like the real NAV,
    this fake trusts Maskinporten's and Altinn's keys only through their JWKS over HTTP."""
    app = create_service_app(SERVICE, settings, errors=ERRORS, schema=records_schema("access_list"),
                             registration_tables=("access_list",), clock=clock)
    rt = app.extensions["sandbox"]
    app.extensions[SERVICE] = {"access_list": Records(rt.store, "access_list", rt.clock)}
    app.register_blueprint(access_fixtures())
    return app


def _access_list() -> Records:
    return current_app.extensions[SERVICE]["access_list"]


def access_fixtures() -> Blueprint:
    bp = fixtures_blueprint(SERVICE)

    @bp.post("/access-list")
    def grant():
        """``{"org", "name", "apis"?: ["uforeopplysninger", "aap"]}``: NAV lets the insurer call the APIs."""
        body = admin_json()
        apis = check.string_list(body, "apis", list(APIS), allow_empty=False)
        if not set(apis) <= set(APIS):
            raise admin_error(400, "invalid_request", f"apis: any of {', '.join(APIS)}")
        org = check.org_number(body.get("org"))
        return json_response(_access_list().put(org, {"org": org, "name": check.text(body, "name"), "apis": apis}),
                             201)

    record_routes(bp, "/access-list", _access_list, listing="access_list", missing="not_on_access_list")
    return bp
