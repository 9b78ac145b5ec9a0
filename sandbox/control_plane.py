"""The control plane: one admin address for the whole sandbox.

It knows the services by their configured base URLs and talks to them only over HTTP: it fans
the calendar, lifetimes, faults and reset out to them, merges their event logs into one
timeline, and registers insurers everywhere at once.
"""

from __future__ import annotations

from flask import Blueprint, Flask, current_app, request
from werkzeug.exceptions import HTTPException

from dsop_sandbox.mocks.authority import KeyAuthority
from dsop_sandbox.mocks.common import validation as check
from dsop_sandbox.mocks.common.admin import admin_error, admin_json, calendar_offset_from
from dsop_sandbox.mocks.common.clock import Clock
from dsop_sandbox.mocks.common.errors import ADMIN_ERRORS, ServiceError, json_response
from dsop_sandbox.mocks.common.records import Records, records_schema
from dsop_sandbox.mocks.common.service import HTTP_ERROR_CODES
from dsop_sandbox.mocks.common.settings import Settings
from dsop_sandbox.mocks.common.store import Store

from . import insurers
from .fanout import FAKES, Fanout, ServiceRefused, ServiceUnreachable

SERVICE = "control"
CALENDAR_OFFSET_KEY = "calendar_offset"


class ControlPlane:
    def __init__(self, settings: Settings, authority: KeyAuthority, clock: Clock):
        self.settings = settings
        self.authority = authority
        self.clock = clock
        self.store = Store(
            settings.state_dir / "control.sqlite3", records_schema("insurers"), registration_tables=("insurers",)
        )
        self.clock.set_calendar_offset(self.store.get_meta(CALENDAR_OFFSET_KEY, 0.0))
        self.insurers = Records(self.store, "insurers", clock)
        self.fanout = Fanout(settings)


def create_app(settings: Settings, *, authority: KeyAuthority | None = None, clock: Clock | None = None) -> Flask:
    app = Flask("dsop_sandbox.control")
    app.config.update(MAX_CONTENT_LENGTH=settings.max_body_bytes)
    clock = clock or Clock()
    authority = authority or KeyAuthority.open(settings.state_dir, clock.now())
    app.extensions[SERVICE] = ControlPlane(settings, authority, clock)
    app.register_blueprint(admin_api())

    @app.errorhandler(ServiceError)
    def service_error(exc: ServiceError):
        return json_response(exc.body, exc.status, exc.headers)

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        status = exc.code or 500
        return json_response(
            ADMIN_ERRORS.build(status, HTTP_ERROR_CODES.get(status, "invalid_request"), exc.description or "", ""),
            status,
        )

    from .dashboard import install as install_dashboard

    install_dashboard(app)
    return app


#: The services that keep a register of persons (the first one checks the request for the rest).
PERSON_REGISTERS = ("idporten", "altinn")


def _cp() -> ControlPlane:
    return current_app.extensions[SERVICE]


def _fan(method: str, path: str, services=FAKES, **kwargs) -> dict:
    """Call every service; 502 naming the services that failed, else the answers by service."""
    results = _cp().fanout.all(method, path, services, **kwargs)
    failed = {name: str(result) for name, result in results.items() if isinstance(result, Exception)}
    if failed:
        raise admin_error(
            502, "service_unreachable", "; ".join(f"{name}: {detail}" for name, detail in sorted(failed.items()))
        )
    return results


