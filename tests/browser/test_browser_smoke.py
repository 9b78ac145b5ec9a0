"""The browser infrastructure itself, proven on a page that exists today: Maskinporten's error
page (the ``error_uri`` of every refusal), opened in a real headless Chromium."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from tests.browser.conftest import record_requests, shoot, tab_order

LOOPBACK = {"localhost", "127.0.0.1", "::1"}


@pytest.fixture
def error_page_url(sandbox) -> str:
    return sandbox.url("maskinporten") + "/errors/MP-124"


def test_the_error_page_renders_with_its_title_heading_and_text(page, error_page_url, artifacts):
    response = page.goto(error_page_url)
    assert response is not None and response.status == 200
    assert response.headers["content-type"].startswith("text/html")
    assert page.title() == "MP-124"
    heading = page.get_by_role("heading", level=1)
    assert heading.count() == 1
    assert heading.inner_text() == "MP-124"
    assert page.locator("code").inner_text() == "invalid_grant"
    assert "Invalid JWT signature" in page.locator("body").inner_text()

    path = shoot(page, "maskinporten-error-MP-124", always=True)
    assert path.parent == artifacts
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    assert width == 1280 and height >= 900


def test_the_error_page_is_readable_and_usable_with_the_keyboard_alone(page, error_page_url):
    page.goto(error_page_url)
    # Screen readers pick their voice from lang; the catalogue's texts are English, as Maskinporten's.
    assert page.locator("html").get_attribute("lang") == "en"
    # Walking the page with Tab never lands on anything hidden and never gets stuck. This page has
    # nothing to operate, so Tab must reach nothing; pages with forms assert their order here.
    reached = tab_order(page)
    assert all(element["visible"] for element in reached), reached
    assert reached == []
    # Reflow (WCAG 1.4.10): at 320 CSS pixels wide everything is readable without scrolling sideways.
    page.set_viewport_size({"width": 320, "height": 640})
    assert page.evaluate("document.documentElement.scrollWidth") <= 320
    assert page.get_by_text("Invalid JWT signature", exact=False).is_visible()
    # Text zoomed to 200 % still fits, and the body text is not tiny.
    page.evaluate("document.documentElement.style.fontSize = '200%'")
    assert page.evaluate("document.documentElement.scrollWidth") <= 320
    page.evaluate("document.documentElement.style.fontSize = ''")
    size = page.evaluate("parseFloat(getComputedStyle(document.querySelector('p')).fontSize)")
    assert size >= 14


def test_loading_the_page_asks_no_host_but_loopback(page, error_page_url):
    requested = record_requests(page)
    page.goto(error_page_url, wait_until="networkidle")
    assert error_page_url in requested
    strangers = [
        url
        for url in requested
        if url.startswith(("http:", "https:", "ws:", "wss:")) and urlsplit(url).hostname not in LOOPBACK
    ]
    assert strangers == []


def test_the_request_recorder_does_see_other_hosts(page):
    """The test above would pass vacuously if the recorder missed requests: show that it catches
    one to another host (aborted before it leaves; .invalid never resolves anyway)."""
    page.route("**/*", lambda route: route.abort())
    requested = record_requests(page)
    page.set_content("<img src='http://dsop-sandbox.invalid/pixel.png' alt=''>")
    page.wait_for_load_state("networkidle")
    assert "http://dsop-sandbox.invalid/pixel.png" in requested
