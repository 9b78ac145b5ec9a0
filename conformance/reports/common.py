"""What the four reports share: safe text, the order requirements are shown in, the run's verdict
in words, and one-line summaries of evidence events.

Everything here reads a :class:`~dsop_sandbox.conformance.results.RunResult` and never changes it. Text that
comes from the integration under test (error messages, event details, paths) is hostile until
:func:`clean` has made it printable: it may hold control characters that break XML or steer a
terminal, or lone surrogates that cannot be written as UTF-8.
"""

from __future__ import annotations

import contextlib
import json
import re
from datetime import UTC, datetime

from ..results import FAIL, MUST, NOT_RUN, PASS, SHOULD, Requirement, RunResult, Verdict

# C0 controls except tab, newline and carriage return; DEL and the C1 controls; lone surrogates;
# and the two non-characters XML 1.0 forbids. They are shown as escapes (\x1b) so nothing is lost.
_UNSAFE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
VERDICT_ORDER = {FAIL: 0, PASS: 1, NOT_RUN: 2}
LEVEL_ORDER = {MUST: 0, SHOULD: 1}
EVENT_FIELDS = (
    "id",
    "time",
    "calendar_time",
    "service",
    "operation",
    "method",
    "path",
    "status",
    "outcome",
    "caller",
    "subject",
    "error",
    "trace_id",
    "details",
)


def _escape(match: re.Match) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def clean(value, *, oneline: bool = False) -> str:
    """``value`` as printable text: None becomes "", unsafe characters become visible escapes;
    ``oneline`` also folds line breaks and runs of whitespace into single spaces."""
    if value is None:
        return ""
    text = value if isinstance(value, str) else str(value)
    text = _UNSAFE.sub(_escape, text)
    if oneline:
        text = " ".join(text.split())
    return text


