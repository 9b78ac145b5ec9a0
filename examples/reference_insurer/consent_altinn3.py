"""Altinn 3 consent, as the reference insurer's hooks: a consent request whose ``id`` we make and
keep with the claim, a callback tied to the claim by our own ``claim`` parameter and confirmed at
Altinn, and for every NAV scope a Maskinporten token carrying exactly that one consent in
``authorization_details``. NAV gets that token alone: no consent token, no use log (Altinn 3 has
neither).

Public references: Altinn's "Samtykke – for tjenesteeiere/konsumenter" (docs.altinn.studio,
authorization, consent) and Digdir's Maskinporten documentation on ``authorization_details``.

:class:`Altinn3Consent` is a mixin of :class:`~.insurer.ReferenceInsurer`; it uses the insurer's
shared parts (``store``, ``maskinporten``, ``person_header``, ``should_retry_after_refusal``).
"""

from __future__ import annotations

import re
import uuid

from . import nav as N
from .altinn3 import ACCEPTED, Altinn3Error
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
)
from .store import DEAD, PENDING

CONSENT_TYPE = "urn:altinn:consent"
RESOURCE_TYPE = "urn:altinn:resource"
PERSON_URN = "urn:altinn:person:identifier-no:"
ORGANIZATION_URN = "urn:altinn:organization:identifier-no:"
#: Altinn's problem codes, as Maskinporten names them when it refuses the consent in a grant.
ALTINN_CODE = re.compile(r"\bAM(?:\.VLD)?-\d{5}\b")
#: The consent request's problems that are the citizen's input (an unknown person), not ours.
CITIZEN_INPUT = {"AM-00004"}


def person_urn(pid: str) -> str:
    return PERSON_URN + pid


def organization_urn(org: str) -> str:
    return ORGANIZATION_URN + org


