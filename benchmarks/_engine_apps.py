"""App factories for another WSGI server (``granian --factory``): the same Maskinporten and NAV apps
``up`` serves, built on the state directory and ports of a running ``up`` (the settings come from the
environment, as for ``dsop-sandbox serve``), and an app that does nothing (serving_overhead.py's)."""

from __future__ import annotations

import os

from dsop_sandbox.mocks.common.settings import Settings


def _settings() -> Settings:
    return Settings.load(None, overrides={"state_dir": os.environ["DSOP_ENGINE_STATE_DIR"]})


def maskinporten():
    from dsop_sandbox.mocks.maskinporten import create_app

    return create_app(_settings())


def nav():
    from dsop_sandbox.mocks.nav import create_app

    return create_app(_settings())


def nothing():
    from benchmarks.serving_overhead import nothing

    return nothing
