"""An Altinn 3 consent ends because the citizen revokes it (three years passing is
:class:`~dsop_sandbox.conformance.scenarios.ending.Expiry`, the same in both generations).

A consent-bearing Maskinporten token stays valid until it expires: NAV reads the consent from the
token and does not ask Altinn again. The revocation bites at the next token request, when
Maskinporten's lookup at Altinn refuses the consent (AM-00011). So the scenario gives tokens a short
life, and lets the insurer's last token expire before it asks for data again.
"""

from __future__ import annotations

from ..context import NAV_LEEWAY, SETTLED, Context
from .base import Scenario
from .ending import MAX_TOKEN_ATTEMPTS, RETRY_WINDOW

TOKEN_LIFETIME = 1  # seconds a Maskinporten token lives in this scenario
REVOKED = "AM-00011"  # Altinn's code for a revoked consent


class Revocation3(Scenario):
    name = "revocation"
    title = "The citizen revokes the consent"
    requirements = ("DSOP-REVOKED", "DSOP-NO-ENDLESS-RETRY")

    def run(self, ctx: Context) -> None:
        ctx.step(f"Maskinporten tokens now live {TOKEN_LIFETIME} s")
        ctx.api.lifetimes({"maskinporten.access_token": TOKEN_LIFETIME})
        consent_id = ctx.consented()
        ctx.fetched()
        # A retrieval still under way (the insurer's own, after the consent) would meet the revocation
        # before the suite's fetch does, and its refusal would not be counted as the fetch's.
        ctx.settle(SETTLED)
        ctx.revoke(consent_id)
        ctx.wait_past_tokens(consent_id, TOKEN_LIFETIME, leeway=NAV_LEEWAY)
        cursor = ctx.cursor()
        answer = ctx.fetch()
        events = ctx.events(cursor)
        delivered = events.nav_calls(ctx.org, ctx.person["pid"], status=200)
        refused = events.consent_refusals(ctx.client_id or "", consent_id, REVOKED)
        ok = answer.status == "consent_required" and not delivered
        ctx.judge(
            "DSOP-REVOKED",
            ok,
            "After the revocation the fetch hook said consent_required and NAV delivered nothing"
            + (f" (Maskinporten refused the consent with {REVOKED})." if refused else ".")
            if ok
            else (
                "NAV delivered data after the consent was revoked (a consent-bearing token kept past its expiry?)."
                if delivered
                else f"After the revocation the fetch hook answered {answer.status!r} instead of consent_required."
            ),
            [*(delivered or refused or events.nav_calls(ctx.org, ctx.person["pid"])), answer.evidence],
        )
        if ctx.client_id is None:
            ctx.not_run("DSOP-NO-ENDLESS-RETRY", "The profile names no Maskinporten client_id.")
            return
        ctx.wait(RETRY_WINDOW, "watching for retries of the revoked consent")
        attempts = ctx.events(cursor).consent_grants(ctx.client_id, consent_id)
        if not attempts:
            ctx.not_run(
                "DSOP-NO-ENDLESS-RETRY",
                "The insurer did not ask Maskinporten for the revoked consent at all, so there was no refusal it "
                "could have retried.",
            )
            return
        ok = len(attempts) <= MAX_TOKEN_ATTEMPTS
        ctx.judge(
            "DSOP-NO-ENDLESS-RETRY",
            ok,
            f"The insurer asked Maskinporten for the revoked consent {len(attempts)} time(s) and then stopped."
            if ok
            else f"The insurer asked Maskinporten for a token with the revoked consent {len(attempts)} times in "
            f"about {RETRY_WINDOW:g} s: it keeps retrying a consent that is gone.",
            attempts,
        )
