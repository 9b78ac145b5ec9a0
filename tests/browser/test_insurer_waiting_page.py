"""The reference insurer's claim page while the data is on its way, in a real Chromium: it looks
again by itself until the data is there, also when the citizen came through the thanks page's link,
which points at the page's ``#data`` fragment.

A meta refresh without a URL goes to the document's own URL; with a fragment in it, Chromium only
scrolls there and never asks the server again, so the page waited forever whenever NAV's data took
longer to arrive than the page took to load (a loaded machine)."""

from __future__ import annotations

import time

import pytest

from dsop_sandbox.examples.reference_insurer import create_app
from dsop_sandbox.examples.reference_insurer.store import CONSENTED
from dsop_sandbox.wsgi_server import ServiceServer
from tests.reference_insurer.conftest import make_credentials, profile

DATA = {"uforeopplysninger": {"status": "LOPENDE", "forsteVirkningstidspunkt": "2021-03-01", "beregningsperioder": []}}


@pytest.fixture(scope="module")
def insurer(tmp_path_factory):
    credentials = make_credentials(tmp_path_factory.mktemp("credentials"))
    app = create_app(profile(), base_dir=credentials, public_url="http://localhost")
    server = ServiceServer("insurer", "127.0.0.1", 0)
    port = server.bind()
    server.start(app)
    try:
        yield app.extensions["reference_insurer"], f"http://127.0.0.1:{port}"
    finally:
        server.stop()
        app.extensions["reference_insurer"].close()


def waiting_claim(insurer) -> str:
    claim_id = f"c-{time.monotonic_ns()}"
    now = time.time()
    insurer.store.add(
        {
            "id": claim_id,
            "pid": "15838512329",
            "first_name": "Kari",
            "last_name": "Nordmann",
            "generation": "altinn3",
            "consent_id": "b7c1f0e2-0c5e-4a3b-9d1e-2f4a6b8c0d1e",
            "state": CONSENTED,
            "consent": "active",
            "created": now - 5,
            "answered": now - 1,
            "retrieval": "running",
        }
    )
    return claim_id


def test_the_waiting_page_shows_the_data_once_it_arrives_also_when_reached_through_the_thanks_link(page, insurer):
    reference, base = insurer
    claim_id = waiting_claim(reference)
    page.goto(f"{base}/claims/{claim_id}?lang=en#data")
    assert page.locator("#data-waiting").is_visible()
    # a refresh or two comes and goes while the retrieval runs
    with page.expect_navigation(timeout=6_000):
        pass
    assert page.locator("#data-waiting").is_visible()
    reference.store.update(claim_id, data=DATA, data_at=time.time(), retrieval="ok")
    page.wait_for_selector("#data-ufore", timeout=6_000)
    assert page.locator("html").get_attribute("lang") == "en"  # the choice in the URL holds through the refresh
    assert page.locator("#data-waiting").count() == 0
