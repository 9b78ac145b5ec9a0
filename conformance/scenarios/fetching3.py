"""Getting data under an Altinn 3 consent: the consent in the Maskinporten token, the first fetch,
fetching again, and a consent-bearing token that expires."""

from __future__ import annotations

from ..context import NAV_LEEWAY, Context
from .base import Scenario
from .fetching import PAST_SHORT, SHORT, judge_person


def judge_consent_in_token(ctx: Context, consent_id: str) -> None:
    """Every token request named one consent, and one named this consent with this person."""
    if ctx.client_id is None:
        ctx.not_run("DSOP-CONSENT-IN-TOKEN", "The profile names no Maskinporten client_id.")
        return
    events = ctx.events()
    several = events.several_consents(ctx.client_id)
    granted = [
        e
        for e in events.consent_grants(ctx.client_id, consent_id, status=200)
        if (e.get("details") or {}).get("consent_from") == ctx.person_urn
    ]
    if several:
        asked = (several[0].get("details") or {}).get("consents_asked") or []
        ctx.judge(
            "DSOP-CONSENT-IN-TOKEN",
            False,
            f"The insurer asked Maskinporten for {len(asked)} consents in one token request; Maskinporten takes one "
            f"consent per token request.",
            several,
        )
    else:
        ctx.judge(
            "DSOP-CONSENT-IN-TOKEN",
            bool(granted),
            f"Maskinporten issued {len(granted)} token(s) with consent {consent_id} from {ctx.person_urn} in "
            f"authorization_details, one consent per request."
            if granted
            else f"No Maskinporten token request named consent {consent_id} from {ctx.person_urn} in "
            f"authorization_details.",
            granted or events.consent_grants(ctx.client_id),
        )


class Fetch3(Scenario):
    name = "fetch"
    title = "The insurer fetches NAV data with the consent in its Maskinporten token"
    requirements = ("DSOP-FETCH", "DSOP-CONSENT-IN-TOKEN", "DSOP-PERSON", "DSOP-MASKINPORTEN-REUSE")

    def run(self, ctx: Context) -> None:
        consent_id = ctx.consented()
        cursor = ctx.cursor()
        answer = ctx.fetch()
        events = ctx.events(cursor)
        delivered = [
            e for e in events.nav_calls3(ctx.org, consent_id, status=200) if e.get("subject") == ctx.person["pid"]
        ]
        ok = answer.status == "ok" and bool(delivered)
        ctx.judge(
            "DSOP-FETCH",
            ok,
            f"NAV delivered data {len(delivered)} time(s) for a token carrying consent {consent_id}, and the fetch "
            f"hook answered ok."
            if ok
            else f"The fetch hook answered {answer.status!r} (HTTP {answer.http_status}) and NAV delivered "
            f"{len(delivered)} time(s) under consent {consent_id}.",
            [*(delivered or events.nav_calls(ctx.org)), answer.evidence],
        )
        judge_consent_in_token(ctx, consent_id)
        judge_person(ctx, delivered)
        if ctx.client_id is None:
            ctx.not_run("DSOP-MASKINPORTEN-REUSE", "The profile names no Maskinporten client_id.")
            return
        cursor = ctx.cursor()
        again = ctx.fetch()
        events = ctx.events(cursor)
        tokens = events.consent_grants(ctx.client_id, consent_id, status=200)
        calls = events.nav_calls3(ctx.org, consent_id)
        if not calls:
            ctx.not_run(
                "DSOP-MASKINPORTEN-REUSE",
                f"The second fetch made no NAV call under consent {consent_id} (its fetch hook answered "
                f"{again.status!r}), so there was no token to reuse.",
            )
            return
        ok = len(tokens) < len(calls)
        ctx.judge(
            "DSOP-MASKINPORTEN-REUSE",
            ok,
            f"A second fetch made {len(calls)} NAV call(s) with {len(tokens)} new consent-bearing token(s)."
            if ok
            else f"A second fetch asked Maskinporten for {len(tokens)} consent-bearing token(s) for {len(calls)} NAV "
            f"call(s): tokens valid for two minutes are not reused.",
            tokens + calls,
        )


class Reuse3(Scenario):
    name = "reuse"
    title = "The insurer fetches again without asking the citizen again"
    requirements = ("DSOP-REUSE",)

    def run(self, ctx: Context) -> None:
        consent_id = ctx.consented()
        ctx.fetched()
        cursor = ctx.cursor()
        again = ctx.fetch()
        events = ctx.events(cursor)
        asked_again = events.requests3(ctx.org, ctx.person["pid"], status=None)
        delivered = events.nav_calls3(ctx.org, consent_id, status=200)
        ok = again.status == "ok" and not asked_again and bool(delivered)
        ctx.judge(
            "DSOP-REUSE",
            ok,
            f"The second fetch used consent {consent_id} again; the citizen was not asked again."
            if ok
            else (
                "The insurer asked the citizen for consent again."
                if asked_again
                else f"The second fetch under the same consent answered {again.status!r}."
            ),
            [*asked_again, *delivered, again.evidence],
        )


class TokenExpiry3(Scenario):
    """Maskinporten tokens live two seconds; the insurer fetches, the suite waits until the token it got
    is past its expiry (and NAV's leeway), the insurer fetches again: it must send a new token."""

    name = "token_expiry"
    title = "The consent-bearing Maskinporten token expires between two fetches"
    requirements = ("DSOP-MASKINPORTEN-REFRESH",)

    def run(self, ctx: Context) -> None:
        ctx.step(f"Maskinporten tokens now live {SHORT} s")
        ctx.api.lifetimes({"maskinporten.access_token": SHORT})
        consent_id = ctx.consented()
        ctx.fetched()
        if ctx.client_id is None:
            ctx.wait(PAST_SHORT, "the token from the first fetch has expired")
        else:
            ctx.wait_past_tokens(consent_id, SHORT, leeway=NAV_LEEWAY)
        cursor = ctx.cursor()
        answer = ctx.fetch()
        events = ctx.events(cursor)
        calls = events.nav_calls(ctx.org)
        stale = [e for e in calls if (e.get("details") or {}).get("token_problem") == "expired"]
        accepted = [e for e in events.nav_calls3(ctx.org, consent_id) if e.get("status") != 401]
        fresh = events.consent_grants(ctx.client_id or "", consent_id, status=200)
        if stale:
            ctx.judge(
                "DSOP-MASKINPORTEN-REFRESH",
                False,
                f"The insurer sent NAV a consent-bearing Maskinporten token {len(stale)} time(s) after it expired.",
                stale,
            )
        elif accepted and fresh:
            ctx.judge(
                "DSOP-MASKINPORTEN-REFRESH",
                True,
                "After the token expired the insurer got a new one with the consent, and NAV accepted it.",
                fresh + accepted,
            )
        else:
            ctx.not_run(
                "DSOP-MASKINPORTEN-REFRESH",
                f"The insurer made no NAV call under the consent after the wait (fetch hook: {answer.status!r}).",
            )
