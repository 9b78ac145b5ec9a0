"""The admin API every service has under ``/_sandbox``: health, events, faults, clock,
lifetimes and reset. Services add their own fixtures with :func:`fixtures_blueprint`."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Blueprint, Response, current_app, request

from .clock import ClockError
from .errors import ADMIN_ERRORS, ServiceError, json_response
from .faults import FaultError
from .lifetimes import LifetimeError
from .payload import read_json, trace_id

#: The certificates a service's TLS server can present: its own from the key authority, or one
#: from a root outside the CA bundle.
CERTIFICATE_KINDS = ("authority", "untrusted")


def _rt():
    return current_app.extensions["sandbox"]


def admin_error(status: int, code: str, message: str) -> ServiceError:
    return ADMIN_ERRORS.error(status, code, message, trace_id())


def admin_json(optional: bool = False):
    return read_json(ADMIN_ERRORS, optional=optional)


def fixtures_blueprint(service: str) -> Blueprint:
    """A blueprint for a service's own fixtures under ``/_sandbox`` (endpoints count as admin)."""
    return Blueprint(f"admin_{service}", f"dsop_sandbox.admin_{service}", url_prefix="/_sandbox")


def admin_blueprint() -> Blueprint:
    bp = Blueprint("admin", __name__, url_prefix="/_sandbox")

    @bp.get("/health")
    def health():
        rt = _rt()
        return json_response({"status": "ok", "service": rt.name})

    @bp.get("/events")
    def events():
        since = _int_arg("since", 0, minimum=0)
        limit = _int_arg("limit", 1000, minimum=1, maximum=10000)
        rt = _rt()
        items = rt.events.since(since, limit)
        return json_response({"service": rt.name, "events": items, "last_id": items[-1]["id"] if items else since})

    @bp.get("/faults")
    def list_faults():
        rt = _rt()
        return json_response({"service": rt.name, "operations": list(rt.faults.operations), "faults": rt.faults.list()})

    @bp.post("/faults")
    def arm_fault():
        rt = _rt()
        try:
            fault = rt.faults.arm(admin_json())
        except FaultError as exc:
            raise admin_error(400, "invalid_fault", str(exc)) from exc
        return json_response({"service": rt.name, **fault.describe()}, 201)

    @bp.delete("/faults")
    def clear_faults():
        cleared = _rt().faults.clear(request.args.get("operation"))
        return json_response({"cleared": cleared})

    @bp.get("/clock")
    def show_clock():
        rt = _rt()
        return json_response({"service": rt.name, **rt.clock.describe()})

    @bp.post("/clock")
    def move_clock():
        """``{"advance": "P3Y"}``, ``{"set": "2029-12-01T00:00:00Z"}``, ``{"offset_seconds": n}``
        or ``{"reset": true}``."""
        rt = _rt()
        body = admin_json()
        rt.set_calendar_offset(calendar_offset_from(body, rt.clock))
        return json_response({"service": rt.name, **rt.clock.describe()})

    @bp.get("/lifetimes")
    def show_lifetimes():
        rt = _rt()
        return json_response({"service": rt.name, "lifetimes": rt.lifetimes.as_dict()})

    @bp.post("/lifetimes")
    def change_lifetimes():
        rt = _rt()
        try:
            values = rt.lifetimes.update(admin_json())
        except LifetimeError as exc:
            raise admin_error(400, "invalid_lifetime", str(exc)) from exc
        return json_response({"service": rt.name, "lifetimes": values})

    @bp.delete("/lifetimes")
    def reset_lifetimes():
        rt = _rt()
        rt.lifetimes.reset()
        return json_response({"service": rt.name, "lifetimes": rt.lifetimes.as_dict()})

    @bp.get("/tls")
    def show_certificate():
        rt = _rt()
        switch = rt.certificates
        return json_response(
            {
                "service": rt.name,
                "tls": switch is not None,
                "certificate": switch.current() if switch is not None else None,
            }
        )

    @bp.post("/tls")
    def serve_certificate():
        """``{"certificate": "untrusted"}``: the server presents a certificate for the same host
        names from a root outside the CA bundle (a client that verifies must refuse it), until
        ``{"certificate": "authority"}``. Answers the PEM of the root it now chains to."""
        rt = _rt()
        kind = admin_json().get("certificate")
        if kind not in CERTIFICATE_KINDS:
            raise admin_error(400, "invalid_request", f"certificate must be one of {', '.join(CERTIFICATE_KINDS)}")
        if rt.certificates is None:
            raise admin_error(409, "tls_off", f"{rt.name} serves plain HTTP; start the sandbox with --tls")
        root_pem = rt.serve_certificate(kind)
        return json_response({"service": rt.name, "tls": True, "certificate": kind, "root_pem": root_pem})

    @bp.post("/reset")
    def reset():
        """Clear runtime state (events, faults, clock, lifetimes, the service's transient data);
        ``{"registrations": true}`` also forgets registered clients and fixtures."""
        body = admin_json(optional=True) or {}
        registrations = body.get("registrations", False)
        if not isinstance(registrations, bool):
            raise admin_error(400, "invalid_request", "registrations must be true or false")
        rt = _rt()
        rt.reset(registrations=registrations)
        return json_response({"service": rt.name, "reset": True, "registrations": registrations})

    return bp


