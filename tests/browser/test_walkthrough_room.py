"""The walkthrough as a facilitator runs it in front of a room, in a real headless Chromium at 1280x720 (a
projector) and at 1920x1080, with the reference insurers beside the sandbox (Altinn 3, and its Altinn 2 twin,
whose step 7 is run too).

Every step is done as its text says, the presenter's tab scrolled to the step as a presenter would; at each
step the test asserts that the diagram is in the viewport, that a clicked arrow's details open in the
viewport, and that the step's promised outcome is on screen, in plain words (the refusal after the
withdrawal, the expiry three years later, the fresh consent that works). Step 7 is run twice in a row and
once more after "Reset for the next group" (which also empties the reference insurer's claims). Every
console error, failed request and answer of 400 or more of every tab is recorded: none may come, no script
error and no 404 (every service answers /favicon.ico). One screenshot per step and viewport
(artifacts/screenshots/walkthrough-room-*.png) when ``DSOP_SCREENSHOTS=1``."""

from __future__ import annotations

import re

import pytest
import requests

from tests.browser.conftest import LOCALE, sandbox_with_reference_insurers, shoot, wait_past_consent_tokens

KARI = {"pid": "15838512329", "name": "Kari Nordmann"}
#: Maskinporten's tokens live this long (s) here: the insurer's tokens that carry the consent run out soon
#: after the withdrawal, so its next token request meets Altinn's refusal, as step 6 says. Not shorter: each
#: of step 3's NAV calls uses a token of its own scope fetched just before, and with 2 s a loaded machine
#: could take that long between Maskinporten and NAV, so the token ran out in flight and step 3 waited on
#: the insurer's retries (the dashboard test uses 4 s too).
SHORT_TOKENS = 4
VIEWPORTS = {"projector": {"width": 1280, "height": 720}, "full-hd": {"width": 1920, "height": 1080}}
DSOP = "/person/personopplysninger/dsop"


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    with sandbox_with_reference_insurers(tmp_path_factory.mktemp("walkthrough-room") / "state") as world:
        yield world


class Watch:
    """Everything the tabs of one browser context said or failed at."""

    def __init__(self, context):
        self.problems: list[str] = []
        context.on("page", self.attach)

    def attach(self, page) -> None:
        page.on(
            "console",
            lambda m: (
                self.problems.append(f"console {m.type}: {m.text} at {m.location.get('url')}")
                if m.type == "error"
                else None
            ),
        )
        page.on("pageerror", lambda error: self.problems.append(f"script error: {error}"))
        page.on("requestfailed", lambda r: self.problems.append(f"failed: {r.url} {r.failure}"))
        page.on("response", lambda r: self.problems.append(f"{r.status}: {r.url}") if r.status >= 400 else None)

    def assert_clean(self) -> None:
        assert self.problems == [], self.problems


def op(operation: str) -> str:
    return f'.event[data-operation="{operation}"]'


def in_view(page, selector: str, *, whole: bool = True) -> bool:
    """Whether the element is inside the viewport (all of it, or at least part of it)."""
    return page.evaluate(
        """([selector, whole]) => {
        const el = document.querySelector(selector);
        if (!el) return false;
        const r = el.getBoundingClientRect(), w = window.innerWidth, h = window.innerHeight;
        if (r.width === 0 || r.height === 0) return false;
        return whole ? r.top >= 0 && r.left >= 0 && r.bottom <= h + 1 && r.right <= w + 1
                     : r.bottom > 0 && r.top < h && r.right > 0 && r.left < w;
    }""",
        [selector, whole],
    )


