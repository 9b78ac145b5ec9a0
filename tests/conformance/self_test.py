"""The self-test's matrix, shared by its modules: the reference insurer and the broken variants of
one generation, a full run each (tests/conformance/full_runs.py), judged variant × requirement.

The variants of a generation are dealt round-robin to ``PARTS`` modules
(``test_self_test_<generation>_<a…d>.py``) of at most ``MOST`` runs each, so that pytest-xdist runs
the modules side by side and no module's matrix takes longer than one round of full runs: a module
runs its full runs as threads of one process, whose ~3 s of work each the GIL takes one at a time.
"""

from __future__ import annotations

import pytest

from dsop_sandbox.conformance.catalogue import catalogue
from dsop_sandbox.conformance.results import PASS, RunResult
from tests.conformance.broken_insurers import EXPECTED
from tests.conformance.full_runs import AT_ONCE, FullRun, run_all

PARTS = 4
MOST = 3


def share(generation: str, part: int) -> list[type | None]:
    """The runs of module ``part`` of ``generation``'s self-test: every PARTS-th of the reference
    insurer (None, so in part 0) and the variants."""
    return [None, *EXPECTED[generation]][part::PARTS]


assert all(len(share(generation, part)) <= min(MOST, AT_ONCE) for generation in EXPECTED for part in range(PARTS))


def verdicts(result: RunResult) -> dict[str, str]:
    """Every requirement's overall verdict in a full run (those the run left out are absent)."""
    judged = {requirement.id for requirement in result.judged()}
    return {r.id: result.overall(r.id) for r in result.requirements if r.id in judged}


def matrix_of(generation: str, part: int, tmp_path_factory) -> dict:
    jobs = [FullRun(variant, consent=generation) for variant in share(generation, part)]
    results = run_all(jobs, tmp_path_factory)
    for job, result in results.items():
        assert result.generation == generation, (job, result.generation)
    return {job.variant: verdicts(result) for job, result in results.items()}


def assert_reference_passes(matrix: dict, generation: str) -> None:
    failing = {rid: verdict for rid, verdict in matrix[None].items() if verdict != PASS}
    assert failing == {}
    # On plain HTTP only the certificate requirement is left out (tests/tls judges it).
    assert {r.id for r in catalogue(generation)} - set(matrix[None]) == {"DSOP-TLS-VERIFY"}


def assert_fails_exactly(matrix: dict, generation: str, variant: type) -> None:
    got = {rid: verdict for rid, verdict in matrix[variant].items() if verdict != PASS}
    assert got == EXPECTED[generation][variant], f"{variant.__name__}: {variant.__doc__.strip()}"


def part_tests(generation: str, part: int) -> dict:
    """The module-level names of part ``part`` of ``generation``'s self-test: its ``matrix`` fixture
    and its tests (the reference insurer's in part 0). Each ``test_self_test_<generation>_<a…d>.py``
    takes them with ``globals().update(part_tests(...))``, so that the parts are modules of their own
    for pytest-xdist to run side by side while their code stays here."""
    variants = [variant for variant in share(generation, part) if variant is not None]

    @pytest.fixture(scope="module")
    def matrix(tmp_path_factory) -> dict:
        return matrix_of(generation, part, tmp_path_factory)

    @pytest.mark.parametrize("variant", variants, ids=lambda v: v.__name__)
    def test_each_broken_variant_fails_exactly_what_it_breaks(matrix, variant):
        assert_fails_exactly(matrix, generation, variant)

    names = {
        "matrix": matrix,
        "test_each_broken_variant_fails_exactly_what_it_breaks": test_each_broken_variant_fails_exactly_what_it_breaks,
    }
    if None in share(generation, part):

        def test_the_reference_insurer_passes_every_requirement(matrix):
            assert_reference_passes(matrix, generation)

        names["test_the_reference_insurer_passes_every_requirement"] = (
            test_the_reference_insurer_passes_every_requirement
        )
    return names