class Altinn3Consent:
    """Process 1 and one retrieval of process 2, in Altinn 3."""

    # == process 1 ======================================================================================
    def new_consent_id(self) -> str:
        return str(uuid.uuid4())

    def consent_request_body_altinn3(self, claim: dict) -> dict:
        """This person, this insurer, NAV's resource for the period, back to our callback with the claim."""
        fra, til, valid_to = self.consent_period()
        return {
            "id": claim["consent_id"],
            "from": person_urn(claim["pid"]),
            "to": organization_urn(self.config.org),
            "validTo": valid_to.isoformat(),
            "consentRights": [
                {
                    "action": ["consent"],
                    "resource": [{"type": RESOURCE_TYPE, "value": self.config.resource}],
                    "metadata": {"fraogmed": fra.strftime("%d.%m.%Y"), "tilogmed": til.strftime("%d.%m.%Y")},
                }
            ],
            "redirectUrl": self.config.claim_callback(claim["id"]),
        }

    def start_claim_altinn3(self, claim: dict) -> dict:
        """Our id for the request, the request at Altinn; the claim with ``gui_url`` = ``viewUri``."""
        claim = {**claim, "consent_id": self.new_consent_id()}
        token = self._consent_request_token()
        try:
            answer = self.altinn3.create_consent_request(self.consent_request_body_altinn3(claim), token)
        except Altinn3Error as exc:
            citizen = exc.status == 400 and exc.codes and set(exc.codes) <= CITIZEN_INPUT
            raise ClaimError(
                "Altinn kjenner ikke dette fødselsnummeret."
                if citizen
                else "Altinn tok ikke imot samtykkeforespørselen.",
                400 if citizen else 502,
                [str(exc)],
            ) from exc
        return {**claim, "gui_url": answer["viewUri"]}

    def validate_callback_altinn3(self, claim: dict | None, params: dict) -> str | None:
        """Why the callback must be refused, or None: only a claim we started and that waits for its
        answer; ``Status=OK`` only once Altinn confirms the request (by the id we keep) is accepted."""
        if claim is None:
            return UNKNOWN_CLAIM
        if claim["state"] != PENDING:
            return ALREADY_ANSWERED
        if not claim.get("consent_id"):
            return "Saken har ingen samtykkeforespørsel i Altinn 3."
        status = params.get("Status")
        if status == "Failed":
            return None
        if status != "OK":
            return NO_STATUS
        return self.confirm_accepted_altinn3(claim)

    def confirm_accepted_altinn3(self, claim: dict) -> str | None:
        """``GET …/consentrequests/{id}`` with the id stored with the claim (never one from the URL):
        None when Altinn holds it as accepted by this person, else why not."""
        try:
            request = self.altinn3.consent_request(claim["consent_id"], self._consent_request_token())
        except (Altinn3Error, ClaimError) as exc:
            return f"Vi fikk ikke bekreftet samtykket hos Altinn ({exc}); last siden på nytt om litt."
        if request.get("from") != person_urn(claim["pid"]):
            return "Samtykket i Altinn gjelder ikke personen i denne saken."
        if request.get("status") != ACCEPTED:
            return f"Altinn har ikke registrert samtykket (status {request.get('status')})."
        return None

    # == process 2: one retrieval =======================================================================
    def authorization_details(self, claim: dict) -> list[dict]:
        """Exactly one consent: the one stored with the claim, from the claim's person."""
        return [{"type": CONSENT_TYPE, "id": claim["consent_id"], "from": person_urn(claim["pid"])}]

    def consent_maskinporten_token(self, claim: dict, scope: str) -> str:
        """A token for ``scope`` carrying the claim's consent: cached per (scope, consent) while it is
        fresh, a new one once it is not (:class:`MaskinportenError`)."""
        return self.maskinporten.token(scope, self.authorization_details(claim))

    def forget_consent_token(self, claim: dict, scope: str) -> None:
        self.maskinporten.forget(scope, self.authorization_details(claim))

    def nav_headers_altinn3(self, claim: dict, access_token: str) -> dict:
        """The consent-bearing token alone (no ``NAV-Samtykke-Token``), the person, a call id."""
        return {
            "Authorization": f"Bearer {access_token}",
            "Nav-Call-Id": str(uuid.uuid4()),
            "Accept": "application/json",
            **self.person_header(claim["pid"]),
        }

    def fetch_once_altinn3(self, claim: dict, deadline: float | None = None) -> FetchResult:
        """One retrieval: NAV's three operations, each with the consent-bearing token of its scope."""
        cid = claim["id"]
        self.store.count_up(cid, attempts=1)
        if self.store.get(cid)["consent"] == DEAD:  # refused meanwhile (by another retrieval): ask nobody
            return FetchResult(CONSENT_REQUIRED, detail="the consent can no longer be used", claim_id=cid)
        data = {}
        for operation in self.operations:
            answer = None
            for retry in (False, True):
                try:
                    access = self.consent_maskinporten_token(claim, operation.scope)
                except MaskinportenError as exc:
                    if exc.consent_refused:
                        return self._consent_refused_altinn3(claim, exc)
                    return FetchResult(UNAVAILABLE, detail=str(exc), retriable=exc.retriable, claim_id=cid)
                self.store.count_up(cid, nav_calls=1)
                try:
                    answer = self.nav.call(
                        operation, self.nav_headers_altinn3(claim, access), timeout=self._timeout(deadline)
                    )
                except N.NavUnavailable as exc:
                    return FetchResult(UNAVAILABLE, detail=f"NAV did not answer: {exc}", retriable=True, claim_id=cid)
                if answer.ok or retry:
                    break
                if (answer.status, answer.kode) in ((401, N.NO_MASKINPORTEN_ACCESS), (403, N.NO_CONSENT)):
                    self.forget_consent_token(claim, operation.scope)  # expired in flight: one new token
                else:
                    break
            if answer.ok:
                data[operation.key] = answer.body
                continue
            return self._nav_refused(claim, operation, answer)
        self.store.update(cid, data=data, data_at=self.wall_clock(), last_error=None)
        return FetchResult(OK, data=data, claim_id=cid)

    # -- helpers -----------------------------------------------------------------------------------------
    def _consent_request_token(self) -> str:
        try:
            return self.maskinporten_token(CONSENT_REQUEST_SCOPE)
        except MaskinportenError as exc:
            raise ClaimError(f"Vi fikk ikke kontakt med Maskinporten: {exc}", 502) from exc

    def _consent_refused_altinn3(self, claim: dict, exc: MaskinportenError) -> FetchResult:
        """Maskinporten will not put the consent in a token: Altinn refused it (revoked, expired,
        another person or org, not accepted). Final: the consent is dead, its tokens forgotten."""
        result = FetchResult(CONSENT_REQUIRED, detail=exc.description, claim_id=claim["id"])
        if not self.should_retry_after_refusal(result):
            codes = ALTINN_CODE.findall(exc.description)
            self.store.update(claim["id"], consent=DEAD, consent_problem=(codes[0] if codes else exc.description)[:200])
            for operation in self.operations:
                self.forget_consent_token(claim, operation.scope)
        return result
