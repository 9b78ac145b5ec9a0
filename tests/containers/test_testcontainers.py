"""The Testcontainers example (examples/with_testcontainers), collected here so that CI runs it
against the image ./dev test builds (Testcontainers' settings for this machine: conftest.py)."""

import pytest

from dsop_sandbox.examples.with_testcontainers import test_claims_in_a_container as example

pytestmark = [pytest.mark.containers, pytest.mark.timeout(300)]

globals().update({name: value for name, value in vars(example).items() if name.startswith("test_")})
sandbox, api, insurer = example.sandbox, example.api, example.insurer
