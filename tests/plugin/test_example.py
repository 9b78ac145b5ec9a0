"""The worked example's tests (examples/insurer_with_pytest/test_claims.py), collected here so that
CI runs them: its fixtures and tests, taken over as they are, on the plugin's session sandbox."""

from dsop_sandbox.examples.insurer_with_pytest import test_claims as example

globals().update({name: value for name, value in vars(example).items() if name.startswith("test_")})
app, claims, claim = example.app, example.claims, example.claim
