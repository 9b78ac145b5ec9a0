"""The workshop dashboard on the control plane: a live sequence diagram of every call across the
services (``GET /`` and ``/dashboard``), a guided walkthrough of the DSOP flow (``/walkthrough``)
and the one admin route the pages need that the control plane lacked
(``POST /_sandbox/consents/<code>/withdraw``, forwarded to Altinn).

``install(app)`` registers it on the control plane's Flask app (idempotent). The pages talk only
to the control plane's own admin API, from small inline JavaScript; nothing is loaded from
outside the sandbox.

Where the diagram's arrows come from (each one from evidence, and labelled with it):

* a service's own event log (``GET /_sandbox/events``): every call to ID-porten, Maskinporten,
  Altinn and NAV, including TLS handshakes a client refused (operation ``tls_handshake``);
* Altinn's event for the citizen's answer, whose ``redirect_to`` names the insurer's callback it
  sent the browser to: the citizen's hop back to the insurer, drawn dashed as seen *through*
  Altinn (the insurer keeps no log, so whether the browser arrived is not seen);
* the dashboard's own small log (:class:`HopLog`, ``GET /_sandbox/dashboard/events``) of the hops
  the control plane itself takes part in: ``/_sandbox/dashboard/start`` sends the browser on to
  the insurer's ``/claims/start`` (the walkthrough's "start a claim"), and
  ``/_sandbox/dashboard/insurer-fetch`` POSTs the insurer's ``/conformance/fetch`` ("fetch again")
  and records what the insurer answered.
"""

from __future__ import annotations

import re
import threading
import uuid
from collections import deque
from urllib.parse import quote, urlencode

import requests
from flask import Blueprint, Flask, current_app, redirect, render_template, request

from dsop_sandbox.mocks.common.clock import isoformat
from dsop_sandbox.mocks.common.errors import json_response
from dsop_sandbox.mocks.common.events import isoformat_ms

BLUEPRINT = "dashboard"
#: ``app.config`` key: the reference insurer's base URL, when whoever started it knows it.
INSURER_URL_KEY = "DSOP_REFERENCE_INSURER_URL"
CALLBACK_SUFFIX = "/claims/callback"
START_PATH = "/claims/start"
FETCH_PATH = "/conformance/fetch"
#: ``app.extensions`` key of the dashboard's :class:`HopLog`.
HOPS_KEY = "dsop.dashboard.hops"
#: The ``service`` of the dashboard's own events (not a lane: each event says its hop in ``details.hop``).
HOP_SERVICE = "dashboard"
MAX_NAME = 100

LANES = (
    ("citizen", "Citizen (browser)"),
    ("insurer", "Insurer"),
    ("idporten", "ID-porten"),
    ("maskinporten", "Maskinporten"),
    ("altinn", "Altinn"),
    ("nav", "NAV"),
)

#: The test person of the walkthrough (she has uføre and AAP histories at NAV).
WALKTHROUGH_PERSON = {"pid": "15838512329", "first_name": "Kari", "last_name": "Nordmann"}

CODE = re.compile(r"^[A-Za-z0-9-]{1,100}$")


def install(app: Flask) -> Flask:
    """Adds the dashboard to the control plane's app (before it serves its first request)."""
    if BLUEPRINT not in app.blueprints:
        app.register_blueprint(dashboard_blueprint())
    app.extensions.setdefault(HOPS_KEY, HopLog())
    return app


class HopLog:
    """The hops the control plane itself takes part in, in memory (the control plane keeps no event
    log of its own). Entries have the shape of the services' events plus ``seq``: it grows on every
    change, so an entry that is completed later (a fetch's answer) comes again after ``since``.
    Only the last ``limit`` entries are kept."""

    def __init__(self, limit: int = 1000):
        self._lock = threading.Lock()
        self._entries: deque[dict] = deque(maxlen=limit)
        self._next_id = 0
        self._seq = 0

    def add(
        self,
        clock,
        *,
        operation: str,
        method: str,
        path: str,
        hop: tuple[str, str],
        status: int | None,
        outcome: str,
        subject: str | None = None,
        error: str | None = None,
        **details,
    ) -> dict:
        with self._lock:
            self._next_id += 1
            self._seq += 1
            entry = {
                "id": self._next_id,
                "seq": self._seq,
                "time": isoformat_ms(clock),
                "calendar_time": isoformat(clock.calendar()),
                "service": HOP_SERVICE,
                "operation": operation,
                "method": method,
                "path": path,
                "status": status,
                "outcome": outcome,
                "caller": None,
                "subject": subject,
                "error": error,
                "trace_id": uuid.uuid4().hex,
                "details": {
                    "hop": {"from": hop[0], "to": hop[1]},
                    **{k: v for k, v in details.items() if v is not None},
                },
            }
            self._entries.append(entry)
            return dict(entry)

    def complete(self, entry_id: int, *, status: int, outcome: str, error: str | None = None, **details) -> None:
        """The answer of a hop recorded when it started (its time stays the start's)."""
        with self._lock:
            for entry in self._entries:
                if entry["id"] == entry_id:
                    self._seq += 1
                    entry.update(seq=self._seq, status=status, outcome=outcome, error=error)
                    entry["details"] = {**entry["details"], **{k: v for k, v in details.items() if v is not None}}
                    return

    def clear(self) -> None:
        """Forget every hop (the sandbox was reset); ids and ``seq`` keep growing, so open pages
        polling with an old cursor still get what comes next."""
        with self._lock:
            self._entries.clear()

    def since(self, seq: int = 0) -> tuple[list[dict], int]:
        with self._lock:
            changed = sorted((e for e in self._entries if e["seq"] > seq), key=lambda e: e["seq"])
            return [{**e, "details": dict(e["details"])} for e in changed], self._seq


