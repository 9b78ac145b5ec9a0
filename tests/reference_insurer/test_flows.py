"""The reference insurer against a running sandbox: consent, background retrieval, the fetch hook,
declined, withdrawn and expired consents, NAV down, short-lived tokens, forged callbacks and bad
input. Judged the way the conformance suite judges: from the sandbox's event logs. Tests taking
the ``insurer`` fixture run for both generations; the others are Altinn 2's (Altinn 3's own are in
test_altinn3.py)."""

from __future__ import annotations

import time

from dsop_sandbox.reference_insurer import ReferenceInsurerServer

from .conftest import CAMILLA, CONSENT_TOKEN, INGRID, JOHAN, JONAS, KARI, NAV_DATA, OLA, OLE, TONJE, UNNI, wait_for

SECOND_ORG = "310000027"


def test_accept_then_background_data_and_the_fetch_hook(world):
    cursor = world.cursor()
    claim = world.claim(KARI)
    assert claim.page.status_code == 200 and "Takk – samtykket er registrert" in claim.page.text
    status = world.wait_for_data(KARI["pid"])
    assert status["consent"] == "active" and status["claim"] == claim.claim_id
    assert status["claims"][0]["authorization_code"] == claim.code

    # the background retrieval: a consent token, NAV's three operations, one loguse after the data
    tokens = world.events(cursor, "altinn", CONSENT_TOKEN, status=200, caller=world.org, authorization_code=claim.code)
    nav = world.events(cursor, "nav", NAV_DATA, status=200, caller=world.org, subject=KARI["pid"])
    uses = world.events(cursor, "altinn", ("log_use",), status=204, caller=world.org, authorization_code=claim.code)
    assert len(tokens) == 1 and len(nav) == 3
    wait_for(
        lambda: world.events(cursor, "altinn", ("log_use",), status=204, authorization_code=claim.code), 5, "loguse"
    )
    uses = world.events(cursor, "altinn", ("log_use",), status=204, authorization_code=claim.code)
    assert len(uses) == 1 and uses[0]["time"] >= max(e["time"] for e in nav)
    made = world.events(cursor, "altinn", ("create_consent_request",), status=201, caller=world.org)
    assert len(made) == 1 and made[0]["subject"] == KARI["pid"]

    # the fetch hook: the persona's data, a fresh consent token, one loguse, Maskinporten tokens reused
    again = world.cursor()
    answer = world.fetch(KARI["pid"])
    assert answer["status"] == "ok", answer
    data = answer["data"]
    assert set(data) == {"uforeopplysninger", "vedtak", "meldekort"}
    assert data["vedtak"]["vedtaksliste"], "Kari has AAP vedtak"
    assert data["meldekort"]["meldekortliste"], "Kari has meldekort"
    assert "status" in data["uforeopplysninger"]
    assert len(world.events(again, "altinn", CONSENT_TOKEN, status=200, authorization_code=claim.code)) == 1
    assert len(world.events(again, "altinn", ("log_use",), status=204, authorization_code=claim.code)) == 1
    assert len(world.events(again, "nav", NAV_DATA, status=200, subject=KARI["pid"])) == 3
    assert world.events(again, "maskinporten", ("token",), status=200) == [], "cached tokens are reused"
    assert world.events(again, "altinn", ("create_consent_request",)) == [], "the citizen is not asked again"


def test_declined_consent_gives_consent_required_and_nothing_is_fetched(world, insurer):
    cursor = world.cursor()
    claim = world.claim(OLA, answer="reject", ri=insurer)
    assert claim.params["Status"] == "Failed"
    assert claim.page.status_code == 200 and "ikke gitt samtykke" in claim.page.text
    answer = world.fetch(OLA["pid"], ri=insurer)
    assert answer["status"] == "consent_required", answer
    assert world.status(OLA["pid"], ri=insurer)["consent"] == "declined"
    time.sleep(0.3)
    assert world.events(cursor, "altinn", CONSENT_TOKEN) == []
    assert world.events(cursor, "maskinporten", ("token",), subject=OLA["pid"]) == [], "no consent in any token"
    assert world.events(cursor, "nav", NAV_DATA, caller=insurer.org) == []


def test_a_person_without_any_claim_needs_consent(world, insurer):
    assert world.fetch(JONAS["pid"], ri=insurer)["status"] == "consent_required"
    assert world.status(JONAS["pid"], ri=insurer) == {
        "pid": JONAS["pid"],
        "generation": insurer.consent,
        "consent": "none",
        "claim": None,
        "data_arrived": False,
        "retrieval": None,
        "claims": [],
    }


def test_withdrawn_consent_gives_consent_required_without_endless_retries(world):
    claim = world.claim(INGRID)
    world.wait_for_data(INGRID["pid"])
    assert world.admin("altinn", "POST", f"/consents/{claim.code}/withdraw").status_code == 200
    cursor = world.cursor()
    answer = world.fetch(INGRID["pid"])
    assert answer["status"] == "consent_required", answer
    # the insurer now knows the consent is gone: a second fetch asks nobody
    assert world.fetch(INGRID["pid"])["status"] == "consent_required"
    time.sleep(1.0)
    tokens = world.events(cursor, "altinn", CONSENT_TOKEN, authorization_code=claim.code)
    assert [e["status"] for e in tokens] == [403]
    assert world.events(cursor, "nav", NAV_DATA) == []
    assert world.status(INGRID["pid"])["consent"] == "dead"


