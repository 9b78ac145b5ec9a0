"""``pytest --dsop-conform insurer.toml``: the conformance suite as test items, one per requirement
of the profile's consent generation, so that pytest's output, ``-k``, ``--junitxml`` and CI
annotations work requirement by requirement.

The suite runs once, when the first item runs (``--collect-only`` runs nothing); each item then
reports its requirement's overall verdict: PASS passes, FAIL fails with the verdicts' "why" and
evidence, NOT RUN fails a MUST (as ``dsop-sandbox conform``'s exit code does) and skips a SHOULD,
and a requirement whose scenarios were left out (TLS on a plain-HTTP sandbox) is skipped with why.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from dsop_sandbox.conformance.catalogue import catalogue
from dsop_sandbox.conformance.profile import InsurerProfile, ProfileError
from dsop_sandbox.conformance.results import FAIL, MUST, PASS, Requirement, RunResult

#: Evidence lines shown per verdict in a failure (the JSON and HTML reports have them all).
EVIDENCE_SHOWN = 8


class Target:
    """Where the suite runs: the control plane, its admin token and what to trust."""

    def __init__(self, control_url: str, token: str | None, verify: bool | str, scenarios: list[str] | None):
        self.control_url, self.token, self.verify, self.scenarios = control_url, token, verify, scenarios


def target_of(config: pytest.Config) -> Target:
    """``--dsop-control-url`` (else ``$DSOP_SANDBOX_URL``, else the sandbox recorded running in the
    settings' state directory, as ``dsop-sandbox conform`` finds it) and its admin token."""
    from dsop_sandbox.discovery import find_sandbox
    from dsop_sandbox.mocks.common.settings import Settings

    found = find_sandbox(config.getoption("dsop_control_url"), Settings.load(), False)
    verify = config.getoption("dsop_ca_bundle") or found.ca_bundle or True
    return Target(found.control_url, found.token, verify, config.getoption("dsop_scenario"))


def requirement_items(session: pytest.Session, config: pytest.Config) -> tuple[pytest.Collector, list[pytest.Item]]:
    """The profile's node and its items, one per requirement."""
    path = Path(config.getoption("dsop_conform")).resolve()
    profile = ConformanceProfile.from_parent(session, path=path)
    profile.target = target_of(config)
    return profile, list(profile.collect())


class RequirementFailed(Exception):
    def __init__(self, text: str):
        super().__init__(text)
        self.text = text


class ConformanceProfile(pytest.File):
    """The insurer.toml given to ``--dsop-conform``: its requirements are the items."""

    target: Target
    _result: RunResult | None = None

    def collect(self):
        try:
            generation = InsurerProfile.load(self.path).consent
        except ProfileError as exc:  # doctor's words: what the profile lacks, and how to get one
            raise pytest.UsageError(f"--dsop-conform: {exc}") from exc
        for requirement in catalogue(generation):
            yield RequirementItem.from_parent(self, name=requirement.id, requirement=requirement)

    def result(self) -> RunResult:
        """The suite's run, once for all items."""
        if self._result is None:
            from dsop_sandbox.conformance.runner import run

            target = self.target
            self._result = run(
                str(self.path), target.control_url, scenarios=target.scenarios, verify=target.verify, token=target.token
            )
        return self._result


class RequirementItem(pytest.Item):
    def __init__(self, *, requirement: Requirement, **kwargs):
        super().__init__(**kwargs)
        self.requirement = requirement
        self.add_marker(pytest.mark.dsop_requirement(requirement.id, level=requirement.level))

    def runtest(self) -> None:
        result = self.parent.result()
        requirement = self.requirement
        if result.setup_error is not None:
            raise RequirementFailed(f"the conformance run could not start:\n{result.setup_error}")
        if requirement.id not in {r.id for r in result.judged()}:
            left_out = [why for why in result.skipped.values() if requirement.id in why]
            skip(f"{requirement.id}: " + (left_out[0] if left_out else "no selected scenario judges it"))
        status = result.overall(requirement.id)
        if status == PASS:
            return
        text = describe(requirement, status, result)
        if status == FAIL or requirement.level == MUST:
            raise RequirementFailed(text)
        skip(text)

    def repr_failure(self, excinfo, style=None):
        if isinstance(excinfo.value, RequirementFailed):
            return excinfo.value.text
        return super().repr_failure(excinfo, style=style)

    def reportinfo(self):
        return self.path, 0, f"{self.requirement.id} ({self.requirement.level}): {self.requirement.title}"


def skip(reason: str):
    """Skip the item, reported at the item (not at this line of the plugin)."""
    raise pytest.skip.Exception(reason, _use_item_location=True)


def describe(requirement: Requirement, status: str, result: RunResult) -> str:
    """The failure text: the requirement, and each scenario's verdict with why and its evidence."""
    lines = [f"{requirement.id} ({requirement.level}) {status}: {requirement.title}", f"  source: {requirement.origin}"]
    for verdict in result.verdicts_for(requirement.id):
        lines.append(f"  [{verdict.status}] scenario {verdict.scenario}: {verdict.why}")
        for event in verdict.evidence[:EVIDENCE_SHOWN]:
            lines.append("      evidence: " + evidence_line(event))
        if len(verdict.evidence) > EVIDENCE_SHOWN:
            lines.append(f"      … and {len(verdict.evidence) - EVIDENCE_SHOWN} more (see --json/--html reports)")
    return "\n".join(lines)


def evidence_line(event: dict) -> str:
    parts = [str(event.get(key)) for key in ("time", "service", "operation", "status") if event.get(key) is not None]
    for key in ("caller", "subject", "error"):
        if event.get(key):
            parts.append(f"{key}={event[key]}")
    return " ".join(parts)
