"""Over TLS the reference insurer (trusting the sandbox's CA bundle) passes the scenarios TLS
carries (consent, fetch and the certificate scenario); the variant that turns verification off
fails the certificate requirement and nothing else, in both consent generations (see
tests/tls/full_runs_tls.py); and the suite itself reaches the sandbox only with that bundle. The
runs go side by side, each on a TLS sandbox of its own."""

from __future__ import annotations

from pathlib import Path

import pytest

from dsop_sandbox.conformance.cli import verify_of
from dsop_sandbox.conformance.profile import GENERATIONS
from dsop_sandbox.conformance.runner import run
from dsop_sandbox.reference_insurer import ReferenceInsurerServer
from tests.conformance.broken_insurers import TLS_EXPECTED
from tests.conformance.self_test import claimed, unseen_when_neutered
from tests.tls.full_runs_tls import (
    assert_fails_only_the_certificate,
    assert_passes_over_tls,
    not_passed,
    tls_full_runs,
)


@pytest.fixture(scope="module")
def reference(tls_sandbox):
    with ReferenceInsurerServer(tls_sandbox, port=0, consent="altinn2") as insurer:
        yield insurer


def test_the_reference_insurer_serves_https_and_trusts_the_bundle(reference, trusting, bundle):
    assert reference.url.startswith("https://localhost:")
    assert trusting.get(reference.url + "/health", timeout=10).status_code == 200
    assert reference.insurer.config.verify == reference.facts["certificate"]["ca"]
    assert Path(reference.facts["certificate"]["ca"]).read_text() == Path(bundle).read_text()


@pytest.fixture(scope="module", params=GENERATIONS)
def full_runs(request, tmp_path_factory) -> dict:
    """The runs over TLS of one consent generation (each test runs for both)."""
    return tls_full_runs(request.param, tmp_path_factory)


def test_the_reference_insurer_passes_over_tls(full_runs):
    assert_passes_over_tls(full_runs[None])


@pytest.mark.parametrize("variant", list(TLS_EXPECTED), ids=lambda v: v.__name__)
def test_a_variant_that_skips_verification_fails_exactly_the_certificate_requirement(full_runs, variant):
    assert_fails_only_the_certificate(full_runs[variant], variant)


@pytest.mark.parametrize("variant", list(TLS_EXPECTED), ids=lambda v: v.__name__)
def test_the_certificate_judge_cannot_be_replaced_by_pass_unseen(full_runs, variant):
    """The self-test's judge-replacement check (tests/conformance/test_judge_replacement.py) for the
    judge only a sandbox serving HTTPS reaches, on the verdicts these runs recorded."""
    result = full_runs[variant]
    judges = claimed(result.generation, variant, TLS_EXPECTED[variant], tls=True)
    assert judges == {("nav_certificate", "DSOP-TLS-VERIFY")}
    assert unseen_when_neutered(result, judges, lambda r: not_passed(r) == TLS_EXPECTED[variant]) == []


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
