"""The walkthrough's hops that the control plane takes part in, and so records in its own log.

The walkthrough shows one consent generation at a time (Altinn 3 by default, or Altinn 2), with the
reference insurer registered for that generation (:func:`insurer_url`). The reference insurer keeps
no event log, so the hops to it are seen only where the control plane makes them:

* ``GET /_sandbox/dashboard/start`` (operation ``start_claim``) sends the browser on to the insurer's
  ``/claims/start`` for the walkthrough person; what the insurer answers the browser is not seen;
* ``POST /_sandbox/dashboard/insurer-fetch`` (operation ``insurer_fetch``) POSTs the insurer's
  ``/conformance/fetch`` ("fetch again") and passes its answer through. The event is written when
  the insurer has answered, dated (as every control plane event) by when the request began, so it
  comes before the calls the insurer made meanwhile.

Two controls of the walkthrough are admin calls (counted, not drawn):

* ``POST /_sandbox/dashboard/three-years-later`` moves every service's calendar to three years and a
  day after today, whatever it read before (so step 7 can be run again without going further ahead);
* ``POST /_sandbox/dashboard/reset`` ("reset for the next group") resets the sandbox as
  ``POST /_sandbox/reset`` does, then every reference insurer started beside it (its claims, pending
  ones too), through the reset key the process that started both handed each side
  (:func:`allow_insurer_reset`). An insurer the control plane holds no key for is left alone, and
  the answer says so.

Both hops take ``consent`` (``altinn3`` or ``altinn2``, default ``altinn3``): which generation's insurer.
An event that made the hop carries ``details.hop`` (``{"from": "citizen", "to": "insurer"}`` for the
start, ``{"from": "control", "to": "insurer"}`` for the fetch, made on the insurer's behalf),
``details.target`` (the insurer URL, without the query), ``details.consent`` (the generation) and
``subject`` (the person); the fetch adds ``details.insurer_status`` (the insurer's HTTP status),
``details.answer_status`` (the ``status`` of its JSON answer), ``details.answer_detail`` (its
``detail``, why no data came) and ``error`` when that answer was not
``ok``. A request refused before any hop (a bad ``pid`` or ``consent``, no insurer) is an event
without ``details.hop``.
"""

from __future__ import annotations

from urllib.parse import quote, urlencode

import requests
from flask import Blueprint, Flask, redirect, request

from dsop_sandbox.mocks.common.admin import admin_error, admin_json
from dsop_sandbox.mocks.common.clock import Duration
from dsop_sandbox.mocks.common.errors import json_response
from dsop_sandbox.mocks.common.events import annotate

from .admin import move_calendars, reset_sandbox
from .insurers import CONSENT_GENERATIONS
from .state import EXTENSION, control

BLUEPRINT = "walkthrough"
START_ROUTE = "/_sandbox/dashboard/start"
FETCH_ROUTE = "/_sandbox/dashboard/insurer-fetch"
YEARS_LATER_ROUTE = "/_sandbox/dashboard/three-years-later"
RESET_ROUTE = "/_sandbox/dashboard/reset"
#: How far "three years later" moves the calendar from today: past any consent's validTo (at most
#: three years, the reference insurer asks for three years less a day).
YEARS_LATER = "P3Y1D"
RESET_PATH = "/conformance/reset"
#: The reads among the walkthrough's routes that are events all the same (a hop, not a look).
RECORDED_READS = ("start_claim",)

#: The reference insurer's own routes, and how to recognise its registration.
CALLBACK_SUFFIX = "/claims/callback"
START_PATH = "/claims/start"
FETCH_PATH = "/conformance/fetch"
FETCH_TIMEOUT = 30

#: The test person of the walkthrough (she has uføre and AAP histories at NAV).
WALKTHROUGH_PERSON = {"pid": "15838512329", "first_name": "Kari", "last_name": "Nordmann"}
MAX_NAME = 100
#: How much of the insurer's ``detail`` (why it got no data) the fetch's event keeps.
MAX_DETAIL = 300
HOP = {"from": "citizen", "to": "insurer"}
#: "Fetch again" is the control plane's call to the insurer's fetch hook, on the insurer's behalf.
FETCH_HOP = {"from": "control", "to": "insurer"}


#: The generation the walkthrough shows unless asked for another (what production runs).
DEFAULT_CONSENT = CONSENT_GENERATIONS[0]


def use_reference_insurer(app: Flask, url: str, consent: str = DEFAULT_CONSENT) -> None:
    """Tell the control plane of ``app`` where the reference insurer for the ``consent`` generation
    runs (the walkthrough's hops for that generation go there)."""
    if consent not in CONSENT_GENERATIONS:
        raise ValueError(f"consent must be one of {', '.join(CONSENT_GENERATIONS)}, not {consent!r}")
    app.extensions[EXTENSION].reference_insurers[consent] = url.rstrip("/")


def allow_insurer_reset(app: Flask, url: str, header: str, key: str) -> None:
    """Let the control plane of ``app`` reset the reference insurer at ``url``: ``POST <url>/conformance/reset``
    with ``key`` in ``header`` (the one who started the insurer made the key and gave it to both)."""
    app.extensions[EXTENSION].insurer_resets[url.rstrip("/")] = (header, key)


def insurer_url(consent: str = DEFAULT_CONSENT) -> str | None:
    """The URL of the reference insurer for the ``consent`` generation: as told, else from the
    latest registration for that generation (its ``consent``) whose redirect URI is the reference
    insurer's callback (``<url>/claims/callback``)."""
    cp = control()
    if consent in cp.reference_insurers:
        return cp.reference_insurers[consent]
    for facts in reversed(cp.insurers.all()):
        if facts.get("consent", DEFAULT_CONSENT) != consent:
            continue
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