def check_step(page, step: str, outcome: str, name: str, arrow: str = "#events .event:last-child .arrow") -> None:
    """The presenter's view at one step: the step scrolled into its column, the diagram in view, the promised
    outcome on screen, and a clicked arrow's details in view."""
    page.bring_to_front()
    page.locator(outcome).scroll_into_view_if_needed()
    assert in_view(page, "#timeline"), f"{name}: the diagram is not in view"
    box = page.locator("#timeline").bounding_box()
    assert box["height"] >= 150, f"{name}: the diagram is {box['height']} px high"
    assert in_view(page, outcome), f"{name}: {outcome} is not on screen"
    assert in_view(page, step, whole=False), f"{name}: {step} is not on screen"
    page.locator(arrow).last.click()
    assert page.locator("#details").is_visible()
    assert in_view(page, "#details"), f"{name}: the arrow's details open out of view"
    assert page.locator("#details-json").inner_text().startswith("{")
    shoot(page, f"walkthrough-room-{name}")
    page.locator("#details-close").click()


def log_in_if_asked(tab) -> None:
    if tab.get_by_role("heading", level=1).inner_text() == "Logg inn med ID-porten":
        tab.get_by_label(KARI["name"], exact=False).check()
        tab.get_by_role("radio", name="BankID").check()
        tab.get_by_role("button", name="Logg inn").click()


#: Where Altinn asks the citizen for consent, by generation.
CONSENT_PAGES = {"altinn3": "/accessmanagement/ui/consent/request", "altinn2": "/ui/AccessConsent/request"}


def consent_in_new_tab(page, button: str, consent: str = "altinn3"):
    """The citizen's steps in the tab the button opens: log in at ID-porten, «Ja» on Altinn's page."""
    asking = re.escape(CONSENT_PAGES[consent])
    with page.expect_popup() as popup:
        page.locator(button).click()
    citizen = popup.value
    citizen.wait_for_load_state()
    citizen.wait_for_url(re.compile(rf".*(/login|{asking}).*"))
    log_in_if_asked(citizen)
    citizen.wait_for_url(re.compile(rf".*{asking}\?.*"))
    citizen.get_by_role("button", name="Ja, jeg gir samtykke").click()
    citizen.wait_for_url(re.compile(r".*/claims/callback\?.*Status=OK.*"))
    return citizen


def wait_for(page, selector: str, timeout: float = 15_000) -> None:
    page.wait_for_function("s => document.querySelector(s) !== null", arg=selector, timeout=timeout)


def said(page, out: str, fragment: str) -> str:
    """Waits until the control's plain-words answer says ``fragment``."""
    page.wait_for_function(
        "([id, f]) => (document.getElementById(id).textContent || '').includes(f)", arg=[out, fragment], timeout=20_000
    )
    return page.locator("#" + out).inner_text()


def step_7(page, name: str, consent: str = "altinn3") -> None:
    """Three years later: consent anew, the calendar moved from today, the fetch refused as expired, back to
    today with a fresh consent, which works."""
    citizen = consent_in_new_tab(page, "#consent-anew", consent)
    citizen.close()
    page.locator("#jump-3y").click()
    said(page, "clock-out-said", "2029")  # three years and a day from today
    page.locator("#fetch-expired").click()
    assert said(page, "expired-out-said", "samtykket er utløpt") == "avvist: samtykket er utløpt"
    # the fetch's answer (and Altinn 3: Maskinporten's refusal naming AM-00013), drawn in plain words
    expired = ".event .arrow.answer.refused"
    page.wait_for_function(
        "([s, f, n]) => Array.from(document.querySelectorAll(s)).filter(a => a.textContent.includes(f)).length >= n",
        arg=[expired, "samtykket er utløpt", 2 if consent == "altinn3" else 1],
    )
    check_step(page, "#step-7", "#expired-out-said", f"{name}-7-expired", '.event[data-refused="1"] .arrow.answer')
    citizen = consent_in_new_tab(page, "#consent-fresh", consent)
    citizen.close()
    today = said(page, "today-out-said", "Europe/Oslo")
    assert "2029" not in today
    page.locator("#fetch-fresh").click()
    assert said(page, "fresh-out-said", "ok").startswith("ok: forsikringen fikk dataene fra NAV")
    check_step(page, "#step-7", "#fresh-out-said", f"{name}-7-fresh")


