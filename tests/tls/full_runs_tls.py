"""Conformance runs over TLS for one consent generation: the scenarios in which TLS carries
something, the citizen's consent over HTTPS, a fetch over HTTPS and the certificate scenario. The
reference insurer passes them, and each variant of TLS_EXPECTED fails the certificate requirement
and nothing else. The full verdict matrix, every scenario for every variant, is the self-test's
(tests/conformance)."""

from __future__ import annotations

import warnings

import urllib3

from dsop_sandbox.conformance.results import FAIL, PASS, RunResult
from tests.conformance.broken_insurers import TLS_EXPECTED
from tests.conformance.full_runs import FullRun, run_all

CARELESS = {"org": "310000027", "name": "Uforsiktig Forsikring AS"}
TLS_SCENARIOS = ("consent_granted", "fetch", "nav_certificate")
#: What those scenarios judge in either generation (each generation's catalogue has more).
JUDGED = {"DSOP-CONSENT-REQUEST", "DSOP-CALLBACK", "DSOP-FETCH", "DSOP-PERSON", "DSOP-TLS-VERIFY"}


def tls_full_runs(generation: str, tmp_path_factory) -> dict[type | None, RunResult]:
    """The reference insurer and each variant of TLS_EXPECTED speaking ``generation``, a run of
    TLS_SCENARIOS each, over TLS."""
    jobs = [
        FullRun(variant, consent=generation, tls=True, insurer=CARELESS if variant else {}, scenarios=TLS_SCENARIOS)
        for variant in (None, *TLS_EXPECTED)
    ]
    with warnings.catch_warnings():  # the careless variant's verify=False, in the runs' threads
        warnings.simplefilter("ignore", urllib3.exceptions.InsecureRequestWarning)
        results = run_all(jobs, tmp_path_factory)
    for result in results.values():
        assert result.skipped == {}  # over TLS nothing is left out
        assert result.generation == generation
        assert {r.id for r in result.judged()} >= JUDGED
    return {job.variant: result for job, result in results.items()}


def not_passed(result: RunResult) -> dict[str, str]:
    """The verdicts other than PASS among the requirements the run judged."""
    return {r.id: result.overall(r.id) for r in result.judged() if result.overall(r.id) != PASS}


def assert_passes_over_tls(result: RunResult) -> None:
    assert not_passed(result) == {}
    [verdict] = result.verdicts_for("DSOP-TLS-VERIFY")
    assert "refused NAV's certificate" in verdict.why and "unknown_ca" in verdict.why
    assert verdict.evidence and all(e["operation"] == "tls_handshake" for e in verdict.evidence)


def assert_fails_only_the_certificate(result: RunResult, variant: type) -> None:
    assert not_passed(result) == TLS_EXPECTED[variant]
    [verdict] = result.verdicts_for("DSOP-TLS-VERIFY")
    assert verdict.status == FAIL and "does not verify the server" in verdict.why
    assert verdict.evidence and all(e["service"] == "nav" and e["caller"] == CARELESS["org"] for e in verdict.evidence)