def person_query(person: dict = WALKTHROUGH_PERSON) -> str:
    return urlencode({key: person[key] for key in ("pid", "first_name", "last_name")}, quote_via=quote)


def consent_query(consent: str) -> str:
    """The query naming the generation, for the walkthrough's routes."""
    return urlencode({"consent": consent})


def walkthrough_blueprint() -> Blueprint:
    bp = Blueprint(BLUEPRINT, __name__)

    @bp.get(START_ROUTE)
    def start_claim():
        """The walkthrough's "start a claim": sends the browser on to the ``consent`` generation's
        reference insurer's ``/claims/start`` for the walkthrough person (or ``pid``/``first_name``/``last_name``)."""
        consent = _consent()
        insurer = _insurer(consent)
        person = {
            key: request.args.get(key, WALKTHROUGH_PERSON[key]).strip() for key in ("pid", "first_name", "last_name")
        }
        _check_pid(person["pid"])
        for key in ("first_name", "last_name"):
            if len(person[key]) > MAX_NAME or not person[key].isprintable():
                raise admin_error(400, "invalid_request", f"{key} must be printable, at most {MAX_NAME} characters")
        annotate(
            subject=person["pid"],
            hop=HOP,
            target=insurer + START_PATH,
            consent=consent,
            seen_by="the control plane, which sent the browser there",
        )
        response = redirect(f"{insurer}{START_PATH}?{person_query(person)}", code=302)
        response.headers["Cache-Control"] = "no-store"
        return response

    @bp.post(FETCH_ROUTE)
    def insurer_fetch():
        """The walkthrough's "fetch again": POSTs the ``consent`` generation's reference insurer's
        ``/conformance/fetch`` for the walkthrough person (or ``pid``) and passes its JSON answer
        through (the page cannot read another origin's answer itself)."""
        consent = _consent()
        insurer = _insurer(consent)
        pid = request.args.get("pid", WALKTHROUGH_PERSON["pid"])
        _check_pid(pid)
        target = insurer + FETCH_PATH
        annotate(
            subject=pid,
            hop=FETCH_HOP,
            target=target,
            consent=consent,
            seen_by="the control plane, which made this call for the page",
        )
        try:
            answer = control().fanout.session.post(target, params={"pid": pid}, timeout=FETCH_TIMEOUT)
        except requests.RequestException as exc:
            annotate(exception=type(exc).__name__)
            raise admin_error(
                502, "service_unreachable", f"the reference insurer at {insurer}: {type(exc).__name__}"
            ) from exc
        try:
            body = answer.json()
        except ValueError:
            body = {"raw": answer.text[:500]}
        said = body.get("status") if isinstance(body, dict) and isinstance(body.get("status"), str) else None
        good = answer.status_code < 400 and said in (None, "ok")
        detail = body.get("detail") if isinstance(body, dict) else None
        annotate(
            error=None if good else (said or f"http_{answer.status_code}"),
            insurer_status=answer.status_code,
            answer_status=said,
            answer_detail=detail[:MAX_DETAIL] if isinstance(detail, str) else None,
        )
        return json_response({"insurer_status": answer.status_code, "answer": body})

    @bp.post(YEARS_LATER_ROUTE)
    def three_years_later():
        """Every service's calendar to :data:`YEARS_LATER` after today (not after where it stood)."""
        clock = control().clock
        now = clock.now()
        later = (Duration.parse(YEARS_LATER).added_to(now) - now).total_seconds()
        return json_response(move_calendars(clock.checked_offset(later)))

    @bp.post(RESET_ROUTE)
    def reset_for_the_next_group():
        """The sandbox's reset (the same body as ``POST /_sandbox/reset``), then every reference
        insurer's it may reset; 502 when one of those failed (the sandbox is reset all the same)."""
        services = reset_sandbox(admin_json(optional=True) or {})
        insurers = {url: _reset_insurer(url, header, key) for url, (header, key) in control().insurer_resets.items()}
        for consent in CONSENT_GENERATIONS:
            url = insurer_url(consent)
            if url and url not in insurers:
                insurers[url] = {"status": "not_reset", "detail": "the sandbox holds no reset key for this insurer"}
        failed = [url for url, answer in insurers.items() if answer["status"] == "failed"]
        annotate(insurers=sorted(insurers), error="insurer_reset_failed" if failed else None)
        body = {"reset": True, "services": services, "insurers": insurers}
        if failed:
            body.update(error="insurer_reset_failed", error_description="not reset: " + ", ".join(failed))
        return json_response(body, 502 if failed else 200)

    return bp


def _reset_insurer(url: str, header: str, key: str) -> dict:
    try:
        answer = control().fanout.session.post(url + RESET_PATH, headers={header: key}, timeout=FETCH_TIMEOUT)
    except requests.RequestException as exc:
        return {"status": "failed", "detail": type(exc).__name__}
    if answer.status_code != 200:
        return {"status": "failed", "detail": f"answered {answer.status_code}"}
    try:
        forgotten = answer.json().get("claims_forgotten")
    except (ValueError, AttributeError):
        forgotten = None
    return {"status": "reset", "claims_forgotten": forgotten}


def _consent() -> str:
    consent = request.args.get("consent", DEFAULT_CONSENT)
    if consent not in CONSENT_GENERATIONS:
        raise admin_error(400, "invalid_request", f"consent must be one of {', '.join(CONSENT_GENERATIONS)}")
    return consent


def _insurer(consent: str) -> str:
    insurer = insurer_url(consent)
    if not insurer:
        raise admin_error(404, "not_found", f"no reference insurer for {consent} is running beside this sandbox")
    return insurer


def _check_pid(pid: str) -> None:
    if not pid.isdigit() or len(pid) != 11:
        raise admin_error(400, "invalid_request", "pid must be 11 digits")
