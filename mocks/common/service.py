"""What every fake's app factory starts from.

:func:`create_service_app` gives a Flask app with the service's store, clock, lifetimes,
event log and faults (``app.extensions["sandbox"]``, reached through :func:`runtime`), the
admin blueprint under ``/_sandbox``, JSON errors in the service's own shape for every failure,
and a WSGI layer that applies armed faults and writes one event per request.

The control plane is built the same way, with three options no fake uses: no per-service admin
blueprint (its ``/_sandbox`` routes fan out to the services instead), only the reads it names
become events (its pages and admin reads are the sandbox's own machinery), and events dated by
when the request began (it orchestrates: a call it makes to another service is recorded when
the answer is in, but happened inside the request).
"""

from __future__ import annotations

import errno
import json
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from flask import Flask, Response, current_app, request
from werkzeug.exceptions import HTTPException

from . import favicon
from .admin import admin_blueprint
from .admin_access import AdminAccess, redact_body
from .clock import Clock
from .compiled_templates import COMPILED_TEMPLATES
from .direct import AFTER_EXTENSION, DIRECT_EXTENSION, after_response, request_class
from .errors import ADMIN_ERRORS, ErrorShape, ServiceError, json_response
from .events import EventDraft, EventLog, annotate, drafting
from .faults import FAULTS_SCHEMA, FAULTS_TABLE, Faults
from .lifetimes import Lifetimes
from .open_store import open_store
from .outbound import Outbound
from .page_headers import secure_page
from .payload import trace_id as current_trace_id
from .settings import MAY_BE_ZERO, Settings
from .shared_state import SharedState
from .store import Store, write_meta
from .url_rules import LazyBuilderRule

log = logging.getLogger("dsop_sandbox")

ADMIN_PREFIX = "/_sandbox"
#: ``app.extensions`` key of the service's :class:`~.admin_access.AdminAccess`.
ACCESS_EXTENSION = "admin_access"
#: Set on the WSGI environ: whether the request carries the admin token.
ADMIN_CALLER_KEY = "dsop.admin_caller"
TRACE_HEADERS = ("Nav-Call-Id", "X-Request-Id", "X-Correlation-Id")
CALENDAR_OFFSET_KEY = "calendar_offset"
#: Which certificate the servers in front of the service present (``POST /_sandbox/tls``).
TLS_CERTIFICATE_KEY = "tls_certificate"

#: Generic error codes for HTTP failures the framework raises, mapped to each service's shape.
HTTP_ERROR_CODES = {
    400: "invalid_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    413: "request_too_large",
    415: "unsupported_media_type",
    429: "too_many_requests",
    500: "server_error",
    502: "bad_gateway",
    503: "service_unavailable",
    504: "gateway_timeout",
}


class CertificateSwitch(Protocol):
    """Turns which certificate the server in front of a service presents. Whoever serves the app
    over TLS (the launcher) installs one as ``ServiceRuntime.certificates``; a fake never does."""

    def current(self) -> str:
        """``authority`` (chains to the CA bundle) or ``untrusted`` (a root outside the bundle)."""

    def serve(self, kind: str) -> str:
        """Present ``kind`` from now on; the PEM of the root the new certificate chains to."""


