"""Tests that use real containers: the image, docker compose, Testcontainers. Each module shares one
container or one compose project (xdist's --dist loadfile keeps a module on one worker)."""

from __future__ import annotations

import os

import pytest

# Testcontainers reads these when it is first imported (the example's container module imports it):
# Docker Hub is out of reach here, so its reaper (Ryuk) cannot be pulled (each ``with`` block removes
# its container itself); and this machine is itself a container (/.dockerenv) with its own engine, so
# the published ports are on its localhost, not on a gateway.
os.environ.setdefault("TESTCONTAINERS_RYUK_DISABLED", "true")
os.environ.setdefault("TESTCONTAINERS_CONNECTION_MODE", "docker_host")

from .engine import require_engine


@pytest.fixture(scope="module", autouse=True)
def engine() -> None:
    require_engine()