def walk(browser, sandbox, insurer, viewport: str, *, again: bool) -> Watch:
    control = sandbox.url("control")
    context = browser.new_context(viewport=VIEWPORTS[viewport], locale=LOCALE)
    context.set_default_timeout(15_000)
    watch = Watch(context)
    try:
        page = context.new_page()
        answer = requests.post(control + "/_sandbox/dashboard/reset", json={}, timeout=30)
        assert answer.status_code == 200, answer.text
        shorter = requests.post(control + "/_sandbox/lifetimes", json={"maskinporten.access_token": SHORT_TOKENS})
        assert shorter.status_code == 200, shorter.text
        page.goto(control + "/walkthrough")
        assert page.locator("html").get_attribute("lang") == "nb"
        assert page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)") >= 19  # presenter mode
        label_px = "parseFloat(getComputedStyle(document.querySelector('#legend')).fontSize)"
        assert page.evaluate(label_px) >= 15

        # 1: start a claim; the insurer's consent request at Altinn is drawn
        consent_in_new_tab(page, "#start-claim").close()
        wait_for(page, '.event[data-operation="enterprise_create_consent_request"]')
        check_step(page, "#step-1", "#start-claim", f"{viewport}-1-start", op("start_claim") + " .arrow")
        names = page.locator('.event[data-operation="enterprise_create_consent_request"] .arrow').first.inner_text()
        assert "samtykkeforespørsel + Maskinporten-token" in names

        # 2: consent; the answer and the way back to the insurer
        wait_for(page, '.event[data-operation="callback"]')
        answered = page.locator('.event[data-operation="altinn3_consent_answer"] .arrow').first.inner_text()
        assert "«Ja, jeg gir samtykke»" in answered
        check_step(page, "#step-2", "#step-2 h2", f"{viewport}-2-consent", '.event[data-operation="callback"] .arrow')

        # 3: the data: NAV's three answers, under the Maskinporten token carrying the consent; the tokens decoded
        # as far as the events let them be
        wait_for(page, '.event[data-operation="finnMeldekortListe"] .arrow.answer')
        nav = page.locator('.event[data-operation="hentUforeopplysninger"] .arrow').first
        assert "Maskinporten-token med samtykket (scope nav:helse/v1/uforeopplysninger)" in nav.inner_text()
        assert "200 uføreopplysninger" in page.locator(op("hentUforeopplysninger")).first.inner_text()
        insurer_tab = context.new_page()
        insurer_tab.goto(insurer.url + "/")
        assert insurer_tab.locator("body").inner_text()
        insurer_tab.close()
        check_step(page, "#step-3", "#open-insurer", f"{viewport}-3-data", op("hentUforeopplysninger") + " .arrow")
        page.locator('.event[data-operation="hentUforeopplysninger"] .arrow').first.click()
        tokens = page.locator("#details-tokens").inner_text()
        assert "sha256" in tokens and "kan ikke dekodes" in tokens and "authorization_details" in tokens
        assert "urn:altinn:consent" in page.locator("#details-claims").inner_text()
        page.locator("#details-close").click()

        # 4: NAV innsyn shows the disclosure
        with page.expect_popup() as popup:
            page.locator("#open-innsyn").click()
        innsyn = popup.value
        innsyn.wait_for_load_state()
        log_in_if_asked(innsyn)
        innsyn.wait_for_url(re.compile(".*" + DSOP))
        assert insurer.org in innsyn.locator("body").inner_text()
        innsyn.close()
        check_step(page, "#step-4", "#open-innsyn", f"{viewport}-4-innsyn", '.event[data-to="nav"] .arrow')

        # 5: withdraw with the walkthrough's control: an arrow from the sandbox to Altinn
        page.locator("#withdraw-button").click()
        assert "Revoked" in said(page, "withdraw-out-said", "Revoked")
        wait_for(page, '.event[data-from="control"][data-to="altinn"]')
        withdrawn = '.event[data-from="control"] .arrow'
        check_step(page, "#step-5", "#withdraw-out-said", f"{viewport}-5-withdraw", withdrawn)

        # 6: once the token that carried the consent has run out, the next fetch is refused, in plain words (the
        # steps since it was issued have usually taken longer than its lifetime: then this waits for nothing)
        wait_past_consent_tokens(page, sandbox, margin=1.0)
        page.locator("#fetch-again").click()
        assert said(page, "fetch-out-said", "avvist") == "avvist: samtykket er trukket tilbake"
        wait_for(page, '.event[data-operation="insurer_fetch"][data-from="control"][data-refused="1"]')
        fetch_row = page.locator('.event[data-operation="insurer_fetch"]').last
        answer_arrow = fetch_row.locator(".arrow.answer")
        assert "avvist: samtykket er trukket tilbake" in answer_arrow.inner_text()
        assert "refused" in answer_arrow.get_attribute("class")  # red, as its answer is
        check_step(page, "#step-6", "#fetch-out-said", f"{viewport}-6-refused", op("insurer_fetch") + " .arrow")
        assert re.search(r"\b1 steg|\bsteg\b", page.locator("#counter").inner_text())
        assert "1 hops" not in page.locator("#counter").inner_text()

        # 7: three years later, twice in a row, and once more after "Reset for the next group"
        step_7(page, f"{viewport}-first")
        if again:
            step_7(page, f"{viewport}-again")
            page.locator("#reset-group").click()
            reset = said(page, "reset-out-said", "Nullstilt")
            assert "2 referanseforsikringer" in reset and "saker glemt" in reset  # the Altinn 3 one and its twin
            assert page.locator("#events .event").count() == 0 or page.locator("#empty").is_visible()
            status = requests.get(insurer.url + "/conformance/status", params={"pid": KARI["pid"]}, timeout=10).json()
            assert status["claims"] == [] and status["consent"] == "none"  # pending ones too
            step_7(page, f"{viewport}-after-reset")
        watch.assert_clean()
    finally:
        context.close()
    return watch


