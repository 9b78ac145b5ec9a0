"""A real headless browser for the pages of the sandbox: Debian's chromium driven by Playwright.

``./dev test`` installs chromium with apt-get when it is missing (browser downloads do not work
here, so there is no ``playwright install``). Without chromium these tests are skipped, unless
``CI`` is set: CI must really run them, so there they fail instead.

Fixtures: ``browser`` (one Chromium per session), ``page`` (a fresh context per test, 1280x900,
nb-NO) and ``artifacts`` (``artifacts/screenshots/`` at the repo root, git-ignored). Helpers to
import from here: ``shoot(page, name)`` saves a full-page screenshot there and returns its path,
when ``DSOP_SCREENSHOTS=1`` asks for the pictures (``DSOP_SCREENSHOTS=1 ./dev test tests/browser``
leaves one PNG per page state to look at; a full-page PNG costs Chromium about half a second, a
fifth of the browser tests' time, so a plain run takes only the smoke test's own);
``tab_order(page)`` walks the page with the Tab key; ``sandbox_with_reference_insurers(state_dir)`` runs
the sandbox with both reference insurers; ``record_requests(page)`` lists every URL
the page asks for.
"""

from __future__ import annotations

import importlib.util
import os
import re
from contextlib import contextmanager
from pathlib import Path
from wsgiref.util import request_uri

import pytest
import requests

from tests.missing_tools import skip_or_fail

CHROMIUM = os.environ.get("DSOP_CHROMIUM") or "/usr/bin/chromium"
REPO = Path(__file__).resolve().parents[2]
SCREENSHOTS = REPO / "artifacts" / "screenshots"

# Playwright adds most quiet-browser switches itself (background networking, component update,
# first run, sync, /dev/shm) and a temporary profile of its own (it refuses --user-data-dir here);
# they are named anyway so that the browser stays quiet whatever Playwright's defaults become.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",  # CI runs as root
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-quic",
    "--no-first-run",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--no-proxy-server",
    # Only loopback names resolve: nothing the browser does can leave this machine.
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1",
]

VIEWPORT = {"width": 1280, "height": 900}
LOCALE = "nb-NO"


def pytest_collection_modifyitems(config, items):
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.browser)


def _missing() -> str | None:
    """Why the browser tests cannot run here, or None when they can."""
    if not (os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK)):
        if os.environ.get("DSOP_CHROMIUM"):
            return f"DSOP_CHROMIUM={CHROMIUM} is not an executable"
        return (
            f"chromium not found at {CHROMIUM}: ./dev test installs it when run as root or with sudo "
            f"(apt-get install chromium fonts-dejavu-core), or point DSOP_CHROMIUM at a Chromium"
        )
    if importlib.util.find_spec("playwright") is None:
        return "the playwright package is not installed (pip install -e '.[test]')"
    return None


@pytest.fixture(scope="session")
def browser():
    reason = _missing()
    if reason:
        skip_or_fail("browser", reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport=VIEWPORT, locale=LOCALE)
    context.set_default_timeout(10_000)
    try:
        yield context.new_page()
    finally:
        context.close()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS


class InsurerSite:
    """The insurer's web site a citizen comes back to from Altinn, served for real on a free port, with
    every page it was asked for (``reached``). A ``page.route`` cannot stand in for it: Playwright does
    not take the requests a browser makes after a redirect (its documented limit), so the answer to
    Altinn's 302 reached such a route only most of the time, and otherwise an error page had the URL."""

    PAGE = (
        b"<!doctype html><html lang='nb'><link rel='icon' href='data:,'>"
        b"<title>Tilbake hos forsikringsselskapet</title><h1>Takk</h1></html>"
    )

    def __init__(self):
        from dsop_sandbox.wsgi_server import ServiceServer

        self.reached: list[str] = []
        self.server = ServiceServer("insurer-site", "127.0.0.1", 0)
        self.url = f"http://localhost:{self.server.bind()}"
        self.redirect_uri = self.url + "/claims/callback"
        self.server.start(self.answer)

    def answer(self, environ, start_response):
        if environ["PATH_INFO"] != "/favicon.ico":
            self.reached.append(request_uri(environ))
        headers = [("Content-Type", "text/html; charset=utf-8"), ("Content-Length", str(len(self.PAGE)))]
        start_response("200 OK", headers)
        return [self.PAGE]


