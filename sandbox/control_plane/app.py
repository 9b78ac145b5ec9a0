"""Building the control plane's Flask app: the same service machinery as every fake (its own store,
clock and event log, errors in the admin shape), without a fake's admin blueprint. Every path of
it is checked as the admin API is (:mod:`dsop_sandbox.mocks.common.admin_access`): its pages carry
reset and withdraw buttons, and hand their browser the admin token."""

from __future__ import annotations

from flask import Flask

from dsop_sandbox.mocks.authority import KeyAuthority
from dsop_sandbox.mocks.common.admin_access import TOKEN_COOKIE, is_loopback
from dsop_sandbox.mocks.common.clock import Clock
from dsop_sandbox.mocks.common.direct import after_response
from dsop_sandbox.mocks.common.errors import ADMIN_ERRORS
from dsop_sandbox.mocks.common.records import records_schema
from dsop_sandbox.mocks.common.service import ACCESS_EXTENSION, create_service_app
from dsop_sandbox.mocks.common.settings import Settings

from .admin import admin_blueprint
from .state import EXTENSION, INSURERS_TABLE, SERVICE, ControlPlane
from .walkthrough import RECORDED_READS, walkthrough_blueprint


def create_app(settings: Settings, *, authority: KeyAuthority | None = None, clock: Clock | None = None) -> Flask:
    clock = clock or Clock()
    app = create_service_app(
        SERVICE,
        settings,
        errors=ADMIN_ERRORS,
        schema=records_schema(INSURERS_TABLE),
        registration_tables=(INSURERS_TABLE,),
        clock=clock,
        admin_api=False,  # its /_sandbox routes fan out to the services instead
        recorded_reads=RECORDED_READS,
        dated_by_start=True,
        guard_every_path=True,
    )
    runtime = app.extensions["sandbox"]
    access = app.extensions[ACCESS_EXTENSION]
    app.extensions[EXTENSION] = ControlPlane(
        runtime, authority or KeyAuthority.open(settings.state_dir, clock.now()), admin_token=access.token
    )
    app.register_blueprint(admin_blueprint())
    app.register_blueprint(walkthrough_blueprint())

    def token_for_own_pages(asked, response):
        """A page of the control plane, asked for from this machine (or opened once with
        ``?token=``), gives its browser the admin token as an HttpOnly, SameSite=Strict cookie: its
        own scripts' calls then carry it, and no other site's page can read or send it."""
        if response.mimetype == "text/html" and (
            is_loopback(asked.remote_addr or "") or access.query_token_valid(asked.environ)
        ):
            response.set_cookie(
                TOKEN_COOKIE,
                access.token,
                httponly=True,
                samesite="Strict",
                path="/",
                secure=asked.scheme == "https",
            )
        return response

    after_response(app, token_for_own_pages)
    return app