def hops() -> HopLog:
    return current_app.extensions.setdefault(HOPS_KEY, HopLog())


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
        from dsop_sandbox.control_plane import _forward
        from dsop_sandbox.mocks.common.admin import admin_error

        if not CODE.match(code):
            raise admin_error(400, "invalid_request", "code must be an authorization code")
        return json_response(_forward("altinn", "POST", f"/_sandbox/consents/{code}/withdraw"))

    @bp.get("/_sandbox/dashboard/start")
    def start_claim():
        """The walkthrough's "start a claim": sends the browser on to the reference insurer's
        ``/claims/start`` for the walkthrough person (or ``pid``/``first_name``/``last_name``) and
        notes the hop, which the insurer does not log itself. What the insurer answers the
        browser is not seen here."""
        from dsop_sandbox.mocks.common.admin import admin_error

        insurer = insurer_url()
        if not insurer:
            raise admin_error(404, "not_found", "no reference insurer is running beside this sandbox")
        person = {
            key: request.args.get(key, WALKTHROUGH_PERSON[key]).strip() for key in ("pid", "first_name", "last_name")
        }
        if not person["pid"].isdigit() or len(person["pid"]) != 11:
            raise admin_error(400, "invalid_request", "pid must be 11 digits")
        for key in ("first_name", "last_name"):
            if len(person[key]) > MAX_NAME or not person[key].isprintable():
                raise admin_error(400, "invalid_request", f"{key} must be printable, at most {MAX_NAME} characters")
        hops().add(
            _control().clock,
            operation="start_claim",
            method="GET",
            path=request.path,
            hop=("citizen", "insurer"),
            status=302,
            outcome="redirected",
            subject=person["pid"],
            target=insurer + START_PATH,
            seen_by="the control plane, which sent the browser there",
        )
        response = redirect(f"{insurer}{START_PATH}?{urlencode(person, quote_via=quote)}", code=302)
        response.headers["Cache-Control"] = "no-store"
        return response

    @bp.post("/_sandbox/dashboard/insurer-fetch")
    def insurer_fetch():
        """The walkthrough's "fetch again": POSTs the reference insurer's ``/conformance/fetch`` for
        the walkthrough person and passes its JSON answer through (the page cannot read another
        origin's answer itself). The hop is noted when it starts and completed with the insurer's
        answer."""
        from dsop_sandbox.mocks.common.admin import admin_error

        insurer = insurer_url()
        if not insurer:
            raise admin_error(404, "not_found", "no reference insurer is running beside this sandbox")
        pid = request.args.get("pid", WALKTHROUGH_PERSON["pid"])
        if not pid.isdigit() or len(pid) != 11:
            raise admin_error(400, "invalid_request", "pid must be 11 digits")
        log = hops()
        hop = log.add(
            _control().clock,
            operation="insurer_fetch",
            method="POST",
            path=request.path,
            hop=("citizen", "insurer"),
            status=None,
            outcome="pending",
            subject=pid,
            target=insurer + FETCH_PATH,
            seen_by="the control plane, which made this call for the page",
        )
        try:
            answer = _control().fanout.session.post(f"{insurer}{FETCH_PATH}", params={"pid": pid}, timeout=30)
        except requests.RequestException as exc:
            log.complete(
                hop["id"], status=0, outcome="error", error="service_unreachable", exception=type(exc).__name__
            )
            raise admin_error(
                502, "service_unreachable", f"the reference insurer at {insurer}: {type(exc).__name__}"
            ) from exc
        try:
            body = answer.json()
        except ValueError:
            body = {"raw": answer.text[:500]}
        said = body.get("status") if isinstance(body, dict) and isinstance(body.get("status"), str) else None
        good = answer.status_code < 400 and said in (None, "ok")
        log.complete(
            hop["id"],
            status=answer.status_code,
            outcome="ok" if good else "refused",
            error=None if good else (said or f"http_{answer.status_code}"),
            answer_status=said,
        )
        return json_response({"insurer_status": answer.status_code, "answer": body})

    @bp.after_app_request
    def forget_hops_on_reset(response):
        """``POST /_sandbox/reset`` empties the services' event logs: the dashboard's hops go too."""
        if request.method == "POST" and request.path == "/_sandbox/reset" and response.status_code == 200:
            hops().clear()
        return response

    @bp.get("/_sandbox/dashboard/events")
    def dashboard_events():
        """The dashboard's own hops changed since ``since`` (the ``cursor`` of the previous answer)."""
        from dsop_sandbox.mocks.common.admin import admin_error

        since = request.args.get("since", "0") or "0"
        if not since.isdigit():
            raise admin_error(400, "invalid_request", "since must be the cursor of a previous answer")
        events, cursor = hops().since(int(since))
        return json_response({"events": events, "cursor": cursor})

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
    start = fetch = start_via = None
    if insurer:
        start = (
            f"{insurer}{START_PATH}?pid={person['pid']}&first_name={quote(person['first_name'])}"
            f"&last_name={quote(person['last_name'])}"
        )
        start_via = (
            f"/_sandbox/dashboard/start?pid={person['pid']}&first_name={quote(person['first_name'])}"
            f"&last_name={quote(person['last_name'])}"
        )
        fetch = f"{insurer}{FETCH_PATH}?pid={person['pid']}"
    config = {
        "lanes": [{"id": lane, "label": label} for lane, label in LANES],
        "services": urls,
        "insurer": insurer,
        "fetch_url": fetch,
        "hops_url": "/_sandbox/dashboard/events",
    }
    return render_template(
        template,
        urls=urls,
        links=links,
        insurer=insurer,
        start_url=start,
        start_via=start_via,
        fetch_url=fetch,
        person=person,
        lanes=LANES,
        config=config,
    )
