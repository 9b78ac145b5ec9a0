"""Deliberately broken variants of the reference insurer, each breaking one rule the way real
integrations do, as small subclasses overriding one hook. The suite's self-test expects each to fail
exactly the requirements it breaks: :data:`EXPECTED_ALTINN2` for the Altinn 2 variants,
:data:`EXPECTED_ALTINN3` for the Altinn 3 ones (some variants break a rule both generations share
and are in both), :data:`TLS_EXPECTED` for the one judged on a ``--tls`` sandbox (both generations)."""

from __future__ import annotations

import threading
from datetime import date, datetime, timedelta

import jwt
from flask import request
from werkzeug.routing import RequestRedirect

from dsop_sandbox.conformance.catalogue import by_id
from dsop_sandbox.examples.reference_insurer import nav as N
from dsop_sandbox.examples.reference_insurer.altinn import AltinnError
from dsop_sandbox.examples.reference_insurer.config import RetryPolicy
from dsop_sandbox.examples.reference_insurer.insurer import (
    CONSENT_REQUIRED,
    OK,
    UNAVAILABLE,
    CallbackOutcome,
    ConsentToken,
    FetchResult,
    ReferenceInsurer,
)
from dsop_sandbox.examples.reference_insurer.maskinporten import MaskinportenError
from dsop_sandbox.examples.reference_insurer.outcomes import UNKNOWN_CLAIM
from dsop_sandbox.examples.reference_insurer.transport import Transport


# == both generations ====================================================================================
# These, and WrongPerson, RetriesRefusedConsent, JustWithinTheLimits, HammersNav, ConsentWaitsForNav and
# SkipsCertificateCheck (below), override hooks both generations go through (_in_both lists them).
class ValidToBeyondThreeYears(ReferenceInsurer):
    """Asks for a consent valid a month longer than three years. Altinn refuses the request (Altinn 2:
    40334, the service's longest consent; Altinn 3: SBX.VLD-00001, NAV's three-year limit), so the
    citizen never sees a consent page and nothing after it can be judged."""

    def consent_period(self) -> tuple[date, date, datetime]:
        fra, til, valid_to = super().consent_period()
        return fra, til, valid_to + timedelta(days=31)


class LeavesCitizenOnAltinn(ReferenceInsurer):
    """Stores the consent, then sends the citizen back to Altinn's API description instead of showing
    its own page (a redirect left pointing at the wrong base URL)."""

    def handle_callback(self, claim_id, params) -> CallbackOutcome:
        outcome = super().handle_callback(claim_id, params)
        if outcome.kind == "consented":
            # Flask answers a RequestRedirect raised in a view with the redirect itself.
            raise RequestRedirect(f"{self.config.altinn_base_url.rstrip('/')}/openapi.json")
        return outcome


class MisreadsNavAnswer(ReferenceInsurer):
    """Gets NAV's data (and logs the use), but its fetch hook reads the answer by a field name NAV does
    not send and answers ``unavailable``: the data never reaches the claim handler."""

    def fetch(self, pid: str) -> FetchResult:
        result = super().fetch(pid)
        if result.status == OK:
            return FetchResult(UNAVAILABLE, detail="NAV's answer has no 'vedtaksliste'", claim_id=result.claim_id)
        return result


class AsksAgainOnEveryFetch(ReferenceInsurer):
    """Uses the consent it has, but from the second fetch of a claim on also sends the citizen a new
    consent request for the same data ("to be sure")."""

    def fetch(self, pid: str) -> FetchResult:
        result = super().fetch(pid)
        claim = self.store.get(result.claim_id) if result.status == OK and result.claim_id else None
        if claim and claim.get("fetches", 0) >= 2:
            self.start_claim(pid, claim.get("first_name", ""), claim.get("last_name", ""))
        return result


