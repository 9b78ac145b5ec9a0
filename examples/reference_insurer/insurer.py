"""The reference insurer's integration: what a careful insurer does, step by step, as small
methods a test can override one at a time to make a deliberately broken variant.

Process 1 (consent): :meth:`ReferenceInsurer.start_claim` asks Altinn for consent and sends the
citizen there; :meth:`~ReferenceInsurer.handle_callback` takes the citizen back, checks that the
answer belongs to a claim we started, records the consent and answers at once.
Process 2 (retrieval): in the background, with backoff while NAV fails
(:meth:`~ReferenceInsurer.start_background_retrieval`), and on demand through the fetch hook
(:meth:`~ReferenceInsurer.fetch`). Every retrieval takes a fresh consent token from Altinn, a
(cached) Maskinporten token per NAV scope, calls NAV's three operations and logs the use.

The hooks, and the rule each one keeps:

===============================  ===================================================================
``wall_clock()``                 the insurer's own correct clock (grant ``iat``/``exp``)
``maskinporten_grant(scope)``    a JWT grant Maskinporten accepts (x5c, aud = issuer, fresh jti)
``maskinporten_token(scope)``    reuse a token while it is valid; never send an expired one
``consent_request_body(claim)``  the consent request: this person, this insurer, 5252 ed. 2, period
``validate_callback(claim, p)``  only answers to consent requests we made reach Altinn
``after_consent(claim)``         the consent step completes at once; retrieval runs apart from it
``consent_token(code)``          a fresh consent token from Altinn for every retrieval
``person_header(pid)``           NAV gets the person who gave the consent
``nav_headers(...)``             Maskinporten token, consent token, person, call id
``call_nav(...)``                one NAV operation
``log_use(code)``                the use is logged with Altinn after the data arrived
``retry_policy()``               backoff while NAV fails, never faster, a bounded number of tries
``fetch_retry_policy()``         the fetch hook's (shorter) backoff
``should_retry(result)``         only failures worth retrying (NAV down) are retried
``should_retry_after_refusal``   a consent Altinn refuses is final: no retries, no new tokens
``current_consent(pid)``         fetch only under the person's latest answer, if it was yes and lives
===============================  ===================================================================
"""

from __future__ import annotations

import hmac
import logging
import secrets
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import jwt

from . import nav as N
from .altinn import AltinnClient, AltinnError, ConsentRefused
from .config import InsurerConfig, RetryPolicy
from .maskinporten import EnterpriseCertificate, MaskinportenClient, MaskinportenError
from .store import ACTIVE, CONSENTED, DEAD, DECLINED, PENDING, Store, iso
from .transport import Transport

log = logging.getLogger("reference_insurer")

OSLO = ZoneInfo("Europe/Oslo")
CONSENT_YEARS = 3
CONSENT_REQUEST_SCOPE = "altinn:consentrequests.write"
OK, CONSENT_REQUIRED, UNAVAILABLE = "ok", "consent_required", "unavailable"
#: A consent token is fetched again before a NAV call when less than min(5 s, a quarter of its
#: lifetime) remains (a 2-second token stays usable for a whole fetch, a 30-second one too).
CONSENT_TOKEN_MARGIN = 5.0
MIN_TIMEOUT = 0.5


class ClaimError(Exception):
    """A claim could not be started. ``status`` is what the citizen's page answers (400 or 502)."""

    def __init__(self, message: str, status: int = 502, details: list[str] | None = None):
        super().__init__(message)
        self.status, self.details = status, details or []


@dataclass
class FetchResult:
    status: str  # ok | consent_required | unavailable
    data: dict | None = None
    detail: str = ""
    retriable: bool = False  # unavailable because something failed that may work later
    claim_id: str | None = None
    attempts: int = 0

    def as_json(self) -> dict:
        body: dict = {"status": self.status}
        if self.status == OK:
            body["data"] = self.data
        if self.detail:
            body["detail"] = self.detail
        if self.claim_id:
            body["claim"] = self.claim_id
        if self.attempts:
            body["attempts"] = self.attempts
        return body


@dataclass
class CallbackOutcome:
    status: int  # the HTTP status of the citizen's page
    kind: str  # consented | declined | refused
    message: str
    claim: dict | None = None