@dataclass
class ServiceRuntime:
    name: str
    settings: Settings
    clock: Clock
    store: Store
    events: EventLog
    faults: Faults
    lifetimes: Lifetimes
    errors: ErrorShape
    shared: SharedState  # what tells this process that another one changed the service's state
    reset_hooks: list[Callable[[bool], None]] = field(default_factory=list)
    certificates: CertificateSwitch | None = None  # set when the service is served over TLS
    outbound: Outbound = field(default_factory=Outbound)  # the sessions for the service's calls to others

    def __post_init__(self):
        self._stored_offset: float | None = None
        self.shared.on_change(self._load_calendar_offset)
        self.shared.on_change(self.take_up_certificate)

    def on_reset(self, hook: Callable[[bool], None]) -> None:
        """Call ``hook(registrations)`` after the store is reset, in the process that was asked to
        reset, to put back what every sandbox has (seeding). Copies of store state held in memory
        are dropped through ``shared.on_change`` instead, in every process."""
        self.reset_hooks.append(hook)

    def reset(self, registrations: bool = False) -> None:
        """Reset the store (faults, lifetimes and the calendar offset with it) once for every
        process of the service; the generation change makes each of them reload its copies."""
        self.store.reset(registrations=registrations)
        self.clock.set_calendar_offset(0.0)
        self._stored_offset = 0.0
        for hook in self.reset_hooks:
            hook(registrations)
        with self.shared.change() as db:
            if self.certificates is not None:  # not runtime state: the certificate served stays
                write_meta(db, TLS_CERTIFICATE_KEY, self.certificates.current())

    def set_calendar_offset(self, seconds: float) -> None:
        with self.shared.change() as db:
            write_meta(db, CALENDAR_OFFSET_KEY, seconds)
        self.clock.set_calendar_offset(seconds)

    def _load_calendar_offset(self) -> None:
        """The stored calendar offset onto the clock when it changed since last loaded (so that a
        clock several services share in one process is not set back to one service's old offset)."""
        stored = float(self.store.get_meta(CALENDAR_OFFSET_KEY, 0.0))
        if stored != self._stored_offset:
            self._stored_offset = stored
            self.clock.set_calendar_offset(stored)

    def serve_certificate(self, kind: str) -> str:
        """Present ``kind`` from now on, through every process's server: the PEM of its root."""
        root_pem = self.certificates.serve(kind)
        with self.shared.change() as db:
            write_meta(db, TLS_CERTIFICATE_KEY, kind)
        return root_pem

    def take_up_certificate(self) -> None:
        """The certificate another process was told to present, on this process's server too: when
        the shared state changed, and (several worker processes on one socket) before each handshake."""
        if self.certificates is None:
            return
        kind = self.store.get_meta(TLS_CERTIFICATE_KEY) or "authority"
        if kind != self.certificates.current():
            self.certificates.serve(kind)

    def handshake_refused(self, alert: str, peer: str) -> None:
        """A client refused this service's TLS certificate: an event, so the refusal is seen
        (operation ``tls_handshake``, status 0, error = the client's TLS alert)."""
        certificate = self.certificates.current() if self.certificates is not None else None
        draft = EventDraft(
            "tls_handshake",
            "TLS",
            "(handshake)",
            uuid.uuid4().hex,
            error=alert,
            outcome="refused",
            details={"peer": peer, "certificate": certificate},
        )
        self.events.record(draft, 0)


def runtime() -> ServiceRuntime:
    return current_app.extensions["sandbox"]


def create_service_app(
    name: str,
    settings: Settings,
    *,
    errors: ErrorShape,
    schema: str = "",
    runtime_tables: tuple[str, ...] = (),
    registration_tables: tuple[str, ...] = (),
    clock: Clock | None = None,
    internal_operations: tuple[str, ...] = (),
    admin_api: bool = True,
    recorded_reads: tuple[str, ...] | None = None,
    dated_by_start: bool = False,
    guard_every_path: bool = False,
) -> Flask:
    """``internal_operations`` are steps inside a request (NAV's disclosure log write) that a fault
    can target too; the handler applies them with ``rt.faults.apply(name)``.

    The control plane's options (every fake keeps the defaults): ``admin_api=False`` leaves out the
    admin blueprint; ``recorded_reads`` names the only operations whose reads (GET, HEAD, OPTIONS)
    become events, where by default every read outside ``/_sandbox`` does; ``dated_by_start`` gives
    each event the protocol and calendar time at which its request began, not the time it ended;
    ``guard_every_path`` applies the admin API's checks (:mod:`.admin_access`) to every path, not
    only to ``/_sandbox``."""
    app = Flask(f"dsop_sandbox.{name}")
    app.url_rule_class = LazyBuilderRule
    app.jinja_options = {**app.jinja_options, "bytecode_cache": COMPILED_TEMPLATES}
    app.config.update(MAX_CONTENT_LENGTH=settings.max_body_bytes, JSON_SORT_KEYS=False)
    app.json.ensure_ascii = False
    app.json.sort_keys = False
    store = open_store(settings, name, schema + FAULTS_SCHEMA, (*runtime_tables, FAULTS_TABLE), registration_tables)
    shared = SharedState(store)
    clock = clock or Clock()
    rt = ServiceRuntime(
        name=name,
        settings=settings,
        clock=clock,
        store=store,
        events=EventLog(name, store, clock, settings.events),
        faults=Faults(lambda: public_operations(app) + tuple(internal_operations), shared),
        lifetimes=Lifetimes(settings.lifetimes_of(name), shared, MAY_BE_ZERO),
        errors=errors,
        shared=shared,
        outbound=Outbound(settings),
    )
    rt._load_calendar_offset()
    app.extensions["sandbox"] = rt
    access = app.extensions[ACCESS_EXTENSION] = AdminAccess(settings)
    if admin_api:
        app.register_blueprint(admin_blueprint())
    _register_error_handlers(app, rt)
    app.extensions[DIRECT_EXTENSION] = {}
    after_response(app, _hide_secrets)
    after_response(app, lambda asked, response: secure_page(response))  # every HTML page: never framed, never sniffed
    app.wsgi_app = ServiceMiddleware(
        app,
        rt,
        access,
        recorded_reads=recorded_reads,
        dated_by_start=dated_by_start,
        guard_every_path=guard_every_path,
    )
    app.wsgi_app = shared.wrap(app.wsgi_app)  # before faults and handlers: this process's copies are current
    return app