class ServesDataAfterExpiry(ReferenceInsurer):
    """When Altinn says the consent has expired, the fetch hook answers with the data it stored
    before ("the citizen agreed once")."""

    #: Altinn's words for the refusal it ignores: Altinn 2's cause, Altinn 3's code (via Maskinporten).
    IGNORED = ("the consent has expired", "AM-00013")

    def fetch(self, pid: str) -> FetchResult:
        result = super().fetch(pid)
        claim = self.store.latest_answered(pid)
        ignored = any(words in result.detail for words in self.IGNORED)
        if result.status == CONSENT_REQUIRED and ignored and claim and claim.get("data"):
            return FetchResult(OK, data=claim["data"], claim_id=claim["id"])
        return result


class ServesDataAfterRevocation(ServesDataAfterExpiry):
    """When Altinn says the citizen withdrew the consent, the fetch hook answers with the data it stored
    before."""

    IGNORED = ("the consent has been withdrawn", "AM-00011")


class GivesUpWhenNavIsDown(ReferenceInsurer):
    """Tries NAV once; when NAV is down it closes the claim and its fetch hook keeps answering
    unavailable without asking NAV again."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._closed: set[str] = set()

    def retry_policy(self) -> RetryPolicy:
        return RetryPolicy(max_attempts=1)

    def fetch(self, pid: str) -> FetchResult:
        claim = self.current_consent(pid)
        if claim and claim["id"] in self._closed:
            return FetchResult(UNAVAILABLE, detail="NAV failed earlier; the claim is closed", claim_id=claim["id"])
        return super().fetch(pid)

    def _record(self, claim: dict, result: FetchResult) -> None:
        super()._record(claim, result)
        if result.status == UNAVAILABLE and result.retriable:
            self._closed.add(claim["id"])


# == Altinn 2 ============================================================================================
class LogsUseBeforeData(ReferenceInsurer):
    """Logs the use with Altinn before it asks NAV for the data (so a use is logged even when no data
    comes), not after the data arrived."""

    def fetch_once_altinn2(self, claim: dict, deadline: float | None = None) -> FetchResult:
        super()._log_use_once(claim)
        return super().fetch_once_altinn2(claim, deadline)

    def _log_use_once(self, claim: dict) -> None:
        return None


class LogsFirstUseOnly(ReferenceInsurer):
    """Logs the use of a consent with Altinn the first time its fetch hook gets data for it (and on
    the background retrieval), not for later fetches under the same consent."""

    def log_use(self, code: str) -> None:
        claims = [c for c in self.store.all() if c.get("code") == code]
        if claims and claims[0].get("fetches", 0) >= 2:
            return None
        return super().log_use(code)


class SendsCodeAsConsentToken(ReferenceInsurer):
    """Never exchanges the AuthorizationCode: sends NAV the code itself where the consent token
    belongs."""

    def consent_token(self, code: str) -> str:
        return code

    def _new_consent_token(self, code: str) -> ConsentToken:
        return ConsentToken(self.consent_token(code), None)


class DeclinePageFails(ReferenceInsurer):
    """Records «Nei» correctly, but its page for a declined consent crashes (HTTP 500)."""

    def handle_callback(self, claim_id, params) -> CallbackOutcome:
        outcome = super().handle_callback(claim_id, params)
        if outcome.kind == "declined":
            return CallbackOutcome(500, "declined", "Internal Server Error", outcome.claim)
        return outcome


class PinsAltinnKey(ReferenceInsurer):
    """Checks each consent token's ``kid`` against the first one it saw (a JWKS fetched once and never
    refreshed): after Altinn rotates its key it takes every new token for a forgery."""

    _kid: str | None = None

    def consent_token(self, code: str) -> str:
        token = super().consent_token(code)
        kid = jwt.get_unverified_header(token).get("kid")
        if self._kid is None:
            self._kid = kid
        elif kid != self._kid:
            raise AltinnError(f"consent token signed with an unknown key ({kid})")
        return token


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
    """Asks again after Altinn (Altinn 3: Maskinporten) has refused the consent, as if the refusal were
    an outage: three requests for a consent that is gone, one more than the suite tolerates (it pins
    the limit from above; :class:`JustWithinTheLimits` from below)."""

    ATTEMPTS = 3

    def should_retry_after_refusal(self, result) -> bool:
        return True

    def fetch_retry_policy(self) -> RetryPolicy:
        return RetryPolicy(first_delay=0.2, factor=1.0, max_delay=0.2, max_attempts=self.ATTEMPTS, deadline=6.0)


class JustWithinTheLimits(RetriesRefusedConsent):
    """Stays just under the suite's limits, so it passes everything (it pins them from below): asks
    once more after the consent was refused (two requests, as many as the suite tolerates), and
    retries a failing NAV every 0.35 s (about three calls a second, the limit being four)."""

    ATTEMPTS = 2

    def retry_policy(self) -> RetryPolicy:
        return RetryPolicy(first_delay=0.35, factor=1.0, max_delay=0.35, max_attempts=10000, deadline=30)


class HammersNav(ReferenceInsurer):
    """Retries a failing NAV every 0.06 s without backing off. The suite counts NAV calls over the whole
    outage, the consent step included: about twelve calls a second on an idle machine, and still past
    the limit of four when a loaded one makes the consent step take a second. Closer to the limit it
    could not stay past it (so a limit raised to 20 is seen, one raised to 8 might not be);
    :class:`JustWithinTheLimits` pins the limit from below."""

    def retry_policy(self) -> RetryPolicy:
        return RetryPolicy(first_delay=0.06, factor=1.0, max_delay=0.06, max_attempts=10000, deadline=30)


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


#: What a refused consent request leaves unjudgeable: everything that needs a consent (all but the
#: request itself and the forged callback, in either generation).
_NO_CONSENT_EVER = dict.fromkeys(
    (
        "DSOP-CALLBACK",
        "DSOP-TOKEN-EXCHANGE",
        "DSOP-CONSENT-IN-TOKEN",
        "DSOP-FETCH",
        "DSOP-LOGUSE",
        "DSOP-PERSON",
        "DSOP-REUSE",
        "DSOP-TOKEN-FRESH",
        "DSOP-MASKINPORTEN-REFRESH",
        "DSOP-MASKINPORTEN-REUSE",
        "DSOP-DECLINED",
        "DSOP-REVOKED",
        "DSOP-NO-ENDLESS-RETRY",
        "DSOP-EXPIRY",
        "DSOP-ASYNC",
        "DSOP-RECOVERY",
        "DSOP-NO-HAMMERING",
        "DSOP-KEY-ROTATION",
    ),
    "NOT RUN",
)
#: What a fetch hook that never answers ok leaves unjudgeable: every scenario that needs a first fetch
#: to work before it judges.
_NO_FIRST_FETCH = dict.fromkeys(
    (
        "DSOP-REUSE",
        "DSOP-TOKEN-FRESH",
        "DSOP-MASKINPORTEN-REFRESH",
        "DSOP-REVOKED",
        "DSOP-NO-ENDLESS-RETRY",
        "DSOP-EXPIRY",
        "DSOP-KEY-ROTATION",
    ),
    "NOT RUN",
)


def _of(generation: str, expected: dict[str, str]) -> dict[str, str]:
    """``expected`` without the requirements ``generation``'s catalogue does not have."""
    return {rid: verdict for rid, verdict in expected.items() if rid in by_id(generation)}