def admin_api() -> Blueprint:
    bp = Blueprint("control", __name__, url_prefix="/_sandbox")

    @bp.get("/health")
    def health():
        return json_response({"status": "ok", "service": SERVICE})

    @bp.get("/services")
    def services():
        cp = _cp()
        health_of = {name: cp.fanout.health(name) for name in FAKES}
        return json_response(
            {
                "profile": cp.settings.profile,
                "services": {
                    name: {
                        "base_url": cp.settings.base_url(name),
                        "issuer": cp.settings.issuer(name),
                        "health": health_of.get(name, "ok"),
                    }
                    for name in ("control", *FAKES)
                },
            }
        )

    @bp.get("/settings")
    def show_settings():
        """The settings the sandbox runs with (ports, base URLs, issuers, lifetimes, where they came from)."""
        return json_response(_cp().settings.describe())

    @bp.get("/clock")
    def show_clock():
        cp = _cp()
        return json_response({"service": SERVICE, **cp.clock.describe(), "services": _fan("GET", "/_sandbox/clock")})

    @bp.post("/clock")
    def move_clock():
        """Move the calendar of every service to the same offset (``advance``/``set``/``reset``)."""
        cp = _cp()
        offset = calendar_offset_from(admin_json(), cp.clock)
        results = _fan("POST", "/_sandbox/clock", json={"offset_seconds": offset})
        cp.clock.set_calendar_offset(offset)
        cp.store.set_meta(CALENDAR_OFFSET_KEY, offset)
        return json_response({"service": SERVICE, **cp.clock.describe(), "services": results})

    @bp.get("/lifetimes")
    def show_lifetimes():
        results = _fan("GET", "/_sandbox/lifetimes")
        merged = {}
        for answer in results.values():
            merged.update(answer["lifetimes"])
        return json_response({"lifetimes": dict(sorted(merged.items()))})

    @bp.post("/lifetimes")
    def change_lifetimes():
        """``{"altinn.consent_token": 2, ...}``: each key goes to the service it is named after."""
        body = admin_json()
        by_service: dict[str, dict] = {}
        for key, value in body.items():
            service = key.split(".", 1)[0]
            if service not in FAKES:
                raise admin_error(
                    400,
                    "invalid_lifetime",
                    f"{key}: a lifetime is named <service>.<what>, service one of {', '.join(FAKES)}",
                )
            by_service.setdefault(service, {})[key] = value
        changed = {}
        for service, values in by_service.items():
            changed.update(_forward(service, "POST", "/_sandbox/lifetimes", json=values)["lifetimes"])
        return json_response({"lifetimes": changed})

    @bp.delete("/lifetimes")
    def reset_lifetimes():
        _fan("DELETE", "/_sandbox/lifetimes")
        return show_lifetimes()

    @bp.get("/faults")
    def list_faults():
        return json_response({"services": _fan("GET", "/_sandbox/faults")})

    @bp.post("/faults")
    def arm_fault():
        """A service's fault spec plus ``"service"``: where to arm it."""
        body = admin_json()
        service = body.pop("service", None)
        if service not in FAKES:
            raise admin_error(400, "invalid_fault", f"service must be one of {', '.join(FAKES)}")
        return json_response(_forward(service, "POST", "/_sandbox/faults", json=body), 201)

    @bp.delete("/faults")
    def clear_faults():
        service = request.args.get("service")
        services = (service,) if service in FAKES else FAKES
        params = {"operation": request.args["operation"]} if "operation" in request.args else None
        return json_response({"services": _fan("DELETE", "/_sandbox/faults", services, params=params)})

    @bp.get("/tls")
    def show_certificates():
        """Which certificate each service presents (``authority`` or ``untrusted``)."""
        return json_response({"tls": _cp().settings.tls, "services": _fan("GET", "/_sandbox/tls")})

    @bp.post("/tls")
    def serve_certificate():
        """``{"service": "nav", "certificate": "untrusted" | "authority"}``: the service's server
        presents a certificate that does not chain to the CA bundle, or its own again."""
        body = admin_json()
        service = body.get("service")
        if service not in FAKES:
            raise admin_error(400, "invalid_request", f"service must be one of {', '.join(FAKES)}")
        answer = _serve_certificate(service, body.get("certificate"))
        return json_response({key: value for key, value in answer.items() if key != "root_pem"})

    @bp.delete("/tls")
    def trust_every_certificate():
        """Every service presents its certificate from the key authority again."""
        return json_response({"restored": _restore_certificates()})

    @bp.post("/reset")
    def reset():
        body = admin_json(optional=True) or {}
        _restore_certificates()
        results = _fan("POST", "/_sandbox/reset", json=body)
        cp = _cp()
        cp.clock.set_calendar_offset(0.0)
        cp.store.reset(registrations=bool(body.get("registrations")))
        return json_response({"reset": True, "services": results})

    @bp.get("/events")
    def events():
        """The merged timeline. ``since`` is the ``cursor`` of the previous answer."""
        cp = _cp()
        cursor = _parse_cursor(request.args.get("since", ""))
        limit = request.args.get("limit", "1000")
        if not limit.isdigit() or not 1 <= int(limit) <= 10000:
            raise admin_error(400, "invalid_request", "limit must be a whole number from 1 to 10000")
        merged, unavailable = [], []
        for service in FAKES:
            try:
                answer = cp.fanout.call(
                    service, "GET", "/_sandbox/events", params={"since": cursor.get(service, 0), "limit": limit}
                )
            except (ServiceUnreachable, ServiceRefused):
                unavailable.append(service)
                continue
            merged.extend(answer["events"])
            cursor[service] = answer["last_id"]
        merged.sort(key=lambda event: (event["time"], event["service"], event["id"]))
        return json_response({"events": merged, "cursor": _format_cursor(cursor), "unavailable": unavailable})

    @bp.get("/persons")
    def list_persons():
        return json_response(_forward("idporten", "GET", "/_sandbox/persons"))

    @bp.post("/persons")
    def add_persons():
        """``{"persons": [{"pid", "name", "last_name"?, "description"?}]}``: test persons everywhere
        a citizen must be known: the ID-porten login page and Altinn's register (``OfferedByName``)."""
        body = admin_json()
        answers = {service: _forward(service, "POST", "/_sandbox/persons", json=body) for service in PERSON_REGISTERS}
        return json_response({"persons": answers[PERSON_REGISTERS[0]]["persons"], "registered_at": list(answers)}, 201)

    @bp.get("/insurers")
    def list_insurers():
        return json_response({"insurers": _cp().insurers.all()})

    @bp.post("/insurers")
    def register_insurer():
        """``{"org", "name", "redirect_uri" | "redirect_uris": [...]}``: what ``register-insurer`` calls.
        Answers the facts of DESIGN.md §4 with the PEM texts under ``certificate``. Registering an
        org again replaces its earlier registration (new key, client ids and API key)."""
        cp = _cp()
        body = admin_json()
        org = check.org_number(body.get("org"))
        name = check.text(body, "name")
        uris = body.get("redirect_uris") or ([body["redirect_uri"]] if body.get("redirect_uri") else None)
        if not uris:
            raise admin_error(400, "invalid_request", "redirect_uri (the insurer's consent callback) is required")
        uris = [check.absolute_url(uri, "redirect_uri") for uri in check.string_list({"u": uris}, "u")]
        try:
            registration = insurers.register(
                cp.fanout, cp.authority, cp.clock, org, name, uris, replacing=cp.insurers.get(org)
            )
        except ServiceUnreachable as exc:
            raise admin_error(502, "service_unreachable", str(exc)) from exc
        except ServiceRefused as exc:
            raise admin_error(502, "registration_refused", f"{exc.service} refused: {exc.body}") from exc
        cp.insurers.put(org, registration.facts)
        return json_response(
            {
                **registration.facts,
                "certificate": {
                    "key_pem": registration.key_pem,
                    "chain_pem": registration.chain_pem,
                    "ca_pem": registration.ca_pem,
                },
            },
            201,
        )

    return bp


