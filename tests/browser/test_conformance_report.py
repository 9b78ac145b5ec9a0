"""The conformance suite's HTML report in a real headless Chromium, opened from a file as a person
would open it from a CI artifact: the failures come first and say why without a click, the evidence
is one click (or one key press) away, the page works at a phone's width and in print, and nothing
on it asks the network for anything."""

from __future__ import annotations

import pytest

from dsop_sandbox.conformance.reports import write_reports
from tests.browser.conftest import LOCALE, record_requests, shoot
from tests.conformance.test_reports import LOGUSE_WHY, RECOVERY_WHY, REUSE_WHY, REVOKED_WHY, mixed_run

LOCAL_SCHEMES = ("file:", "data:", "about:")


@pytest.fixture
def report(tmp_path):
    return write_reports(mixed_run(), html=tmp_path / "conformance-report.html")["html"]


def focus_with_tab(page, selector: str, limit: int = 60) -> bool:
    """Presses Tab until an element matching ``selector`` has focus."""
    page.evaluate("document.activeElement && document.activeElement.blur()")
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("s => !!document.activeElement && document.activeElement.matches(s)", selector):
            return True
    return False


def test_failures_come_first_with_their_why_and_the_evidence_is_one_click_away(page, report, artifacts):
    requested = record_requests(page)
    page.goto(report.as_uri())

    assert page.get_by_role("heading", level=1).inner_text() == "Eksempel Forsikring AS (310000001)"
    summary = page.locator("#summary-heading")
    assert summary.is_visible()
    assert (
        "2 MUST requirements failed, 1 MUST requirement was not run; 1 SHOULD requirement failed"
        in summary.inner_text()
    )
    assert page.locator(".tiles").inner_text().split() == [
        "3",
        "✗",
        "failed",
        "5",
        "✓",
        "passed",
        "1",
        "–",
        "not",
        "run",
    ]

    # "What failed, and why" is on the first screen, with every failure's reason in plain words
    failures = page.get_by_role("navigation", name="What failed, and why")
    assert failures.bounding_box()["y"] < 900
    for why in (LOGUSE_WHY, REVOKED_WHY, REUSE_WHY):
        assert page.get_by_text(why).first.is_visible()
        assert why in failures.inner_text()

    # the cards: failures first (MUST before SHOULD), then passes, then not run
    cards = page.locator("article.card")
    order = cards.evaluate_all("els => els.map(e => [e.id, e.className])")
    assert [c for _, c in order] == ["card fail"] * 3 + ["card pass"] * 5 + ["card notrun"]
    assert [i for i, _ in order[:3]] == ["req-DSOP-LOGUSE", "req-DSOP-REVOKED", "req-DSOP-MASKINPORTEN-REUSE"]
    first = cards.first
    assert first.locator(".badge").first.inner_text() == "✗ FAIL"  # a word and an icon, not colour alone
    why = first.locator(".verdict.fail .why")
    assert why.is_visible() and why.inner_text() == LOGUSE_WHY
    assert first.locator("blockquote").is_visible()
    assert page.locator("#req-DSOP-RECOVERY .why").inner_text() == RECOVERY_WHY
    # the evidence is there but folded away
    table = first.locator("details.evidence table").first
    assert not table.is_visible()
    shoot(page, "conformance-report")

    # one click opens it: a small table of the sandbox events
    revoked = page.locator("#req-DSOP-REVOKED")
    revoked.locator("details.evidence summary").click()
    table = revoked.locator("details.evidence table")
    assert table.is_visible()
    headers = table.locator("thead th").all_inner_texts()
    assert headers == ["#", "Time", "Service", "Operation", "HTTP", "Outcome", "Error", "Caller", "Subject", "Trace id"]
    rows = table.locator("tr.event")
    assert rows.count() == 2
    assert rows.nth(0).locator("td").all_inner_texts()[2:7] == [
        "altinn",
        "consent.token\nPOST /api/consent/loguse",
        "403",
        "error",
        "consent_revoked",
    ]
    assert '"consent_problem": "revoked"' in table.locator("tr.details pre").all_inner_texts()[1]
    revoked.scroll_into_view_if_needed()
    shoot(page, "conformance-report-evidence")

    # a link in the failure list goes to the card; the card's scenario link to the scenario
    failures.get_by_role("link", name="DSOP-LOGUSE").click()
    assert page.evaluate("location.hash") == "#req-DSOP-LOGUSE"
    first.get_by_role("link", name="S01 The insurer fetches NAV data and logs the use").click()
    assert page.evaluate("location.hash") == "#scn-fetch"
    broken = page.locator("#scn-nav_down")
    assert "The scenario could not finish." in broken.locator(".scenario-error").inner_text()
    assert broken.locator("li#S04\\.2").inner_text().startswith("S04.2")

    assert requested and all(url.startswith(LOCAL_SCHEMES) for url in requested), requested


def test_the_keyboard_reaches_the_evidence_with_a_visible_focus(page, report):
    page.goto(report.as_uri())
    assert focus_with_tab(page, "#req-DSOP-LOGUSE .verdict.fail details.evidence summary")
    outline = page.evaluate(
        "() => { const s = getComputedStyle(document.activeElement); return [s.outlineStyle, s.outlineWidth]; }"
    )
    assert outline[0] == "solid" and outline[1] == "3px"
    page.keyboard.press("Enter")
    assert page.locator("#req-DSOP-LOGUSE details.evidence table").first.is_visible()


def test_the_report_reads_well_at_a_phone_width(browser, report, artifacts):
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale=LOCALE, device_scale_factor=1)
    try:
        page = context.new_page()
        requested = record_requests(page)
        page.goto(report.as_uri())
        assert page.locator("article.card").first.locator(".why").first.is_visible()
        page.locator("#req-DSOP-MASKINPORTEN-REUSE details.evidence summary").click()
        table = page.locator("#req-DSOP-MASKINPORTEN-REUSE details.evidence table")
        assert table.is_visible()
        # the table turns into labelled blocks instead of scrolling sideways
        assert (
            table.locator("tr.event")
            .first.locator("td")
            .nth(2)
            .evaluate("td => getComputedStyle(td, '::before').content")
            == '"Service: "'
        )
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        shoot(page, "conformance-report-mobile")
        assert all(url.startswith(LOCAL_SCHEMES) for url in requested), requested
    finally:
        context.close()


def test_printing_shows_the_evidence_too(page, report):
    page.goto(report.as_uri())
    table = page.locator("#req-DSOP-LOGUSE details.evidence table").first
    assert not table.is_visible()
    page.emulate_media(media="print")
    assert table.is_visible()
    assert page.locator(".tiles").is_visible()