def _hide_secrets(request, response):
    """An admin read answers client secrets and API keys to token holders only."""
    if (
        request.path.startswith(ADMIN_PREFIX)
        and request.method in READS
        and not request.environ.get(ADMIN_CALLER_KEY)
        and response.mimetype == "application/json"
        and not response.direct_passthrough
    ):
        hidden = redact_body(response.get_data())
        if hidden is not None:
            response.set_data(hidden)
    return response


def public_operations(app: Flask) -> tuple[str, ...]:
    """The operations a fault can target: every endpoint outside the admin API."""
    names = {
        operation_name(rule.endpoint)
        for rule in app.url_map.iter_rules()
        if not rule.endpoint.startswith("admin") and rule.endpoint != "static"
    }
    return tuple(sorted(names))


def operation_name(endpoint: str) -> str:
    if endpoint.startswith("admin"):
        return "admin." + endpoint.rsplit(".", 1)[-1]
    return endpoint.rsplit(".", 1)[-1]


READS = ("GET", "HEAD", "OPTIONS")
#: (method, path) -> endpoint answers a service's middleware keeps (see ServiceMiddleware._endpoint).
ENDPOINT_CACHE_SIZE = 4096
#: Longer paths are matched every time (so that the cache stays small whatever clients send).
ENDPOINT_CACHE_PATH = 512


class ServiceMiddleware:
    """Trace ids, faults and the event log, around the Flask app (options: see create_service_app)."""

    def __init__(
        self,
        app: Flask,
        rt: ServiceRuntime,
        access: AdminAccess,
        *,
        recorded_reads: tuple[str, ...] | None = None,
        dated_by_start: bool = False,
        guard_every_path: bool = False,
    ):
        self.app = app
        self.inner = app.wsgi_app
        self.rt = rt
        self.access = access
        self.recorded_reads = recorded_reads
        self.dated_by_start = dated_by_start
        self.guard_every_path = guard_every_path
        self.direct: dict[str, tuple[str, Callable]] = app.extensions[DIRECT_EXTENSION]  # endpoint -> (method, view)
        self.request_class = request_class(app)
        self._endpoints: dict[tuple[str, str], str | None] = {}

    def _records(self, method: str, is_admin: bool, operation: str) -> bool:
        if method not in READS:
            return True
        if self.recorded_reads is None:
            return not is_admin
        return operation in self.recorded_reads

    def __call__(self, environ, start_response):
        if favicon.asks_for_icon(environ):  # the browser's own request: no operation, no event, no fault
            return favicon.answer(environ, start_response)
        method = environ.get("REQUEST_METHOD", "GET")
        path = environ.get("PATH_INFO", "") or "/"
        endpoint = self._endpoint(environ)
        operation = operation_name(endpoint) if endpoint else "unknown"
        draft = EventDraft(operation, method, path, _incoming_trace_id(environ) or uuid.uuid4().hex)
        with drafting(draft):  # what annotate() and trace_id() reach, on either path
            return self._handle(environ, start_response, endpoint, draft)

    def _handle(self, environ, start_response, endpoint: str | None, draft: EventDraft):
        method, path, operation, trace_id = draft.method, draft.path, draft.operation, draft.trace_id
        is_admin = path.startswith(ADMIN_PREFIX)
        record = self._records(method, is_admin, operation)
        events = self._events_for_request()
        environ[ADMIN_CALLER_KEY] = self.access.is_admin(environ)
        refusal = self.access.refusal(environ) if is_admin or self.guard_every_path else None
        if refusal is not None:
            draft.outcome = "refused"
            draft.error = refusal.code
            self._record(events, draft, refusal.status)
            body = ADMIN_ERRORS.build(refusal.status, refusal.code, refusal.message, trace_id)
            return _json(start_response, refusal.status, body)

        fault = None if is_admin or endpoint is None else self.rt.faults.apply(operation)
        if fault is not None:
            draft.details["fault"] = fault.id
            if fault.drop:
                draft.outcome = "dropped"
                self._record(events, draft, 0)
                raise ConnectionResetError(errno.ECONNRESET, "dsop-sandbox fault: connection dropped")
            if fault.status is not None:
                return self._fault_response(fault, draft, start_response, events)

        statuses: list[int] = []

        def capture(status, headers, exc_info=None):
            statuses.append(int(status.split(" ", 1)[0]))
            return start_response(status, headers, exc_info)

        direct = self.direct.get(endpoint)
        if direct is not None and direct[0] == method:
            result = self._answer_directly(direct[1], environ, capture)
        else:
            result = self.inner(environ, capture)
        if record:
            self._record(events, draft, statuses[0] if statuses else 0)
        return result

    def _answer_directly(self, view, environ, start_response):
        """``view``'s answer, made as Flask would make it (see :func:`direct_get`)."""
        asked = self.request_class(environ)
        try:
            response = view(asked)
        except Exception as exc:
            response = error_response(exc, self.rt, asked.path)
        try:
            for hook in reversed(self.app.extensions[AFTER_EXTENSION]):
                response = hook(asked, response)
        except Exception as exc:  # a hook's bug: Flask too answers it as an error, in the service's shape
            response = error_response(exc, self.rt, asked.path)
        return response(environ, start_response)

    def _events_for_request(self) -> EventLog:
        """The service's event log; with ``dated_by_start``, the same log dated by a clock that
        stopped when this request began."""
        if not self.dated_by_start:
            return self.rt.events
        clock = self.rt.clock
        began = clock.timestamp()
        return EventLog(
            self.rt.name, self.rt.store, Clock(clock.calendar_offset, source=lambda: began), self.rt.events.retention
        )

    def _record(self, events: EventLog, draft: EventDraft, status: int) -> None:
        try:
            events.record(draft, status)
        except Exception:
            log.exception("could not record event for %s %s", draft.method, draft.path)

    def _endpoint(self, environ) -> str | None:
        """The endpoint the request is routed to (None: no route). The routes are fixed once the app
        serves and match on method and path alone (no host or subdomain matching), so an answer is
        kept for the next request with the same method and path."""
        key = (environ.get("REQUEST_METHOD", "GET"), environ.get("PATH_INFO", ""))
        try:
            return self._endpoints[key]
        except KeyError:
            pass
        try:
            endpoint, _ = self.app.url_map.bind_to_environ(environ).match(method=key[0])
        except HTTPException:
            endpoint = None
        if len(key[1]) <= ENDPOINT_CACHE_PATH:
            if len(self._endpoints) >= ENDPOINT_CACHE_SIZE:
                self._endpoints.clear()  # paths with ids in them: start again rather than grow
            self._endpoints[key] = endpoint
        return endpoint

    def _fault_response(self, fault, draft: EventDraft, start_response, events: EventLog):
        code = HTTP_ERROR_CODES.get(fault.status, "server_error")
        body = (
            fault.body
            if fault.body is not None
            else self.rt.errors.build(fault.status, code, "injected by a sandbox fault", draft.trace_id)
        )
        draft.outcome = "fault"
        draft.error = code if fault.body is None else "custom"
        self._record(events, draft, fault.status)
        return _json(start_response, fault.status, body)


