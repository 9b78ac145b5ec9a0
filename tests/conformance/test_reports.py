"""The four reports from hand-built RunResults: a passing run, a run with MUST failures and NOT RUN,
a run that could not start, and one full of hostile text. The builders are reused by the browser
test of the HTML report (tests/browser/test_conformance_report.py)."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from html.parser import HTMLParser

import pytest

from dsop_sandbox.conformance.catalogue import by_id
from dsop_sandbox.conformance.reports import RENDERERS, console, html, json_report, junit, write_reports
from dsop_sandbox.conformance.results import (
    FAIL,
    MUST,
    NOT_RUN,
    PASS,
    SHOULD,
    Requirement,
    RunResult,
    ScenarioResult,
    Verdict,
)

INSURER = {
    "name": "Eksempel Forsikring AS",
    "org": "310000001",
    "start_url": "http://localhost:7200/claims/start?pid={pid}",
    "fetch_url": "http://localhost:7200/conformance/fetch?pid={pid}",
    "profile": "insurer.toml",
}
SANDBOX = {"control": "http://127.0.0.1:7000", "altinn": "http://127.0.0.1:7003", "nav": "http://127.0.0.1:7004"}
PID = "01017012345"
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def event(n: int, service: str, operation: str, status: int | None, **fields) -> dict:
    paths = {
        "nav": ("GET", "/api/v1/sykepenger"),
        "altinn": ("POST", "/api/consent/loguse"),
        "maskinporten": ("POST", "/token"),
    }
    method, path = paths.get(service, ("GET", "/"))
    return {
        "id": n,
        "time": f"2026-05-04T09:12:{n:02d}.120Z",
        "calendar_time": f"2026-05-04T09:12:{n:02d}Z",
        "service": service,
        "operation": operation,
        "method": method,
        "path": path,
        "status": status,
        "outcome": "ok" if status and status < 400 else "error",
        "caller": "310000001",
        "subject": PID,
        "error": None,
        "trace_id": f"trace-{n:04d}-9f1c",
        "details": {"scope": "nav:dsop/sykepenger"},
        **fields,
    }


def verdict(requirement: str, status: str, why: str, scenario: str, evidence=()) -> Verdict:
    return Verdict(requirement, status, why, scenario, list(evidence))


def run_of(*scenarios: ScenarioResult, requirements=None, **kw) -> RunResult:
    return RunResult(
        insurer=dict(INSURER),
        sandbox=dict(SANDBOX),
        started="2026-05-04T09:12:00+00:00",
        seconds=sum(s.seconds for s in scenarios) + 1.5,
        requirements=list(requirements or by_id("altinn2").values()),
        scenarios=list(scenarios),
        **kw,
    )


def passing_run() -> RunResult:
    granted = ScenarioResult(
        "consent_granted",
        "The citizen gives consent",
        3.2,
        steps=[
            f"The citizen Kari Nordmann ({PID}) starts a claim and answers «Ja» on Altinn's consent page",
            "The browser came back to the insurer",
        ],
        verdicts=[
            verdict(
                "DSOP-CONSENT-REQUEST",
                PASS,
                "The insurer created a consent request for service 5252.",
                "consent_granted",
                [event(1, "altinn", "consent.request", 201)],
            ),
            verdict(
                "DSOP-CALLBACK",
                PASS,
                "The citizen came back and the consent token was fetched.",
                "consent_granted",
                [event(2, "altinn", "consent.token", 200)],
            ),
        ],
    )
    fetch = ScenarioResult(
        "fetch",
        "The insurer fetches NAV data and logs the use",
        2.1,
        steps=["Fetch once"],
        verdicts=[
            verdict(
                "DSOP-FETCH",
                PASS,
                "NAV delivered data 1 time(s) and the fetch hook answered ok.",
                "fetch",
                [event(3, "nav", "nav.data", 200)],
            ),
            verdict(
                "DSOP-LOGUSE",
                PASS,
                "The insurer logged the use with Altinn after the data arrived.",
                "fetch",
                [event(3, "nav", "nav.data", 200), event(4, "altinn", "consent.loguse", 204)],
            ),
            verdict("DSOP-MASKINPORTEN-REUSE", PASS, "A second fetch made 2 NAV calls with 1 new token.", "fetch"),
        ],
    )
    return run_of(granted, fetch)


LOGUSE_WHY = "The insurer never logged its use of the consent after NAV delivered (no loguse)."
REVOKED_WHY = "After the citizen withdrew the consent the fetch hook answered 'ok' instead of 'consent_required'."
REUSE_WHY = (
    "A second fetch asked Maskinporten for 2 token(s) for 2 NAV call(s): tokens valid for two minutes are not reused."
)
RECOVERY_WHY = "The scenario stopped: DriverError: the insurer's start page answered HTTP 502"


def mixed_run() -> RunResult:
    """Two MUST failures, one SHOULD failure, one MUST not run (a scenario that broke), passes."""
    fetch = ScenarioResult(
        "fetch",
        "The insurer fetches NAV data and logs the use",
        4.25,
        steps=[
            f"The citizen Kari Nordmann ({PID}) starts a claim and answers «Ja, jeg gir samtykke» on Altinn's "
            f"consent page",
            "The suite asks the insurer to fetch NAV data (POST fetch_url)",
            "The suite asks the insurer to fetch again",
        ],
        verdicts=[
            verdict(
                "DSOP-FETCH",
                PASS,
                "NAV delivered data 1 time(s) and the fetch hook answered ok.",
                "fetch",
                [event(3, "nav", "nav.data", 200)],
            ),
            verdict(
                "DSOP-LOGUSE",
                FAIL,
                LOGUSE_WHY,
                "fetch",
                [
                    event(
                        3,
                        "nav",
                        "nav.data",
                        200,
                        details={
                            "consent_token": "sha256:1f2e3d4c5b6a7980",
                            "fields": ["sykepengeperioder", "uforegrad"],
                        },
                    )
                ],
            ),
            verdict("DSOP-PERSON", PASS, "Every NAV call carried the person the consent was given for.", "fetch"),
            verdict(
                "DSOP-MASKINPORTEN-REUSE",
                FAIL,
                REUSE_WHY,
                "fetch",
                [
                    event(5, "maskinporten", "token", 200, subject=None),
                    event(6, "nav", "nav.data", 200),
                    event(7, "maskinporten", "token", 200, subject=None),
                    event(8, "nav", "nav.data", 200),
                ],
            ),
        ],
    )
    reuse = ScenarioResult(
        "reuse",
        "The insurer fetches again without asking the citizen again",
        2.5,
        steps=["Fetch under the same consent"],
        verdicts=[
            verdict(
                "DSOP-REUSE",
                PASS,
                "The insurer fetched again without a new consent request.",
                "reuse",
                [event(10, "altinn", "consent.token", 200), event(11, "nav", "nav.data", 200)],
            ),
            verdict(
                "DSOP-LOGUSE",
                PASS,
                "The insurer logged the use with Altinn after the data arrived.",
                "reuse",
                [event(12, "altinn", "consent.loguse", 204)],
            ),
        ],
    )
    revocation = ScenarioResult(
        "revocation",
        "The citizen withdraws the consent",
        3.0,
        steps=["The citizen withdraws the consent in Altinn", "The suite asks the insurer to fetch"],
        verdicts=[
            verdict(
                "DSOP-REVOKED",
                FAIL,
                REVOKED_WHY,
                "revocation",
                [
                    event(20, "altinn", "consent.token", 403, error="consent_revoked"),
                    event(21, "nav", "nav.data", 403, error="consent_invalid", details={"consent_problem": "revoked"}),
                ],
            ),
            verdict(
                "DSOP-NO-ENDLESS-RETRY",
                PASS,
                "The insurer asked Altinn once after the 403 and stopped.",
                "revocation",
                [event(20, "altinn", "consent.token", 403, error="consent_revoked")],
            ),
        ],
    )
    nav_down = ScenarioResult(
        "nav_down",
        "NAV is down while the citizen consents",
        1.2,
        error="DriverError: the insurer's start page answered HTTP 502",
        steps=["NAV is made to fail with 503", "Stopped: the start page answered 502"],
        verdicts=[
            verdict(
                "DSOP-ASYNC",
                PASS,
                "The consent step completed while NAV was down.",
                "nav_down",
                [event(30, "nav", "nav.data", 503)],
            ),
            verdict("DSOP-RECOVERY", NOT_RUN, RECOVERY_WHY, "nav_down"),
        ],
    )
    return run_of(fetch, reuse, revocation, nav_down)


def setup_error_run() -> RunResult:
    return RunResult(
        insurer={},
        sandbox={"control": "http://127.0.0.1:7000"},
        started="2026-05-04T09:12:00+00:00",
        seconds=0.3,
        requirements=list(by_id("altinn2").values()),
        setup_error="310000001 is not registered in this sandbox (dsop-sandbox register-insurer)",
    )


HOSTILE_TITLE = "<script>alert(\"title\")</script> & «ÆØÅ» 'quoted'"
HOSTILE_WHY = "Got <b>bold</b> & \"quotes\" 'single' ÆØÅ æøå\x1b[31m red\x00 nul\x07 bell </pre></textarea>"
HOSTILE_REQUIREMENTS = [
    Requirement(
        "X-<HOSTILE>&1",
        MUST,
        HOSTILE_TITLE,
        'He said "<img src=x onerror=alert(1)>" & left',
        "Origin <a href='http://evil.example'>link</a>",
    ),
    Requirement("X-QUIET", SHOULD, "Quiet & calm: ÆØÅ", "Source ]]> <![CDATA[ x", "Origin -- comment -->"),
]


def hostile_run() -> RunResult:
    evidence = [
        {
            "id": 1,
            "time": "2026-05-04T09:12:01Z",
            "service": "nav<script>",
            "operation": "op\"'&",
            "status": "500",
            "error": "boom</td></tr></table>",
            "caller": "\x1b]0;title\x07",
            "subject": "ÆØÅ",
            "trace_id": None,
            "details": {
                "html": "</pre><script>alert('x')</script>",
                "ctrl": "a\x00b\x0bc\ud800",
                "nested": {"list": [1, "two", None]},
            },
        },
        {},  # every field missing
        "not an event at all <i>really</i>",  # not even a dict
        {"service": "altinn", "details": "plain string details & <stuff>", "extra": "unknown field"},
        {"service": "nav", "details": {"big": "x" * 20_000}},
    ]
    scenario = ScenarioResult(
        'evil"<scenario>',
        "Evil & <title> ÆØÅ",
        0.5,
        error="Boom <b>&</b>\x1b[2J",
        steps=['Step <one> & "two"\x1b[1m', "ÆØÅ æøå"],
        verdicts=[
            verdict("X-<HOSTILE>&1", FAIL, HOSTILE_WHY, 'evil"<scenario>', evidence),
            verdict("X-QUIET", NOT_RUN, "Not run <because> & \x01", 'evil"<scenario>'),
        ],
    )
    run = run_of(scenario, requirements=HOSTILE_REQUIREMENTS)
    run.insurer = {**INSURER, "name": 'Evil <Forsikring> & "Co" ÆØÅ\x1b[5m'}
    return run


RUNS = {"passing": passing_run, "mixed": mixed_run, "setup": setup_error_run, "hostile": hostile_run}


# -- console ----------------------------------------------------------------------------------------------
def test_console_of_a_passing_run():
    result = passing_run()
    text = console.render(result, color=False)
    assert text.splitlines()[0] == "DSOP conformance · Eksempel Forsikring AS (310000001)"
    assert "started 2026-05-04 09:12:00 UTC" in text and "took 6.8 s" in text
    for requirement in result.judged():
        assert re.search(rf"^PASS\s+{re.escape(requirement.id)}\s+{requirement.level}\s+", text, re.M)
    assert "5 passed · 0 failed · 0 not run" in text
    assert "All 4 MUST requirements passed" in text
    assert "Exit code 0" in text
    assert "Failed" not in text and "\x1b" not in text


def test_console_of_a_run_with_failures_puts_them_first_and_says_why():
    result = mixed_run()
    text = console.render(result, color=False)
    lines = [line for line in text.splitlines() if re.match(r"^(PASS|FAIL|NOT RUN) ", line)]
    statuses = [line.split("  ")[0].strip() for line in lines]
    assert statuses == sorted(statuses, key={FAIL: 0, PASS: 1, NOT_RUN: 2}.get)
    assert lines[0].split()[1] == "DSOP-LOGUSE" and lines[1].split()[1] == "DSOP-REVOKED"  # MUST before SHOULD
    assert lines[2].split()[1] == "DSOP-MASKINPORTEN-REUSE"
    failed = text.split("\nFailed\n", 1)[1]
    flat = " ".join(failed.split())
    for why in (LOGUSE_WHY, REVOKED_WHY, REUSE_WHY):
        assert why in flat
    assert "DSOP-LOGUSE (MUST) in scenario fetch" in failed
    assert "evidence (1 event):" in failed and "nav nav.data GET /api/v1/sykepenger → 200 ok" in failed
    assert "… and 2 more" in failed  # 4 events, 2 shown
    assert "Not run (MUST)" in text and "DSOP-RECOVERY (MUST) in scenario nav_down" in text
    assert "nav_down: DriverError: the insurer's start page answered HTTP 502" in flat
    counts = result.counts()
    assert counts == {PASS: 5, FAIL: 3, NOT_RUN: 1}
    assert "5 passed · 3 failed · 1 not run" in text
    assert "2 MUST requirements failed, 1 MUST requirement was not run; 1 SHOULD requirement failed" in text
    assert "Exit code 1: 2 MUST requirements failed and 1 MUST requirement could not be judged." in text
    assert "not part of this run" in text


def test_console_colours_only_when_asked():
    result = mixed_run()
    plain, coloured = console.render(result, color=False), console.render(result, color=True)
    assert "\x1b[" not in plain
    assert "\x1b[1;31m" in coloured and "\x1b[32m" in coloured
    assert ANSI.sub("", coloured) == plain


def test_console_of_a_run_that_could_not_start():
    text = console.render(setup_error_run(), color=False)
    assert "DSOP conformance · unknown insurer" in text
    assert "The run could not start:" in text
    assert "310000001 is not registered in this sandbox" in text
    assert "Exit code 2" in text and "not a conformance failure" in text and "doctor" in text


def test_console_neutralises_terminal_escapes():
    text = console.render(hostile_run(), color=False)
    assert "\x1b" not in text and "\x00" not in text and "\x07" not in text
    assert "\\x1b[31m red\\x00 nul" in text
    assert 'Evil <Forsikring> & "Co" ÆØÅ\\x1b[5m' in text


# -- JUnit ------------------------------------------------------------------------------------------------
def parse_junit(text: str) -> ET.Element:
    assert text.startswith('<?xml version="1.0" encoding="UTF-8"?>')
    return ET.fromstring(text.encode("utf-8"))


@pytest.mark.parametrize("name", ["passing", "mixed", "hostile"])
def test_junit_counts_match_the_verdicts(name):
    result = RUNS[name]()
    root = parse_junit(junit.render(result))
    assert root.tag == "testsuites"
    verdicts = [v for s in result.scenarios for v in s.verdicts]
    assert int(root.get("tests")) == len(verdicts) == len(root.findall(".//testcase"))
    assert int(root.get("failures")) == sum(v.status == FAIL for v in verdicts) == len(root.findall(".//failure"))
    assert int(root.get("skipped")) == sum(v.status == NOT_RUN for v in verdicts) == len(root.findall(".//skipped"))
    assert root.get("errors") == "0"
    suites = root.findall("testsuite")
    assert [s.get("name") for s in suites] == [s.name.replace("\x1b", "\\x1b") for s in result.scenarios]
    for suite, scenario in zip(suites, result.scenarios, strict=False):
        assert int(suite.get("tests")) == len(scenario.verdicts) == len(suite.findall("testcase"))
        assert int(suite.get("failures")) == sum(v.status == FAIL for v in scenario.verdicts)
        assert int(suite.get("skipped")) == sum(v.status == NOT_RUN for v in scenario.verdicts)
        assert float(suite.get("time")) == pytest.approx(scenario.seconds, abs=1e-3)
        assert sum(float(c.get("time")) for c in suite.findall("testcase")) == pytest.approx(scenario.seconds, abs=1e-2)
        properties = {p.get("name"): p.get("value") for p in suite.find("properties")}
        assert properties["insurer.org"] == "310000001"
        assert properties["sandbox.control"] == "http://127.0.0.1:7000"
        assert properties["run.exit_code"] == str(result.exit_code)


def test_junit_failures_carry_the_why_and_the_evidence():
    result = mixed_run()
    root = parse_junit(junit.render(result))
    cases = {(c.get("classname"), c.get("name")): c for c in root.iter("testcase")}
    loguse = cases[("fetch", "DSOP-LOGUSE: Logs each use of the consent with Altinn")]
    failure = loguse.find("failure")
    assert failure.get("message") == LOGUSE_WHY
    assert "DSOP-LOGUSE (MUST) failed in scenario fetch" in failure.text
    assert "Source: «The insurer logs its use of the consent with Altinn (loguse).»" in failure.text
    assert "Evidence (1 sandbox event):" in failure.text
    assert "nav nav.data GET /api/v1/sykepenger → 200 ok  caller=310000001 subject=01017012345" in failure.text
    revoked = cases[
        ("revocation", "DSOP-REVOKED: Stops after the citizen withdraws the consent and says consent is required")
    ].find("failure")
    assert revoked.get("message") == REVOKED_WHY and "→ 403 error consent_revoked" in revoked.text
    recovery = cases[("nav_down", "DSOP-RECOVERY: Retrieves the data once NAV is back")]
    assert recovery.find("skipped").get("message") == RECOVERY_WHY and recovery.find("failure") is None
    assert (
        cases[("fetch", "DSOP-FETCH: Fetches NAV data with a Maskinporten token and the consent token")].find("*")
        is None
    )  # a pass has no child
    nav_down = root.find("testsuite[@name='nav_down']")
    assert "not a verdict" in nav_down.find("system-err").text
    assert "1. NAV is made to fail with 503" in nav_down.find("system-out").text


def test_junit_of_a_run_that_could_not_start_shows_the_error():
    root = parse_junit(junit.render(setup_error_run()))
    assert (root.get("tests"), root.get("failures"), root.get("errors"), root.get("skipped")) == ("1", "0", "1", "0")
    error = root.find("testsuite[@name='setup']/testcase/error")
    assert error.get("message") == "310000001 is not registered in this sandbox (dsop-sandbox register-insurer)"
    assert "Exit code 2" in error.text


def test_junit_escapes_hostile_text():
    text = junit.render(hostile_run())
    root = parse_junit(text)  # expat refuses control characters
    assert "<script>" not in text and "\x1b" not in text and "\x00" not in text
    case = root.find(".//testcase")
    assert case.get("name") == f"X-<HOSTILE>&1: {HOSTILE_TITLE}"
    assert case.get("classname") == 'evil"<scenario>'
    message = case.find("failure").get("message")
    assert message.startswith("Got <b>bold</b> & \"quotes\" 'single' ÆØÅ æøå\\x1b[31m red\\x00 nul\\x07 bell")
    body = case.find("failure").text
    assert "</pre><script>alert('x')</script>" in body and "\\ud800" in body and "(empty event)" in body
    assert 'altinn  details={"details": "plain string details & <stuff>", "extra": "unknown field"}' in body
    assert "not an event at all <i>really</i>" in body


# -- JSON -------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["passing", "mixed", "setup"])
def test_json_round_trips(name):
    result = RUNS[name]()
    data = json.loads(json_report.render(result))
    assert data == json.loads(json.dumps(result.to_dict()))
    assert data["exit_code"] == result.exit_code and data["counts"] == result.counts()
    for requirement in data["requirements"]:
        assert requirement["verdict"] == result.overall(requirement["id"])
        assert [v["status"] for v in requirement["verdicts"]] == [
            v.status for v in result.verdicts_for(requirement["id"])
        ]


def test_json_keeps_unicode_and_survives_hostile_text(tmp_path):
    written = write_reports(hostile_run(), json_path=tmp_path / "run.json")
    raw = written["json"].read_text(encoding="utf-8")
    assert "ÆØÅ" in raw  # ensure_ascii=False
    data = json.loads(raw)
    assert data["requirements"][0]["verdicts"][0]["why"] == HOSTILE_WHY
    assert data["requirements"][0]["verdict"] == FAIL


# -- HTML -------------------------------------------------------------------------------------------------
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


class Page(HTMLParser):
    """Checks that tags nest and close, and collects what the tests look at."""

    def __init__(self, text: str):
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.problems: list[str] = []
        self.tags: list[tuple[str, dict]] = []
        self.text: list[str] = []
        self.headings: list[int] = []
        self.feed(text)
        self.close()
        if self.stack:
            self.problems.append(f"never closed: {self.stack}")

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        if re.fullmatch(r"h[1-6]", tag):
            self.headings.append(int(tag[1]))
        if tag not in VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_endtag(self, tag):
        if not self.stack or self.stack[-1] != tag:
            self.problems.append(f"</{tag}> closes {self.stack[-1:] or 'nothing'}")
        else:
            self.stack.pop()

    def handle_data(self, data):
        if not self.stack or self.stack[-1] not in ("style", "title"):
            self.text.append(data)

    @property
    def flat(self) -> str:
        return " ".join("".join(self.text).split())

    def attrs(self, tag=None, name=None) -> list[str]:
        return [value or "" for t, a in self.tags if tag in (None, t) for n, value in a.items() if name in (None, n)]


@pytest.mark.parametrize("name", sorted(RUNS))
def test_html_is_well_formed_accessible_and_self_contained(name):
    text = html.render(RUNS[name]())
    page = Page(text)
    assert page.problems == []
    assert text.startswith("<!doctype html>")
    assert page.tags[0] == ("html", {"lang": "en"})
    assert page.headings.count(1) == 1 and page.headings[0] == 1
    assert all(b - a <= 1 for a, b in zip(page.headings, page.headings[1:], strict=False)), page.headings
    ids = page.attrs(name="id")
    assert len(ids) == len(set(ids))
    for href in page.attrs(name="href"):
        assert href == "data:," or (href.startswith("#") and href[1:] in ids), href
    assert page.attrs(name="src") == []
    assert not [t for t, _ in page.tags if t in ("script", "iframe", "object", "embed", "img", "form", "base")]
    assert all("://" not in value for value in page.attrs())
    style = text.split("<style>", 1)[1].split("</style>", 1)[0]
    assert "url(" not in style and "@import" not in style and "@font-face" not in style
    assert "\x1b" not in text and "\x00" not in text


def test_html_of_a_run_with_failures():
    result = mixed_run()
    text = html.render(result)
    page = Page(text)
    for requirement in result.judged():
        assert requirement.id in page.flat
    for why in (LOGUSE_WHY, REVOKED_WHY, REUSE_WHY, RECOVERY_WHY):
        assert why in page.flat
    assert "2 MUST requirements failed, 1 MUST requirement was not run; 1 SHOULD requirement failed" in page.flat
    assert "Ikke alle MÅ-krav er oppfylt" in page.flat
    cards = [(a["id"], a["class"]) for t, a in page.tags if t == "article"]
    assert [c for _, c in cards] == ["card fail"] * 3 + ["card pass"] * 5 + ["card notrun"]
    assert [i for i, _ in cards[:3]] == ["req-DSOP-LOGUSE", "req-DSOP-REVOKED", "req-DSOP-MASKINPORTEN-REUSE"]
    for word in ("✓ PASS", "✗ FAIL", "– NOT RUN"):  # never colour alone
        assert word in page.flat
    # the source sentence with its origin, the evidence as a table with its columns
    assert (
        "The insurer logs its use of the consent with Altinn (loguse). — DSOP, «Syke- og uføreopplysninger fra NAV»"
        in page.flat
    )
    assert "https://altinn.github.io/docs/utviklingsguider/samtykke/datakonsument/logge-bruk/" in page.flat
    assert "Evidence: 2 sandbox events (altinn 1 · nav 1)" in page.flat
    assert re.findall(r'<th scope="col">([^<]*)</th>', text)[:10] == [
        "#",
        "Time",
        "Service",
        "Operation",
        "HTTP",
        "Outcome",
        "Error",
        "Caller",
        "Subject",
        "Trace id",
    ]
    assert "consent_revoked" in page.flat and "trace-0020-9f1c" in page.flat
    assert '"consent_problem": "revoked"' in page.flat
    # the scenarios, their steps with stable ids, and the one that broke
    assert [a["id"] for t, a in page.tags if t == "section" and "scenario" in a.get("class", "")] == [
        "scn-fetch",
        "scn-reuse",
        "scn-revocation",
        "scn-nav_down",
    ]
    assert "S04.2" in page.attrs(name="id") and "S01.3 The suite asks the insurer to fetch again" in page.flat
    assert "The scenario could not finish." in page.flat
    # the requirement judged twice shows both verdicts, the failure first
    loguse = text.split('id="req-DSOP-LOGUSE"', 1)[1].split("</article>", 1)[0]
    assert loguse.index(LOGUSE_WHY) < loguse.index("The insurer logged the use with Altinn after the data arrived")
    assert "not part of this run" in page.flat.lower()
    assert "http://localhost:7200/claims/start?pid={pid}" in page.flat  # shown as text, never linked


def test_html_of_a_passing_run():
    page = Page(html.render(passing_run()))
    assert "All 4 MUST requirements passed Alle MÅ-krav er oppfylt" in page.flat
    assert "What failed" not in page.flat
    assert {a["class"] for t, a in page.tags if t == "article"} == {"card pass"}


def test_html_of_a_run_that_could_not_start():
    page = Page(html.render(setup_error_run()))
    assert "The run could not start" in page.flat and "Kjøringen kunne ikke starte" in page.flat
    assert "310000001 is not registered in this sandbox (dsop-sandbox register-insurer)" in page.flat
    assert "setup problem, not a conformance failure" in page.flat
    assert not [t for t, _ in page.tags if t == "article"]


def test_html_escapes_hostile_text():
    text = html.render(hostile_run())
    page = Page(text)
    assert "<script" not in text and "<b>" not in text and "<img" not in text and "<a href='http" not in text
    assert HOSTILE_TITLE in page.flat
    assert (
        "Got <b>bold</b> & \"quotes\" 'single' ÆØÅ æøå\\x1b[31m red\\x00 nul\\x07 bell </pre></textarea>" in page.flat
    )
    assert "</pre><script>alert('x')</script>" in page.flat and "\\ud800" in page.flat
    assert "Origin <a href='http://evil.example'>link</a>" in page.flat
    assert "not an event at all <i>really</i>" in page.flat and '"extra": "unknown field"' in page.flat
    assert re.search(r"\(\d+ more characters\)", page.flat)
    assert max(len(t) for t in page.text) < 5000  # details are cut


def test_html_ids_stay_unique_when_requirement_ids_look_alike():
    alike = [
        Requirement(rid, MUST, f"Title of {rid}", "Source.", "Origin.")
        for rid in ("A B", "A-B", "A&B", "A-B-title", "A")
    ]
    scenario = ScenarioResult("s", "S", 1.0, verdicts=[verdict(r.id, FAIL, f"why {r.id}", "s") for r in alike])
    page = Page(html.render(run_of(scenario, requirements=alike)))
    ids = page.attrs(name="id")
    assert len(ids) == len(set(ids))
    assert len([t for t, _ in page.tags if t == "article"]) == 5
    for href in page.attrs(name="href"):
        assert href == "data:," or href[1:] in ids


def test_html_keeps_details_short():
    result = mixed_run()
    result.scenarios[0].verdicts[1].evidence[0]["details"] = {"blob": "y" * 50_000}
    page = Page(html.render(result))
    pre = [t for t in page.text if "yyyy" in t]
    assert len(pre) == 1 and len(pre[0]) < 4100 and "more characters)" in pre[0]


# -- writing ----------------------------------------------------------------------------------------------
def test_write_reports_writes_what_was_asked(tmp_path):
    result = mixed_run()
    written = write_reports(result, junit=tmp_path / "ci" / "junit.xml", html=str(tmp_path / "report.html"))
    assert set(written) == {"junit", "html"}
    assert not (tmp_path / "run.json").exists()
    assert ET.parse(written["junit"]).getroot().get("failures") == "3"
    assert written["html"].read_text(encoding="utf-8") == html.render(result)
    assert write_reports(result) == {}
    assert set(RENDERERS) == {"console", "junit", "json", "html"}
    assert all(isinstance(RENDERERS[name](result), str) for name in RENDERERS)


def test_write_reports_survives_hostile_text(tmp_path):
    written = write_reports(
        hostile_run(), junit=tmp_path / "j.xml", json_path=tmp_path / "r.json", html=tmp_path / "r.html"
    )
    ET.parse(written["junit"])
    json.loads(written["json"].read_text(encoding="utf-8"))
    assert Page(written["html"].read_text(encoding="utf-8")).problems == []


def test_the_command_line_lists_every_scenario():
    from dsop_sandbox.conformance.cli import SCENARIO_NAMES
    from dsop_sandbox.conformance.scenarios import NAMES

    assert NAMES == SCENARIO_NAMES


def altinn3_run() -> RunResult:
    """A passing Altinn 3 run: the generation's own requirement judged, the label in every report."""
    requirement = by_id("altinn3")["DSOP-CONSENT-IN-TOKEN"]
    fetch = ScenarioResult(
        "fetch",
        "The insurer fetches NAV data with the consent in its Maskinporten token",
        0.4,
        verdicts=[
            verdict(
                requirement.id,
                PASS,
                "Maskinporten issued 2 token(s) with the consent in authorization_details.",
                "fetch",
                [event(1, service="maskinporten", operation="token", status=200)],
            )
        ],
    )
    return run_of(fetch, requirements=list(by_id("altinn3").values()), generation="altinn3")


def test_every_report_names_the_generation_judged():
    result = altinn3_run()
    assert console.render(result).splitlines()[0] == (
        "DSOP conformance · Eksempel Forsikring AS (310000001) · Altinn 3 consent"
    )
    assert json.loads(json_report.render(result))["generation"] == "altinn3"
    properties = {p.get("name"): p.get("value") for p in ET.fromstring(junit.render(result)).iter("property")}
    assert properties["run.generation"] == "Altinn 3 consent"
    page = Page(html.render(result))
    assert "Consent generationAltinn 3 consent" in page.flat and page.problems == []
    assert "https://docs.digdir.no/docs/Maskinporten/maskinporten_func_samtykke" in page.flat
    # a run that could not start judged no generation, and says none
    assert "consent" not in console.render(setup_error_run()).splitlines()[0]