def _forward(service: str, method: str, path: str, **kwargs) -> dict:
    """One service's answer, with its own error status and body passed through."""
    try:
        return _cp().fanout.call(service, method, path, **kwargs)
    except ServiceUnreachable as exc:
        raise admin_error(502, "service_unreachable", str(exc)) from exc
    except ServiceRefused as exc:
        raise ServiceError(exc.status, exc.body, "forwarded") from exc


def _serve_certificate(service: str, kind) -> dict:
    """Switch ``service``'s certificate and keep the control plane able to reach it."""
    answer = _forward(service, "POST", "/_sandbox/tls", json={"certificate": kind})
    _cp().fanout.trust_root(service, answer["root_pem"] if kind == "untrusted" else None)
    return answer


def _restore_certificates() -> dict:
    """Services serving an untrusted certificate go back to the authority's; what each serves."""
    cp = _cp()
    if not cp.settings.tls:
        return {}
    return {
        service: _serve_certificate(service, "authority")["certificate"] for service in list(cp.fanout.trusted_roots)
    }


def _parse_cursor(text: str) -> dict[str, int]:
    cursor = {}
    for part in filter(None, text.split(",")):
        service, _, value = part.partition(":")
        if service not in FAKES or not value.isdigit():
            raise admin_error(
                400, "invalid_request", "since must be a cursor from a previous answer (service:id,service:id)"
            )
        cursor[service] = int(value)
    return cursor


def _format_cursor(cursor: dict[str, int]) -> str:
    return ",".join(f"{service}:{cursor[service]}" for service in FAKES if service in cursor)
