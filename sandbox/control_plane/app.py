"""Building the control plane's Flask app: the same service machinery as every fake (its own store,
clock and event log, errors in the admin shape), without a fake's admin blueprint."""

from __future__ import annotations

from flask import Flask

from dsop_sandbox.mocks.authority import KeyAuthority
from dsop_sandbox.mocks.common.clock import Clock
from dsop_sandbox.mocks.common.errors import ADMIN_ERRORS
from dsop_sandbox.mocks.common.records import records_schema
from dsop_sandbox.mocks.common.service import create_service_app
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
    )
    runtime = app.extensions["sandbox"]
    app.extensions[EXTENSION] = ControlPlane(runtime, authority or KeyAuthority.open(settings.state_dir, clock.now()))
    app.register_blueprint(admin_blueprint())
    app.register_blueprint(walkthrough_blueprint())
    return app
