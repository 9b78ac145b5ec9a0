"""``pytest --dsop-conform insurer.toml``: the suite's requirements as pytest items, run by pytester
in this process against the reference insurer (every requirement a passed item) and a broken variant
(the failed item names the requirement and why). Both share the plugin's session sandbox; the broken
run is one scenario long (about a second), the reference run a full one (about 3 s of CPU)."""

from __future__ import annotations

import re

import pytest

from dsop_sandbox.conformance.catalogue import catalogue
from dsop_sandbox.reference_insurer import ReferenceInsurerServer
from tests.conformance.broken_insurers import TakesFailedForConsent

pytest_plugins = ("pytester",)
TOKEN_ENV = "DSOP_SANDBOX_ADMIN_TOKEN"


@pytest.fixture
def conform(pytester, monkeypatch, dsop_sandbox):
    """``pytest --dsop-conform <profile> -v`` in this process against the session sandbox."""
    monkeypatch.setenv(TOKEN_ENV, dsop_sandbox.admin_token)

    def run(profile, *args):
        return pytester.runpytest_inprocess(
            "--dsop-conform", str(profile), "--dsop-control-url", dsop_sandbox.url("control"),
            "-v", "-p", "no:cacheprovider", *args,
        )  # fmt: skip

    return run


def outcomes(result) -> dict[str, str]:
    """Requirement id -> PASSED / FAILED / SKIPPED, from pytest's verbose lines."""
    return dict(re.findall(r"::(DSOP-[A-Z0-9-]+) (PASSED|FAILED|SKIPPED)", result.stdout.str()))


def test_the_reference_insurer_passes_every_requirement(conform, dsop_sandbox, tmp_path):
    with ReferenceInsurerServer(dsop_sandbox.sandbox, org="310000043", name="Referanse AS", out_dir=tmp_path) as ref:
        result = conform(ref.profile_path, "-rs", "--junitxml", str(tmp_path / "junit.xml"))
    seen = outcomes(result)
    tls_only = {"DSOP-TLS-VERIFY"}  # judged only on a --tls sandbox: skipped, and says why
    assert seen == {r.id: "SKIPPED" if r.id in tls_only else "PASSED" for r in catalogue("altinn3")}, result.stdout
    assert result.ret == 0
    result.stdout.fnmatch_lines(["SKIPPED*insurer.toml*DSOP-TLS-VERIFY: *plain HTTP*--tls*"])  # -rs: the skip's reason
    junit = (tmp_path / "junit.xml").read_text(encoding="utf-8")
    assert junit.count("<testcase") == len(catalogue("altinn3"))


def test_a_broken_insurer_fails_the_requirement_it_breaks_and_says_why(conform, dsop_sandbox, tmp_path):
    with ReferenceInsurerServer(dsop_sandbox.sandbox, org="310000051", name="Brutt AS", out_dir=tmp_path,
                                insurer_class=TakesFailedForConsent) as broken:  # fmt: skip
        result = conform(broken.profile_path, "--dsop-scenario", "consent_declined", "-rs")
    seen = outcomes(result)
    assert seen["DSOP-DECLINED"] == "FAILED"
    assert "FAILED" not in {outcome for rid, outcome in seen.items() if rid != "DSOP-DECLINED"}
    assert result.ret == 1
    text = result.stdout.str()
    failure = text[text.index("DSOP-DECLINED (MUST) FAIL") :]
    assert "scenario consent_declined:" in failure and "evidence:" in failure, failure[:2000]


def test_k_selects_requirements_and_collect_only_runs_nothing(conform, dsop_sandbox, tmp_path):
    insurer = dsop_sandbox.register(tmp_path, org="310000078", name="Samler AS")
    profile = insurer.conformance_profile("http://insurer.test/start?pid={pid}", "http://insurer.test/fetch?pid={pid}")
    before = dsop_sandbox.cursor()
    result = conform(profile, "--collect-only", "-k", "DECLINED or REVOKED")
    assert result.ret == 0
    assert re.findall(r"<RequirementItem (\S+)>", result.stdout.str()) == ["DSOP-DECLINED", "DSOP-REVOKED"]
    result.stdout.fnmatch_lines([f"*collected {len(catalogue('altinn3'))} items / * deselected / 2 selected"])
    assert not dsop_sandbox.events(since=before).all, "collecting must not run the suite"


def test_a_profile_that_cannot_run_fails_every_item_with_the_setup_problem(conform, dsop_sandbox, tmp_path):
    insurer = dsop_sandbox.register(tmp_path, org="310000078", name="Samler AS")
    profile = insurer.conformance_profile("http://127.0.0.1:9/start?pid={pid}", "http://127.0.0.1:9/fetch?pid={pid}")
    result = conform(profile, "-k", "DECLINED")
    assert result.ret == 1
    result.stdout.fnmatch_lines(["*the conformance run could not start*"])


def test_the_fixture_form_runs_the_suite_against_an_app_the_test_started(dsop_sandbox, tmp_path):
    with ReferenceInsurerServer(dsop_sandbox.sandbox, org="310000094", name="Egen AS", out_dir=tmp_path) as ref:
        result = dsop_sandbox.conform(ref.profile_path, scenarios=["consent_declined"])
    assert result.setup_error is None and result.exit_code == 0
    assert result.overall("DSOP-DECLINED") == "PASS"


def test_a_missing_or_incomplete_profile_is_a_usage_error(pytester):
    pytester.path.joinpath("incomplete.toml").write_text('[insurer]\nname = "X AS"\n', encoding="utf-8")
    for profile, says in (("missing.toml", "no insurer profile at"), ("incomplete.toml", "needs org, start_url")):
        result = pytester.runpytest_inprocess("--dsop-conform", profile, "-p", "no:cacheprovider")
        assert result.ret == pytest.ExitCode.USAGE_ERROR
        result.stderr.fnmatch_lines([f"ERROR: --dsop-conform: *{says}*"])
