"""The world misbehaves: NAV is down while the citizen consents (both generations); Altinn rotates
its key (Altinn 2: Altinn 3 signs nothing the insurer checks)."""

from __future__ import annotations

import time

from ..context import Context, Precondition
from .base import Scenario

OUTAGE = 1.2  # seconds NAV stays down (from before the consent step)
#: Seconds NAV stays down after the consent step at least: on a loaded machine the consent step alone
#: can outlast OUTAGE, and an insurer that hammers NAV only once it has the consent would go unseen.
AFTER_CONSENT = 1.0
RECOVERY_WAIT = 6.0  # seconds the suite waits for the insurer's own retry once NAV is back
MAX_CALLS_PER_SECOND = 4.0


class NavDown(Scenario):
    name = "nav_down"
    title = "NAV is down while the citizen consents"
    requirements = ("DSOP-ASYNC", "DSOP-NO-HAMMERING", "DSOP-RECOVERY")

    def run(self, ctx: Context) -> None:
        ctx.step("NAV answers 503 to everything")
        ctx.api.arm_fault("nav", operation="*", status=503)
        began = time.monotonic()
        cursor = ctx.cursor()
        try:
            outcome = ctx.consent("accept")
            if not outcome.reached_consent_page:
                raise Precondition(
                    f"the citizen never reached Altinn's consent page (the flow ended at {outcome.final_url} with "
                    f"HTTP {outcome.final_status}), so there was no consent step to complete while NAV was down"
                )
            code = outcome.consent_handle
            completed = (
                bool(code)
                and outcome.answered
                and outcome.final_status < 400
                and (not ctx.altinn3 or outcome.callback_status == "OK")
            )
            seen = ctx.events(cursor)
            if ctx.altinn3:
                tokens = seen.requests3(ctx.org, ctx.person["pid"])
            else:
                tokens = seen.consent_tokens(ctx.org, code, status=200) if code else []
            ctx.judge(
                "DSOP-ASYNC",
                completed,
                f"The consent step completed (HTTP {outcome.final_status} at the insurer) while NAV was down."
                if completed
                else f"With NAV down the consent step ended at {outcome.final_url} with HTTP {outcome.final_status}.",
                [*tokens, ctx.seen(outcome)],
            )
            remaining = max(OUTAGE - (time.monotonic() - began), AFTER_CONSENT)
            ctx.wait(round(remaining, 2), "NAV stays down")
            # Every NAV call counts: a call NAV refuses with the armed fault never reaches the
            # code that names the caller (run the suite on a sandbox of its own).
            during = ctx.events(cursor).nav_calls()
        finally:
            ctx.step("NAV is back")
            ctx.api.clear_faults()
        seconds = max(time.monotonic() - began, 0.5)
        rate = len(during) / seconds
        ctx.judge(
            "DSOP-NO-HAMMERING",
            rate <= MAX_CALLS_PER_SECOND,
            f"{len(during)} NAV call(s) in {seconds:.1f} s of outage: the insurer backs off."
            if rate <= MAX_CALLS_PER_SECOND
            else f"{len(during)} NAV calls in {seconds:.1f} s of outage ({rate:.1f}/s): the insurer hammers a "
            f"failing service.",
            [*during, ctx.seen(outcome)],
        )
        if not code:
            ctx.not_run("DSOP-RECOVERY", "The consent step did not complete, so there was nothing to recover.")
            return
        pid = ctx.person["pid"]
        arrived = ctx.wait_for(lambda: ctx.events(cursor).nav_calls(ctx.org, pid, status=200), timeout=RECOVERY_WAIT)
        if arrived:
            ctx.judge("DSOP-RECOVERY", True, "Once NAV was back the insurer retrieved the data on its own.", arrived)
            return
        answer = ctx.fetch()
        ctx.judge(
            "DSOP-RECOVERY",
            answer.status == "ok",
            "Once NAV was back the data arrived (on the next fetch; the insurer did not retry on its own)."
            if answer.status == "ok"
            else f"NAV was back, but the insurer did not retrieve the data (fetch hook: {answer.status!r}).",
            [*ctx.events(cursor).nav_calls(ctx.org, pid), answer.evidence],
        )


class KeyRotation(Scenario):
    name = "key_rotation"
    title = "Altinn rotates its signing key"
    requirements = ("DSOP-KEY-ROTATION",)

    def run(self, ctx: Context) -> None:
        ctx.consented()
        ctx.fetched()
        ctx.step("Altinn starts signing consent tokens with a new key (the old one stays published)")
        ctx.api.rotate_keys("altinn")
        cursor = ctx.cursor()
        answer = ctx.fetch()
        ctx.judge(
            "DSOP-KEY-ROTATION",
            answer.status == "ok",
            "After Altinn's key rotation the fetch still worked."
            if answer.status == "ok"
            else f"After Altinn's key rotation the fetch hook answered {answer.status!r}.",
            [*ctx.events(cursor).nav_calls(ctx.org), answer.evidence],
        )
