"""Over TLS the reference insurer (trusting the sandbox's CA bundle) passes the whole suite,
including the certificate scenario; the variant that turns verification off fails exactly that
requirement; and the suite itself reaches the sandbox only with that bundle. The full runs go side
by side, each on a TLS sandbox of its own."""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest
import urllib3

from dsop_sandbox.conformance.cli import verify_of
from dsop_sandbox.conformance.profile import GENERATIONS
from dsop_sandbox.conformance.results import FAIL, PASS
from dsop_sandbox.conformance.runner import run
from dsop_sandbox.reference_insurer import ReferenceInsurerServer
from tests.conformance.broken_insurers import TLS_EXPECTED
from tests.conformance.full_runs import FullRun, run_all


@pytest.fixture(scope="module")
def reference(tls_sandbox):
    with ReferenceInsurerServer(tls_sandbox, port=0, consent="altinn2") as insurer:
        yield insurer


def test_the_reference_insurer_serves_https_and_trusts_the_bundle(reference, trusting, bundle):
    assert reference.url.startswith("https://localhost:")
    assert trusting.get(reference.url + "/health", timeout=10).status_code == 200
    assert reference.insurer.config.verify == reference.facts["certificate"]["ca"]
    assert Path(reference.facts["certificate"]["ca"]).read_text() == Path(bundle).read_text()


CARELESS = {"org": "310000027", "name": "Uforsiktig Forsikring AS"}


@pytest.fixture(scope="module")
def full_runs(tmp_path_factory) -> dict:
    """The reference insurer and each variant of TLS_EXPECTED, a full run each, over TLS, in both
    consent generations."""
    jobs = [
        FullRun(variant, consent=generation, tls=True, insurer=CARELESS if variant else {})
        for generation in GENERATIONS
        for variant in (None, *TLS_EXPECTED)
    ]
    with warnings.catch_warnings():  # the careless variant's verify=False, in the runs' threads
        warnings.simplefilter("ignore", urllib3.exceptions.InsecureRequestWarning)
        results = run_all(jobs, tmp_path_factory)
    for job, result in results.items():
        assert result.skipped == {}  # over TLS nothing is left out
        assert result.generation == job.consent
    return {(job.variant, job.consent): result for job, result in results.items()}


@pytest.mark.parametrize("generation", GENERATIONS)
def test_the_full_suite_passes_over_tls(full_runs, generation):
    result = full_runs[None, generation]
    failing = {r.id: result.overall(r.id) for r in result.requirements if result.overall(r.id) != PASS}
    assert failing == {}
    [verdict] = result.verdicts_for("DSOP-TLS-VERIFY")
    assert "refused NAV's certificate" in verdict.why and "unknown_ca" in verdict.why
    assert verdict.evidence and all(e["operation"] == "tls_handshake" for e in verdict.evidence)


@pytest.mark.parametrize("generation", GENERATIONS)
@pytest.mark.parametrize("variant", list(TLS_EXPECTED), ids=lambda v: v.__name__)
def test_a_variant_that_skips_verification_fails_exactly_the_certificate_requirement(full_runs, variant, generation):
    result = full_runs[variant, generation]
    got = {r.id: result.overall(r.id) for r in result.requirements if result.overall(r.id) != PASS}
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