def shorten(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` characters, saying how much was left out."""
    if len(text) <= limit:
        return text
    return text[:limit].rstrip() + f" … ({len(text) - limit} more characters)"


def seconds_text(seconds) -> str:
    try:
        seconds = float(seconds or 0)
    except (TypeError, ValueError):
        return clean(seconds)
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, rest = divmod(seconds, 60)
    if minutes < 60:
        return f"{int(minutes)} min {rest:.0f} s"
    hours, minutes = divmod(int(minutes), 60)
    return f"{hours} h {minutes} min"


def when_text(iso) -> str:
    """An ISO time as ``2026-05-04 09:12:33 UTC``; anything else as it came."""
    text = clean(iso, oneline=True)
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return text
    if moment.tzinfo is None:
        return moment.strftime("%Y-%m-%d %H:%M:%S")
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def insurer_label(result: RunResult) -> str:
    insurer = result.insurer if isinstance(result.insurer, dict) else {}
    name, org = clean(insurer.get("name"), oneline=True), clean(insurer.get("org"), oneline=True)
    if name and org:
        return f"{name} ({org})"
    return name or org or "unknown insurer"


GENERATION_LABELS = {"altinn3": "Altinn 3 consent", "altinn2": "Altinn 2 consent"}


def generation_label(result: RunResult) -> str:
    """The consent generation the run judged, in words ("" when the run could not start)."""
    generation = clean(getattr(result, "generation", ""), oneline=True)
    return GENERATION_LABELS.get(generation, generation)


def plural(count: int, word: str, words: str | None = None) -> str:
    return f"{count} {word if count == 1 else (words or word + 's')}"


# -- the order things are shown in ------------------------------------------------------------------------
def ordered(result: RunResult) -> list[Requirement]:
    """The judged requirements: failures first (MUST before SHOULD), then passes, then not run;
    within each, the catalogue's order."""
    position = {r.id: i for i, r in enumerate(result.requirements)}
    return sorted(
        result.judged(),
        key=lambda r: (VERDICT_ORDER.get(result.overall(r.id), 3), LEVEL_ORDER.get(r.level, 2), position[r.id]),
    )


def ordered_verdicts(result: RunResult, requirement_id: str) -> list[Verdict]:
    """A requirement's verdicts, the ones that decided its overall verdict first."""
    return sorted(result.verdicts_for(requirement_id), key=lambda v: VERDICT_ORDER.get(v.status, 3))


def unjudged(result: RunResult) -> list[Requirement]:
    """The catalogue's requirements no selected scenario is about (left out of the totals)."""
    touched = {r.id for r in result.judged()}
    return [r for r in result.requirements if r.id not in touched]


def must_tally(result: RunResult) -> dict[str, int]:
    tally = {PASS: 0, FAIL: 0, NOT_RUN: 0}
    for requirement in result.judged():
        if requirement.level == MUST:
            tally[result.overall(requirement.id)] += 1
    return tally


def should_failed(result: RunResult) -> int:
    return sum(1 for r in result.judged() if r.level != MUST and result.overall(r.id) == FAIL)


# -- the run's verdict in words ---------------------------------------------------------------------------
def headline(result: RunResult) -> str:
    """The run's verdict in one English sentence: what a reader needs before anything else."""
    if result.setup_error is not None:
        return "The run could not start"
    musts = must_tally(result)
    if not result.judged():
        return "No requirement was judged"
    if result.exit_code == 0:
        text = (
            "No MUST requirement was judged"
            if musts[PASS] == 0
            else f"All {musts[PASS]} MUST requirements passed"
            if musts[PASS] > 1
            else "The MUST requirement passed"
        )
    else:
        parts = []
        if musts[FAIL]:
            parts.append(f"{plural(musts[FAIL], 'MUST requirement')} failed")
        if musts[NOT_RUN]:
            parts.append(
                f"{plural(musts[NOT_RUN], 'MUST requirement')} {'was' if musts[NOT_RUN] == 1 else 'were'} not run"
            )
        text = ", ".join(parts)
    shoulds = should_failed(result)
    if shoulds:
        text += f"; {plural(shoulds, 'SHOULD requirement')} failed"
    return text


def headline_nb(result: RunResult) -> str:
    """The same in Norwegian, in the domain's own terms."""
    if result.setup_error is not None:
        return "Kjøringen kunne ikke starte"
    if not result.judged():
        return "Ingen krav ble vurdert"
    return "Alle MÅ-krav er oppfylt" if result.exit_code == 0 else "Ikke alle MÅ-krav er oppfylt"


def exit_meaning(result: RunResult) -> str:
    """What the run's exit code means, in words."""
    code = result.exit_code
    if code == 2:
        return (
            "Exit code 2: the run could not start. This is a setup problem, not a conformance failure: "
            "dsop-sandbox doctor --insurer FILE says what to fix."
        )
    if code == 0:
        return "Exit code 0: every MUST requirement that was judged passed."
    musts = must_tally(result)
    parts = []
    if musts[FAIL]:
        parts.append(f"{plural(musts[FAIL], 'MUST requirement')} failed")
    if musts[NOT_RUN]:
        parts.append(f"{plural(musts[NOT_RUN], 'MUST requirement')} could not be judged")
    return f"Exit code 1: {' and '.join(parts)}."


# -- evidence -----------------------------------------------------------------------------------------------
def evidence_of(evidence) -> list:
    """A verdict's evidence as a list, whatever it came as (a list, a tuple, one event, nothing)."""
    if isinstance(evidence, (list, tuple)):
        return list(evidence)
    return [] if evidence in (None, "", {}) else [evidence]


def event_fields(event) -> dict:
    """An evidence event as printable fields (every key present; details as a dict or a text).
    Events are the sandbox's event-log entries, but any field may be missing and a malformed
    event is shown as its text rather than dropped."""
    if not isinstance(event, dict):
        return {**dict.fromkeys(EVENT_FIELDS, ""), "details": clean(event)}
    fields = {name: clean(event.get(name), oneline=True) for name in EVENT_FIELDS if name != "details"}
    details = event.get("details")
    if isinstance(details, str):
        with contextlib.suppress(ValueError):
            details = json.loads(details)
    fields["details"] = details if details not in (None, "", {}, []) else ""
    extra = {k: v for k, v in event.items() if k not in EVENT_FIELDS}
    if extra:  # fields this renderer does not know: kept, with the details
        fields["details"] = {
            **(
                fields["details"]
                if isinstance(fields["details"], dict)
                else {"details": fields["details"]}
                if fields["details"]
                else {}
            ),
            **extra,
        }
    return fields


def details_json(details, limit: int = 4000) -> str:
    """The details of an event pretty-printed, cleaned and cut at ``limit`` characters."""
    if details in (None, "", {}, []):
        return ""
    if isinstance(details, str):
        text = details
    else:
        try:
            text = json.dumps(details, indent=2, ensure_ascii=False, default=str, sort_keys=False)
        except (TypeError, ValueError):
            text = repr(details)
    return shorten(clean(text), limit)


def event_line(event, *, compact: bool = False) -> str:
    """One evidence event on one line: ``2026-05-04T09:12:33.120Z nav nav.data GET /path → 403 error
    consent_revoked  caller=… subject=… trace=…  details={…}``; ``compact`` leaves out the time, the
    parties and the details (what a terminal has room for)."""
    f = event_fields(event)
    if not any(f[name] for name in EVENT_FIELDS if name != "details"):
        return (
            shorten(
                clean(f["details"] if isinstance(f["details"], str) else details_json(f["details"]), oneline=True), 200
            )
            or "(empty event)"
        )
    head = " ".join(
        part for part in ("" if compact else f["time"], f["service"], f["operation"], f["method"], f["path"]) if part
    )
    result = " ".join(part for part in (f["status"], f["outcome"], f["error"]) if part)
    line = head + (f" → {result}" if result else "")
    if compact:
        return line
    who = " ".join(
        f"{label}={f[name]}"
        for label, name in (("caller", "caller"), ("subject", "subject"), ("trace", "trace_id"))
        if f[name]
    )
    line += f"  {who}" if who else ""
    if f["details"]:
        compact_details = (
            f["details"] if isinstance(f["details"], str) else json.dumps(f["details"], ensure_ascii=False, default=str)
        )
        line += "  details=" + shorten(clean(compact_details, oneline=True), 160)
    return shorten(line, 400)
