"""A sandbox that runs for weeks (issue 15, finding 8): every admin listing pages (``since`` and
``limit``, ``next`` in the answer, as the events endpoint does) instead of answering the whole
table at once, and the event log keeps only its retention while the disclosure log stays whole."""

from __future__ import annotations

from dataclasses import replace

import pytest

from dsop_sandbox.mocks.common.events import PRUNE_EVERY, EventDraft
from dsop_sandbox.mocks.common.settings import Retention

from .conftest import assert_admin_error, log_disclosure


def log_disclosures(nav_app, count: int) -> None:
    for n in range(count):
        log_disclosure(nav_app, n)


def all_pages(client, path: str, listing: str, limit: int) -> list[list[dict]]:
    pages, since = [], 0
    while since is not None:
        answer = client.get(path, query_string={"since": since, "limit": limit})
        assert answer.status_code == 200, answer.get_data(as_text=True)
        body = answer.get_json()
        pages.append(body[listing])
        since = body["next"]
    return pages


def test_the_disclosure_log_pages_to_its_end_without_loss_or_repetition(make_app):
    app = make_app("nav")
    log_disclosures(app, 25)
    pages = all_pages(app.test_client(), "/_sandbox/disclosures", "disclosures", 10)
    assert [len(page) for page in pages] == [10, 10, 5]
    ids = [entry["id"] for page in pages for entry in page]
    assert ids == sorted(set(ids)) and len(ids) == 25
    whole = app.test_client().get("/_sandbox/disclosures").get_json()
    assert len(whole["disclosures"]) == 25 and whole["next"] is None  # under the default limit: one page


def test_an_unpaged_listing_is_one_page_of_the_default_limit(make_app):
    app = make_app("nav")
    log_disclosures(app, 3)
    answer = app.test_client().get("/_sandbox/disclosures", query_string={"limit": 2}).get_json()
    assert len(answer["disclosures"]) == 2 and answer["next"] == answer["disclosures"][-1]["id"]


@pytest.mark.parametrize("query", [{"limit": 0}, {"limit": 10001}, {"limit": "x"}, {"since": -1}])
def test_a_bad_page_request_is_a_400(make_app, query):
    assert_admin_error(make_app("nav").test_client().get("/_sandbox/disclosures", query_string=query), 400)


def test_registrations_page_too(make_app):
    idp = make_app("idporten").test_client()
    for n in range(5):
        made = idp.post("/_sandbox/clients", json={"client_name": f"K{n}", "redirect_uris": ["https://k.example/cb"]})
        assert made.status_code == 201
    pages = all_pages(idp, "/_sandbox/clients", "clients", 2)
    names = [c["client_name"] for page in pages for c in page if c["client_name"].startswith("K")]
    assert names == [f"K{n}" for n in range(5)]
    mp = make_app("maskinporten").test_client()
    assert mp.get("/_sandbox/clients", query_string={"limit": 1}).get_json()["next"] is None  # none yet
    altinn = make_app("altinn").test_client()
    for path, listing in (("/_sandbox/consents", "consents"), ("/_sandbox/altinn3/consents", "consents")):
        assert altinn.get(path).get_json() == {listing: [], "next": None}


def draft(n: int) -> EventDraft:
    return EventDraft("probe", "GET", f"/probe/{n}", f"t{n}")


def test_the_event_log_keeps_its_retention_and_the_disclosure_log_stays_whole(make_app, settings):
    app = make_app("nav", settings_=replace(settings, events=Retention(count=100)))
    log_disclosures(app, 3)
    events = app.extensions["sandbox"].events
    for n in range(PRUNE_EVERY):
        events.record(draft(n), 200)
    kept = app.extensions["sandbox"].store.query("SELECT id FROM events ORDER BY id")
    assert [row["id"] for row in kept] == list(range(PRUNE_EVERY - 99, PRUNE_EVERY + 1))
    assert len(app.extensions["nav"].disclosures.all()) == 3


def test_the_event_log_drops_what_is_older_than_its_retention_days(make_app, settings, clock):
    app = make_app("nav", settings_=replace(settings, events=Retention(count=100_000, days=7)))
    events = app.extensions["sandbox"].events
    events.record(draft(0), 200)
    clock.move(8 * 86400)
    for n in range(1, PRUNE_EVERY):
        events.record(draft(n), 200)
    paths = [row["path"] for row in app.extensions["sandbox"].store.query("SELECT path FROM events")]
    assert "/probe/0" not in paths and len(paths) == PRUNE_EVERY - 1
