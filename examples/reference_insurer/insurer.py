"""The reference insurer's integration: what a careful insurer does, step by step, as small
methods a test can override one at a time to make a deliberately broken variant.

It speaks either consent generation, as ``[insurer] consent`` says: Altinn 3 (the default for new
profiles; :mod:`.consent_altinn3`) or Altinn 2 (:mod:`.consent_altinn2`). Each claim remembers the
generation it was started in.

Process 1 (consent): :meth:`ReferenceInsurer.start_claim` asks Altinn for consent and sends the
citizen there; :meth:`~ReferenceInsurer.handle_callback` takes the citizen back, checks that the
answer belongs to a claim we started (Altinn 3: and that Altinn holds the request as accepted),
records the consent and answers at once.
Process 2 (retrieval): in the background, with backoff while NAV fails
(:meth:`~ReferenceInsurer.start_background_retrieval`), and on demand through the fetch hook
(:meth:`~ReferenceInsurer.fetch`). Altinn 3: a Maskinporten token per NAV scope carrying the one
consent, reused while valid, and NAV's three operations with that token alone. Altinn 2: a fresh
consent token from Altinn every retrieval, a (cached) Maskinporten token per NAV scope, NAV's
three operations, and the use logged.

The hooks, and the rule each one keeps (a broken variant overrides one):

====================================  ==============================================================
both generations
``wall_clock()``                      the insurer's own correct clock (grant ``iat``/``exp``)
``maskinporten_grant(scope, ad)``     a JWT grant Maskinporten accepts (x5c, aud = issuer, fresh jti;
                                      ``authorization_details`` when given)
``maskinporten_token(scope)``         reuse a token while it is valid; never send an expired one
``consent_period()``                  data from three years back, consent for three years less a day
``person_header(pid)``                NAV gets the person who gave the consent
``after_consent(claim)``              the consent step completes at once; retrieval runs apart
``retry_policy()``                    backoff while NAV fails, never faster, a bounded number of tries
``fetch_retry_policy()``              the fetch hook's (shorter) backoff
``should_retry(result)``              only failures worth retrying (NAV, Maskinporten down) are retried
``should_retry_after_refusal``        a consent Altinn refuses is final: no retries, no new tokens
``current_consent(pid)``              fetch only under the person's latest answer, if yes and alive
Altinn 3
``consent_request_body_altinn3(c)``   this person (``from``), this insurer (``to``), NAV's resource,
                                      ``validTo`` within three years, our own ``id``, our callback
``validate_callback_altinn3(c, p)``   only a claim we started and that is pending; OK only if …
``confirm_accepted_altinn3(c)``       … Altinn, asked with the id we stored, says ``Accepted``
``authorization_details(c)``          exactly one consent: the claim's id, the claim's person
``consent_maskinporten_token(c, s)``  per (scope, consent), reused while valid, renewed once expired
``nav_headers_altinn3(c, token)``     the consent-bearing token alone, the person, a call id
Altinn 2
``consent_request_body(claim)``       the consent request: this person, this insurer, 5252 ed. 2
``validate_callback(claim, p)``       only answers to consent requests we made reach Altinn
``consent_token(code)``               a fresh consent token from Altinn for every retrieval
``nav_headers(...)``                  Maskinporten token, consent token, person, call id
``call_nav(...)``                     one NAV operation
``log_use(code)``                     the use is logged with Altinn after the data arrived
====================================  ==============================================================

Broken Altinn 3 variants, one override each: another person's ``fnr`` with the consent
(``person_header``); a consent-bearing token kept past its expiry (``consent_maskinporten_token``);
any callback trusted (``validate_callback_altinn3``, or ``confirm_accepted_altinn3`` for one that
skips only Altinn's word); fetching after a decline (``current_consent``); a revoked consent retried
for ever (``should_retry_after_refusal``); ``validTo`` beyond three years (``consent_period`` or
``consent_request_body_altinn3``); two consents in one token request (``authorization_details``);
consent asked for itself as another org (``consent_request_body_altinn3``).
"""

from __future__ import annotations

import logging
import secrets
import threading
import time
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from . import nav as N
from .altinn import AltinnClient
from .altinn3 import Altinn3Client
from .config import ALTINN2, ALTINN3, AT_FIRST_FETCH, InsurerConfig, RetryPolicy
from .consent_altinn2 import Altinn2Consent, ConsentToken
from .consent_altinn3 import Altinn3Consent
from .maskinporten import EnterpriseCertificate, MaskinportenClient
from .outcomes import (
    ALREADY_ANSWERED,
    CONSENT_REQUEST_SCOPE,
    CONSENT_REQUIRED,
    CONSENT_YEARS,
    OK,
    OSLO,
    UNAVAILABLE,
    CallbackOutcome,
    ClaimError,
    FetchResult,
)
from .outcomes import add_years as _add_years
from .store import ACTIVE, CONSENTED, DEAD, DECLINED, PENDING, Store, iso
from .transport import Transport

