"""Over TLS the reference insurer (trusting the sandbox's CA bundle) passes the whole suite,
including the certificate scenario; the variant that turns verification off fails exactly that
requirement; and the suite itself reaches the sandbox only with that bundle."""

from __future__ import annotations

from pathlib import Path

import pytest

from dsop_sandbox.conformance.catalogue import REQUIREMENTS
from dsop_sandbox.conformance.cli import verify_of
from dsop_sandbox.conformance.results import FAIL, PASS
from dsop_sandbox.conformance.runner import run
from dsop_sandbox.reference_insurer import ReferenceInsurerServer
from tests.conformance.broken_insurers import TLS_EXPECTED


@pytest.fixture(scope="module")
def reference(tls_sandbox):
    with ReferenceInsurerServer(tls_sandbox, port=0) as insurer:
        yield insurer


def test_the_reference_insurer_serves_https_and_trusts_the_bundle(reference, trusting, bundle):
    assert reference.url.startswith("https://localhost:")
    assert trusting.get(reference.url + "/health", timeout=10).status_code == 200
    assert reference.insurer.config.verify == reference.facts["certificate"]["ca"]
    assert Path(reference.facts["certificate"]["ca"]).read_text() == Path(bundle).read_text()


def full_run(sandbox, profile_path, bundle):
    result = run(str(profile_path), sandbox.url("control"), verify=bundle)
    assert result.setup_error is None, result.setup_error
    assert not [s.error for s in result.scenarios if s.error], [s.error for s in result.scenarios]
    assert result.skipped == {}  # over TLS nothing is left out
    return result


def test_the_full_suite_passes_over_tls(tls_sandbox, reference, bundle):
    result = full_run(tls_sandbox, reference.profile_path, bundle)
    failing = {r.id: result.overall(r.id) for r in REQUIREMENTS if result.overall(r.id) != PASS}
    assert failing == {}
    [verdict] = result.verdicts_for("DSOP-TLS-VERIFY")
    assert "refused NAV's certificate" in verdict.why and "unknown_ca" in verdict.why
    assert verdict.evidence and all(e["operation"] == "tls_handshake" for e in verdict.evidence)


@pytest.mark.filterwarnings("ignore::urllib3.exceptions.InsecureRequestWarning")
@pytest.mark.parametrize("variant", list(TLS_EXPECTED), ids=lambda v: v.__name__)
def test_a_variant_that_skips_verification_fails_exactly_the_certificate_requirement(tls_sandbox, bundle, variant):
    with ReferenceInsurerServer(
        tls_sandbox, port=0, insurer_class=variant, org="310000027", name="Uforsiktig Forsikring AS"
    ) as careless:
        result = full_run(tls_sandbox, careless.profile_path, bundle)
    got = {r.id: result.overall(r.id) for r in REQUIREMENTS if result.overall(r.id) != PASS}
    assert got == TLS_EXPECTED[variant]
    [verdict] = result.verdicts_for("DSOP-TLS-VERIFY")
    assert verdict.status == FAIL and "does not verify the server" in verdict.why
    assert verdict.evidence and all(e["service"] == "nav" and e["caller"] == "310000027" for e in verdict.evidence)


def test_without_the_bundle_the_suite_cannot_start(tls_sandbox, reference):
    result = run(str(reference.profile_path), tls_sandbox.url("control"))
    assert result.setup_error and "does not answer" in result.setup_error


def test_conform_and_doctor_take_a_ca_bundle(bundle):
    import argparse

    from dsop_sandbox.conformance.cli import add_commands

    parser = argparse.ArgumentParser()
    add_commands(parser.add_subparsers(dest="command"), lambda args: "https://localhost:1")
    for command in ("conform", "doctor"):
        args = parser.parse_args([command, "--insurer", "x.toml", "--ca-bundle", bundle])
        assert verify_of(args) == bundle
        assert verify_of(parser.parse_args([command, "--insurer", "x.toml"])) is True
