"""Every judge of the suite is proven by the self-test: replaced by "always PASS", it makes the
self-test fail.

A judge is one judgement a full run makes: a scenario's verdict on one requirement (DSOP-LOGUSE,
judged after Altinn 2's first fetch and after its second, is two judges). Re-running the self-test
once per neutered judge would cost judges × variants full runs, so the proof is split in two parts
that together say the same, and neither repeats a run:

* here, without any run: every judge of each generation is *claimed* by some broken variant
  (self_test.claimed: a variant claims the judges of the requirements it must FAIL, or the one
  scenario broken_insurers.JUDGED_IN names), and the TLS judge by a variant of TLS_EXPECTED;
* in each self-test part (self_test.part_tests, ``test_no_judge_it_fails_can_be_replaced_by_pass_unseen``),
  on the verdicts that part's full runs already recorded: for each judge the variant claims, the
  run's result with that judge's FAILs turned into PASS (self_test.neutered) no longer satisfies the
  variant's own assertion, so that test would fail.

Replaying recorded verdicts instead of re-running is exact only if nothing in a run depends on what a
judge decided: the judge's verdict must not steer the scenario (which requests it makes next, what
the sandbox's live state becomes). :func:`test_no_scenario_reads_a_verdict_back` checks that in the
source: every ``judge(...)`` call is a statement of its own, whose value nobody reads, and verdicts
are made nowhere but in the Context. So the only thing a neutered judge changes is the status it
records, which is what :func:`~tests.conformance.self_test.neutered` changes.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from dsop_sandbox.conformance import scenarios as scenarios_package
from dsop_sandbox.conformance.results import FAIL, NOT_RUN, PASS, Requirement, RunResult, ScenarioResult, Verdict
from tests.conformance.broken_insurers import EXPECTED, JUDGED_IN, TLS_EXPECTED
from tests.conformance.self_test import claimed, judges, neutered, unseen_when_neutered, verdicts

GENERATIONS = tuple(EXPECTED)


@pytest.mark.parametrize("generation", GENERATIONS)
def test_every_judge_is_claimed_by_a_variant_that_fails_it(generation):
    proven = set().union(*(claimed(generation, v, expected) for v, expected in EXPECTED[generation].items()))
    assert judges(generation) - proven == set()
    over_tls = set().union(*(claimed(generation, v, expected, tls=True) for v, expected in TLS_EXPECTED.items()))
    assert judges(generation, tls=True) - over_tls == set()
    assert judges(generation, tls=True)  # the certificate judge exists, and is counted


@pytest.mark.parametrize("generation", GENERATIONS)
def test_a_requirement_judged_twice_has_a_variant_for_each_judgement(generation):
    """DSOP-LOGUSE (Altinn 2) is judged in two scenarios: one variant failing both proves neither."""
    twice = {r for _, r in judges(generation) if sum(1 for _, other in judges(generation) if other == r) > 1}
    for requirement in twice:
        scenarios = {s for s, r in judges(generation) if r == requirement}
        named = {JUDGED_IN[v][requirement] for v in EXPECTED[generation] if requirement in JUDGED_IN.get(v, {})}
        assert named == scenarios, requirement
    assert generation != "altinn2" or "DSOP-LOGUSE" in twice


def test_judged_in_names_scenarios_that_judge_the_requirement():
    assert JUDGED_IN
    for variant, named in JUDGED_IN.items():
        for generation, table in EXPECTED.items():
            if variant in table:
                for requirement, scenario in named.items():
                    assert table[variant].get(requirement) == FAIL
                    assert (scenario, requirement) in judges(generation), (variant, generation)


def _verdict_calls(tree: ast.AST):
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "judge":
            yield node


def test_no_scenario_reads_a_verdict_back():
    """Each ``judge()`` call's value is thrown away, and no scenario makes a Verdict of its own."""
    folder = Path(scenarios_package.__file__).parent
    sources = sorted(folder.glob("*.py"))
    calls = 0
    for path in sources:
        tree = ast.parse(path.read_text(), str(path))
        statements = {id(node.value) for node in ast.walk(tree) if isinstance(node, ast.Expr)}
        for call in _verdict_calls(tree):
            calls += 1
            assert id(call) in statements, f"{path.name}:{call.lineno} uses the value of judge()"
        made = [n for n in ast.walk(tree) if isinstance(n, ast.Name) and n.id == "Verdict"]
        assert made == [], f"{path.name} makes verdicts itself"
    assert calls >= 20  # the walk found the judges (a renamed method would make this vacuous)


# -- the replay itself, on a run made up here --------------------------------------------------------------
def _run(*judged: tuple[str, str, str]) -> RunResult:
    """A run whose scenarios gave ``(scenario, requirement, status)``."""
    result = RunResult(insurer={}, sandbox={}, started="")
    result.requirements = [Requirement(r, "MUST", "", "", "") for r in dict.fromkeys(r for _, r, _ in judged)]
    for scenario in dict.fromkeys(s for s, _, _ in judged):
        result.scenarios.append(
            ScenarioResult(
                scenario, scenario, verdicts=[Verdict(r, st, "", scenario) for s, r, st in judged if s == scenario]
            )
        )
    return result


def test_a_neutered_judge_turns_only_its_own_fails_into_passes():
    run = _run(
        ("fetch", "DSOP-LOGUSE", FAIL),
        ("reuse", "DSOP-LOGUSE", PASS),
        ("fetch", "DSOP-FETCH", FAIL),
        ("expiry", "DSOP-EXPIRY", NOT_RUN),
    )
    assert verdicts(run) == {"DSOP-LOGUSE": FAIL, "DSOP-FETCH": FAIL, "DSOP-EXPIRY": NOT_RUN}
    assert verdicts(neutered(run, ("fetch", "DSOP-LOGUSE"))) == {
        "DSOP-LOGUSE": PASS,
        "DSOP-FETCH": FAIL,
        "DSOP-EXPIRY": NOT_RUN,
    }
    assert verdicts(neutered(run, ("reuse", "DSOP-LOGUSE"))) == verdicts(run)
    assert verdicts(neutered(run, ("expiry", "DSOP-EXPIRY"))) == verdicts(run)  # NOT RUN is no judgement
    assert verdicts(run)["DSOP-LOGUSE"] == FAIL  # the recorded run itself is left as it was


def test_a_judgement_failed_twice_is_unseen_when_either_is_neutered():
    """Why NoLogUse (failing DSOP-LOGUSE in both scenarios) proved neither judgement."""
    run = _run(("fetch", "DSOP-LOGUSE", FAIL), ("reuse", "DSOP-LOGUSE", FAIL))
    expected = {"DSOP-LOGUSE": FAIL}

    def holds(result):
        return {r: v for r, v in verdicts(result).items() if v != PASS} == expected

    both = {("fetch", "DSOP-LOGUSE"), ("reuse", "DSOP-LOGUSE")}
    assert unseen_when_neutered(run, both, holds) == sorted(both)
    once = _run(("fetch", "DSOP-LOGUSE", PASS), ("reuse", "DSOP-LOGUSE", FAIL))
    assert unseen_when_neutered(once, both, holds) == [("fetch", "DSOP-LOGUSE")]


def test_the_readme_lists_every_variant():
    """README's tables of broken variants (section «Checking your integration») name each one."""
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    variants = {v.__name__ for table in (*EXPECTED.values(), TLS_EXPECTED) for v in table}
    assert {name for name in variants if f"`{name}`" not in readme} == set()