def _in_both(generation: str) -> dict[type, dict[str, str]]:
    """The variants of hooks both generations go through, and what each must fail in ``generation``."""
    return {
        ValidToBeyondThreeYears: {"DSOP-CONSENT-REQUEST": "FAIL", **_of(generation, _NO_CONSENT_EVER)},
        LeavesCitizenOnAltinn: {"DSOP-CALLBACK": "FAIL"},
        MisreadsNavAnswer: {"DSOP-FETCH": "FAIL", **_of(generation, _NO_FIRST_FETCH)},
        AsksAgainOnEveryFetch: {"DSOP-REUSE": "FAIL"},
        WrongPerson: {"DSOP-PERSON": "FAIL"},
        ServesDataAfterRevocation: {"DSOP-REVOKED": "FAIL"},
        RetriesRefusedConsent: {"DSOP-NO-ENDLESS-RETRY": "FAIL"},
        ServesDataAfterExpiry: {"DSOP-EXPIRY": "FAIL"},
        ConsentWaitsForNav: {"DSOP-ASYNC": "FAIL"},
        GivesUpWhenNavIsDown: {"DSOP-RECOVERY": "FAIL"},
        HammersNav: {"DSOP-NO-HAMMERING": "FAIL"},
        JustWithinTheLimits: {},
    }


