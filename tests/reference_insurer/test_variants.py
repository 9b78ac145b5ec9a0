"""Deliberately broken variants, each one hook overridden, break what that hook keeps (the
conformance suite's self-test builds on this): seen here in the sandbox's event logs."""

from __future__ import annotations

import uuid

from dsop_sandbox.examples.reference_insurer import ReferenceInsurer, RetryPolicy
from dsop_sandbox.reference_insurer import ReferenceInsurerServer

from .conftest import CONSENT_TOKEN, NAV_DATA, OLA, TONJE, wait_for

VARIANT_ORG, VARIANT_NAME = "310000035", "Ødelagt Forsikring AS"
ANOTHER_CONSENT = str(uuid.uuid4())


def variant3(world, cls) -> ReferenceInsurerServer:
    """An Altinn 3 variant."""
    return ReferenceInsurerServer(world.sandbox, port=0, org=VARIANT_ORG, name=VARIANT_NAME, insurer_class=cls)


def variant(world, cls, **options) -> ReferenceInsurerServer:
    return ReferenceInsurerServer(
        world.sandbox, port=0, org=VARIANT_ORG, name=VARIANT_NAME, insurer_class=cls, options=options, consent="altinn2"
    )


class TrustsAnyCallback(ReferenceInsurer):
    def validate_callback(self, claim, params):
        return None


class NeverLogsUse(ReferenceInsurer):
    def log_use(self, code):
        pass


class SendsAnotherPerson(ReferenceInsurer):
    def person_header(self, pid):
        return {"fnr": "02917945651" if pid != "02917945651" else "15838512329"}


class NeverReusesMaskinportenTokens(ReferenceInsurer):
    def maskinporten_token(self, scope):
        return self.maskinporten.fetch(scope).token


class Hammers(ReferenceInsurer):
    def retry_policy(self):
        return RetryPolicy(first_delay=0.05, factor=1.0, max_delay=0.05, max_attempts=40)


class TrustsAnyCallback3(ReferenceInsurer):
    def validate_callback_altinn3(self, claim, params):
        return None


class TwoConsentsInOneToken(ReferenceInsurer):
    def authorization_details(self, claim):
        one = super().authorization_details(claim)
        return [*one, {**one[0], "id": ANOTHER_CONSENT}]


class ConsentForAnotherOrg(ReferenceInsurer):
    def consent_request_body_altinn3(self, claim):
        return {**super().consent_request_body_altinn3(claim), "to": "urn:altinn:organization:identifier-no:310000019"}


def test_altinn3_a_variant_that_trusts_any_callback_records_a_consent_never_given(world):
    with variant3(world, TrustsAnyCallback3) as ri:
        cursor = world.cursor()
        first = world.http.get(world.start_url(OLA, ri), allow_redirects=False, timeout=15)
        assert first.status_code == 302
        claim_id = world.status(OLA["pid"], ri=ri)["claims"][0]["id"]
        answer = world.http.get(ri.callback_url, params={"claim": claim_id, "Status": "OK"}, timeout=10)
        assert answer.status_code == 200
        refused = wait_for(
            lambda: world.events(cursor, "maskinporten", ("token",), subject=OLA["pid"], status=400),
            5,
            "the unanswered consent at Maskinporten",
        )
        assert refused[0]["details"]["consent_problem"] == "AM-00014"  # not accepted
        assert world.events(cursor, "altinn", ("enterprise_get_consent_request",), caller=VARIANT_ORG) == []


def test_altinn3_a_variant_that_puts_two_consents_in_one_token_request_is_refused(world):
    with variant3(world, TwoConsentsInOneToken) as ri:
        cursor = world.cursor()
        world.claim(TONJE, ri=ri)
        answer = world.fetch(TONJE["pid"], ri=ri)
        assert answer["status"] == "unavailable" and "400" in answer["detail"], answer
        tokens = world.events(cursor, "maskinporten", ("token",), caller=ri.facts["maskinporten"]["client_id"])
        assert [e for e in tokens if e["status"] == 400], "Maskinporten refuses two consents in one grant"
        assert world.events(cursor, "nav", NAV_DATA, caller=VARIANT_ORG, status=200) == []


def test_altinn3_a_variant_that_asks_consent_for_another_org_is_refused_by_altinn(world):
    with variant3(world, ConsentForAnotherOrg) as ri:
        answer = world.http.get(world.start_url(TONJE, ri), allow_redirects=False, timeout=15)
        assert answer.status_code == 502 and "Altinn" in answer.text


def test_a_variant_that_trusts_any_callback_sends_a_forged_code_to_altinn(world):
    with variant(world, TrustsAnyCallback) as ri:
        cursor = world.cursor()
        forged = "1b4e28ba-2fa1-11d2-883f-0016d3cca427"
        answer = world.http.get(ri.callback_url, params={"AuthorizationCode": forged, "Status": "OK"}, timeout=10)
        assert answer.status_code == 200
        tried = wait_for(
            lambda: world.events(cursor, "altinn", CONSENT_TOKEN, authorization_code=forged),
            5,
            "the forged code at Altinn",
        )
        assert tried[0]["status"] == 403


def test_a_variant_without_loguse_fetches_but_logs_nothing(world):
    with variant(world, NeverLogsUse) as ri:
        cursor = world.cursor()
        world.claim(TONJE, ri=ri)
        world.wait_for_data(TONJE["pid"], ri=ri)
        assert world.fetch(TONJE["pid"], ri=ri)["status"] == "ok"
        assert world.events(cursor, "altinn", ("log_use",), caller=VARIANT_ORG) == []


def test_a_variant_that_sends_another_person_is_refused_by_nav(world):
    with variant(world, SendsAnotherPerson) as ri:
        cursor = world.cursor()
        world.claim(OLA, ri=ri)
        answer = world.fetch(OLA["pid"], ri=ri)
        assert answer["status"] == "consent_required", answer
        refused = world.events(cursor, "nav", NAV_DATA, caller=VARIANT_ORG)
        assert refused and {(e.get("details") or {}).get("consent_problem") for e in refused} == {"offered_by"}


def test_a_variant_without_token_reuse_asks_maskinporten_for_every_call(world):
    with variant(world, NeverReusesMaskinportenTokens) as ri:
        world.claim(TONJE, ri=ri)
        world.wait_for_data(TONJE["pid"], ri=ri)
        cursor = world.cursor()
        assert world.fetch(TONJE["pid"], ri=ri)["status"] == "ok"
        client_id = ri.facts["maskinporten"]["client_id"]
        assert len(world.events(cursor, "maskinporten", ("token",), status=200, caller=client_id)) == 3


def test_a_variant_without_backoff_hammers_nav(world):
    assert world.admin("nav", "POST", "/faults", json={"operation": "*", "status": 503}).status_code in (200, 201)
    with variant(world, Hammers) as ri:
        cursor = world.cursor()
        world.claim(OLA, ri=ri)
        # eight calls within 5 s (a fault answers before any check); the reference insurer's backoff
        # (0.5, 1, 2 s ...) makes four at most in that time, so a slow machine cannot blur the two
        wait_for(lambda: len(world.events(cursor, "nav", NAV_DATA, status=503)) >= 8, 5.0, "eight NAV calls")
