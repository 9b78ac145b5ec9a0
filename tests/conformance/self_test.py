"""The self-test's matrix, shared by its modules: the reference insurer and the broken variants of
one generation, a full run each (tests/conformance/full_runs.py), judged variant × requirement.

Every judge is proven: each judgement a run makes (a scenario's verdict on one requirement) is
claimed by a variant that fails it (:func:`claimed`; tests/conformance/test_judge_replacement.py
checks that every judgement is claimed), and the variant's own part checks, on the verdicts its run
recorded, that the judge replaced by "always PASS" would make the variant's test fail
(:func:`neutered`; no run is repeated).

The variants of a generation are dealt round-robin to ``PARTS`` modules
(``test_self_test_<generation>_<a…f>.py``) of at most ``MOST`` runs each, so that pytest-xdist runs
the modules side by side and no module's matrix takes longer than one round of full runs: a module
runs its full runs as threads of one process, whose ~3 s of work each the GIL takes one at a time.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from dsop_sandbox.conformance.catalogue import catalogue
from dsop_sandbox.conformance.results import FAIL, PASS, RunResult
from dsop_sandbox.conformance.scenarios import SCENARIOS
from tests.conformance.broken_insurers import EXPECTED, JUDGED_IN
from tests.conformance.full_runs import AT_ONCE, FullRun, run_all

PARTS = 6
MOST = 4


def share(generation: str, part: int) -> list[type | None]:
    """The runs of module ``part`` of ``generation``'s self-test: every PARTS-th of the reference
    insurer (None, so in part 0) and the variants."""
    return [None, *EXPECTED[generation]][part::PARTS]


assert all(len(share(generation, part)) <= min(MOST, AT_ONCE) for generation in EXPECTED for part in range(PARTS))


def verdicts(result: RunResult) -> dict[str, str]:
    """Every requirement's overall verdict in a full run (those the run left out are absent)."""
    judged = {requirement.id for requirement in result.judged()}
    return {r.id: result.overall(r.id) for r in result.requirements if r.id in judged}


def not_passed(result: RunResult) -> dict[str, str]:
    """The requirements a run did not pass, with their verdicts."""
    return {rid: verdict for rid, verdict in verdicts(result).items() if verdict != PASS}


def matrix_of(generation: str, part: int, tmp_path_factory) -> dict[type | None, RunResult]:
    jobs = [FullRun(variant, consent=generation) for variant in share(generation, part)]
    results = run_all(jobs, tmp_path_factory)
    for job, result in results.items():
        assert result.generation == generation, (job, result.generation)
    return {job.variant: result for job, result in results.items()}


def assert_reference_passes(matrix: dict, generation: str) -> None:
    assert not_passed(matrix[None]) == {}
    # On plain HTTP only the certificate requirement is left out (tests/tls judges it).
    assert {r.id for r in catalogue(generation)} - set(verdicts(matrix[None])) == {"DSOP-TLS-VERIFY"}


def fails_exactly(result: RunResult, generation: str, variant: type) -> bool:
    """What the self-test asserts of a variant's run: it fails exactly what EXPECTED says."""
    return not_passed(result) == EXPECTED[generation][variant]


def assert_fails_exactly(matrix: dict, generation: str, variant: type) -> None:
    result = matrix[variant]
    assert fails_exactly(result, generation, variant), (
        f"{variant.__name__}: {variant.__doc__.strip()}",
        not_passed(result),
    )


# == every judge proven ==================================================================================
def judges(generation: str, *, tls: bool = False) -> set[tuple[str, str]]:
    """Every judgement a run of ``generation`` makes, as (scenario, requirement): on plain HTTP
    (``tls``: the ones only a sandbox serving HTTPS makes)."""
    return {
        (scenario.name, requirement)
        for scenario in SCENARIOS[generation]
        if scenario.needs_tls == tls
        for requirement in scenario.requirements
    }


def claimed(generation: str, variant: type, expected: dict[str, str], *, tls: bool = False) -> set[tuple[str, str]]:
    """The judgements ``variant`` claims to prove: for each requirement it must FAIL, every scenario of
    ``generation`` that judges it, or the one JUDGED_IN names."""
    named = JUDGED_IN.get(variant, {})
    return {
        (scenario, requirement)
        for scenario, requirement in judges(generation, tls=tls)
        if expected.get(requirement) == FAIL and named.get(requirement, scenario) == scenario
    }


def neutered(result: RunResult, judge: tuple[str, str]) -> RunResult:
    """``result`` as a run would have recorded it with ``judge`` replaced by "always PASS": every FAIL
    that scenario gave that requirement is a PASS. Replaying is exact because no scenario reads a
    verdict back (test_judge_replacement checks that ``judge()``'s value is never used)."""
    scenario, requirement = judge
    return replace(
        result,
        scenarios=[
            replace(
                outcome,
                verdicts=[
                    replace(v, status=PASS)
                    if outcome.name == scenario and v.requirement == requirement and v.status == FAIL
                    else v
                    for v in outcome.verdicts
                ],
            )
            for outcome in result.scenarios
        ],
    )


def unseen_when_neutered(result: RunResult, judges_: set, holds) -> list[tuple[str, str]]:
    """The judges among ``judges_`` that could be replaced by "always PASS" with ``holds`` (the test's
    assertion on the run) still true."""
    return sorted(judge for judge in judges_ if holds(neutered(result, judge)))


def part_tests(generation: str, part: int) -> dict:
    """The module-level names of part ``part`` of ``generation``'s self-test: its ``matrix`` fixture
    and its tests (the reference insurer's in part 0). Each ``test_self_test_<generation>_<a…f>.py``
    takes them with ``globals().update(part_tests(...))``, so that the parts are modules of their own
    for pytest-xdist to run side by side while their code stays here."""
    variants = [variant for variant in share(generation, part) if variant is not None]

    @pytest.fixture(scope="module")
    def matrix(tmp_path_factory) -> dict:
        return matrix_of(generation, part, tmp_path_factory)

    @pytest.mark.parametrize("variant", variants, ids=lambda v: v.__name__)
    def test_each_broken_variant_fails_exactly_what_it_breaks(matrix, variant):
        assert_fails_exactly(matrix, generation, variant)

    @pytest.mark.parametrize("variant", variants, ids=lambda v: v.__name__)
    def test_no_judge_it_fails_can_be_replaced_by_pass_unseen(matrix, variant):
        judges_ = claimed(generation, variant, EXPECTED[generation][variant])
        unseen = unseen_when_neutered(matrix[variant], judges_, lambda r: fails_exactly(r, generation, variant))
        assert unseen == []

    names = {
        "matrix": matrix,
        "test_each_broken_variant_fails_exactly_what_it_breaks": test_each_broken_variant_fails_exactly_what_it_breaks,
        "test_no_judge_it_fails_can_be_replaced_by_pass_unseen": test_no_judge_it_fails_can_be_replaced_by_pass_unseen,
    }
    if None in share(generation, part):

        def test_the_reference_insurer_passes_every_requirement(matrix):
            assert_reference_passes(matrix, generation)

        names["test_the_reference_insurer_passes_every_requirement"] = (
            test_the_reference_insurer_passes_every_requirement
        )
    return names