#: Altinn 2: variant → the requirements it must fail (every other judged requirement must pass, or be
#: NOT RUN where the broken step makes a later one impossible to judge, as listed). A variant that
#: must fail nothing pins a threshold from below.
EXPECTED_ALTINN2: dict[type, dict[str, str]] = {
    **_in_both("altinn2"),
    SendsCodeAsConsentToken: {
        "DSOP-TOKEN-EXCHANGE": "FAIL",
        "DSOP-FETCH": "FAIL",
        "DSOP-RECOVERY": "FAIL",
        "DSOP-LOGUSE": "NOT RUN",
        "DSOP-PERSON": "NOT RUN",
        **_of("altinn2", _NO_FIRST_FETCH),
    },
    LogsUseBeforeData: {"DSOP-LOGUSE": "FAIL"},
    LogsFirstUseOnly: {"DSOP-LOGUSE": "FAIL"},
    # it never asks Altinn after the withdrawal, so there is no refusal to judge its retries by
    KeepsConsentToken: {"DSOP-TOKEN-FRESH": "FAIL", "DSOP-REVOKED": "FAIL", "DSOP-NO-ENDLESS-RETRY": "NOT RUN"},
    AssumesTwoMinuteTokens: {"DSOP-MASKINPORTEN-REFRESH": "FAIL"},
    MaskinportenEveryCall: {"DSOP-MASKINPORTEN-REUSE": "FAIL"},
    TrustsAnyCallback: {"DSOP-CALLBACK-STATE": "FAIL"},
    DeclinePageFails: {"DSOP-DECLINED": "FAIL"},
    PinsAltinnKey: {"DSOP-KEY-ROTATION": "FAIL"},
}

#: Altinn 3: variant → the requirements it must fail (the same rule as for Altinn 2).
EXPECTED_ALTINN3: dict[type, dict[str, str]] = {
    **_in_both("altinn3"),
    AsksForTwoConsents: {"DSOP-CONSENT-IN-TOKEN": "FAIL"},
    KeepsConsentBearingToken: {"DSOP-MASKINPORTEN-REFRESH": "FAIL"},
    ConsentTokenEveryCall: {"DSOP-MASKINPORTEN-REUSE": "FAIL"},
    TakesConsentIdFromCallback: {"DSOP-CALLBACK-STATE": "FAIL"},
    TakesFailedForConsent: {"DSOP-DECLINED": "FAIL"},
}

#: The scenario whose judgement a variant fails, where a generation judges the requirement in more
#: than one scenario (Altinn 2 judges DSOP-LOGUSE after the first fetch and after the second): each
#: judgement needs a variant that fails it alone.
JUDGED_IN: dict[type, dict[str, str]] = {
    LogsUseBeforeData: {"DSOP-LOGUSE": "fetch"},
    LogsFirstUseOnly: {"DSOP-LOGUSE": "reuse"},
}

EXPECTED: dict[str, dict[type, dict[str, str]]] = {"altinn3": EXPECTED_ALTINN3, "altinn2": EXPECTED_ALTINN2}

#: Variants judged on a sandbox serving HTTPS (``--tls``), in both generations; on plain HTTP there is
#: nothing to break.
TLS_EXPECTED: dict[type, dict[str, str]] = {
    SkipsCertificateCheck: {"DSOP-TLS-VERIFY": "FAIL"},
}
