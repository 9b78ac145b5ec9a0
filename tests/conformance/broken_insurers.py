"""Deliberately broken variants of the reference insurer, each breaking one rule the way real
integrations do, as small subclasses. The suite's self-test expects each to fail exactly the
requirements it breaks."""

from __future__ import annotations

import threading

from dsop_sandbox.examples.reference_insurer import nav as N
from dsop_sandbox.examples.reference_insurer.config import RetryPolicy
from dsop_sandbox.examples.reference_insurer.insurer import CallbackOutcome, ReferenceInsurer
from dsop_sandbox.examples.reference_insurer.transport import Transport


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


#: variant → the requirements it must fail (every other judged requirement must pass, or be NOT
#: RUN where the broken step makes a later one impossible to judge, as listed).
EXPECTED: dict[type, dict[str, str]] = {
    NoLogUse: {"DSOP-LOGUSE": "FAIL"},
    KeepsConsentToken: {"DSOP-TOKEN-FRESH": "FAIL", "DSOP-REVOKED": "FAIL"},
    AssumesTwoMinuteTokens: {"DSOP-MASKINPORTEN-REFRESH": "FAIL"},
    MaskinportenEveryCall: {"DSOP-MASKINPORTEN-REUSE": "FAIL"},
    WrongPerson: {"DSOP-PERSON": "FAIL"},
    TrustsAnyCallback: {"DSOP-CALLBACK-STATE": "FAIL"},
    RetriesRefusedConsent: {"DSOP-NO-ENDLESS-RETRY": "FAIL"},
    HammersNav: {"DSOP-NO-HAMMERING": "FAIL"},
    ConsentWaitsForNav: {"DSOP-ASYNC": "FAIL"},
}

#: Variants judged on a sandbox serving HTTPS (``--tls``); on plain HTTP there is nothing to break.
TLS_EXPECTED: dict[type, dict[str, str]] = {
    SkipsCertificateCheck: {"DSOP-TLS-VERIFY": "FAIL"},
}
