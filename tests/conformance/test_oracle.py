"""The oracle's Altinn 3 questions, on events shaped as the services write them: which consent a
Maskinporten token request named (also a refused one), refusals by Altinn's code, several consents
in one grant, NAV calls by consent id, when a token expires, and what is wrong with a consent
request Altinn accepted."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from dsop_sandbox.conformance.oracle import Events, token_end
from dsop_sandbox.conformance.scenarios.consent3 import request_problem

CLIENT, ORG, PID = "client-1", "310000019", "15838512329"
ONE, TWO = "0193f2c4-7c1e-7d2a-9b8e-6a4f1c2d3e4f", "77ed8698-e619-4066-9eb4-5c1eb3f165a1"
PERSON = "urn:altinn:person:identifier-no:" + PID


def token_event(status: int, **details) -> dict:
    return {"service": "maskinporten", "operation": "token", "status": status, "caller": CLIENT, "details": details}


def nav_event(status: int, **details) -> dict:
    operation = "hentUforeopplysninger"
    return {
        "service": "nav",
        "operation": operation,
        "status": status,
        "caller": ORG,
        "subject": PID,
        "details": details,
    }


EVENTS = Events(
    [
        token_event(200, consents_asked=[{"id": ONE, "from": PERSON}], consent_id=ONE, consent_lookup="accepted"),
        token_event(400, consents_asked=[{"id": ONE.upper(), "from": PERSON}, {"id": TWO, "from": PERSON}]),
        token_event(400, consent_id=TWO, consent_lookup="refused", consent_problem="AM-00011"),
        token_event(200, scopes=["altinn:consentrequests.write"]),  # no consent at all
        nav_event(200, consent_generation="altinn3", consent_id=ONE),
        nav_event(403, consent_generation="altinn3", consent_id=TWO, consent_problem="from"),
        nav_event(200, consent_generation="altinn2", consent_id="code"),
    ]
)


def test_token_requests_are_found_by_the_consent_they_named():
    assert len(EVENTS.consent_grants(CLIENT)) == 3
    assert len(EVENTS.consent_grants(CLIENT, ONE)) == 2  # granted, and named (upper case) in a refused grant
    assert len(EVENTS.consent_grants(CLIENT, TWO.upper())) == 2
    assert [e["status"] for e in EVENTS.consent_grants(CLIENT, ONE, status=200)] == [200]
    assert EVENTS.consent_grants("another-client") == []


def test_refusals_by_altinn_code_and_several_consents_in_one_grant():
    assert [e["details"]["consent_id"] for e in EVENTS.consent_refusals(CLIENT, TWO, "AM-00011")] == [TWO]
    assert EVENTS.consent_refusals(CLIENT, TWO, "AM-00013") == []
    assert [len(e["details"]["consents_asked"]) for e in EVENTS.several_consents(CLIENT)] == [2]


def test_nav_calls_by_the_altinn3_consent_their_token_carried():
    assert len(EVENTS.nav_calls3(ORG)) == 2
    assert [e["status"] for e in EVENTS.nav_calls3(ORG, ONE.upper(), status=200)] == [200]
    assert [e["details"]["consent_problem"] for e in EVENTS.nav_refused_for("from", ORG)] == ["from"]


def test_a_token_ends_at_its_exp_else_its_lifetime_after_the_event():
    assert token_end({"details": {"exp": 1_800_000_000}}, 2) == datetime.fromtimestamp(1_800_000_000, UTC)
    happened = datetime(2026, 12, 7, 5, 0, tzinfo=UTC)
    event = {"time": happened.isoformat().replace("+00:00", "Z"), "details": {}}
    assert token_end(event, 2) == happened + timedelta(seconds=2)
    assert token_end({"time": "not a time", "details": {}}, 2) is None


def created(**details) -> dict:
    """Altinn's event for a consent request it accepted (201), made on 7 December 2026."""
    base = {
        "consent_id": ONE,
        "to": ORG,
        "resource": "nav_samtykke_dsop_aap-ufore",
        "valid_to": "2029-12-06T10:00:00+00:00",
    }
    return {"status": 201, "caller": ORG, "calendar_time": "2026-12-07T10:00:00Z", "details": {**base, **details}}


def test_a_consent_request_altinn_accepted_is_still_checked_against_nav_s_rules():
    # The real Altinn has no three-year rule: a request it accepts can still ask for too much.
    assert request_problem(created(), ORG) is None
    assert request_problem(created(valid_to="2029-12-08T10:00:00+00:00"), ORG) is None  # a day's slack
    assert "more than 3 years" in request_problem(created(valid_to="2030-01-07T10:00:00+00:00"), ORG)
    assert "instead of nav_samtykke_dsop_aap-ufore" in request_problem(
        created(resource="ske-samtykke-sbl-inntekt"), ORG
    )
    assert "in to instead of the insurer itself" in request_problem(created(to="310000027"), ORG)
    assert "could not be read" in request_problem(created(valid_to="soon"), ORG)
