"""The citizen's innsyn at NAV (docs/nav.md, «Disclosure log and innsyn»), server-rendered: Jinja
autoescape, inline CSS, no script, no third-party resource.

* ``GET /person/personopplysninger/dsop`` — "Digital samhandling offentlig-privat": every
  disclosure about the logged-in citizen made under a consent, grouped by year, newest first.
* ``GET /person/personopplysninger/dsop/<id>`` — one disclosure: recipient, time, tema,
  behandlingsgrunnlag, the consent and its generation (an Altinn 2 consent from its token, an
  Altinn 3 consent from the facts kept of the Maskinporten token), the request, and the delivered
  data told readably (:mod:`.delivered`) with the raw JSON folded beneath.
* ``GET /person/personopplysninger/dsop/<id>/data.json`` — the delivered JSON, byte for byte, as
  an attachment.
* ``GET /person/dsop-api/get`` — the BFF (navikt/dsop-api) the real page reads: a JSON list of
  ``{tema, uthentingsTidspunkt, mottaker, mottakernavn, leverteData, samtykkeToken}`` (no
  ``samtykkeToken`` for an Altinn 3 consent: it has no token of its own); 401
  ``{"melding", "kode"}`` without a session.
* ``/oauth2/login``, ``/oauth2/callback``, ``/oauth2/logout`` — login through ID-porten (level
  high) with :mod:`.login`; the logout also ends the ID-porten session (RP-initiated logout).

Another person's entry, an entry made under no consent and an unknown or malformed id are the
same 404 page: the page never tells that an entry exists.
"""

from __future__ import annotations

import re
from urllib.parse import urlencode

from flask import Blueprint, Response, jsonify, redirect, render_template, request

from dsop_sandbox.mocks.common.citizen_login import LoginFailed, Session
from dsop_sandbox.mocks.common.events import annotate
from dsop_sandbox.mocks.common.language import switch_url
from dsop_sandbox.mocks.common.page_headers import citizen_page_headers

from .. import errors as E
from ..runtime import Nav, nav
from . import delivered, view
from .login import CALLBACK_PATH, CLIENT_ID, DSOP_PATH, LOGIN_PATH, LOGOUT_PATH, party
from .texts import innsyn_language, texts_for

BFF_PATH = "/person/dsop-api/get"
NOT_LOGGED_IN = "IKKE_INNLOGGET"
_ID = re.compile(r"^[0-9]{1,18}$")
SECURITY_HEADERS = citizen_page_headers(forms_stay_here=True)


# -- rendering ------------------------------------------------------------------------------------------------
def html(page: str, status: int = 200) -> Response:
    return Response(page, status=status, mimetype="text/html", headers=SECURITY_HEADERS)


def render(template: str, status: int = 200, session: Session | None = None, **context) -> Response:
    user_name = (view.person_name(nav(), session.pid) or session.pid) if session else None
    lang = innsyn_language()
    return html(
        render_template(
            template,
            session=session,
            user_name=user_name,
            dsop_path=DSOP_PATH,
            logout_path=LOGOUT_PATH,
            lang=lang,
            t=texts_for(lang),
            switch_url=switch_url(lang),
            **context,
        ),
        status,
    )


def message(
    status: int,
    title: str,
    text: str,
    *,
    session: Session | None = None,
    details: str | None = None,
    links: list | None = None,
) -> Response:
    return render(
        "innsyn_message.html", status, session=session, title=title, text=text, details=details, links=links or []
    )


def login_link(return_url: str) -> str:
    return f"{LOGIN_PATH}?{urlencode({'redirect': return_url})}"


def here() -> str:
    """The page asked for, to come back to after the login."""
    return request.full_path.rstrip("?")


def not_found(session: Session) -> Response:
    annotate(error="unknown_entry")
    t = texts_for(innsyn_language())
    return message(
        404,
        t["not_found_title"],
        t["not_found"],
        session=session,
        links=[{"href": DSOP_PATH, "text": t["back"], "id": "back"}],
    )


def own_entry(service: Nav, session: Session, entry_id: str) -> dict | None:
    """The citizen's own entry made under a consent, else None (whoever else's it is)."""
    if not _ID.match(entry_id):
        return None
    entry = service.disclosures.get(int(entry_id))
    if entry is None or entry["person"] != session.pid or entry.get("consentGeneration") is None:
        return None
    return entry


def own_entries(service: Nav, pid: str) -> list[dict]:
    """What sporingslogg's ``/api/les`` answers: own entries made under a consent, newest first."""
    return sorted(service.disclosures.of_person(pid), key=lambda e: (e["uthentingsTidspunkt"], e["id"]), reverse=True)


def entry_page(service: Nav, session: Session, entry: dict) -> Response:
    """One disclosure: its facts, the consent, the request, and what was delivered, told readably."""
    lang = innsyn_language()
    return render(
        "innsyn_entry.html",
        session=session,
        item=view.detail(service, entry, lang),
        readable=delivered.readable(view.kind_of(service, entry), view.delivered_json(entry), lang),
        altinn_consents=service.settings.base_url("altinn") + "/ui/Profile/Consents",
    )


