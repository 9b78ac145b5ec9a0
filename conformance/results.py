"""One result model for every report: requirements, the verdicts scenarios reached on them, and
the evidence (sandbox events) behind each verdict.

A requirement's overall verdict is FAIL if any scenario failed it, PASS if at least one passed it
and none failed, NOT RUN otherwise. The run's exit code (README, «Checking your integration»): 0
when every MUST passed, 1 when a MUST failed or was not run although its scenario was selected, 2
when the run could not start (set by the runner through :attr:`RunResult.setup_error`).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

PASS, FAIL, NOT_RUN = "PASS", "FAIL", "NOT RUN"
MUST, SHOULD = "MUST", "SHOULD"


@dataclass(frozen=True)
class Requirement:
    id: str  # e.g. "DSOP-LOGUSE"
    level: str  # MUST | SHOULD
    title: str  # one line, what the integration must do
    source: str  # the sentence of the process description or protocol rule, quoted
    origin: str  # where that sentence comes from (document and section)


@dataclass
class Verdict:
    requirement: str  # Requirement.id
    status: str  # PASS | FAIL | NOT RUN
    why: str  # one or two sentences a person can act on
    scenario: str  # the scenario that judged it
    evidence: list[dict] = field(default_factory=list)  # sandbox events (service, operation, status, ...)


@dataclass
class ScenarioResult:
    name: str
    title: str
    seconds: float = 0.0
    error: str | None = None  # the scenario could not finish (a driver problem, not a verdict)
    verdicts: list[Verdict] = field(default_factory=list)
    steps: list[str] = field(default_factory=list)  # what the scenario did, in order


@dataclass
class RunResult:
    insurer: dict  # {"name", "org", "start_url", "fetch_url"}
    sandbox: dict  # {"control": url, ...}
    started: str  # ISO time the run started (real time)
    seconds: float = 0.0
    requirements: list[Requirement] = field(default_factory=list)
    scenarios: list[ScenarioResult] = field(default_factory=list)
    setup_error: str | None = None
    skipped: dict[str, str] = field(default_factory=dict)  # scenario left out of a full run -> why
    generation: str = ""  # the consent generation judged (altinn3 | altinn2); "" when the run could not start
    left: dict[str, str] = field(default_factory=dict)  # what the run left changed in the sandbox -> why

    def overall(self, requirement_id: str) -> str:
        statuses = [v.status for s in self.scenarios for v in s.verdicts if v.requirement == requirement_id]
        if FAIL in statuses:
            return FAIL
        if PASS in statuses:
            return PASS
        return NOT_RUN

    def verdicts_for(self, requirement_id: str) -> list[Verdict]:
        return [v for s in self.scenarios for v in s.verdicts if v.requirement == requirement_id]

    def judged(self) -> list[Requirement]:
        """The requirements some selected scenario is about (the others are left out of the totals)."""
        touched = {v.requirement for s in self.scenarios for v in s.verdicts}
        return [r for r in self.requirements if r.id in touched]

    def counts(self) -> dict[str, int]:
        counts = {PASS: 0, FAIL: 0, NOT_RUN: 0}
        for requirement in self.judged():
            counts[self.overall(requirement.id)] += 1
        return counts

    @property
    def exit_code(self) -> int:
        if self.setup_error is not None:
            return 2
        for requirement in self.judged():
            if requirement.level == MUST and self.overall(requirement.id) != PASS:
                return 1
        return 0

    def to_dict(self) -> dict:
        """The JSON report: everything, plus each requirement's overall verdict."""
        return {
            "insurer": self.insurer,
            "sandbox": self.sandbox,
            "generation": self.generation,
            "started": self.started,
            "seconds": round(self.seconds, 3),
            "setup_error": self.setup_error,
            "exit_code": self.exit_code,
            "counts": self.counts(),
            "skipped": dict(self.skipped),
            "left": dict(self.left),
            "requirements": [
                {**asdict(r), "verdict": self.overall(r.id), "verdicts": [asdict(v) for v in self.verdicts_for(r.id)]}
                for r in self.judged()
            ],
            "scenarios": [{**asdict(s), "seconds": round(s.seconds, 3)} for s in self.scenarios],
        }
