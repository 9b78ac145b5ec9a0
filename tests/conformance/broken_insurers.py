"""Deliberately broken variants of the reference insurer, each breaking one rule the way real
integrations do, as small subclasses overriding one hook. The suite's self-test expects each to fail
exactly the requirements it breaks: :data:`EXPECTED_ALTINN2` for the Altinn 2 variants,
:data:`EXPECTED_ALTINN3` for the Altinn 3 ones (some variants break a rule both generations share
and are in both), :data:`TLS_EXPECTED` for the one judged on a ``--tls`` sandbox (both generations)."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta

from flask import request

from dsop_sandbox.examples.reference_insurer import nav as N
from dsop_sandbox.examples.reference_insurer.config import RetryPolicy
from dsop_sandbox.examples.reference_insurer.insurer import CallbackOutcome, ReferenceInsurer
from dsop_sandbox.examples.reference_insurer.maskinporten import MaskinportenError
from dsop_sandbox.examples.reference_insurer.outcomes import UNKNOWN_CLAIM
from dsop_sandbox.examples.reference_insurer.transport import Transport

# == both generations ====================================================================================
# WrongPerson, RetriesRefusedConsent, HammersNav, ConsentWaitsForNav and SkipsCertificateCheck (below)
# override hooks both generations go through.


# == Altinn 2 ============================================================================================
class NoLogUse(ReferenceInsurer):
    """Forgets to tell Altinn it used the consent."""

    def log_use(self, code: str) -> None:
        return None


class KeepsConsentToken(ReferenceInsurer):
    """Caches the first consent token per consent and sends it for ever."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._kept: dict[str, str] = {}
        self._lock = threading.Lock()

    def consent_token(self, code: str) -> str:
        with self._lock:
            if code not in self._kept:
                self._kept[code] = super().consent_token(code)
            return self._kept[code]


class AssumesTwoMinuteTokens(ReferenceInsurer):
    """Ignores ``expires_in`` of its NAV tokens and reuses each for 120 s (the usual lifetime); it
    only gets a new one after NAV has refused the old one."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._kept: dict[str, tuple[str, float]] = {}
        self._lock = threading.Lock()
        forget = self.maskinporten.forget

        def forget_both(scope: str) -> None:
            with self._lock:
                self._kept.pop(scope, None)
            forget(scope)

        self.maskinporten.forget = forget_both

    def maskinporten_token(self, scope: str) -> str:
        if not scope.startswith("nav:"):
            return super().maskinporten_token(scope)
        with self._lock:
            kept = self._kept.get(scope)
            if kept and self.wall_clock() - kept[1] < 120:
                return kept[0]
        token = super().maskinporten_token(scope)
        with self._lock:
            self._kept[scope] = (token, self.wall_clock())
        return token


class MaskinportenEveryCall(ReferenceInsurer):
    """Asks Maskinporten for a new token before every NAV call."""

    def maskinporten_token(self, scope: str) -> str:
        self.maskinporten.forget(scope)
        return super().maskinporten_token(scope)


class WrongPerson(ReferenceInsurer):
    """Its background job sends NAV the fødselsnummer of the claim handled before this one (a
    shared variable between customers), with this consent's token."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._previous: list[str] = []

    def start_claim(self, pid: str, first_name: str, last_name: str) -> dict:
        self._previous.append(pid)
        return super().start_claim(pid, first_name, last_name)

    def person_header(self, pid: str) -> dict:
        others = [p for p in self._previous if p != pid]
        in_background = threading.current_thread().name.startswith("retrieve-")
        return {"fnr": others[-1] if others and in_background else pid}


class TrustsAnyCallback(ReferenceInsurer):
    """Takes whatever AuthorizationCode comes back, without checking it belongs to its own request."""

    def validate_callback(self, claim, params):
        return None


class RetriesRefusedConsent(ReferenceInsurer):
    """Keeps asking Altinn for a consent token after Altinn has refused it."""

    def should_retry_after_refusal(self, result) -> bool:
        return True


class HammersNav(ReferenceInsurer):
    """Retries a failing NAV at once, again and again."""

    def retry_policy(self) -> RetryPolicy:
        return RetryPolicy(first_delay=0.02, factor=1.0, max_delay=0.02, max_attempts=10000, deadline=30)


