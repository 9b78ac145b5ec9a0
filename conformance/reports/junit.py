"""JUnit XML for CI (GitHub, GitLab, Jenkins): one ``<testsuite>`` per scenario, one ``<testcase>`` per
verdict named ``<requirement id>: <title>`` with the scenario as its classname.

A FAIL is a ``<failure>`` whose message is the verdict's *why* and whose text adds the requirement,
its source and the evidence, one event a line. NOT RUN is ``<skipped>`` with the why. A scenario
that could not finish keeps its error in ``<system-err>``; a run that could not start becomes one
``setup`` suite with one ``<error>``, so that CI shows why instead of "no tests". Each suite has
``<properties>`` naming the insurer and the sandbox. Everything goes through ElementTree (which
escapes) after :func:`~.common.clean` (which removes what XML 1.0 cannot hold at all).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from ..results import FAIL, NOT_RUN, PASS, RunResult, ScenarioResult
from .common import (
    clean,
    event_line,
    evidence_of,
    exit_meaning,
    generation_label,
    headline,
    insurer_label,
    plural,
    seconds_text,
)

SUITE_NAME = "DSOP conformance"


def _seconds(value) -> str:
    try:
        return f"{max(float(value or 0), 0.0):.3f}"
    except (TypeError, ValueError):
        return "0.000"


def _properties(result: RunResult) -> ET.Element:
    properties = ET.Element("properties")
    for prefix, values in (("insurer", result.insurer), ("sandbox", result.sandbox)):
        for key, value in values.items() if isinstance(values, dict) else ():
            if value not in (None, ""):
                ET.SubElement(
                    properties,
                    "property",
                    name=clean(f"{prefix}.{key}", oneline=True),
                    value=clean(value, oneline=True),
                )
    if generation_label(result):
        ET.SubElement(properties, "property", name="run.generation", value=generation_label(result))
    ET.SubElement(properties, "property", name="run.started", value=clean(result.started, oneline=True))
    ET.SubElement(properties, "property", name="run.exit_code", value=str(result.exit_code))
    return properties


def _failure_text(result: RunResult, verdict) -> str:
    requirement = next((r for r in result.requirements if r.id == verdict.requirement), None)
    lines = [
        f"{verdict.requirement} ({requirement.level if requirement else 'unknown level'}) "
        f"failed in scenario {verdict.scenario}",
        f"Why: {verdict.why}",
    ]
    if requirement is not None:
        lines += [f"Requirement: {requirement.title}", f"Source: «{requirement.source}» ({requirement.origin})"]
    evidence = evidence_of(verdict.evidence)
    if evidence:
        lines.append(f"Evidence ({plural(len(evidence), 'sandbox event')}):")
        lines += [f"  {event_line(event)}" for event in evidence]
    else:
        lines.append("Evidence: no sandbox event (the verdict rests on what did not happen).")
    return clean("\n".join(lines))


def _suite(result: RunResult, scenario: ScenarioResult) -> ET.Element:
    verdicts = list(scenario.verdicts)
    failures = sum(1 for v in verdicts if v.status == FAIL)
    skipped = sum(1 for v in verdicts if v.status == NOT_RUN)
    suite = ET.Element(
        "testsuite",
        name=clean(scenario.name, oneline=True),
        tests=str(len(verdicts)),
        failures=str(failures),
        errors="0",
        skipped=str(skipped),
        time=_seconds(scenario.seconds),
        timestamp=clean(result.started, oneline=True),
    )
    suite.append(_properties(result))
    ET.SubElement(
        suite.find("properties"), "property", name="scenario.title", value=clean(scenario.title, oneline=True)
    )
    titles = {r.id: r.title for r in result.requirements}
    # The scenario judges its requirements together: its time is shared out equally.
    share = _seconds((scenario.seconds or 0) / len(verdicts)) if verdicts else "0.000"
    for verdict in verdicts:
        name = f"{verdict.requirement}: {titles.get(verdict.requirement, '(not in the catalogue)')}"
        case = ET.SubElement(
            suite, "testcase", name=clean(name, oneline=True), classname=clean(scenario.name, oneline=True), time=share
        )
        if verdict.status == FAIL:
            failure = ET.SubElement(case, "failure", message=clean(verdict.why, oneline=True), type="FAIL")
            failure.text = _failure_text(result, verdict)
        elif verdict.status == NOT_RUN:
            ET.SubElement(case, "skipped", message=clean(verdict.why, oneline=True))
        elif verdict.status != PASS:  # an unknown status must not pass silently
            error = ET.SubElement(
                case, "error", message=clean(f"unknown verdict {verdict.status!r}: {verdict.why}", oneline=True)
            )
            error.text = clean(verdict.why)
    steps = [f"{index}. {step}" for index, step in enumerate(scenario.steps or [], 1)]
    if steps:
        ET.SubElement(suite, "system-out").text = clean("\n".join(steps))
    if scenario.error:
        ET.SubElement(suite, "system-err").text = clean(
            f"The scenario could not finish (a driver or sandbox problem, not a verdict): {scenario.error}"
        )
    suite.set("errors", str(sum(1 for case in suite.iter("testcase") if case.find("error") is not None)))
    return suite


def render(result: RunResult) -> str:
    root = ET.Element(
        "testsuites",
        name=clean(f"{SUITE_NAME}: {insurer_label(result)}", oneline=True),
        time=_seconds(result.seconds),
        timestamp=clean(result.started, oneline=True),
    )
    if result.setup_error is not None:
        suite = ET.SubElement(
            root,
            "testsuite",
            name="setup",
            tests="1",
            failures="0",
            errors="1",
            skipped="0",
            time=_seconds(result.seconds),
            timestamp=clean(result.started, oneline=True),
        )
        suite.append(_properties(result))
        case = ET.SubElement(
            suite, "testcase", name="setup: the run could start", classname="setup", time=_seconds(result.seconds)
        )
        error = ET.SubElement(case, "error", message=clean(result.setup_error, oneline=True), type="SetupError")
        error.text = clean(f"{result.setup_error}\n\n{exit_meaning(result)}")
    for scenario in result.scenarios:
        root.append(_suite(result, scenario))
    for total in ("tests", "failures", "errors", "skipped"):
        root.set(total, str(sum(int(suite.get(total)) for suite in root.findall("testsuite"))))
    ET.indent(root)
    summary = f" {headline(result)} ({seconds_text(result.seconds)}). {exit_meaning(result)} "
    summary = clean(summary, oneline=True)
    while "--" in summary:  # not allowed inside an XML comment
        summary = summary.replace("--", "- -")
    comment = ET.Comment(f" {summary} ")
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        + ET.tostring(comment, encoding="unicode")
        + "\n"
        + ET.tostring(root, encoding="unicode")
        + "\n"
    )
