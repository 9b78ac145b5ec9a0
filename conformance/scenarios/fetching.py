"""Getting data: the first fetch, fetching again, and expired tokens."""

from __future__ import annotations

from ..context import SETTLED, Context
from .base import Scenario

SHORT = 2  # seconds a token lives in the token-expiry scenario
PAST_SHORT = 3.0  # how long the scenario waits for both tokens to expire


def judge_person(ctx: Context, delivered: list[dict] = ()) -> None:
    """NAV never refused a consent for being another person's (Altinn 2: ``OfferedBy``; Altinn 3: ``from``)."""
    events = ctx.events()
    wrong = events.nav_refused_for("from" if ctx.altinn3 else "offered_by", ctx.org)
    if wrong:
        ctx.judge("DSOP-PERSON", False, "NAV got a consent together with another person's fødselsnummer.", wrong)
    elif delivered:
        ctx.judge(
            "DSOP-PERSON",
            True,
            "Every consent went to NAV with the fødselsnummer of the person who gave it.",
            list(delivered),
        )
    else:
        ctx.not_run("DSOP-PERSON", "NAV delivered nothing, so no consent was seen going to NAV with a person.")


class Fetch(Scenario):
    name = "fetch"
    title = "The insurer fetches NAV data and logs the use"
    requirements = ("DSOP-FETCH", "DSOP-LOGUSE", "DSOP-PERSON", "DSOP-MASKINPORTEN-REUSE")

    def run(self, ctx: Context) -> None:
        code = ctx.consented()
        # What the consent set off in the insurer (a retrieval of its own, with its own loguse) ends
        # first: its deliveries must not be taken for the fetch hook's, nor its use log be missed.
        ctx.settle(SETTLED)
        cursor = ctx.cursor()
        answer = ctx.fetch()
        events = ctx.events(cursor)
        nav_ok = events.nav_calls(ctx.org, ctx.person["pid"], status=200)
        ok = answer.status == "ok" and bool(nav_ok)
        ctx.judge(
            "DSOP-FETCH",
            ok,
            f"NAV delivered data {len(nav_ok)} time(s) and the fetch hook answered ok."
            if ok
            else f"The fetch hook answered {answer.status!r} (HTTP {answer.http_status}) and NAV delivered "
            f"{len(nav_ok)} time(s).",
            [*events.nav_calls(ctx.org, ctx.person["pid"]), answer.evidence],
        )
        if not nav_ok:
            ctx.not_run("DSOP-LOGUSE", "No data was delivered, so there was no use to log.")
        else:
            last_delivery = max(e["time"] for e in nav_ok)
            logged = [
                e
                for e in ctx.wait_for(lambda: ctx.events(cursor).uses(ctx.org, code), timeout=2)
                if e["time"] >= last_delivery
            ]
            ctx.judge(
                "DSOP-LOGUSE",
                bool(logged),
                "The insurer logged the use with Altinn after the data arrived."
                if logged
                else "The insurer never logged its use of the consent after NAV delivered (no loguse).",
                nav_ok + logged,
            )
        judge_person(ctx, nav_ok)
        if ctx.client_id is None:
            ctx.not_run("DSOP-MASKINPORTEN-REUSE", "The profile names no Maskinporten client_id.")
            return
        cursor = ctx.cursor()
        again = ctx.fetch()
        events = ctx.events(cursor)
        tokens, calls = events.maskinporten_tokens(ctx.client_id), events.nav_calls(ctx.org)
        if not calls:
            ctx.not_run(
                "DSOP-MASKINPORTEN-REUSE",
                f"The second fetch made no NAV call (its fetch hook answered {again.status!r}), so there was no "
                f"token to reuse.",
            )
            return
        ok = len(tokens) < len(calls)
        ctx.judge(
            "DSOP-MASKINPORTEN-REUSE",
            ok,
            f"A second fetch made {len(calls)} NAV calls with {len(tokens)} new Maskinporten token(s)."
            if ok
            else f"A second fetch asked Maskinporten for {len(tokens)} token(s) for {len(calls)} NAV call(s): "
            f"tokens valid for two minutes are not reused.",
            tokens + calls,
        )