def _json(start_response, status: int, body) -> list[bytes]:
    """A JSON answer straight from the WSGI layer."""
    payload = json.dumps(body, ensure_ascii=False).encode()
    start_response(
        f"{status} {_reason(status)}", [("Content-Type", "application/json"), ("Content-Length", str(len(payload)))]
    )
    return [payload]


def _incoming_trace_id(environ) -> str | None:
    for header in TRACE_HEADERS:
        value = environ.get("HTTP_" + header.upper().replace("-", "_"))
        if value and len(value) <= 200 and value.isprintable():
            return value
    return None


def _reason(status: int) -> str:
    from http import HTTPStatus

    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def _register_error_handlers(app: Flask, rt: ServiceRuntime) -> None:
    @app.errorhandler(ServiceError)
    @app.errorhandler(HTTPException)
    @app.errorhandler(Exception)
    def answer_error(exc: Exception):
        return error_response(exc, rt, request.path)


def error_response(exc: Exception, rt: ServiceRuntime, path: str) -> Response:
    """The answer to ``exc`` raised while handling a request for ``path``, in the service's error
    shape (the admin API's under ``/_sandbox``), with the request's trace id; called where the
    exception is being handled."""
    trace_id = current_trace_id()
    if isinstance(exc, ServiceError):
        annotate(error=exc.code)
        return json_response(exc.body, exc.status, exc.headers)
    shape = ADMIN_ERRORS if path.startswith(ADMIN_PREFIX) else rt.errors
    if isinstance(exc, HTTPException):
        status = exc.code or 500
        code = HTTP_ERROR_CODES.get(status, "invalid_request")
        annotate(error=code)
        headers = {}
        if status == 405 and getattr(exc, "valid_methods", None):
            headers["Allow"] = ", ".join(exc.valid_methods)
        return json_response(shape.build(status, code, exc.description or code, trace_id), status, headers)
    log.exception("unhandled error in %s", rt.name)  # a bug: still JSON in the service's shape, and logged loudly
    annotate(error="server_error")
    return json_response(shape.build(500, "server_error", "internal error in the sandbox", trace_id), 500)