class ConsentWaitsForNav(ReferenceInsurer):
    """Fetches NAV data inside the consent callback and fails the citizen's page when NAV is down."""

    def after_consent(self, claim: dict) -> None:
        claim["_first_fetch"] = self.fetch_once(claim)

    def handle_callback(self, claim_id, params) -> CallbackOutcome:
        outcome = super().handle_callback(claim_id, params)
        first = (outcome.claim or {}).get("_first_fetch") if outcome.claim else None
        if outcome.kind == "consented" and first is not None and first.status != "ok":
            return CallbackOutcome(503, "consented", "NAV svarer ikke; prøv igjen senere.", outcome.claim)
        return outcome


class SkipsCertificateCheck(ReferenceInsurer):
    """Calls NAV with certificate verification turned off (``verify=False``, left in after a test
    environment's certificate once failed to verify)."""

    def __init__(self, config, **kwargs):
        super().__init__(config, **kwargs)
        self.careless = Transport(verify=False, timeout=config.timeout, trust_env=config.trust_env)
        self.nav = N.NavClient(base_url=config.nav_base_url, transport=self.careless)

    def close(self, timeout: float = 5.0) -> None:
        super().close(timeout)
        self.careless.close()


# == Altinn 3 ============================================================================================
class KeepsConsentBearingToken(ReferenceInsurer):
    """Ignores ``expires_in`` of its consent-bearing Maskinporten tokens and keeps each for 120 s (the
    usual lifetime); it only gets a new one after NAV has refused the old one."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._kept: dict[tuple[str, str], tuple[str, float]] = {}
        self._lock = threading.Lock()

    def consent_maskinporten_token(self, claim: dict, scope: str) -> str:
        key = (claim["consent_id"], scope)
        with self._lock:
            kept = self._kept.get(key)
            if kept and self.wall_clock() - kept[1] < 120:
                return kept[0]
        token = super().consent_maskinporten_token(claim, scope)
        with self._lock:
            self._kept[key] = (token, self.wall_clock())
        return token

    def forget_consent_token(self, claim: dict, scope: str) -> None:
        with self._lock:
            self._kept.pop((claim["consent_id"], scope), None)
        super().forget_consent_token(claim, scope)


class ConsentTokenEveryCall(ReferenceInsurer):
    """Asks Maskinporten for a new consent-bearing token before every NAV call."""

    def consent_maskinporten_token(self, claim: dict, scope: str) -> str:
        self.forget_consent_token(claim, scope)
        return super().consent_maskinporten_token(claim, scope)


class TakesConsentIdFromCallback(ReferenceInsurer):
    """Takes the consent id the callback's address names (Altinn's flow diagram draws
    ``redirectURL?consentId=…``) instead of the one it made, and does not confirm it at Altinn."""

    def validate_callback_altinn3(self, claim: dict | None, params: dict) -> str | None:
        if claim is None:
            return UNKNOWN_CLAIM
        named = request.args.get("consentId") or request.args.get("id")  # the callback's whole query
        if named:
            self.store.update(claim["id"], consent_id=named)
        return None


class TakesFailedForConsent(ReferenceInsurer):
    """Reads only that the citizen came back: Status=Failed counts as a consent (and Altinn is not asked
    whether the request was accepted)."""

    def handle_callback(self, claim_id, params) -> CallbackOutcome:
        if params.get("Status") == "Failed":
            params = {**params, "Status": "OK"}
        return super().handle_callback(claim_id, params)

    def confirm_accepted_altinn3(self, claim: dict) -> str | None:
        return None


class AsksForTwoConsents(ReferenceInsurer):
    """Names the claim's consent twice in one grant (once for each NAV API it will call); when
    Maskinporten refuses that, asks again with one."""

    def consent_maskinporten_token(self, claim: dict, scope: str) -> str:
        try:
            return self.maskinporten.token(scope, self.authorization_details(claim) * 2)
        except MaskinportenError:
            return super().consent_maskinporten_token(claim, scope)


class ValidToBeyondThreeYears(ReferenceInsurer):
    """Asks for a consent valid a month longer than three years. The sandbox's Altinn refuses the
    request (SBX.VLD-00001, NAV's three-year limit; the real Altinn publishes no such rule), so the
    citizen never sees a consent page and nothing after it can be judged."""

    def consent_request_body_altinn3(self, claim: dict) -> dict:
        body = super().consent_request_body_altinn3(claim)
        return {**body, "validTo": (datetime.fromisoformat(body["validTo"]) + timedelta(days=31)).isoformat()}


#: Altinn 2: variant → the requirements it must fail (every other judged requirement must pass, or be
#: NOT RUN where the broken step makes a later one impossible to judge, as listed).
EXPECTED_ALTINN2: dict[type, dict[str, str]] = {
    NoLogUse: {"DSOP-LOGUSE": "FAIL"},
    # it never asks Altinn after the withdrawal, so there is no refusal to judge its retries by
    KeepsConsentToken: {"DSOP-TOKEN-FRESH": "FAIL", "DSOP-REVOKED": "FAIL", "DSOP-NO-ENDLESS-RETRY": "NOT RUN"},
    AssumesTwoMinuteTokens: {"DSOP-MASKINPORTEN-REFRESH": "FAIL"},
    MaskinportenEveryCall: {"DSOP-MASKINPORTEN-REUSE": "FAIL"},
    WrongPerson: {"DSOP-PERSON": "FAIL"},
    TrustsAnyCallback: {"DSOP-CALLBACK-STATE": "FAIL"},
    RetriesRefusedConsent: {"DSOP-NO-ENDLESS-RETRY": "FAIL"},
    HammersNav: {"DSOP-NO-HAMMERING": "FAIL"},
    ConsentWaitsForNav: {"DSOP-ASYNC": "FAIL"},
}

#: What a refused consent request leaves unjudgeable: everything that needs a consent.
_NO_CONSENT_EVER = dict.fromkeys(
    (
        "DSOP-CALLBACK",
        "DSOP-CONSENT-IN-TOKEN",
        "DSOP-FETCH",
        "DSOP-PERSON",
        "DSOP-REUSE",
        "DSOP-MASKINPORTEN-REFRESH",
        "DSOP-MASKINPORTEN-REUSE",
        "DSOP-DECLINED",
        "DSOP-REVOKED",
        "DSOP-NO-ENDLESS-RETRY",
        "DSOP-EXPIRY",
        "DSOP-ASYNC",
        "DSOP-RECOVERY",
        "DSOP-NO-HAMMERING",
    ),
    "NOT RUN",
)

#: Altinn 3: variant → the requirements it must fail (the same rule as for Altinn 2).
EXPECTED_ALTINN3: dict[type, dict[str, str]] = {
    KeepsConsentBearingToken: {"DSOP-MASKINPORTEN-REFRESH": "FAIL"},
    ConsentTokenEveryCall: {"DSOP-MASKINPORTEN-REUSE": "FAIL"},
    WrongPerson: {"DSOP-PERSON": "FAIL"},
    TakesConsentIdFromCallback: {"DSOP-CALLBACK-STATE": "FAIL"},
    TakesFailedForConsent: {"DSOP-DECLINED": "FAIL"},
    RetriesRefusedConsent: {"DSOP-NO-ENDLESS-RETRY": "FAIL"},
    AsksForTwoConsents: {"DSOP-CONSENT-IN-TOKEN": "FAIL"},
    ValidToBeyondThreeYears: {"DSOP-CONSENT-REQUEST": "FAIL", **_NO_CONSENT_EVER},
    HammersNav: {"DSOP-NO-HAMMERING": "FAIL"},
    ConsentWaitsForNav: {"DSOP-ASYNC": "FAIL"},
}

EXPECTED: dict[str, dict[type, dict[str, str]]] = {"altinn3": EXPECTED_ALTINN3, "altinn2": EXPECTED_ALTINN2}

#: Variants judged on a sandbox serving HTTPS (``--tls``), in both generations; on plain HTTP there is
#: nothing to break.
TLS_EXPECTED: dict[type, dict[str, str]] = {
    SkipsCertificateCheck: {"DSOP-TLS-VERIFY": "FAIL"},
}
