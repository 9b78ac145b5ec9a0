"""The reference insurer in Altinn 3 mode against a running sandbox: the consent request with our own
id, the callback confirmed at Altinn, NAV with the consent-bearing Maskinporten token alone;
revoked and expired consents, short-lived tokens, forged callbacks. Judged from the event logs."""

from __future__ import annotations

import time
import uuid

from dsop_sandbox.reference_insurer import ReferenceInsurerServer

from .conftest import CAMILLA, CONSENT_TOKEN, INGRID, JOHAN, KARI, NAV_DATA, OLE, wait_for

SHORT_LIVED_ORG = "310000051"


def consent_tokens(world, cursor, consent_id: str, **match) -> list[dict]:
    """Maskinporten's token requests that carried this consent in ``authorization_details``."""
    return world.events(cursor, "maskinporten", ("token",), consent_id=consent_id, **match)


def test_accepted_consent_gives_data_with_the_consent_bearing_token_alone(world):
    ri = world.ri3
    cursor = world.cursor()
    claim = world.claim(KARI, ri=ri)
    assert claim.page.status_code == 200 and "Takk – samtykket er registrert" in claim.page.text
    assert claim.params == {"claim": claim.claim_id, "Status": "OK"}  # no id comes back
    assert str(uuid.UUID(claim.consent_id)) == claim.consent_id
    status = world.wait_for_data(KARI["pid"], ri=ri)
    assert status["generation"] == "altinn3" and status["consent"] == "active"
    assert status["claims"][0]["consent_id"] == claim.consent_id and status["claims"][0]["authorization_code"] is None

    made = world.events(cursor, "altinn", ("enterprise_create_consent_request",), status=201)
    assert [e["details"].get("consent_id") for e in made] == [claim.consent_id]
    confirmed = world.events(cursor, "altinn", ("enterprise_get_consent_request",), consent_id=claim.consent_id)
    assert [e["status"] for e in confirmed] == [200], "the callback is confirmed at Altinn, once"
    tokens = consent_tokens(world, cursor, claim.consent_id, status=200)
    assert len(tokens) == 2, "one consent-bearing token per NAV scope"
    assert {e["details"]["consent_from"] for e in tokens} == {f"urn:altinn:person:identifier-no:{KARI['pid']}"}
    nav = world.events(cursor, "nav", NAV_DATA, status=200, caller=ri.org, subject=KARI["pid"])
    assert len(nav) == 3
    assert {(e["details"].get("consent_generation"), e["details"].get("consent_id")) for e in nav} == {
        ("altinn3", claim.consent_id)
    }
    assert not [e for e in nav if e["details"].get("consent_header")], "no NAV-Samtykke-Token"
    assert world.events(cursor, "altinn", (*CONSENT_TOKEN, "log_use"), caller=ri.org) == [], "Altinn 3 has neither"

    # the fetch hook: the data again, the consent-bearing tokens reused while they are valid
    again = world.cursor()
    answer = world.fetch(KARI["pid"], ri=ri)
    assert answer["status"] == "ok", answer
    assert answer["data"]["vedtak"]["vedtaksliste"] and answer["data"]["meldekort"]["meldekortliste"]
    assert len(world.events(again, "nav", NAV_DATA, status=200, caller=ri.org)) == 3
    assert world.events(again, "maskinporten", ("token",), status=200) == [], "cached tokens are reused"
    assert world.events(again, "altinn", ("enterprise_create_consent_request",)) == []

    page = world.http.get(f"{ri.url}/claims/{claim.claim_id}", timeout=10)
    assert page.status_code == 200 and "Altinn 3" in page.text and claim.consent_id in page.text


def test_a_revoked_consent_is_final_consent_required_and_no_retries(world):
    ri = world.ri3
    changed = world.http.post(world.control + "/_sandbox/lifetimes", json={"maskinporten.access_token": 2}, timeout=10)
    assert changed.status_code == 200, changed.text
    claim = world.claim(INGRID, ri=ri)
    world.wait_for_data(INGRID["pid"], ri=ri)
    revoked = world.admin("altinn", "POST", f"/altinn3/consents/{claim.consent_id}/revoke")
    assert revoked.status_code == 200, revoked.text
    time.sleep(2.1)  # the tokens issued before the revocation run out (the insurer keeps its own clock)
    cursor = world.cursor()
    answer = world.fetch(INGRID["pid"], ri=ri)
    assert answer["status"] == "consent_required" and "AM-00011" in answer["detail"], answer
    assert world.fetch(INGRID["pid"], ri=ri)["status"] == "consent_required"  # asks nobody now
    time.sleep(1.0)
    assert [e["status"] for e in consent_tokens(world, cursor, claim.consent_id)] == [400]
    assert world.events(cursor, "nav", NAV_DATA, caller=ri.org) == []
    status = world.status(INGRID["pid"], ri=ri)
    assert status["consent"] == "dead" and status["claims"][0]["consent_problem"] == "AM-00011"