@dataclass
class ConsentToken:
    token: str
    expires: float | None  # exp, by the insurer's clock; None when unreadable
    lifetime: float = 30.0

    def fresh(self, now: float) -> bool:
        if self.expires is None:
            return True
        return self.expires - now > min(CONSENT_TOKEN_MARGIN, self.lifetime / 4)


@dataclass
class _Retrievals:
    threads: set = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)


class ReferenceInsurer:
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
            grant=lambda scope: self.maskinporten_grant(scope),
        )
        self.altinn = AltinnClient(base_url=config.altinn_base_url, api_key=config.api_key, transport=self.transport)
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
    def maskinporten_grant(self, scope: str) -> str:
        return self.maskinporten.sign_grant(scope)

    def maskinporten_token(self, scope: str) -> str:
        """The cached access token while it is fresh, else a new one (:class:`MaskinportenError`)."""
        return self.maskinporten.token(scope)

    # == process 1: consent =============================================================================
    def new_claim_id(self) -> str:
        return secrets.token_urlsafe(16)

    def consent_period(self) -> tuple[date, date, datetime]:
        """(fraOgMed, tilOgMed, ValidTo): data from three years back, consent for three years less a day."""
        now = self.local_now().replace(microsecond=0)
        valid_to = _add_years(now, CONSENT_YEARS) - timedelta(days=1)
        return _add_years(now, -CONSENT_YEARS).date(), valid_to.date(), valid_to

    def consent_request_body(self, claim: dict) -> dict:
        fra, til, valid_to = self.consent_period()
        return {
            "CoveredBy": self.config.org,
            "OfferedBy": claim["pid"],
            "OfferedByName": claim["last_name"],
            "ValidTo": valid_to.strftime("%Y-%m-%dT%H:%M:%S"),
            "RedirectUrl": f"{self.config.callback_url}?claim={claim['id']}",
            "RequestResources": [
                {
                    "ServiceCode": self.config.service_code,
                    "ServiceEditionCode": self.config.service_edition,
                    "Metadata": {"fraOgMed": fra.strftime("%d.%m.%Y"), "tilOgMed": til.strftime("%d.%m.%Y")},
                }
            ],
        }

    def create_consent_request(self, claim: dict) -> dict:
        """Altinn's answer to our consent request (raises :class:`ClaimError`)."""
        try:
            token = self.maskinporten_token(CONSENT_REQUEST_SCOPE)
        except MaskinportenError as exc:
            raise ClaimError(f"Vi fikk ikke kontakt med Maskinporten: {exc}", 502) from exc
        try:
            return self.altinn.create_consent_request(self.consent_request_body(claim), token)
        except AltinnError as exc:
            details = [f"{e.get('ErrorCode')}: {e.get('ErrorMessage')}" for e in exc.errors if isinstance(e, dict)]
            # 40332: the person's number or name does not match Altinn's register: the citizen's input.
            status = 400 if exc.status == 400 and exc.codes and set(exc.codes) <= {"40332"} else 502
            raise ClaimError(
                "Altinn tok ikke imot samtykkeforespørselen."
                if status == 502
                else "Fødselsnummeret og etternavnet stemmer ikke med Folkeregisteret.",
                status,
                details or [str(exc)],
            ) from exc

    def start_claim(self, pid: str, first_name: str, last_name: str) -> dict:
        """Create the claim and its consent request; the stored claim (``gui_url``: where to send the
        citizen). Raises :class:`ClaimError`."""
        claim = {"id": self.new_claim_id(), "pid": pid, "first_name": first_name, "last_name": last_name}
        answer = self.create_consent_request(claim)
        gui = ((answer.get("_links") or {}).get("gui") or {}).get("href")
        if not gui:
            raise ClaimError("Altinn svarte uten lenke til samtykkesiden (_links.gui).", 502)
        return self.store.add(
            {
                **claim,
                "code": answer["AuthorizationCode"],
                "gui_url": gui,
                "state": PENDING,
                "created": self.wall_clock(),
                "retrieval": "idle",
            }
        )

    def validate_callback(self, claim: dict | None, params: dict) -> str | None:
        """Why the callback must be refused, or None. Nothing of a refused callback goes to Altinn."""
        if claim is None:
            return "Vi kjenner ikke denne saken (ukjent eller manglende claim)."
        if claim["state"] != PENDING:
            return "Svaret på denne samtykkeforespørselen er allerede mottatt."
        status = params.get("Status")
        if status == "OK":
            code = params.get("AuthorizationCode") or ""
        elif status == "Failed":
            code = params.get("FailedAuthorizationCode") or ""
        else:
            return "Svaret fra Altinn mangler Status=OK eller Status=Failed."
        if not hmac.compare_digest(code.encode(), str(claim["code"]).encode()):
            return "Autorisasjonskoden hører ikke til denne saken."
        return None

    def handle_callback(self, claim_id: str | None, params: dict) -> CallbackOutcome:
        claim = self.store.get(claim_id) if claim_id else None
        problem = self.validate_callback(claim, params)
        if problem:
            return CallbackOutcome(400, "refused", problem, claim)
        if claim is None:  # only a variant that trusts any callback gets here
            claim = self._adopt(params)
        now = self.wall_clock()
        if params.get("Status") == "OK":
            code = params.get("AuthorizationCode") or claim["code"]
            if not self.store.update(
                claim["id"], only_if={"state": PENDING}, state=CONSENTED, consent=ACTIVE, code=code, answered=now
            ):
                return CallbackOutcome(
                    400, "refused", "Svaret på denne samtykkeforespørselen er allerede mottatt.", claim
                )
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
            return CallbackOutcome(400, "refused", "Svaret på denne samtykkeforespørselen er allerede mottatt.", claim)
        return CallbackOutcome(
            200,
            "declined",
            "Du har ikke gitt samtykke, så vi henter ingen opplysninger fra NAV.",
            self.store.get(claim["id"]),
        )

    def after_consent(self, claim: dict) -> None:
        """Process 1 is done; process 2 runs on its own (it may take long when NAV is down)."""
        self.start_background_retrieval(claim)

    def _adopt(self, params: dict) -> dict:
        code = params.get("AuthorizationCode") or params.get("FailedAuthorizationCode") or ""
        return self.store.add(
            {
                "id": self.new_claim_id(),
                "pid": "",
                "code": code,
                "state": PENDING,
                "created": self.wall_clock(),
                "retrieval": "idle",
            }
        )

    # == process 2: retrieval ===========================================================================
    def current_consent(self, pid: str) -> dict | None:
        """The claim whose consent we may use for ``pid``: the person's latest answer, if it was yes
        and Altinn has not since refused it (withdrawn, expired)."""
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
        """One retrieval: consent token, NAV's three operations, the use log."""
        cid, code = claim["id"], claim["code"]
        self.store.count_up(cid, attempts=1)
        if self.store.get(cid)["consent"] == DEAD:  # refused meanwhile (by another retrieval): ask nobody
            return FetchResult(CONSENT_REQUIRED, detail="the consent can no longer be used", claim_id=cid)
        try:
            consent = self._new_consent_token(code, deadline)
        except ConsentRefused as exc:
            return self._consent_refused(claim, exc)
        except AltinnError as exc:
            return FetchResult(UNAVAILABLE, detail=str(exc), retriable=exc.retriable, claim_id=cid)
        data = {}
        for operation in self.operations:
            answer = None
            for retry in (False, True):
                try:
                    if not consent.fresh(self.wall_clock()):
                        consent = self._new_consent_token(code, deadline)
                    access = self.maskinporten_token(operation.scope)
                except ConsentRefused as exc:
                    return self._consent_refused(claim, exc)
                except (AltinnError, MaskinportenError) as exc:
                    return FetchResult(UNAVAILABLE, detail=str(exc), retriable=exc.retriable, claim_id=cid)
                self.store.count_up(cid, nav_calls=1)
                try:
                    answer = self.call_nav(operation, claim, access, consent.token, self._timeout(deadline))
                except N.NavUnavailable as exc:
                    return FetchResult(UNAVAILABLE, detail=f"NAV did not answer: {exc}", retriable=True, claim_id=cid)
                if answer.ok or retry:
                    break
                if answer.status == 401 and answer.kode == N.NO_MASKINPORTEN_ACCESS:
                    self.maskinporten.forget(operation.scope)  # expired or rotated: one new token
                elif answer.status == 403 and answer.kode == N.NO_CONSENT:
                    consent = ConsentToken("", 0.0)  # expired in flight: one new token
                else:
                    break
            if answer.ok:
                data[operation.key] = answer.body
                continue
            if answer.status == 403 and answer.kode == N.NO_CONSENT:
                return FetchResult(CONSENT_REQUIRED, detail=f"{operation.name}: {answer.describe()}", claim_id=cid)
            return FetchResult(
                UNAVAILABLE, detail=f"{operation.name}: {answer.describe()}", retriable=answer.down, claim_id=cid
            )
        self._log_use_once(claim)
        self.store.update(cid, data=data, data_at=self.wall_clock(), last_error=None)
        return FetchResult(OK, data=data, claim_id=cid)

    def consent_token(self, code: str) -> str:
        """A new consent token from Altinn (never one kept from before)."""
        return self.altinn.consent_token(code)

    def person_header(self, pid: str) -> dict:
        return {"fnr": pid}

    def nav_headers(self, claim: dict, access_token: str, consent_token: str) -> dict:
        return {
            "Authorization": f"Bearer {access_token}",
            "NAV-Samtykke-Token": consent_token,
            "Nav-Call-Id": str(uuid.uuid4()),
            "Accept": "application/json",
            **self.person_header(claim["pid"]),
        }

    def call_nav(
        self,
        operation: N.NavOperation,
        claim: dict,
        access_token: str,
        consent_token: str,
        timeout: float | None = None,
    ) -> N.NavAnswer:
        return self.nav.call(operation, self.nav_headers(claim, access_token, consent_token), timeout=timeout)

    def log_use(self, code: str) -> None:
        self.altinn.log_use(
            code, self.config.service_code, self.config.service_edition, self.local_now().strftime("%Y-%m-%dT%H:%M:%S")
        )

    # -- helpers -----------------------------------------------------------------------------------------
    def _new_consent_token(self, code: str, deadline: float | None) -> ConsentToken:
        token = self.consent_token(code)
        try:
            claims = jwt.decode(token, options={"verify_signature": False})
            expires = float(claims["exp"])
            lifetime = expires - float(claims.get("nbf", claims.get("iat", expires - 30)))
        except (jwt.PyJWTError, KeyError, TypeError, ValueError):
            expires, lifetime = None, 30.0
        return ConsentToken(token, expires, max(lifetime, 0.0))

    def _consent_refused(self, claim: dict, exc: AltinnError) -> FetchResult:
        """Altinn will not issue a consent token: withdrawn, expired (or never given). Final."""
        result = FetchResult(CONSENT_REQUIRED, detail=str(exc), claim_id=claim["id"])
        if not self.should_retry_after_refusal(result):
            self.store.update(claim["id"], consent=DEAD, consent_problem=_cause(str(exc)))
        return result

    def _log_use_once(self, claim: dict) -> None:
        """One use-log entry for this retrieval; a second try if Altinn fails, never a failed fetch."""
        for attempt in range(2):
            try:
                self.log_use(claim["code"])
                self.store.count_up(claim["id"], uses_logged=1)
                return
            except AltinnError as exc:
                if not exc.retriable or attempt or self._stopping.wait(0.5):
                    self.store.update(claim["id"], last_error=f"loguse: {exc}")
                    return

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
            "consent": consent,
            "claim": current["id"] if current else None,
            "data_arrived": bool(current and current.get("data_at")),
            "retrieval": current["retrieval"] if current else None,
            "claims": [public_claim(c) for c in claims],
        }

    # == lifecycle ======================================================================================
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
    """A claim as the status endpoint and the pages show it (times as ISO 8601, no data)."""
    return {
        "id": claim["id"],
        "pid": claim["pid"],
        "state": claim["state"],
        "consent": claim.get("consent"),
        "consent_problem": claim.get("consent_problem"),
        "authorization_code": claim["code"],
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


def _add_years(value, years: int):
    try:
        return value.replace(year=value.year + years)
    except ValueError:  # 29 February
        return value.replace(year=value.year + years, day=28)


def _cause(message: str) -> str:
    """Altinn's reason in brackets at the end of its refusal sentence, or the whole message."""
    if "(" in message and message.rstrip().endswith(")"):
        inner = message.rstrip()[:-1].rsplit("(", 1)[1]
        return inner[:200]
    return message[:200]