@pytest.fixture(scope="module")
def insurer_web():
    """:class:`InsurerSite` for a module (its insurer registers :attr:`InsurerSite.redirect_uri`)."""
    site = InsurerSite()
    try:
        yield site
    finally:
        site.server.stop()


@pytest.fixture
def insurer_site(insurer_web) -> InsurerSite:
    """The module's :class:`InsurerSite`, with nothing reached yet in this test."""
    insurer_web.reached.clear()
    return insurer_web


@contextmanager
def sandbox_with_reference_insurers(state_dir: Path):
    """(sandbox, insurer, twin): the sandbox on free ports with the reference insurers ``up --with-insurer``
    starts, the Altinn 3 one and its Altinn 2 twin (the walkthrough finds each from its registration)."""
    from dsop_sandbox import launcher
    from dsop_sandbox.reference_insurer import ALTINN2, TWIN_NAME, TWIN_ORG, ReferenceInsurerServer
    from tests.conftest import free_port_settings

    with (
        launcher.Sandbox(free_port_settings(state_dir)) as sandbox,
        ReferenceInsurerServer(sandbox, port=0) as insurer,
        ReferenceInsurerServer(sandbox, port=0, org=TWIN_ORG, name=TWIN_NAME, consent=ALTINN2) as twin,
    ):
        yield sandbox, insurer, twin


def shoot(page, name: str, *, always: bool = False) -> Path | None:
    """Saves a full-page PNG of ``page`` as artifacts/screenshots/NAME.png and returns the path, when
    ``DSOP_SCREENSHOTS=1`` is set or ``always`` (a test that checks the picture itself); None otherwise."""
    if not (always or os.environ.get("DSOP_SCREENSHOTS") == "1"):
        return None
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / (re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-") + ".png")
    page.screenshot(path=str(path), full_page=True)
    return path


def wait_past_consent_tokens(page, sandbox, margin: float = 0.0) -> None:
    """Waits (in the page, on the real clock the sandbox's protocol clock follows here) until every
    Maskinporten token that carried a consent has run out, ``margin`` seconds past the last one's
    ``exp`` (whole seconds: a token issued at t.9 with a 2 s lifetime has exp t+2, which an insurer
    that counts from when it received the token passes up to a second later)."""
    events = requests.get(sandbox.url("control") + "/_sandbox/events", timeout=10).json()["events"]
    last = max(e["details"]["exp"] for e in events if e["service"] == "maskinporten" and e["details"].get("consent_id"))
    # (every 100 ms: a look in every frame kept the renderer drawing frames for seconds)
    page.wait_for_function(
        "exp => Date.now() / 1000 > exp", arg=last + margin, timeout=(margin + 15) * 1000, polling=100
    )


def record_requests(page) -> list[str]:
    """The URLs of every request the page makes from now on (the list grows as it goes)."""
    urls: list[str] = []
    page.on("request", lambda request: urls.append(request.url))
    return urls


def tab_order(page, limit: int = 50) -> list[dict]:
    """Presses Tab from the top of the page until focus comes back round (or leaves the page),
    and returns what got focus each time: tag, id, name, text, whether it was visible."""
    page.evaluate("document.activeElement && document.activeElement.blur()")
    seen: list[dict] = []
    for _ in range(limit):
        page.keyboard.press("Tab")
        focused = page.evaluate("""() => {
            const el = document.activeElement;
            if (!el || el === document.body || el === document.documentElement) return null;
            const box = el.getBoundingClientRect(), style = getComputedStyle(el);
            return {tag: el.tagName.toLowerCase(), id: el.id, name: el.getAttribute('name'),
                    text: (el.innerText || el.value || el.getAttribute('aria-label') || '').trim().slice(0, 80),
                    visible: box.width > 0 && box.height > 0 && style.visibility !== 'hidden'};
        }""")
        if focused is None or (seen and focused == seen[0]):
            break
        seen.append(focused)
    return seen