def login_failed(exc: LoginFailed) -> Response:
    t = texts_for(innsyn_language())
    again = [{"href": login_link(DSOP_PATH), "text": t["login_again"], "id": "try-again"}]
    if exc.kind == "idporten_error" and exc.status == 403:
        return message(403, t["cancelled_title"], t["cancelled"], details=exc.detail, links=again)
    text = t["login"].get(exc.kind, t["login_refused"])
    return message(exc.status, t["login_failed_title"], text, details=exc.detail, links=again)


# -- routes ------------------------------------------------------------------------------------------------------
def add_routes(bp: Blueprint) -> None:
    @bp.get(DSOP_PATH, endpoint="innsyn_list")
    def innsyn_list():
        service = nav()
        rp = party(service)
        session = rp.current_session()
        if session is None:
            return rp.start_login(here(), innsyn_language())
        annotate(subject=session.pid)
        rows = [view.row(service, entry, innsyn_language()) for entry in own_entries(service, session.pid)]
        return render(
            "innsyn_list.html",
            session=session,
            years=view.by_year(rows),
            count=len(rows),
            altinn_consents=service.settings.base_url("altinn") + "/ui/Profile/Consents",
        )

    def with_own_entry(entry_id: str, answer):
        """Log in first if needed; then ``answer(service, session, entry)`` for the citizen's own
        entry, or the not-found page (another person's entry is not found either)."""
        service = nav()
        rp = party(service)
        session = rp.current_session()
        if session is None:
            return rp.start_login(here(), innsyn_language())
        annotate(subject=session.pid, disclosure=entry_id[:20])
        entry = own_entry(service, session, entry_id)
        if entry is None:
            return not_found(session)
        return answer(service, session, entry)

    @bp.get(DSOP_PATH + "/<entry_id>", endpoint="innsyn_entry")
    def innsyn_entry(entry_id: str):
        return with_own_entry(entry_id, entry_page)

    @bp.get(DSOP_PATH + "/<entry_id>/data.json", endpoint="innsyn_download")
    def innsyn_download(entry_id: str):
        return with_own_entry(
            entry_id,
            lambda service, session, entry: Response(
                view.delivered_json(entry),
                mimetype="application/json",
                headers={
                    "Content-Disposition": f'attachment; filename="utleverte-data-{entry["id"]}.json"',
                    "Cache-Control": "no-store",
                    "X-Content-Type-Options": "nosniff",
                },
            ),
        )

    @bp.get(BFF_PATH, endpoint="innsyn_bff")
    def innsyn_bff():
        service = nav()
        session = party(service).current_session()
        if session is None:
            raise E.nav_error(401, NOT_LOGGED_IN, f"Du er ikke innlogget: logg inn med ID-porten på {DSOP_PATH} først.")
        annotate(subject=session.pid)
        response = jsonify([view.bff_item(service, entry) for entry in own_entries(service, session.pid)])
        response.headers["Cache-Control"] = "no-store"
        return response

    # -- login -------------------------------------------------------------------------------------------------
    @bp.get(CALLBACK_PATH, endpoint="innsyn_login_callback")
    def login_callback():
        service = nav()
        rp = party(service)
        try:
            pending, claims = rp.finish_login(request.args)
        except LoginFailed as exc:
            annotate(error=exc.kind)
            return login_failed(exc)
        problem = rp.acr_problem(claims)
        if problem:
            annotate(subject=claims["pid"], error="acr_too_low", acr=claims.get("acr"))
            t = texts_for(innsyn_language())
            return message(
                403,
                t["level_title"],
                t["level"],
                details=problem,
                links=[{"href": login_link(pending["return_url"]), "text": t["login_again"], "id": "try-again"}],
            )
        annotate(subject=claims["pid"], acr=claims["acr"])
        return rp.logged_in(pending, claims)

    @bp.get(LOGIN_PATH, endpoint="innsyn_login")
    def login_start():
        """Start a login explicitly (``prompt=login``: a new login at ID-porten, not SSO)."""
        rp = party(nav())
        return rp.start_login(rp.safe_return_url(request.args.get("redirect")), innsyn_language(), prompt="login")

    @bp.get(LOGOUT_PATH, endpoint="innsyn_logout")
    def logout():
        """Out of NAV and, as nav.no does, out of ID-porten too (RP-initiated logout): on a shared
        computer the next person must not be logged in by ID-porten's single sign-on. ID-porten
        shows its own "logged out" page: NAV's registered post-logout URI is ``<nav>/``, which the
        sandbox's NAV leaves to its API (an unknown path there is a 404 in NAV's JSON shape)."""
        service = nav()
        rp = party(service)
        pid = rp.end_session()
        if pid:
            annotate(subject=pid)
        params = {"client_id": CLIENT_ID, "ui_locales": innsyn_language()}
        response = redirect(f"{service.idporten_base_url}/logout?{urlencode(params)}", code=302)
        response.headers["Cache-Control"] = "no-store"
        rp.clear_session_cookie(response)
        return response