class Reuse(Scenario):
    name = "reuse"
    title = "The insurer fetches again without asking the citizen again"
    requirements = ("DSOP-REUSE", "DSOP-LOGUSE")

    def run(self, ctx: Context) -> None:
        code = ctx.consented()
        ctx.fetched()
        ctx.settle(SETTLED)
        cursor = ctx.cursor()
        again = ctx.fetch()
        events = ctx.events(cursor)
        asked_again = events.requests_made(ctx.org, ctx.person["pid"])
        tokens = events.consent_tokens(ctx.org, code, status=200)
        delivered = events.nav_calls(ctx.org, ctx.person["pid"], status=200)
        ok = again.status == "ok" and not asked_again and bool(delivered)
        ctx.judge(
            "DSOP-REUSE",
            ok,
            "The second fetch used the same consent with a new consent token; the citizen was not asked again."
            if ok
            else (
                "The insurer asked the citizen for consent again."
                if asked_again
                else f"The second fetch under the same consent answered {again.status!r}."
            ),
            [*asked_again, *tokens, *delivered, again.evidence],
        )
        if not delivered:
            ctx.not_run("DSOP-LOGUSE", "NAV delivered nothing on the second fetch, so there was no use to log.")
            return
        uses = ctx.wait_for(lambda: ctx.events(cursor).uses(ctx.org, code), timeout=2)
        ctx.judge(
            "DSOP-LOGUSE",
            bool(uses),
            "The second use was logged too." if uses else "The second fetch got data but was not logged.",
            delivered + uses,
        )


class TokenExpiry(Scenario):
    """Both tokens live two seconds; the insurer fetches, the suite waits three, the insurer fetches
    again. An insurer that keeps a token past its expiry shows it here, provided the tokens it holds
    were issued under the short lifetimes: that is why this scenario runs first (a token an
    insurer got before the run, with the normal lifetime, is not covered)."""

    name = "token_expiry"
    title = "Tokens expire between two fetches"
    requirements = ("DSOP-TOKEN-FRESH", "DSOP-MASKINPORTEN-REFRESH")

    def run(self, ctx: Context) -> None:
        ctx.step(f"Consent tokens and Maskinporten tokens now live {SHORT} s")
        ctx.api.lifetimes({"altinn.consent_token": SHORT, "maskinporten.access_token": SHORT})
        code = ctx.consented()
        ctx.fetched()
        ctx.wait(PAST_SHORT, "both tokens from the first fetch have expired")
        cursor = ctx.cursor()
        answer = ctx.fetch()
        events = ctx.events(cursor)
        calls = events.nav_calls(ctx.org)
        stale_consent = [
            e
            for e in calls
            if (e.get("details") or {}).get("consent_problem") in ("token_expired", "token_not_yet_valid")
        ]
        stale_access = [e for e in calls if (e.get("details") or {}).get("token_problem") == "expired"]
        fresh = events.consent_tokens(ctx.org, code, status=200)
        if stale_consent:
            ctx.judge("DSOP-TOKEN-FRESH", False, "The insurer sent NAV an expired consent token.", stale_consent)
        elif calls and all(e.get("status") == 401 for e in calls):
            ctx.not_run(
                "DSOP-TOKEN-FRESH",
                "NAV refused every call for its Maskinporten token, so the consent token was never looked at.",
            )
        elif answer.status == "ok" and fresh:
            ctx.judge(
                "DSOP-TOKEN-FRESH",
                True,
                "After the consent token expired the insurer fetched a new one and NAV accepted it.",
                fresh,
            )
        else:
            ctx.judge(
                "DSOP-TOKEN-FRESH",
                False,
                f"The fetch after expiry answered {answer.status!r}"
                + ("" if fresh else " and no new consent token was fetched")
                + ".",
                [*fresh, *calls, answer.evidence],
            )
        accepted_access = [e for e in calls if e.get("status") != 401]
        if stale_access:
            ctx.judge(
                "DSOP-MASKINPORTEN-REFRESH", False, "The insurer sent NAV an expired Maskinporten token.", stale_access
            )
        elif accepted_access:
            ctx.judge(
                "DSOP-MASKINPORTEN-REFRESH",
                True,
                "After the Maskinporten token expired the insurer got a new one and NAV accepted it.",
                accepted_access + events.maskinporten_tokens(ctx.client_id or ""),
            )
        else:
            ctx.not_run(
                "DSOP-MASKINPORTEN-REFRESH",
                f"The insurer made no NAV call after the wait (fetch hook: {answer.status!r}).",
            )
