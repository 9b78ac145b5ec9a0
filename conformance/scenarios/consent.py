"""The consent step: granted, declined, and a forged callback."""

from __future__ import annotations

import requests

from ..context import Context
from ..drivers.base import ACCEPT, REJECT
from .base import Scenario


class ConsentGranted(Scenario):
    name = "consent_granted"
    title = "The citizen gives consent"
    requirements = ("DSOP-CONSENT-REQUEST", "DSOP-CALLBACK", "DSOP-TOKEN-EXCHANGE")

    def run(self, ctx: Context) -> None:
        outcome = ctx.consent(ACCEPT)
        events = ctx.events()
        made = events.requests_made(ctx.org, ctx.person["pid"])
        nav_services = [
            e for e in made if any(s.startswith("5252_") for s in (e.get("details") or {}).get("services", []))
        ]
        ctx.judge(
            "DSOP-CONSENT-REQUEST",
            bool(nav_services) and outcome.reached_consent_page,
            "Altinn accepted a consent request for service 5252 naming the person, and the citizen saw the "
            "consent page."
            if nav_services and outcome.reached_consent_page
            else "No consent request for NAV's service 5252 naming this person reached Altinn"
            + ("" if outcome.reached_consent_page else ", and the citizen never reached Altinn's consent page")
            + ".",
            made or events.where("altinn", ("create_consent_request",)),
        )
        if not outcome.reached_consent_page:
            for requirement in ("DSOP-CALLBACK", "DSOP-TOKEN-EXCHANGE"):
                ctx.not_run(requirement, "The citizen never reached Altinn's consent page, so nothing called back.")
            return
        code = outcome.authorization_code
        came_back = outcome.answered and code and ctx.back_at_insurer(outcome)
        ctx.judge(
            "DSOP-CALLBACK",
            bool(came_back),
            f"The citizen came back to {outcome.final_url} (HTTP {outcome.final_status})."
            if came_back
            else f"After the consent page the citizen ended at {outcome.final_url} with HTTP "
            f"{outcome.final_status}, not on a working page of the insurer.",
        )
        if not code:
            ctx.not_run("DSOP-TOKEN-EXCHANGE", "No authorization code came back, so no exchange could follow.")
            return
        tokens = ctx.wait_for(lambda: ctx.events().consent_tokens(ctx.org, code, status=200), timeout=5)
        ctx.judge(
            "DSOP-TOKEN-EXCHANGE",
            bool(tokens),
            "The insurer exchanged the authorization code for a consent token."
            if tokens
            else "The insurer never fetched a consent token for the code it got back (waited 5 s).",
            tokens or ctx.events().consent_tokens(ctx.org, code),
        )


class ConsentDeclined(Scenario):
    name = "consent_declined"
    title = "The citizen declines"
    requirements = ("DSOP-DECLINED",)

    def run(self, ctx: Context) -> None:
        outcome = ctx.consent(REJECT)
        if not outcome.answered:
            ctx.not_run("DSOP-DECLINED", f"The citizen never reached the consent page ({outcome.final_url}).")
            return
        answer = ctx.fetch()
        nav = ctx.events().nav_calls(ctx.org, ctx.person["pid"], status=200)
        ok = answer.status == "consent_required" and not nav and outcome.final_status < 500
        ctx.judge(
            "DSOP-DECLINED",
            ok,
            "After «Nei» the insurer fetched nothing and its fetch hook said consent_required."
            if ok
            else "After «Nei» the insurer "
            + (
                "got NAV data"
                if nav
                else f"answered the fetch hook with {answer.status!r} (HTTP "
                f"{answer.http_status}) instead of consent_required"
                if answer.status != "consent_required"
                else f"showed HTTP {outcome.final_status} on its callback"
            )
            + ".",
            nav or ctx.events().all,
        )


class ForgedCallback(Scenario):
    name = "forged_callback"
    title = "Someone sends the citizen a forged callback"
    requirements = ("DSOP-CALLBACK-STATE",)
    needs_person = False

    def run(self, ctx: Context) -> None:
        callbacks = ctx.profile.redirect_uris
        if not callbacks:
            ctx.not_run("DSOP-CALLBACK-STATE", "The profile names no redirect URI ([idporten] redirect_uris).")
            return
        forged = ctx.new_id()
        url = f"{callbacks[0]}{'&' if '?' in callbacks[0] else '?'}AuthorizationCode={forged}&Status=OK"
        ctx.step(f"Open the insurer's callback with an AuthorizationCode it never asked for ({forged})")
        try:
            answer = ctx.http.get(url, timeout=15, allow_redirects=False)
            status = answer.status_code
        except requests.RequestException as exc:
            status = 0
            ctx.step(f"The callback did not answer ({exc.__class__.__name__})")
        tried = ctx.wait_for(lambda: ctx.events().consent_tokens(ctx.org, forged), timeout=1.0)
        ctx.judge(
            "DSOP-CALLBACK-STATE",
            not tried,
            f"The insurer refused the forged callback (HTTP {status}) and sent nothing to Altinn."
            if not tried
            else "The insurer sent a code it never asked for to Altinn's token endpoint.",
            tried,
        )
