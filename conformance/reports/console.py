"""The console summary: who was tested and how long it took, one line per judged requirement, then
for each failure (and each MUST that could not be judged) why and where, then the totals and what
the exit code means. Colours (ANSI) only when asked; the words carry the meaning without them."""

from __future__ import annotations

import textwrap

from ..results import FAIL, MUST, NOT_RUN, PASS, RunResult
from .common import (
    clean,
    event_line,
    evidence_of,
    exit_meaning,
    generation_label,
    headline,
    insurer_label,
    ordered,
    ordered_verdicts,
    plural,
    seconds_text,
    unjudged,
    when_text,
)

WIDTH = 100
EVIDENCE_LINES = 2
_COLOURS = {PASS: "32", FAIL: "1;31", NOT_RUN: "33", "bold": "1", "dim": "2"}


def render(result: RunResult, *, color: bool = False) -> str:
    def paint(text: str, style: str) -> str:
        return f"\x1b[{_COLOURS[style]}m{text}\x1b[0m" if color else text

    def wrap(text: str, indent: str) -> list[str]:
        lines = []
        for paragraph in clean(text).splitlines() or [""]:
            lines += textwrap.wrap(
                paragraph,
                WIDTH,
                initial_indent=indent,
                subsequent_indent=indent,
                break_long_words=True,
                break_on_hyphens=False,
            ) or [indent]
        return lines

    heading = " · ".join(part for part in ("DSOP conformance", insurer_label(result), generation_label(result)) if part)
    lines = [paint(heading, "bold")]
    sandbox = result.sandbox if isinstance(result.sandbox, dict) else {}
    facts = [f"started {when_text(result.started)}", f"took {seconds_text(result.seconds)}"]
    if sandbox.get("control"):
        facts.append(f"sandbox {clean(sandbox['control'], oneline=True)}")
    lines.append(paint(" · ".join(facts), "dim"))
    lines.append("")

    if result.setup_error is not None:
        lines.append(paint("The run could not start:", FAIL))
        lines += wrap(result.setup_error, "  ")
        lines.append("")
        lines += [paint(line, "bold") for line in wrap(exit_meaning(result), "")]
        return "\n".join(lines)

    requirements = ordered(result)
    id_width = max((len(clean(r.id, oneline=True)) for r in requirements), default=0)
    for requirement in requirements:
        status = result.overall(requirement.id)
        title = clean(requirement.title, oneline=True)
        identifier, level = clean(requirement.id, oneline=True), clean(requirement.level, oneline=True)
        line = f"{status:<7}  {identifier:<{id_width}}  {level:<6}  "
        indent = " " * len(line)
        wrapped = textwrap.wrap(title, max(WIDTH, len(indent) + 30), initial_indent=line, subsequent_indent=indent) or [
            line.rstrip()
        ]
        wrapped[0] = paint(f"{status:<7}", status) + wrapped[0][7:]  # wrapped as plain text, then coloured
        lines.extend(wrapped)
    if not requirements:
        lines.append("No requirement was judged: no scenario ran.")

    def explain(heading: str, status: str, only_must: bool) -> None:
        shown = [
            (r, v)
            for r in requirements
            for v in ordered_verdicts(result, r.id)
            if v.status == status and (r.level == MUST or not only_must)
        ]
        if not shown:
            return
        lines.extend(["", paint(heading, status)])
        for requirement, verdict in shown:
            lines.append(
                f"  {paint(clean(requirement.id, oneline=True), 'bold')} ({clean(requirement.level)}) "
                f"in scenario {clean(verdict.scenario, oneline=True)}"
            )
            lines.extend(wrap(verdict.why, "    "))
            evidence = evidence_of(verdict.evidence)
            if status == FAIL and evidence:
                lines.append(paint(f"    evidence ({plural(len(evidence), 'event')}):", "dim"))
                for event in evidence[:EVIDENCE_LINES]:
                    lines.append(
                        paint(
                            "      " + textwrap.shorten(event_line(event, compact=True), WIDTH - 6, placeholder=" …"),
                            "dim",
                        )
                    )
                if len(evidence) > EVIDENCE_LINES:
                    lines.append(
                        paint(
                            f"      … and {len(evidence) - EVIDENCE_LINES} more (the HTML and JSON "
                            f"reports have them all)",
                            "dim",
                        )
                    )

    explain("Failed", FAIL, only_must=False)
    explain("Not run (MUST)", NOT_RUN, only_must=True)

    broken = [s for s in result.scenarios if s.error]
    if broken:
        lines.extend(
            ["", paint("Scenarios that could not finish (a driver or sandbox problem, not a verdict)", NOT_RUN)]
        )
        for scenario in broken:
            lines.extend(wrap(f"{scenario.name}: {scenario.error}", "  "))

    if result.skipped:
        lines.extend(["", paint("Left out of this run", "bold")])
        for name, why in result.skipped.items():
            lines.extend(wrap(f"{name}: {why}", "  "))

    if result.left:
        lines.extend(["", paint("Left changed in the sandbox by this run", "bold")])
        for what, why in result.left.items():
            lines.extend(wrap(f"{what}: {why}", "  "))

    counts = result.counts()
    lines.append("")
    left_out = unjudged(result)
    scope = f"{plural(len(requirements), 'requirement')} judged in {plural(len(result.scenarios), 'scenario')}"
    if left_out:
        scope += f"; {len(left_out)} not part of this run"
    lines.append(
        paint(f"{counts[PASS]} passed · {counts[FAIL]} failed · {counts[NOT_RUN]} not run", "bold") + f"  ({scope})"
    )
    lines.append(paint(headline(result), PASS if result.exit_code == 0 else FAIL))
    lines.extend(wrap(exit_meaning(result), ""))
    return "\n".join(lines)
