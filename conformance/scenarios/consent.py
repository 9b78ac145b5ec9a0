"""The consent step: granted, declined, and a forged callback."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from ..context import Context
from ..contract import CONSENT_LINK, CREATE_REQUEST
from ..drivers.base import ACCEPT, REJECT
from .base import Scenario

#: Altinn 2's consent page, ``?id=`` the authorization code.
CONSENT_PAGE = "/ui/AccessConsent/request"

#: Seconds the suite gives an insurer that exchanges the code at once after the callback, before it asks
#: for the first fetch itself (which an insurer that exchanges only then needs).
EXCHANGE_MOMENT = 1.0


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
            (made or events.where("altinn", CREATE_REQUEST + CONSENT_LINK)) + [ctx.seen(outcome)],
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
            [ctx.seen(outcome)],
        )
        if not code:
            ctx.not_run("DSOP-TOKEN-EXCHANGE", "No authorization code came back, so no exchange could follow.")
            return
        judge_exchange(ctx, code)


def judge_exchange(ctx: Context, code: str) -> None:
    """The code is exchanged by the first fetch: processes 1 and 2 are not synchronous, so the insurer
    may exchange it at once after the callback or only when it first needs NAV data. The suite asks
    for that first fetch when no exchange came within a moment of the callback, and reads whether a
    consent token for the code was issued before the first NAV call for the person."""
    pid = ctx.person["pid"]
    began = ctx.started_cursor

    def exchanged() -> list[dict]:
        return ctx.events(began).consent_tokens(ctx.org, code, status=200)

    tokens = ctx.wait_for(exchanged, timeout=EXCHANGE_MOMENT)
    answer = None
    if not tokens:
        ctx.step("No exchange yet: the suite asks the insurer for its first fetch")
        answer = ctx.fetch()
        tokens = exchanged()
    events = ctx.events(began)
    calls = events.nav_calls(ctx.org, pid)
    first_call = min((e["time"] for e in calls), default=None)
    in_time = [e for e in tokens if first_call is None or e["time"] <= first_call]
    seen = [answer.evidence] if answer else []
    if in_time:
        ctx.judge(
            "DSOP-TOKEN-EXCHANGE",
            True,
            "The insurer exchanged the authorization code for a consent token "
            + ("when it first fetched." if answer else "after the callback, before any NAV call."),
            in_time + calls[:1] + seen,
        )
    elif calls:
        ctx.judge(
            "DSOP-TOKEN-EXCHANGE",
            False,
            "The insurer called NAV for the person before it had exchanged the authorization code for a consent token.",
            calls + tokens + seen,
        )
    else:
        ctx.judge(
            "DSOP-TOKEN-EXCHANGE",
            False,
            f"The insurer never exchanged the authorization code for a consent token, not even when asked to fetch "
            f"(its fetch hook answered {answer.status!r}).",
            events.consent_tokens(ctx.org, code) + seen,
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
            [*nav, answer.evidence],
        )


def with_code(url: str, code: str) -> str:
    """``url`` as Altinn 2 calls it back on yes: ``AuthorizationCode`` and ``Status=OK`` appended."""
    return f"{url}{'&' if '?' in url else '?'}AuthorizationCode={code}&Status=OK"


def pending_code(url: str, altinn: str) -> str | None:
    """The authorization code of the Altinn 2 consent page at ``url`` (``request?id=…``), else None."""
    if not url.startswith(altinn + CONSENT_PAGE):
        return None
    ids = parse_qs(urlsplit(url).query).get("id")
    return ids[0] if ids else None


class ForgedCallback(Scenario):
    """Two forged callbacks, each with Status=OK and an AuthorizationCode the insurer never got: one at
    the profile's redirect URI, one at the RedirectUrl of a claim that really waits for the citizen's
    answer (the citizen reached the consent page and left it unanswered; Altinn holds the insurer's
    RedirectUrl with its own correlation). That second one catches an insurer that asks with the
    parameterised link, learns the code only from the callback, and takes it unconfirmed."""

    name = "forged_callback"
    title = "Someone sends the citizen a forged callback"
    requirements = ("DSOP-CALLBACK-STATE",)

    def run(self, ctx: Context) -> None:
        callbacks = ctx.profile.redirect_uris
        if not callbacks:
            ctx.not_run("DSOP-CALLBACK-STATE", "The profile names no redirect URI ([idporten] redirect_uris).")
            return
        forged = ctx.new_id()
        targets = [with_code(callbacks[0], forged)]
        pending = pending_code(ctx.leave_pending().final_url, ctx.api.services["altinn"])
        if pending:
            targets.append(with_code(ctx.api.consent(pending)["redirect_url"], forged))
        answers = ctx.forge_callbacks(targets, f"an AuthorizationCode it never asked for ({forged})")
        tried = ctx.wait_for(lambda: ctx.events().consent_tokens(ctx.org, forged), timeout=1.0)
        answered = ", ".join(f"HTTP {answer['status']}" for answer in answers)
        ctx.judge(
            "DSOP-CALLBACK-STATE",
            not tried,
            f"The insurer answered the forged callbacks ({answered}) and sent nothing of them to Altinn"
            + ("" if pending else " (no pending claim could be forged: the citizen never reached a consent page)")
            + "."
            if not tried
            else "The insurer sent a code it never asked for to Altinn's token endpoint.",
            tried or answers,
        )
