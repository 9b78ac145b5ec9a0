"""Altinn 3's consent step: granted, declined (Status=Failed), and a forged callback.

The callback carries no consent id, so the scenarios know the consent by the id of the request whose
page the citizen answered (the driver reads it from the page's address), and judge the insurer by
what Altinn and Maskinporten saw for that id.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from ..catalogue import CONSENT_YEARS, NAV_RESOURCE
from ..context import Context
from ..drivers.base import ACCEPT, REJECT
from .base import Scenario


def _years_later(moment: datetime, years: int) -> datetime:
    try:
        return moment.replace(year=moment.year + years)
    except ValueError:  # 29 February
        return moment.replace(year=moment.year + years, day=28) + timedelta(days=1)


def request_problem(event: dict, org: str) -> str | None:
    """What is wrong with a consent request Altinn accepted, else None: NAV's resource, the insurer
    itself in ``to``, ``validTo`` within three years of the day it was made (sandbox calendar)."""
    details = event.get("details") or {}
    resources = details.get("resources") or [details.get("resource")]
    if resources != [NAV_RESOURCE]:
        return f"it asks for {', '.join(map(str, resources))} instead of {NAV_RESOURCE}"
    if details.get("to", event.get("caller")) != org:
        return f"it names {details.get('to')} in to instead of the insurer itself ({org})"
    try:
        valid_to = datetime.fromisoformat(details["valid_to"])
        made = datetime.fromisoformat(str(event.get("calendar_time") or event["time"]).replace("Z", "+00:00"))
    except (KeyError, ValueError, TypeError):
        return "its validTo could not be read"
    if valid_to.date() > _years_later(made, CONSENT_YEARS).date() + timedelta(days=1):
        return f"its validTo {valid_to.date()} is more than {CONSENT_YEARS} years after {made.date()}"
    return None


def problems_named(events: list[dict]) -> list[str]:
    return sorted({code for e in events for code in (e.get("details") or {}).get("problems") or []})


class ConsentGranted3(Scenario):
    name = "consent_granted"
    title = "The citizen gives consent"
    requirements = ("DSOP-CONSENT-REQUEST", "DSOP-CALLBACK")

    def run(self, ctx: Context) -> None:
        outcome = ctx.consent(ACCEPT)
        events = ctx.events()
        made = events.requests3(ctx.org, ctx.person["pid"])
        answered = [e for e in made if (e.get("details") or {}).get("consent_id") == outcome.consent_request_id]
        refused = events.refused_requests3(ctx.org)
        wrong = [(e, why) for e in made if (why := request_problem(e, ctx.org))]
        if wrong:
            event, why = wrong[0]
            ctx.judge(
                "DSOP-CONSENT-REQUEST",
                False,
                f"Altinn accepted a consent request, but {why}.",
                [event, ctx.seen(outcome)],
            )
        elif answered and outcome.reached_consent_page:
            ctx.judge(
                "DSOP-CONSENT-REQUEST",
                True,
                f"Altinn accepted a consent request for {NAV_RESOURCE} from this person to the insurer, valid for "
                f"at most {CONSENT_YEARS} years, and the citizen answered its page.",
                [*answered, ctx.seen(outcome)],
            )
        else:
            codes = problems_named(refused)
            ctx.judge(
                "DSOP-CONSENT-REQUEST",
                False,
                f"Altinn refused the insurer's consent request ({', '.join(codes) or 'no code'}) and the citizen "
                f"never saw a consent page."
                if refused and not made
                else "No consent request from the insurer for this person reached Altinn's consent page "
                f"(the citizen ended at {outcome.final_url}).",
                [*(refused or made), ctx.seen(outcome)],
            )
        if not outcome.reached_consent_page:
            ctx.not_run("DSOP-CALLBACK", "The citizen never reached Altinn's consent page, so nothing called back.")
            return
        came_back = outcome.answered and outcome.callback_status == "OK" and ctx.back_at_insurer(outcome)
        ctx.judge(
            "DSOP-CALLBACK",
            bool(came_back),
            f"Altinn sent the citizen back with Status=OK and the insurer's page answered HTTP {outcome.final_status}."
            if came_back
            else f"After «accept» the citizen ended at {outcome.final_url} with HTTP {outcome.final_status} "
            f"(callback Status {outcome.callback_status!r}), not on a working page of the insurer.",
            [*answered, ctx.seen(outcome)],
        )


class ConsentDeclined3(Scenario):
    name = "consent_declined"
    title = "The citizen declines"
    requirements = ("DSOP-DECLINED",)

    def run(self, ctx: Context) -> None:
        outcome = ctx.consent(REJECT)
        declined = outcome.consent_request_id
        if not outcome.answered or not declined:
            ctx.not_run("DSOP-DECLINED", f"The citizen never reached the consent page ({outcome.final_url}).")
            return
        answer = ctx.fetch()
        events = ctx.events()
        nav = events.nav_calls(ctx.org, ctx.person["pid"], status=200)
        tried = events.consent_grants(ctx.client_id or "", declined) + events.lookups(declined)
        ok = answer.status == "consent_required" and not nav and not tried and outcome.final_status < 500
        if ok:
            why = (
                "After «Nei» (Status=Failed) the insurer asked Maskinporten for nothing, and its fetch hook said "
                "consent_required."
            )
        elif nav:
            why = "After «Nei» the insurer got NAV data."
        elif tried:
            why = (
                f"After «Nei» (Status=Failed) the insurer still asked Maskinporten for a token with the declined "
                f"consent {declined} ({len(tried)} request(s))."
            )
        elif answer.status != "consent_required":
            why = (
                f"After «Nei» the fetch hook answered {answer.status!r} (HTTP {answer.http_status}) instead of "
                f"consent_required."
            )
        else:
            why = f"After «Nei» the insurer's callback page answered HTTP {outcome.final_status}."
        ctx.judge("DSOP-DECLINED", ok, why, [*(nav or tried), answer.evidence])


FORGED_PARAMS = ("id", "consentId", "requestId")  # the names a consent id goes by in redirect URLs


def with_forged_id(url: str, forged_id: str, **more: str) -> str:
    """``url`` with Status=OK and every usual name for a consent id set to ``forged_id``."""
    params = "&".join([f"{name}={forged_id}" for name in FORGED_PARAMS] + [f"{k}={v}" for k, v in more.items()])
    return f"{url}{'&' if '?' in url else '?'}Status=OK&{params}"


class ForgedCallback3(Scenario):
    """Two forged callbacks, each with Status=OK and a consent id the insurer never made: one at the
    profile's redirect URI with a made-up correlation, one at the redirect URL of a claim that really
    waits for the citizen's answer (the citizen reached the consent page and left it unanswered; Altinn
    holds the insurer's redirectUrl with its own correlation). Neither id may reach Maskinporten."""

    name = "forged_callback"
    title = "Someone sends the citizen a forged callback"
    requirements = ("DSOP-CALLBACK-STATE",)

    def run(self, ctx: Context) -> None:
        callbacks = ctx.profile.redirect_uris
        if not callbacks:
            ctx.not_run("DSOP-CALLBACK-STATE", "The profile names no redirect URI ([idporten] redirect_uris).")
            return
        forged = ctx.new_id()
        targets = [with_forged_id(callbacks[0], forged, claim=ctx.new_id(), state=ctx.new_id())]
        pending = ctx.leave_pending().consent_request_id
        if pending:
            targets.append(with_forged_id(ctx.api.consent3(pending)["redirectUrl"], forged))
        answers = ctx.forge_callbacks(targets, f"Status=OK and a consent id it never made ({forged})")

        def used():
            events = ctx.events()
            return events.consent_grants(ctx.client_id or "", forged) + events.lookups(forged)

        tried = ctx.wait_for(used, timeout=1.0)
        answered = ", ".join(f"HTTP {answer['status']}" for answer in answers)
        ctx.judge(
            "DSOP-CALLBACK-STATE",
            not tried,
            f"The insurer did not use the forged callbacks ({answered}): no token request or lookup named {forged}"
            + ("" if pending else " (no pending claim could be forged: the citizen never reached a consent page)")
            + "."
            if not tried
            else f"The insurer took the consent id of a forged callback and asked Maskinporten for it ({forged}).",
            tried or answers,
        )