def test_an_expired_consent_gives_consent_required(world):
    claim = world.claim(OLE)
    world.wait_for_data(OLE["pid"])
    moved = world.http.post(world.control + "/_sandbox/clock", json={"advance": "P3Y1D"}, timeout=10)
    assert moved.status_code == 200, moved.text
    cursor = world.cursor()
    assert world.fetch(OLE["pid"])["status"] == "consent_required"
    assert [e["status"] for e in world.events(cursor, "altinn", CONSENT_TOKEN, authorization_code=claim.code)] == [403]
    assert world.events(cursor, "nav", NAV_DATA, status=200) == []


def test_nav_down_during_consent_the_consent_completes_and_the_data_comes_later(world, insurer):
    armed = world.admin("nav", "POST", "/faults", json={"operation": "*", "status": 503})
    assert armed.status_code in (200, 201), armed.text
    cursor = world.cursor()
    began = time.monotonic()
    try:
        claim = world.claim(UNNI, ri=insurer)
        consent_seconds = time.monotonic() - began
        assert claim.page.status_code == 200 and "Takk – samtykket er registrert" in claim.page.text
        assert consent_seconds < 5, "the consent step must not wait for NAV"
        wait_for(lambda: world.status(UNNI["pid"], ri=insurer)["claims"][0]["attempts"] >= 2, 5, "a retry")
        assert world.status(UNNI["pid"], ri=insurer)["retrieval"] == "unavailable"
        time.sleep(max(0.0, 2.5 - (time.monotonic() - began)))
        during = world.events(cursor, "nav", NAV_DATA)  # a fault answers before NAV knows the caller
    finally:
        assert world.admin("nav", "DELETE", "/faults").status_code == 200
    outage = time.monotonic() - began
    assert all(e["status"] == 503 for e in during)
    # backoff 0.5, 1, 2 s: a failing attempt stops at the first 503, so at most a call or two a second
    assert 2 <= len(during) <= 4, [e["time"] for e in during]
    assert len(during) / outage <= 2
    status = world.wait_for_data(UNNI["pid"], timeout=15, ri=insurer)
    assert status["retrieval"] == "ok"
    delivered = world.events(cursor, "nav", NAV_DATA, status=200, subject=UNNI["pid"], caller=insurer.org)
    assert len(delivered) == 3
    total = world.events(cursor, "nav", NAV_DATA)
    assert len(total) <= len(during) + 4, "after NAV is back: one round of three calls (at most one more failure)"
    uses = world.events(cursor, "altinn", ("log_use",), status=204, caller=insurer.org)
    assert len(uses) == (1 if insurer.consent == "altinn2" else 0), "the use is logged in Altinn 2 only"
    assert world.fetch(UNNI["pid"], ri=insurer)["status"] == "ok"


def test_the_fetch_hook_says_unavailable_when_nav_stays_down(world):
    world.claim(TONJE)
    world.wait_for_data(TONJE["pid"])
    assert world.admin("nav", "POST", "/faults", json={"operation": "*", "status": 503}).status_code in (200, 201)
    cursor = world.cursor()
    began = time.monotonic()
    answer = world.fetch(TONJE["pid"])
    seconds = time.monotonic() - began
    assert answer["status"] == "unavailable" and "503" in answer["detail"], answer
    assert answer["attempts"] == 3 and 1.4 < seconds < 6
    assert len(world.events(cursor, "nav", NAV_DATA)) == 3
    assert world.events(cursor, "altinn", ("log_use",)) == [], "no data, no use"


def test_tokens_that_live_two_seconds_are_renewed_not_reused(world):
    changed = world.http.post(
        world.control + "/_sandbox/lifetimes",
        timeout=10,
        json={"maskinporten.access_token": 2, "altinn.consent_token": 2},
    )
    assert changed.status_code == 200, changed.text
    # an insurer of its own, so that no token from before the change sits in its cache
    with ReferenceInsurerServer(
        world.sandbox, port=0, org=SECOND_ORG, name="Kortlevd Forsikring AS", consent="altinn2"
    ) as ri:
        claim = world.claim(CAMILLA, ri=ri)
        world.wait_for_data(CAMILLA["pid"], ri=ri)
        client_id = ri.facts["maskinporten"]["client_id"]
        time.sleep(3)  # the insurer keeps its own real clock: its tokens really expire
        cursor = world.cursor()
        answer = world.fetch(CAMILLA["pid"], ri=ri)
        assert answer["status"] == "ok", answer
        nav = world.events(cursor, "nav", NAV_DATA)
        assert [e["status"] for e in nav] == [200, 200, 200]
        assert not [
            e
            for e in nav
            if (e.get("details") or {}).get("token_problem") or (e.get("details") or {}).get("consent_problem")
        ]
        fresh = world.events(cursor, "maskinporten", ("token",), status=200, caller=client_id)
        assert 1 <= len(fresh) <= 3, "new Maskinporten tokens, one per scope (two scopes; one more at most)"
        assert world.events(cursor, "altinn", CONSENT_TOKEN, status=200, authorization_code=claim.code)