# -- paging (every admin listing, as the events endpoint does) ------------------------------------
#: Items per page when ``limit`` is not given, and the most a page may ask for.
PAGE_LIMIT, MAX_PAGE_LIMIT = 1000, 10000


@dataclass(frozen=True)
class PageRequest:
    """``?since=CURSOR&limit=N`` of a listing: items after the cursor (0: from the start)."""

    since: int
    limit: int


def page_request() -> PageRequest:
    return PageRequest(
        _int_arg("since", 0, minimum=0), _int_arg("limit", PAGE_LIMIT, minimum=1, maximum=MAX_PAGE_LIMIT)
    )


def paged(listing: str, rows: list[tuple[int, dict]], page: PageRequest, **extra) -> Response:
    """``{listing: [...], "next": cursor}`` for ``rows`` of (cursor, item) in cursor order; ``next``
    is the ``since`` of the following page, null when this page is the last."""
    more = len(rows) >= page.limit
    return json_response({listing: [item for _, item in rows], "next": rows[-1][0] if more else None, **extra})


def paged_list(listing: str, items: list, page: PageRequest, **extra) -> Response:
    """:func:`paged` for a listing read whole (registrations, never the big logs): the cursor is
    the position."""
    chosen = items[page.since : page.since + page.limit]
    return paged(listing, list(enumerate(chosen, start=page.since + 1)), page, **extra)


def calendar_offset_from(body: dict, clock) -> float:
    """The calendar offset a clock request asks for (shared by services and the control plane)."""
    keys = [key for key in ("advance", "set", "offset_seconds", "reset") if key in body]
    unknown = set(body) - {"advance", "set", "offset_seconds", "reset"}
    if len(keys) != 1 or unknown:
        raise admin_error(
            400,
            "invalid_clock_request",
            'send exactly one of {"advance": "P3Y"}, {"set": "2029-12-01T00:00:00Z"}, '
            '{"offset_seconds": 0} or {"reset": true}',
        )
    key = keys[0]
    value = body[key]
    try:
        if key == "advance":
            return clock.checked_offset(clock.offset_after_advance(value))
        if key == "set":
            return clock.checked_offset(clock.offset_for(value))
        if key == "offset_seconds":
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise ClockError("offset_seconds must be a number")
            return clock.checked_offset(value)
        if value is not True:
            raise ClockError("reset must be true")
        return 0.0
    except (ClockError, OverflowError) as exc:
        raise admin_error(400, "invalid_clock_request", str(exc)) from exc


def _int_arg(name: str, default: int, minimum: int | None = None, maximum: int | None = None) -> int:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError as exc:
        raise admin_error(400, "invalid_request", f"{name} must be a whole number") from exc
    if minimum is not None and value < minimum:
        raise admin_error(400, "invalid_request", f"{name} must be at least {minimum}")
    if maximum is not None and value > maximum:
        raise admin_error(400, "invalid_request", f"{name} must be at most {maximum}")
    return value