__all__ = [
    "CONSENT_REQUEST_SCOPE",
    "CONSENT_REQUIRED",
    "OK",
    "UNAVAILABLE",
    "CallbackOutcome",
    "ClaimError",
    "ConsentToken",
    "FetchResult",
    "ReferenceInsurer",
    "public_claim",
]

log = logging.getLogger("reference_insurer")

MIN_TIMEOUT = 0.5


@dataclass
class _Retrievals:
    threads: set = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)


class ReferenceInsurer(Altinn3Consent, Altinn2Consent):
    def __init__(self, config: InsurerConfig, *, store: Store | None = None):
        self.config = config
        self.transport = Transport(verify=config.verify, timeout=config.timeout, trust_env=config.trust_env)
        self.certificate = EnterpriseCertificate(config.key_path, config.chain_path)
        self.maskinporten = MaskinportenClient(
            issuer=config.maskinporten_issuer,
            token_endpoint=config.token_endpoint,
            client_id=config.client_id,
            certificate=self.certificate,
            transport=self.transport,
            wall_clock=lambda: self.wall_clock(),
            grant=lambda scope, details=None: self.maskinporten_grant(scope, details),
        )
        self.altinn = AltinnClient(base_url=config.altinn_base_url, api_key=config.api_key, transport=self.transport)
        self.altinn3 = Altinn3Client(
            consent_requests_url=config.consent_requests_url or config.altinn_base_url, transport=self.transport
        )
        self.nav = N.NavClient(base_url=config.nav_base_url, transport=self.transport)
        self.operations = N.operations(config.ufore_path, config.aap_vedtak_path, config.aap_meldekort_path)
        self.store = store or Store(config.state_file)
        self._stopping = threading.Event()
        self._retrievals = _Retrievals()

    # == clocks =========================================================================================
    def wall_clock(self) -> float:
        """The insurer's own (correct) clock: real time. The sandbox never makes it wrong."""
        return time.time()

    def local_now(self) -> datetime:
        return datetime.fromtimestamp(self.wall_clock(), OSLO)

    # == Maskinporten ===================================================================================
    def maskinporten_grant(self, scope: str, authorization_details: list | None = None) -> str:
        return self.maskinporten.sign_grant(scope, authorization_details)

    def maskinporten_token(self, scope: str) -> str:
        """The cached access token (no consent in it) while it is fresh, else a new one
        (:class:`MaskinportenError`)."""
        return self.maskinporten.token(scope)

    # == process 1: consent =============================================================================
    @property
    def generation(self) -> str:
        """The consent generation new claims are started in: ``altinn3`` or ``altinn2``."""
        return self.config.consent

    def new_claim_id(self) -> str:
        return secrets.token_urlsafe(16)

    def consent_period(self) -> tuple[date, date, datetime]:
        """(fra og med, til og med, validTo): data from three years back, consent for three years less
        a day (validTo in Oslo time)."""
        now = self.local_now().replace(microsecond=0)
        valid_to = _add_years(now, CONSENT_YEARS) - timedelta(days=1)
        return _add_years(now, -CONSENT_YEARS).date(), valid_to.date(), valid_to

    def start_claim(self, pid: str, first_name: str, last_name: str) -> dict:
        """Create the claim and its consent request; the stored claim (``gui_url``: where to send the
        citizen). Raises :class:`ClaimError`."""
        claim = {
            "id": self.new_claim_id(),
            "pid": pid,
            "first_name": first_name,
            "last_name": last_name,
            "generation": self.generation,
        }
        start = self.start_claim_altinn3 if self.generation == ALTINN3 else self.start_claim_altinn2
        claim = start(claim)
        return self.store.add({**claim, "state": PENDING, "created": self.wall_clock(), "retrieval": "idle"})

    def handle_callback(self, claim_id: str | None, params: dict) -> CallbackOutcome:
        claim = self.store.get(claim_id) if claim_id else None
        generation = _generation(claim) if claim else self.generation
        validate = self.validate_callback_altinn3 if generation == ALTINN3 else self.validate_callback
        problem = validate(claim, params)
        if problem:
            return CallbackOutcome(400, "refused", problem, claim)
        if claim is None:  # only a variant that trusts any callback gets here
            claim = self._adopt(params, generation)
        now = self.wall_clock()
        if params.get("Status") == "OK":
            changes = {"state": CONSENTED, "consent": ACTIVE, "answered": now}
            if generation == ALTINN2:
                changes["code"] = params.get("AuthorizationCode") or claim["code"]
            if not self.store.update(claim["id"], only_if={"state": PENDING}, **changes):
                return CallbackOutcome(400, "refused", ALREADY_ANSWERED, claim)
            claim = self.store.get(claim["id"])
            self.after_consent(claim)
            return CallbackOutcome(
                200,
                "consented",
                "Vi henter opplysningene fra NAV nå. Du trenger ikke gjøre noe "
                "mer; saken din finner du på lenken under.",
                claim,
            )
        if not self.store.update(
            claim["id"],
            only_if={"state": PENDING},
            state=DECLINED,
            answered=now,
            decline_message=(params.get("ErrorMessage") or "")[:500],
        ):
            return CallbackOutcome(400, "refused", ALREADY_ANSWERED, claim)
        return CallbackOutcome(
            200,
            "declined",
            "Du har ikke gitt samtykke, så vi henter ingen opplysninger fra NAV.",
            self.store.get(claim["id"]),
        )

    def after_consent(self, claim: dict) -> None:
        """Process 1 is done; process 2 runs on its own (it may take long when NAV is down), at once, or
        (``exchange = "first_fetch"``) only when the data is first asked for."""
        if self.config.exchange == AT_FIRST_FETCH:
            return
        self.start_background_retrieval(claim)

    def _adopt(self, params: dict, generation: str) -> dict:
        code = params.get("AuthorizationCode") or params.get("FailedAuthorizationCode")
        return self.store.add(
            {
                "id": self.new_claim_id(),
                "pid": "",
                "generation": generation,
                "code": code if generation == ALTINN2 else None,
                "state": PENDING,
                "created": self.wall_clock(),
                "retrieval": "idle",
            }
        )

    # == process 2: retrieval ===========================================================================
    def current_consent(self, pid: str) -> dict | None:
        """The claim whose consent we may use for ``pid``: the person's latest answer, if it was yes
        and Altinn has not since refused it (withdrawn, revoked, expired)."""
        claim = self.store.latest_answered(pid)
        if claim is None or claim["state"] != CONSENTED or claim["consent"] == DEAD:
            return None
        return claim

    def fetch(self, pid: str) -> FetchResult:
        """The fetch hook: one retrieval for ``pid`` now, with the fetch hook's short retries."""
        claim = self.current_consent(pid)
        if claim is None:
            latest = self.store.latest_answered(pid)
            why = (
                "no consent for this person"
                if latest is None
                else "the citizen declined"
                if latest["state"] == DECLINED
                else f"the consent can no longer be used ({latest.get('consent_problem') or 'refused'})"
            )
            return FetchResult(CONSENT_REQUIRED, detail=why, claim_id=latest["id"] if latest else None)
        self.store.count_up(claim["id"], fetches=1)
        return self.retrieve(claim, self.fetch_retry_policy())

    def start_background_retrieval(self, claim: dict) -> threading.Thread:
        thread = threading.Thread(
            target=self._background, args=(claim,), daemon=True, name=f"retrieve-{claim['id'][:8]}"
        )
        with self._retrievals.lock:
            self._retrievals.threads.add(thread)
        thread.start()
        return thread

    def _background(self, claim: dict) -> None:
        try:
            self.store.update(claim["id"], retrieval="running")
            self.retrieve(claim, self.retry_policy())
        except Exception:
            log.exception("background retrieval for claim %s failed", claim["id"])
            self.store.update(claim["id"], retrieval="failed", last_error="internal error (see the log)")
        finally:
            with self._retrievals.lock:
                self._retrievals.threads.discard(threading.current_thread())

    def retry_policy(self) -> RetryPolicy:
        return self.config.retry

    def fetch_retry_policy(self) -> RetryPolicy:
        return self.config.fetch_retry

    def should_retry(self, result: FetchResult) -> bool:
        return result.retriable

    def should_retry_after_refusal(self, result: FetchResult) -> bool:
        """Altinn or NAV refused the consent: final. A withdrawn consent is not asked for again."""
        return False

    def retrieve(self, claim: dict, policy: RetryPolicy) -> FetchResult:
        """:meth:`fetch_once` until it gives data, a final answer, or the policy's tries run out."""
        began = time.monotonic()
        deadline = began + policy.deadline if policy.deadline else None
        attempt = 0
        while True:
            attempt += 1
            result = self.fetch_once(claim, deadline)
            result.attempts = attempt
            self._record(claim, result)
            if result.status == OK or self._stopping.is_set():
                return result
            if result.status == CONSENT_REQUIRED:
                if not self.should_retry_after_refusal(result):
                    return result
            elif not self.should_retry(result):
                return result
            if attempt >= policy.max_attempts:
                return result
            delay = policy.delay(attempt)
            if deadline is not None and time.monotonic() + delay >= deadline:
                return result
            if self._stopping.wait(delay):
                return result

    def fetch_once(self, claim: dict, deadline: float | None = None) -> FetchResult:
        """One retrieval, in the generation the claim's consent was given in."""
        if _generation(claim) == ALTINN3:
            return self.fetch_once_altinn3(claim, deadline)
        return self.fetch_once_altinn2(claim, deadline)

    def person_header(self, pid: str) -> dict:
        return {"fnr": pid}

    # -- helpers -----------------------------------------------------------------------------------------
    def _nav_refused(self, claim: dict, operation: N.NavOperation, answer: N.NavAnswer) -> FetchResult:
        """NAV did not give the data: no consent (after one new token), or down (retriable) or other."""
        detail = f"{operation.name}: {answer.describe()}"
        if answer.status == 403 and answer.kode == N.NO_CONSENT:
            return FetchResult(CONSENT_REQUIRED, detail=detail, claim_id=claim["id"])
        return FetchResult(UNAVAILABLE, detail=detail, retriable=answer.down, claim_id=claim["id"])

    def _record(self, claim: dict, result: FetchResult) -> None:
        changes = {"retrieval": result.status}
        if result.status != OK:
            changes["last_error"] = result.detail[:500]
        self.store.update(claim["id"], **changes)

    def _timeout(self, deadline: float | None) -> float:
        if deadline is None:
            return self.config.timeout
        return max(MIN_TIMEOUT, min(self.config.timeout, deadline - time.monotonic()))

    # == what the status page shows =====================================================================
    def status(self, pid: str) -> dict:
        claims = self.store.for_pid(pid)
        current = self.current_consent(pid)
        latest = self.store.latest_answered(pid)
        consent = (
            "active" if current else "none" if latest is None else "declined" if latest["state"] == DECLINED else "dead"
        )
        return {
            "pid": pid,
            "generation": self.generation,
            "consent": consent,
            "claim": current["id"] if current else None,
            "data_arrived": bool(current and current.get("data_at")),
            "retrieval": current["retrieval"] if current else None,
            "claims": [public_claim(c) for c in claims],
        }

    # == lifecycle ======================================================================================
    def reset(self) -> int:
        """Forget every claim and every cached Maskinporten token; how many claims there were. A
        retrieval still running updates a claim that is gone, which changes nothing."""
        self.maskinporten.forget_all()
        return self.store.clear()

    def background_threads(self) -> list[threading.Thread]:
        with self._retrievals.lock:
            return list(self._retrievals.threads)

    def close(self, timeout: float = 5.0) -> None:
        self._stopping.set()
        for thread in self.background_threads():
            thread.join(timeout)
        self.transport.close()
        self.store.close()


def public_claim(claim: dict) -> dict:
    """A claim as the status endpoint and the pages show it (times as ISO 8601, no data): the
    generation, and the consent's id (Altinn 3) or authorization code (Altinn 2)."""
    generation = _generation(claim)
    return {
        "id": claim["id"],
        "pid": claim["pid"],
        "generation": generation,
        "state": claim["state"],
        "consent": claim.get("consent"),
        "consent_problem": claim.get("consent_problem"),
        "consent_id": claim.get("consent_id"),
        "authorization_code": claim.get("code"),
        "created": iso(claim["created"]),
        "answered": iso(claim.get("answered")),
        "retrieval": claim.get("retrieval"),
        "attempts": claim.get("attempts", 0),
        "nav_calls": claim.get("nav_calls", 0),
        "fetches": claim.get("fetches", 0),
        "uses_logged": claim.get("uses_logged", 0),
        "data_arrived": claim.get("data_at") is not None,
        "data_at": iso(claim.get("data_at")),
        "last_error": claim.get("last_error"),
    }


def _generation(claim: dict) -> str:
    """The generation a claim was started in (a claim stored before there were two: Altinn 2)."""
    return claim.get("generation") or ALTINN2
