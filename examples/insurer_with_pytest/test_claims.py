"""The example integration's tests: the whole chain (ID-porten, Altinn 3, Maskinporten, NAV) from
dsop-sandbox's pytest fixtures, with no other set-up than ``pip install dsop-sandbox pytest``.

The integration runs in this process: the citizen's browser reaches it at ``http://insurer.test``
(the ``dsop_insurer`` fixture's default redirect URI) through ``dsop_citizen.mount``; its calls to
the sandbox go over HTTP to the sandbox the ``dsop_sandbox`` fixture started.
"""

import pytest

from dsop_sandbox.conformance.contract import MP_TOKEN
from dsop_sandbox.examples.insurer_with_pytest.claims import CONSENT_GONE, NAV_DOWN, NO_CONSENT, OK, create_app

ORIGIN = "http://insurer.test"
START = ORIGIN + "/claims/start?pid={pid}"


@pytest.fixture
def app(dsop_sandbox, dsop_insurer, dsop_citizen):
    """The integration's web app, configured from the registered insurer's insurer.toml, reachable
    by the citizen's browser."""
    app = create_app(dsop_insurer.profile_path, verify=dsop_sandbox.verify)
    dsop_citizen.mount(ORIGIN, app)
    return app


@pytest.fixture
def claims(app):
    return app.extensions["claims"]


@pytest.fixture
def claim(claims, dsop_citizen):
    """A claim whose citizen logged in at ID-porten and said yes at Altinn."""
    outcome = dsop_citizen.accept(START)
    assert outcome.callback_status == "OK", outcome.visited
    return claims.claims[outcome.callback_params["claim"]]


def test_the_citizen_consents_and_the_claim_is_accepted(claim, dsop_citizen):
    assert claim.state == "accepted"
    assert claim.pid == dsop_citizen.pid


def test_a_declined_consent_fetches_nothing(claims, dsop_citizen):
    outcome = dsop_citizen.decline(START)
    assert outcome.callback_status == "Failed"
    claim = claims.claims[outcome.callback_params["claim"]]
    assert claim.state == "declined"
    assert claims.fetch(claim.id) == NO_CONSENT


def test_fetch_gets_the_personas_nav_data(claims, claim, dsop_persons):
    assert claims.fetch(claim.id) == OK
    person = dsop_persons["aap-meldekort"]  # dsop_citizen's persona unless a test names another
    assert claim.data == person.nav_data(*claim.period)  # NAV's answers for the consent's period
    returned = {v.vedtak_id for v in person.history.aap_vedtak if v.returned}
    assert {v["vedtakId"] for v in claim.data["vedtak"]["vedtaksliste"]} == returned


def test_a_second_fetch_reuses_the_tokens(claims, claim, dsop_sandbox, dsop_insurer):
    assert claims.fetch(claim.id) == OK
    asked = claims.tokens_fetched
    assert claims.fetch(claim.id) == OK
    assert claims.tokens_fetched == asked  # no new token while the old ones are valid
    tokens = dsop_sandbox.events().where("maskinporten", MP_TOKEN, status=200)
    assert len(tokens) == asked  # one for the consent request, one per NAV scope


def test_a_revoked_consent_is_final(claims, claim, dsop_insurer):
    dsop_insurer.revoke_consent(claim.consent_id)  # the citizen revokes it in Altinn
    assert claims.fetch(claim.id) == CONSENT_GONE
    assert claim.state == "gone"


def test_nav_down_is_retried_later(claims, claim, dsop_sandbox):
    with dsop_sandbox.fault("nav", status=503):
        assert claims.fetch(claim.id) == NAV_DOWN
    assert claims.fetch(claim.id) == OK  # NAV is back: the same consent still works


def test_a_person_altinn_does_not_know_gets_an_error_not_a_consent_page(app):
    answer = app.test_client().get("/claims/start?pid=17858013771")  # a valid synthetic number nobody has
    assert answer.status_code == 502
    assert "AM-00004" in answer.json["detail"]  # Altinn's own code for an unknown person, passed on


def test_a_callback_for_a_claim_never_started_is_refused(app):
    assert app.test_client().get("/claims/callback?claim=forged&Status=OK").status_code == 400