def test_three_years_on_the_consent_has_expired(world):
    ri = world.ri3
    claim = world.claim(OLE, ri=ri)
    world.wait_for_data(OLE["pid"], ri=ri)
    moved = world.http.post(world.control + "/_sandbox/clock", json={"advance": "P3Y"}, timeout=10)
    assert moved.status_code == 200, moved.text
    cursor = world.cursor()
    answer = world.fetch(OLE["pid"], ri=ri)
    assert answer["status"] == "consent_required" and "AM-00013" in answer["detail"], answer
    # the cached token (its consent expired on NAV's calendar) is refused once; its renewal is refused
    nav = world.events(cursor, "nav", NAV_DATA, caller=ri.org)
    assert [e["status"] for e in nav] == [403]
    assert [e["status"] for e in consent_tokens(world, cursor, claim.consent_id)] == [400]
    assert world.status(OLE["pid"], ri=ri)["claims"][0]["consent_problem"] == "AM-00013"


def test_two_second_tokens_are_reused_while_valid_and_renewed_once_expired(world):
    changed = world.http.post(world.control + "/_sandbox/lifetimes", json={"maskinporten.access_token": 2}, timeout=10)
    assert changed.status_code == 200, changed.text
    # an insurer of its own, so that no token from before the change sits in its cache
    with ReferenceInsurerServer(world.sandbox, port=0, org=SHORT_LIVED_ORG, name="Kortlevd Forsikring AS") as ri:
        claim = world.claim(CAMILLA, ri=ri)
        world.wait_for_data(CAMILLA["pid"], ri=ri)
        for _ in range(3):
            time.sleep(2.2)  # every token of the last round has run out by the insurer's own clock
            cursor = world.cursor()
            answer = world.fetch(CAMILLA["pid"], ri=ri)
            assert answer["status"] == "ok", answer
            nav = world.events(cursor, "nav", NAV_DATA, caller=ri.org)
            assert [e["status"] for e in nav] == [200, 200, 200]
            assert not [e for e in nav if e["details"].get("token_problem") or e["details"].get("consent_problem")]
            fresh = consent_tokens(world, cursor, claim.consent_id, status=200)
            assert 2 <= len(fresh) <= 3, "new tokens, one per scope (one more at most, never an expired one)"


def test_forged_callbacks_are_refused_and_no_consent_is_used(world):
    ri = world.ri3
    cursor = world.cursor()
    for params in ({"Status": "OK"}, {"claim": "no-such-claim", "Status": "OK"}):
        answer = world.http.get(ri.callback_url, params=params, timeout=10)
        assert answer.status_code == 400, answer.text
    # a real claim, still pending: Status=OK from the URL is not enough, Altinn says Created
    first = world.http.get(world.start_url(JOHAN, ri), allow_redirects=False, timeout=15)
    assert first.status_code == 302
    claim = world.status(JOHAN["pid"], ri=ri)["claims"][0]
    for params in (
        {"claim": claim["id"], "Status": "OK"},
        {"claim": claim["id"], "Status": "OK", "id": str(uuid.uuid4())},  # an id from the URL is never used
        {"claim": claim["id"], "Status": "Maybe"},
        {"claim": claim["id"]},
    ):
        answer = world.http.get(ri.callback_url, params=params, timeout=10)
        assert answer.status_code == 400, (params, answer.text)
    time.sleep(0.5)
    assert world.events(cursor, "maskinporten", ("token",), subject=JOHAN["pid"]) == []
    assert world.events(cursor, "nav", NAV_DATA, caller=ri.org) == []
    assert world.status(JOHAN["pid"], ri=ri)["claims"][0]["state"] == "pending"
    assert world.fetch(JOHAN["pid"], ri=ri)["status"] == "consent_required"


def test_maskinporten_down_is_retried_and_the_data_comes_later(world):
    ri = world.ri3
    armed = world.admin("maskinporten", "POST", "/faults", json={"operation": "token", "status": 503, "count": 2})
    assert armed.status_code in (200, 201), armed.text
    claim = world.claim(KARI, ri=ri)
    assert claim.page.status_code == 200

    def this_claim_has_its_data():
        # this claim's own data: the person's top-level data_arrived may be an earlier claim's (the
        # insurer outlives the module's tests), which arrived before this claim's retries ended
        mine = next(c for c in world.status(KARI["pid"], ri=ri)["claims"] if c["id"] == claim.claim_id)
        return mine if mine["data_arrived"] else None

    mine = wait_for(this_claim_has_its_data, 15, "data")
    assert mine["attempts"] >= 2 and mine["retrieval"] == "ok"
