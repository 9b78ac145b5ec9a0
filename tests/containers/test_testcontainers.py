"""The Testcontainers example (examples/with_testcontainers), collected here so that CI runs it
against the image ./dev test builds. Docker Hub is out of reach here, so Testcontainers' reaper
(Ryuk) is off; each ``with`` block removes its container itself."""

import os

import pytest

os.environ.setdefault("TESTCONTAINERS_RYUK_DISABLED", "true")
# This machine is itself a container (/.dockerenv) with its own engine: the published ports are on
# its localhost, not on a gateway (read when testcontainers is imported, below).
os.environ.setdefault("TESTCONTAINERS_CONNECTION_MODE", "docker_host")

from dsop_sandbox.examples.with_testcontainers import test_claims_in_a_container as example

pytestmark = pytest.mark.containers

globals().update({name: value for name, value in vars(example).items() if name.startswith("test_")})
sandbox, api, insurer = example.sandbox, example.api, example.insurer
