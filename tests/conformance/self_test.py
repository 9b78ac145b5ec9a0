"""The self-test's matrix, shared by its modules: the reference insurer and the broken variants of
one generation, a full run each (tests/conformance/full_runs.py), judged variant × requirement.

The variants of a generation are dealt round-robin to ``PARTS`` modules
(``test_self_test_<generation>_<a…d>.py``) of at most ``MOST`` runs each, so that pytest-xdist runs
the modules side by side and no module's matrix takes longer than one round of full runs: a module
runs its full runs as threads of one process, whose ~3 s of work each the GIL takes one at a time.
"""

from __future__ import annotations

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
