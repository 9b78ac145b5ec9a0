"""The consent ends: withdrawn by the citizen, or three years later."""

from __future__ import annotations

from ..context import SETTLED, Context
from .base import Scenario

THREE_YEARS_AND_A_DAY = "P3Y1D"
RETRY_WINDOW = 1.0  # seconds the suite watches for retries after the refusal (both generations)
MAX_TOKEN_ATTEMPTS = 2  # token requests tolerated after a withdrawal (one retry, not a loop)


class Revocation(Scenario):
    name = "revocation"
    title = "The citizen withdraws the consent"
    requirements = ("DSOP-REVOKED", "DSOP-NO-ENDLESS-RETRY")

    def run(self, ctx: Context) -> None:
        code = ctx.consented()
        ctx.fetched()
        # A retrieval the insurer still runs (begun with a token from before) may reach NAV after the
        # withdrawal; only what the insurer does after it is judged.
        ctx.settle(SETTLED)
        ctx.revoke(code)
        cursor = ctx.cursor()
        answer = ctx.fetch()
        delivered = ctx.events(cursor).nav_calls(ctx.org, ctx.person["pid"], status=200)
        ok = answer.status == "consent_required" and not delivered
        ctx.judge(
            "DSOP-REVOKED",
            ok,
            "After the withdrawal the fetch hook said consent_required and NAV delivered nothing."
            if ok
            else (
                "NAV delivered data after the consent was withdrawn (a consent token kept from before?)."
                if delivered
                else f"After the withdrawal the fetch hook answered {answer.status!r} instead of consent_required."
            ),
            [*delivered, *ctx.events(cursor).consent_tokens(ctx.org, code), answer.evidence],
        )
        ctx.wait(RETRY_WINDOW, "watching for retries of the withdrawn consent")
        attempts = ctx.events(cursor).consent_tokens(ctx.org, code)
        if not attempts:
            ctx.not_run(
                "DSOP-NO-ENDLESS-RETRY",
                "The insurer did not ask Altinn for the withdrawn consent at all, so there was no refusal it could "
                "have retried.",
            )
            return
        ok = len(attempts) <= MAX_TOKEN_ATTEMPTS
        ctx.judge(
            "DSOP-NO-ENDLESS-RETRY",
            ok,
            f"The insurer asked Altinn {len(attempts)} time(s) after the withdrawal and then stopped."
            if ok
            else f"The insurer asked Altinn for a token {len(attempts)} times in {RETRY_WINDOW:g} s after the "
            f"withdrawal: it keeps retrying a consent that is gone.",
            attempts,
        )


class Expiry(Scenario):
    name = "expiry"
    title = "Three years pass"
    requirements = ("DSOP-EXPIRY",)

    def run(self, ctx: Context) -> None:
        ctx.consented()
        ctx.fetched()
        # The calendar moves only once the insurer's own retrieval after the consent is done. One still
        # running when it moves is refused (the consent has expired); an insurer that retries a refusal
        # goes on, finds the consent valid again once the calendar is put back, and its retries land in
        # the next scenario (nav_down's outage: counted as a second loop hammering NAV).
        ctx.settle(SETTLED)
        ctx.step(f"The sandbox calendar moves {THREE_YEARS_AND_A_DAY} ahead")
        ctx.api.clock(advance=THREE_YEARS_AND_A_DAY)
        try:
            cursor = ctx.cursor()
            answer = ctx.fetch()
            delivered = ctx.events(cursor).nav_calls(ctx.org, ctx.person["pid"], status=200)
        finally:
            ctx.api.clock(reset=True)
        ok = answer.status == "consent_required" and not delivered
        ctx.judge(
            "DSOP-EXPIRY",
            ok,
            "Three years on, the fetch hook said consent_required."
            if ok
            else (
                "NAV delivered data under an expired consent."
                if delivered
                else f"Three years on, the fetch hook answered {answer.status!r} instead of consent_required."
            ),
            [*delivered, answer.evidence],
        )
