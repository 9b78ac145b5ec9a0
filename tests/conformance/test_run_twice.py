"""One run must not poison the next: two full runs in a row against one sandbox and one insurer give the
same verdicts, and each says what it left changed in the sandbox (Altinn's rotated signing key, which
no service takes back) and nothing else (lifetimes, faults, the calendar, the certificates are put
back). Altinn 2, whose run rotates a key: two full runs one after the other (~20 s wall, ~6 s CPU)."""

from __future__ import annotations

import pytest

from dsop_sandbox.conformance.leftovers import leftovers
from dsop_sandbox.conformance.reports import html
from dsop_sandbox.conformance.reports.console import render
from dsop_sandbox.conformance.results import PASS
from dsop_sandbox.conformance.runner import run
from dsop_sandbox.launcher import Sandbox
from dsop_sandbox.reference_insurer import ReferenceInsurerServer
from tests.conformance.self_test import verdicts
from tests.conftest import free_port_settings
from tests.wsgi_network import served_in_process


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory):
    with (
        Sandbox(free_port_settings(tmp_path_factory.mktemp("twice") / "state")) as sandbox,
        ReferenceInsurerServer(sandbox, port=0, consent="altinn2") as insurer,
        served_in_process(sandbox, insurer),  # the HTTP in process, as in the self-test (full_runs.py)
    ):
        yield [run(str(insurer.profile_path), sandbox.url("control")) for _ in range(2)]


def test_the_second_run_gives_the_verdicts_of_the_first(two_runs):
    first, second = (verdicts(result) for result in two_runs)
    assert first == second
    assert set(first.values()) == {PASS} and "DSOP-KEY-ROTATION" in first


def test_each_run_says_what_it_left_and_why(two_runs):
    for result in two_runs:
        assert list(result.left) == ["altinn's signing key"]  # lifetimes, faults, calendar, TLS: put back
        assert "no service goes back to a key it rotated away from" in result.left["altinn's signing key"]
        report = " ".join(render(result).split())
        assert "Left changed in the sandbox by this run altinn's signing key: altinn signs with a new key" in report
        assert result.to_dict()["left"] == result.left
        assert "Left changed in the sandbox by this run</h2>" in html.render(result)


def test_anything_else_left_changed_is_named_with_before_and_after():
    before = {"calendar": 0, "lifetimes": {"altinn.consent_token": 30}, "signing key:altinn": "a"}
    after = {"calendar": 86400, "lifetimes": {"altinn.consent_token": 30}, "signing key:altinn": "a"}
    assert list(leftovers(before, after)) == ["calendar"]
    assert leftovers(before, after)["calendar"].startswith("was 0 before the run and is 86400 now")
    assert leftovers(before, before) == {}
