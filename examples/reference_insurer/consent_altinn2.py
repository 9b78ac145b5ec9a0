"""Altinn 2 consent (the process description's flow), as the reference insurer's hooks: the
consent request (``POST /api/consentRequests``), the callback with its AuthorizationCode, a fresh
consent token from Altinn for every retrieval, NAV with ``NAV-Samtykke-Token``, the use log.

:class:`Altinn2Consent` is a mixin of :class:`~.insurer.ReferenceInsurer`; it uses the insurer's
shared parts (``store``, ``maskinporten_token``, ``person_header``, ``should_retry_after_refusal``).
"""

from __future__ import annotations

import hmac
import uuid
from dataclasses import dataclass
from urllib.parse import urlencode

import jwt

from . import nav as N
from .altinn import AltinnError, ConsentRefused
from .config import LINK
from .maskinporten import MaskinportenError
from .outcomes import (
    ALREADY_ANSWERED,
    CONSENT_REQUEST_SCOPE,
    CONSENT_REQUIRED,
    NO_STATUS,
    OK,
    UNAVAILABLE,
    UNKNOWN_CLAIM,
    ClaimError,
    FetchResult,
    cause,
)
from .store import DEAD, PENDING

#: A consent token is fetched again before a NAV call when less than min(5 s, a quarter of its
#: lifetime) remains (a 2-second token stays usable for a whole fetch, a 30-second one too).
CONSENT_TOKEN_MARGIN = 5.0


@dataclass
class ConsentToken:
    token: str
    expires: float | None  # exp, by the insurer's clock; None when unreadable
    lifetime: float = 30.0

    def fresh(self, now: float) -> bool:
        if self.expires is None:
            return True
        return self.expires - now > min(CONSENT_TOKEN_MARGIN, self.lifetime / 4)


class Altinn2Consent:
    """Process 1 and one retrieval of process 2, in Altinn 2."""

    # == process 1 ======================================================================================
    def consent_request_body(self, claim: dict) -> dict:
        fra, til, valid_to = self.consent_period()
        return {
            "CoveredBy": self.config.org,
            "OfferedBy": claim["pid"],
            "OfferedByName": claim["last_name"],
            "ValidTo": valid_to.strftime("%Y-%m-%dT%H:%M:%S"),
            "RedirectUrl": self.config.claim_callback(claim["id"]),
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

    def consent_link(self, claim: dict) -> str:
        """The parameterised link (Altinn, «Be om samtykke»): this person, this insurer, 5252 ed. 2 with
        its period, our callback with the claim's id. Altinn makes the request once the citizen logged in."""
        fra, til, valid_to = self.consent_period()
        resource = f"{self.config.service_code}_{self.config.service_edition}"
        query = {
            "Resources": resource,
            "CoveredBy": self.config.org,
            "OfferedBy": claim["pid"],
            "RedirectUrl": self.config.claim_callback(claim["id"]),
            "ValidToDate": valid_to.strftime("%Y-%m-%d %H:%M:%S"),
            "DelegationContext": f"Samtykke til at {self.config.name} henter opplysninger fra NAV",
            "ResponseType": "code",
            f"{resource}_fraOgMed": fra.strftime("%d.%m.%Y"),
            f"{resource}_tilOgMed": til.strftime("%d.%m.%Y"),
        }
        return f"{self.config.altinn_base_url}/ui/AccessConsent/?{urlencode(query)}"

    def start_claim_altinn2(self, claim: dict) -> dict:
        if self.config.altinn2_flow == LINK:  # the code comes with the callback
            return {**claim, "gui_url": self.consent_link(claim)}
        answer = self.create_consent_request(claim)
        gui = ((answer.get("_links") or {}).get("gui") or {}).get("href")
        if not gui:
            raise ClaimError("Altinn svarte uten lenke til samtykkesiden (_links.gui).", 502)
        return {**claim, "code": answer["AuthorizationCode"], "gui_url": gui}

    def validate_callback(self, claim: dict | None, params: dict) -> str | None:
        """Why the callback must be refused, or None. Nothing of a refused callback goes to Altinn."""
        if claim is None:
            return UNKNOWN_CLAIM
        if claim["state"] != PENDING:
            return ALREADY_ANSWERED
        status = params.get("Status")
        if status == "OK":
            code = params.get("AuthorizationCode") or ""
        elif status == "Failed":
            code = params.get("FailedAuthorizationCode") or ""
        else:
            return NO_STATUS
        if claim.get("code") is None:  # asked for with the link: Altinn made the request, and says whose it is
            return self.confirm_linked_request(claim, code) if status == "OK" else None
        if not hmac.compare_digest(code.encode(), str(claim.get("code") or "").encode()):
            return "Autorisasjonskoden hører ikke til denne saken."
        return None

    def confirm_linked_request(self, claim: dict, code: str) -> str | None:
        """Why the code of a link-made request must be refused, or None: Altinn, asked with our own
        token, holds it as accepted, ours, for this claim's person, with this claim's callback."""
        if not code:
            return "Svaret fra Altinn mangler AuthorizationCode."
        try:
            held = self.altinn.consent_request(code, self.maskinporten_token(CONSENT_REQUEST_SCOPE))
        except (AltinnError, MaskinportenError) as exc:
            return f"Altinn bekreftet ikke samtykket: {exc}"
        if (
            held.get("CoveredBy") != self.config.org
            or held.get("OfferedBy") != claim["pid"]
            or held.get("RedirectUrl") != self.config.claim_callback(claim["id"])
            or held.get("RequestStatus") != "Accepted"
        ):
            return "Autorisasjonskoden hører ikke til denne saken."
        return None

    # == process 2: one retrieval =======================================================================
    def fetch_once_altinn2(self, claim: dict, deadline: float | None = None) -> FetchResult:
        """One retrieval: consent token, NAV's three operations, the use log."""
        cid, code = claim["id"], claim["code"]
        self.store.count_up(cid, attempts=1)
        if self.store.get(cid)["consent"] == DEAD:  # refused meanwhile (by another retrieval): ask nobody
            return FetchResult(CONSENT_REQUIRED, detail="the consent can no longer be used", claim_id=cid)
        try:
            consent = self._new_consent_token(code)
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
                        consent = self._new_consent_token(code)
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
            return self._nav_refused(claim, operation, answer)
        self._log_use_once(claim)
        self.store.update(cid, data=data, data_at=self.wall_clock(), last_error=None)
        return FetchResult(OK, data=data, claim_id=cid)

    def consent_token(self, code: str) -> str:
        """A new consent token from Altinn (never one kept from before)."""
        return self.altinn.consent_token(code)

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
    def _new_consent_token(self, code: str) -> ConsentToken:
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
            self.store.update(claim["id"], consent=DEAD, consent_problem=cause(str(exc)))
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
