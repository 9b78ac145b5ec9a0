"""Tests that use real containers: the image, docker compose, Testcontainers. Each module shares one
container or one compose project (xdist's --dist loadfile keeps a module on one worker)."""

from __future__ import annotations

import pytest

from .engine import require_engine


@pytest.fixture(scope="module", autouse=True)
def engine() -> None:
    require_engine()
