"""The HTML report, for people: one self-contained file (inline CSS; no script, font, image or link that
leaves the file) that can be mailed, attached to a ticket or opened from a CI artifact.

Designed against what users of the OpenID conformance suite find painful (flat walls of log,
failures hard to find, evidence hard to reach): the run's verdict in words comes first, then what
failed and *why*, in plain sentences, visible without a click; every judged requirement has a card
(failures, then passes, then not run) with its source sentence and, one click away, the sandbox
events that decided it as a small table. Each scenario has a section with its numbered steps
(stable ids: ``S02.3`` is step 3 of the second scenario) and any error that stopped it.

The view is built here from cleaned text; the Jinja2 template (``report.html`` with
``report.css``, autoescaped) only lays it out.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from ..results import FAIL, NOT_RUN, PASS, RunResult
from .common import (
    clean,
    details_json,
    event_fields,
    evidence_of,
    exit_meaning,
    generation_label,
    headline,
    headline_nb,
    insurer_label,
    ordered,
    ordered_verdicts,
    plural,
    seconds_text,
    unjudged,
    when_text,
)

HERE = Path(__file__).parent
MAX_EVENTS = 50  # rows in one evidence table (the oracle keeps 12; this guards hand-made results)
MAX_DETAILS = 4000  # characters of one event's details JSON
ISO_STAMP = re.compile(r"^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:?\d{2})?)$")
STATUS_CSS = {PASS: "pass", FAIL: "fail", NOT_RUN: "notrun"}
STATUS_ICON = {PASS: "✓", FAIL: "✗", NOT_RUN: "–"}
STATUS_WORDS = {PASS: "Passed", FAIL: "Failed", NOT_RUN: "Not run"}
GROUPS = ((FAIL, "failed", "Failed"), (PASS, "passed", "Passed"), (NOT_RUN, "not-run", "Not run"))

_environment = Environment(
    loader=FileSystemLoader(str(HERE)),
    autoescape=select_autoescape(default=True),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=True,
)


class Anchors:
    """Stable, unique, safe ``id`` attributes from requirement ids and scenario names."""

    def __init__(self):
        self.used: set[str] = set()

    def __call__(self, prefix: str, text) -> str:
        base = f"{prefix}-" + (re.sub(r"[^A-Za-z0-9_-]+", "-", clean(text)).strip("-") or "x")
        anchor, n = base, 2
        while anchor in self.used or f"{anchor}-title" in self.used:
            anchor, n = f"{base}-{n}", n + 1
        self.used.update((anchor, f"{anchor}-title"))  # the template also uses ANCHOR-title
        return anchor


def _status(status) -> dict:
    status = clean(status, oneline=True)
    return {"status": status or "?", "css": STATUS_CSS.get(status, "notrun"), "icon": STATUS_ICON.get(status, "?")}


def _http_css(status: str) -> str:
    return "bad" if status[:1] in ("4", "5") else ""


def _events(evidence) -> dict:
    events = evidence_of(evidence)
    rows = []
    for event in events[:MAX_EVENTS]:
        fields = event_fields(event)
        fields["details_json"] = details_json(fields.pop("details"), MAX_DETAILS)
        # nothing but (maybe) details: one full-width row
        fields["bare"] = not any(value for key, value in fields.items() if key != "details_json")
        fields["status_css"] = _http_css(fields["status"])
        stamp = ISO_STAMP.match(fields["time"])
        fields["date"], fields["clock"] = (stamp.group(1), stamp.group(2)) if stamp else ("", "")
        fields["calendar_differs"] = (
            bool(fields["calendar_time"]) and fields["calendar_time"][:19] != fields["time"][:19]
        )
        rows.append(fields)
    services = Counter(row["service"] or "unknown service" for row in rows)
    return {
        "rows": rows,
        "count": len(events),
        "omitted": max(len(events) - MAX_EVENTS, 0),
        "services": " · ".join(f"{name} {count}" for name, count in sorted(services.items())),
    }


def view(result: RunResult) -> dict:
    """Everything the template shows, as cleaned text."""
    anchor = Anchors()
    insurer = result.insurer if isinstance(result.insurer, dict) else {}
    sandbox = result.sandbox if isinstance(result.sandbox, dict) else {}
    scenario_anchor = {s.name: anchor("scn", s.name) for s in result.scenarios}
    scenario_title = {s.name: clean(s.title, oneline=True) or clean(s.name) for s in result.scenarios}
    requirement_anchor = {r.id: anchor("req", r.id) for r in ordered(result)}
    scenario_index = {s.name: index for index, s in enumerate(result.scenarios, 1)}

    cards = []
    for requirement in ordered(result):
        overall = result.overall(requirement.id)
        verdicts = []
        for verdict in ordered_verdicts(result, requirement.id):
            verdicts.append(
                {
                    **_status(verdict.status),
                    "why": clean(verdict.why) or "(no reason given)",
                    "scenario": clean(verdict.scenario, oneline=True),
                    "scenario_title": scenario_title.get(verdict.scenario, clean(verdict.scenario)),
                    "scenario_anchor": scenario_anchor.get(verdict.scenario),
                    "scenario_id": f"S{scenario_index[verdict.scenario]:02d}"
                    if verdict.scenario in scenario_index
                    else "",
                    "evidence": _events(verdict.evidence),
                }
            )
        cards.append(
            {
                **_status(overall),
                "id": clean(requirement.id, oneline=True),
                "anchor": requirement_anchor[requirement.id],
                "level": clean(requirement.level, oneline=True),
                "title": clean(requirement.title, oneline=True),
                "source": clean(requirement.source),
                "origin": clean(requirement.origin),
                "verdicts": verdicts,
            }
        )
    groups = [
        {
            "status": status,
            "key": key,
            "title": title,
            "css": STATUS_CSS[status],
            "icon": STATUS_ICON[status],
            "cards": [card for card in cards if card["status"] == status],
        }
        for status, key, title in GROUPS
    ]

    scenarios = []
    for index, scenario in enumerate(result.scenarios, 1):
        sid = f"S{index:02d}"
        tally = Counter(v.status for v in scenario.verdicts)
        scenarios.append(
            {
                "sid": sid,
                "anchor": scenario_anchor[scenario.name],
                "name": clean(scenario.name, oneline=True),
                "title": scenario_title[scenario.name],
                "seconds": seconds_text(scenario.seconds),
                "error": clean(scenario.error) if scenario.error else "",
                "tally": " · ".join(f"{tally[s]} {STATUS_WORDS[s].lower()}" for s in (FAIL, PASS, NOT_RUN) if tally[s]),
                "steps": [{"sid": f"{sid}.{n}", "text": clean(step)} for n, step in enumerate(scenario.steps or [], 1)],
                "verdicts": [
                    {
                        **_status(v.status),
                        "id": clean(v.requirement, oneline=True),
                        "anchor": requirement_anchor.get(v.requirement),
                        "title": next(
                            (clean(r.title, oneline=True) for r in result.requirements if r.id == v.requirement),
                            "(not in the catalogue)",
                        ),
                    }
                    for v in scenario.verdicts
                ],
            }
        )

    counts = result.counts()
    state = "error" if result.setup_error is not None else ("pass" if result.exit_code == 0 else "fail")
    facts = [
        ("Insurer", clean(insurer.get("name"), oneline=True)),
        ("Organisation number", clean(insurer.get("org"), oneline=True)),
        ("Consent generation", generation_label(result)),
        ("Started", when_text(result.started)),
        ("Duration", seconds_text(result.seconds)),
        ("Scenarios", str(len(result.scenarios))),
    ]
    urls = [
        ("Start URL", clean(insurer.get("start_url"), oneline=True)),
        ("Fetch URL", clean(insurer.get("fetch_url"), oneline=True)),
        ("Insurer profile", clean(insurer.get("profile"), oneline=True)),
    ]
    urls += [
        (f"Sandbox: {clean(key, oneline=True)}", clean(value, oneline=True))
        for key, value in sandbox.items()
        if value not in (None, "")
    ]
    return {
        "insurer": insurer_label(result)[:1].upper() + insurer_label(result)[1:],
        "state": state,
        "state_icon": {"pass": "✓", "fail": "✗", "error": "!"}[state],
        "headline": headline(result),
        "headline_nb": headline_nb(result),
        "exit_code": result.exit_code,
        "exit_meaning": exit_meaning(result),
        "setup_error": clean(result.setup_error) if result.setup_error is not None else None,
        "facts": [(k, v) for k, v in facts if v],
        "urls": [(k, v) for k, v in urls if v],
        "counts": [
            {
                "status": status,
                "key": key,
                "label": title.lower(),
                "css": STATUS_CSS[status],
                "icon": STATUS_ICON[status],
                "n": counts[status],
            }
            for status, key, title in GROUPS
        ],
        "judged": len(cards),
        "groups": groups,
        "failures": groups[0]["cards"],
        "scenarios": scenarios,
        "unjudged": [
            {
                "id": clean(r.id, oneline=True),
                "level": clean(r.level, oneline=True),
                "title": clean(r.title, oneline=True),
            }
            for r in unjudged(result)
        ],
        "skipped": [(clean(name, oneline=True), clean(why)) for name, why in result.skipped.items()],
        "left": [(clean(what, oneline=True), clean(why)) for what, why in result.left.items()],
        "started": when_text(result.started),
        "plural": plural,
    }


def render(result: RunResult) -> str:
    return _environment.get_template("report.html").render(**view(result))
