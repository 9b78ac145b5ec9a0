"""The suite proves itself: the reference insurer passes every requirement, and each broken
variant fails exactly the requirements it breaks and nothing else (the variant × requirement
matrix). Variants run three at a time, each group on a sandbox of its own (the scenarios arm
faults and move the calendar for the whole sandbox)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from dsop_sandbox.conformance.catalogue import REQUIREMENTS
from dsop_sandbox.conformance.results import PASS
from dsop_sandbox.conformance.runner import run
from dsop_sandbox.launcher import Sandbox
from dsop_sandbox.reference_insurer import ReferenceInsurerServer
from tests.conformance.broken_insurers import EXPECTED
from tests.conftest import free_port_settings

GROUPS = 3


def verdicts_of(sandbox: Sandbox, insurer_class=None) -> dict[str, str]:
    """Every requirement's overall verdict in a full run (those the run left out are absent)."""
    options = {"insurer_class": insurer_class} if insurer_class else {}
    with ReferenceInsurerServer(sandbox, port=0, **options) as insurer:
        result = run(str(insurer.profile_path), sandbox.url("control"), verify=sandbox.ca_bundle or True)
    assert result.setup_error is None, result.setup_error
    assert not [s.error for s in result.scenarios if s.error], [s.error for s in result.scenarios]
    judged = {requirement.id for requirement in result.judged()}
    return {requirement.id: result.overall(requirement.id) for requirement in REQUIREMENTS if requirement.id in judged}


@pytest.fixture(scope="module")
def matrix(tmp_path_factory) -> dict:
    variants = [None, *list(EXPECTED)]
    groups = [variants[i::GROUPS] for i in range(GROUPS)]

    def run_group(index: int, group: list) -> dict:
        state = tmp_path_factory.mktemp(f"self-test-{index}") / "state"
        with Sandbox(free_port_settings(state)) as sandbox:
            return {variant: verdicts_of(sandbox, variant) for variant in group}

    with ThreadPoolExecutor(max_workers=GROUPS) as pool:
        futures = [pool.submit(run_group, index, group) for index, group in enumerate(groups)]
        found = {}
        for future in futures:
            found.update(future.result())
    return found


def test_the_reference_insurer_passes_every_requirement(matrix):
    failing = {rid: verdict for rid, verdict in matrix[None].items() if verdict != PASS}
    assert failing == {}
    # On plain HTTP only the certificate requirement is left out (tests/tls judges it).
    assert {r.id for r in REQUIREMENTS} - set(matrix[None]) == {"DSOP-TLS-VERIFY"}


@pytest.mark.parametrize("variant", list(EXPECTED), ids=lambda v: v.__name__)
def test_each_broken_variant_fails_exactly_what_it_breaks(matrix, variant):
    got = {rid: verdict for rid, verdict in matrix[variant].items() if verdict != PASS}
    assert got == EXPECTED[variant], f"{variant.__name__}: {variant.__doc__.strip()}"
