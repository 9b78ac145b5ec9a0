"""Over TLS the Altinn 3 reference insurer passes the scenarios TLS carries (consent, fetch and the
certificate scenario), and the variant that turns verification off fails the certificate
requirement and nothing else (see tests/tls/full_runs_tls.py)."""

from __future__ import annotations

import pytest

from tests.conformance.broken_insurers import TLS_EXPECTED
from tests.tls.full_runs_tls import assert_fails_only_the_certificate, assert_passes_over_tls, tls_full_runs


@pytest.fixture(scope="module")
def full_runs(tmp_path_factory) -> dict:
    return tls_full_runs("altinn3", tmp_path_factory)


def test_the_altinn3_reference_insurer_passes_over_tls(full_runs):
    assert_passes_over_tls(full_runs[None])


@pytest.mark.parametrize("variant", list(TLS_EXPECTED), ids=lambda v: v.__name__)
def test_an_altinn3_variant_that_skips_verification_fails_exactly_the_certificate_requirement(full_runs, variant):
    assert_fails_only_the_certificate(full_runs[variant], variant)
