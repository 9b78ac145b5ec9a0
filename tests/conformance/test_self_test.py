"""The suite proves itself: the reference insurer passes every requirement, and each broken
variant fails exactly the requirements it breaks and nothing else (the variant × requirement
matrix). The variants run a few at a time, each on a sandbox of its own (the scenarios arm faults
and move the calendar for the whole sandbox; see tests/conformance/full_runs.py)."""

from __future__ import annotations

import pytest

from dsop_sandbox.conformance.catalogue import catalogue
from dsop_sandbox.conformance.results import PASS, RunResult
from tests.conformance.broken_insurers import EXPECTED
from tests.conformance.full_runs import FullRun, run_all


def verdicts(result: RunResult) -> dict[str, str]:
    """Every requirement's overall verdict in a full run (those the run left out are absent)."""
    judged = {requirement.id for requirement in result.judged()}
    return {r.id: result.overall(r.id) for r in result.requirements if r.id in judged}


@pytest.fixture(scope="module")
def matrix(tmp_path_factory) -> dict:
    results = run_all([FullRun(variant) for variant in [None, *EXPECTED]], tmp_path_factory)
    return {job.variant: verdicts(result) for job, result in results.items()}


def test_the_reference_insurer_passes_every_requirement(matrix):
    failing = {rid: verdict for rid, verdict in matrix[None].items() if verdict != PASS}
    assert failing == {}
    # On plain HTTP only the certificate requirement is left out (tests/tls judges it).
    assert {r.id for r in catalogue("altinn2")} - set(matrix[None]) == {"DSOP-TLS-VERIFY"}


@pytest.mark.parametrize("variant", list(EXPECTED), ids=lambda v: v.__name__)
def test_each_broken_variant_fails_exactly_what_it_breaks(matrix, variant):
    got = {rid: verdict for rid, verdict in matrix[variant].items() if verdict != PASS}
    assert got == EXPECTED[variant], f"{variant.__name__}: {variant.__doc__.strip()}"