def test_the_walkthrough_in_front_of_a_projector(browser, world, artifacts):
    sandbox, insurer, _ = world
    walk(browser, sandbox, insurer, "projector", again=True)


def test_the_walkthrough_on_a_full_hd_screen(browser, world, artifacts):
    sandbox, insurer, _ = world
    walk(browser, sandbox, insurer, "full-hd", again=False)


def test_step_7_of_the_altinn2_walkthrough(browser, world, artifacts):
    """Altinn 2 stays selectable: its step 7 works the same way under the two clocks (the consent token says the
    consent has expired), twice in a row."""
    sandbox = world[0]
    context = browser.new_context(viewport=VIEWPORTS["projector"], locale=LOCALE)
    context.set_default_timeout(15_000)
    watch = Watch(context)
    try:
        page = context.new_page()
        assert requests.post(sandbox.url("control") + "/_sandbox/dashboard/reset", timeout=30).status_code == 200
        page.goto(sandbox.url("control") + "/walkthrough?consent=altinn2")
        step_7(page, "altinn2-first", "altinn2")
        step_7(page, "altinn2-again", "altinn2")
        watch.assert_clean()
    finally:
        context.close()


def test_at_150_percent_zoom_the_diagram_stays_beside_or_above_the_steps(browser, world):
    """A projector zoomed to 150 %: 1280x720 device pixels at a device scale factor of 1.5 leave 853x480 CSS
    pixels. The diagram is beside the steps (or above them), never below all seven."""
    context = browser.new_context(viewport={"width": 853, "height": 480}, device_scale_factor=1.5, locale=LOCALE)
    try:
        page = context.new_page()
        page.goto(world[0].url("control") + "/walkthrough")
        assert in_view(page, "#timeline")
        diagram, steps = page.locator("#main").bounding_box(), page.locator("#side").bounding_box()
        assert diagram["y"] + diagram["height"] <= 481 and steps["y"] + steps["height"] <= 481
        page.locator("#step-7 h2").scroll_into_view_if_needed()
        assert in_view(page, "#timeline") and in_view(page, "#step-7 h2")
        shoot(page, "walkthrough-room-zoom-150")
    finally:
        context.close()