def test_forged_callbacks_are_refused_and_nothing_goes_to_altinn(world):
    cursor = world.cursor()
    callback = world.ri.callback_url
    forged = "1b4e28ba-2fa1-11d2-883f-0016d3cca427"
    for params in (
        {"AuthorizationCode": forged, "Status": "OK"},  # no claim at all
        {"claim": "no-such-claim", "AuthorizationCode": forged, "Status": "OK"},
    ):
        answer = world.http.get(callback, params=params, timeout=10)
        assert answer.status_code == 400, answer.text
    # a real claim, still pending, with a code that is not its own
    first = world.http.get(world.start_url(JOHAN), allow_redirects=False, timeout=15)
    assert first.status_code == 302
    claim_id = world.status(JOHAN["pid"])["claims"][0]["id"]
    for params in (
        {"claim": claim_id, "AuthorizationCode": forged, "Status": "OK"},
        {"claim": claim_id, "Status": "Failed", "FailedAuthorizationCode": forged},
        {"claim": claim_id, "Status": "Maybe"},
        {"claim": claim_id},
    ):
        answer = world.http.get(callback, params=params, timeout=10)
        assert answer.status_code == 400, (params, answer.text)
    time.sleep(0.5)
    assert world.events(cursor, "altinn", CONSENT_TOKEN) == []
    assert world.status(JOHAN["pid"])["claims"][0]["state"] == "pending"
    assert world.fetch(JOHAN["pid"])["status"] == "consent_required"


def test_a_callback_is_taken_once(world, insurer):
    claim = world.claim(KARI, ri=insurer)
    again = world.http.get(insurer.callback_url, params=claim.params, timeout=10)
    assert again.status_code == 400 and "allerede mottatt" in again.text
    assert [c["state"] for c in world.status(KARI["pid"], ri=insurer)["claims"] if c["id"] == claim.claim_id] == [
        "consented"
    ]


def test_bad_input_is_answered_never_with_a_500(world):
    ri = world.ri.url
    cases = [
        ("GET", "/claims/start", {}),
        ("GET", "/claims/start", {"pid": "123"}),
        ("GET", "/claims/start", {"pid": "15838512320", "last_name": "Nordmann"}),  # wrong check digits
        ("GET", "/claims/start", {"pid": KARI["pid"]}),  # no last name
        ("POST", "/conformance/fetch", {}),
        ("POST", "/conformance/fetch", {"pid": "abc"}),
        ("GET", "/conformance/status", {}),
        ("GET", "/claims/callback", {}),
    ]
    for method, path, params in cases:
        answer = world.http.request(method, ri + path, params=params, timeout=10)
        assert answer.status_code == 400, (method, path, params, answer.status_code, answer.text[:200])
    assert world.http.get(ri + "/conformance/fetch", timeout=10).status_code == 405
    assert world.http.get(ri + "/claims/nope", timeout=10).status_code == 404
    assert world.http.get(ri + "/no/such/page", timeout=10).status_code == 404
    fetch = world.http.post(ri + "/conformance/fetch", timeout=10)
    assert fetch.json()["status"] == "error"
    # Altinn refuses: the name is not the person's (40332), the citizen's input → 400
    wrong_name = world.http.get(world.start_url({**KARI, "last_name": "Hansen"}), allow_redirects=False, timeout=15)
    assert wrong_name.status_code == 400 and "40332" in wrong_name.text


def test_altinn_down_at_the_start_is_a_clear_502(world):
    armed = world.admin(
        "altinn", "POST", "/faults", json={"operation": "create_consent_request", "status": 503, "count": 1}
    )
    assert armed.status_code in (200, 201), armed.text
    answer = world.http.get(world.start_url(KARI), allow_redirects=False, timeout=15)
    assert answer.status_code == 502 and "Altinn" in answer.text
    assert world.http.get(world.start_url(KARI), allow_redirects=False, timeout=15).status_code == 302


def test_the_workshop_pages(world, insurer):
    claim = world.claim(KARI, ri=insurer)
    index = world.http.get(insurer.url + "/", timeout=10)
    generation = {"altinn3": "Altinn 3", "altinn2": "Altinn 2"}[insurer.consent]
    assert index.status_code == 200 and claim.claim_id[:10] in index.text and generation in index.text
    shown = world.http.get(f"{insurer.url}/claims/{claim.claim_id}", timeout=10)
    assert shown.status_code == 200 and KARI["pid"] in shown.text and f"Samtykke i {generation}" in shown.text
    assert (claim.consent_id or claim.code) in shown.text
    health = world.http.get(insurer.url + "/health", timeout=10).json()
    assert health == {"status": "ok", "service": "reference-insurer", "name": insurer.name, "org": insurer.org}
