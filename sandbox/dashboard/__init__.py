"""The workshop dashboard on the control plane: a live sequence diagram of every call across the
services (``GET /`` and ``/dashboard``), a guided walkthrough of the DSOP flow (``/walkthrough``)
and the one admin route the pages need that the control plane lacked
(``POST /_sandbox/consents/<code>/withdraw``, forwarded to Altinn).

``install(app)`` registers it on the control plane's Flask app (idempotent). The pages talk only
to the control plane's own admin API, from small inline JavaScript; nothing is loaded from
outside the sandbox.
"""
from __future__ import annotations

import re
from urllib.parse import quote

import requests
from flask import Blueprint, Flask, current_app, render_template, request

from mocks.common.errors import json_response

BLUEPRINT = "dashboard"
#: ``app.config`` key: the reference insurer's base URL, when whoever started it knows it.
INSURER_URL_KEY = "DSOP_REFERENCE_INSURER_URL"
CALLBACK_SUFFIX = "/claims/callback"

LANES = (("citizen", "Citizen (browser)"), ("insurer", "Insurer"), ("idporten", "ID-porten"),
         ("maskinporten", "Maskinporten"), ("altinn", "Altinn"), ("nav", "NAV"))

#: The test person of the walkthrough (she has uføre and AAP histories at NAV).
WALKTHROUGH_PERSON = {"pid": "15838512329", "first_name": "Kari", "last_name": "Nordmann"}

CODE = re.compile(r"^[A-Za-z0-9-]{1,100}$")


def install(app: Flask) -> Flask:
    """Adds the dashboard to the control plane's app (before it serves its first request)."""
    if BLUEPRINT not in app.blueprints:
        app.register_blueprint(dashboard_blueprint())
    return app


def dashboard_blueprint() -> Blueprint:
    bp = Blueprint(BLUEPRINT, __name__, template_folder="templates")

    @bp.get("/")
    @bp.get("/dashboard")
    def dashboard():
        return _page("dashboard.html")

    @bp.get("/walkthrough")
    def walkthrough():
        return _page("walkthrough.html")

    @bp.post("/_sandbox/consents/<code>/withdraw")
    def withdraw_consent(code: str):
        """Withdraws a consent at Altinn, as its own admin API does (Altinn's answer passed through)."""
        from sandbox.control_plane import _forward
        from mocks.common.admin import admin_error

        if not CODE.match(code):
            raise admin_error(400, "invalid_request", "code must be an authorization code")
        return json_response(_forward("altinn", "POST", f"/_sandbox/consents/{code}/withdraw"))

    @bp.post("/_sandbox/dashboard/insurer-fetch")
    def insurer_fetch():
        """The walkthrough's "fetch again": POSTs the reference insurer's ``/conformance/fetch`` for
        the walkthrough person and passes its JSON answer through (the page cannot read another
        origin's answer itself)."""
        from mocks.common.admin import admin_error

        insurer = insurer_url()
        if not insurer:
            raise admin_error(404, "not_found", "no reference insurer is running beside this sandbox")
        pid = request.args.get("pid", WALKTHROUGH_PERSON["pid"])
        if not pid.isdigit() or len(pid) != 11:
            raise admin_error(400, "invalid_request", "pid must be 11 digits")
        try:
            answer = _control().fanout.session.post(f"{insurer}/conformance/fetch", params={"pid": pid}, timeout=30)
        except requests.RequestException as exc:
            raise admin_error(502, "service_unreachable", f"the reference insurer at {insurer}: "
                                                          f"{type(exc).__name__}") from exc
        try:
            body = answer.json()
        except ValueError:
            body = {"raw": answer.text[:500]}
        return json_response({"insurer_status": answer.status_code, "answer": body})

    return bp


def _control():
    return current_app.extensions["control"]


def services() -> dict[str, str]:
    settings = _control().settings
    return {name: settings.base_url(name) for name in ("control", "idporten", "maskinporten", "altinn", "nav")}


def insurer_url() -> str | None:
    """The reference insurer's URL: as configured, else from a registration whose redirect URI is
    the reference insurer's callback (``<url>/claims/callback``)."""
    configured = current_app.config.get(INSURER_URL_KEY)
    if configured:
        return configured.rstrip("/")
    for facts in reversed(_control().insurers.all()):
        for uri in _redirect_uris(facts):
            if uri.endswith(CALLBACK_SUFFIX):
                return uri[: -len(CALLBACK_SUFFIX)]
    return None


def _redirect_uris(facts) -> list[str]:
    found = []
    if isinstance(facts, dict):
        for key, value in facts.items():
            if key in ("redirect_uris", "redirect_urls") and isinstance(value, list):
                found.extend(v for v in value if isinstance(v, str))
            elif isinstance(value, dict):
                found.extend(_redirect_uris(value))
    return found


def _page(template: str):
    urls = services()
    insurer = insurer_url()
    person = WALKTHROUGH_PERSON
    links = {
        "idporten": urls["idporten"] + "/.well-known/openid-configuration",
        "altinn": urls["altinn"] + "/ui/Profile/Consents",
        "nav": urls["nav"] + "/person/personopplysninger/dsop",
    }
    start = fetch = None
    if insurer:
        start = (f"{insurer}/claims/start?pid={person['pid']}&first_name={quote(person['first_name'])}"
                 f"&last_name={quote(person['last_name'])}")
        fetch = f"{insurer}/conformance/fetch?pid={person['pid']}"
    config = {"lanes": [{"id": lane, "label": label} for lane, label in LANES], "services": urls,
              "insurer": insurer, "fetch_url": fetch}
    return render_template(template, urls=urls, links=links, insurer=insurer, start_url=start, fetch_url=fetch,
                           person=person, lanes=LANES, config=config)
