"""Tests that need a tool from the machine (Debian's chromium, PostgreSQL): ``./dev test`` installs it
when it can; where it is missing anyway, those tests are skipped, unless ``CI`` is set: CI must really
run them, so there they fail."""

from __future__ import annotations

import os
from typing import NoReturn

import pytest


def skip_or_fail(what: str, reason: str) -> NoReturn:
    """Skip the test (``reason`` says what is missing), or fail it under CI."""
    if os.environ.get("CI"):
        pytest.fail(f"{what} tests must run under CI, but {reason}", pytrace=False)
    pytest.skip(reason)
