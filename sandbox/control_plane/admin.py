"""The control plane's admin API, ``/_sandbox/*`` for the whole sandbox.

It knows the services by their configured base URLs and talks to them only over HTTP: it fans
the calendar, lifetimes, faults, certificates and reset out to them, merges their event logs and
its own into one timeline, registers insurers and persons everywhere at once, and withdraws an
Altinn 2 consent or revokes an Altinn 3 one at Altinn for the dashboard. Operations are named
``admin.<view>``, like the services' admin operations; the changes (POST, DELETE) are events in
the control plane's own log.
"""

from __future__ import annotations

import re

from flask import Blueprint, request

from dsop_sandbox.mocks.common import validation as check
from dsop_sandbox.mocks.common.admin import admin_error, admin_json, calendar_offset_from, page_request, paged
from dsop_sandbox.mocks.common.errors import json_response
from dsop_sandbox.mocks.common.events import annotate

from . import insurers, timeline
from .fanout import FAKES, ServiceRefused, ServiceUnreachable
from .state import SERVICE, control, fan, forward

#: The blueprint's name: its endpoints are admin operations (``admin.move_clock``).
BLUEPRINT = "admin_control"
PREFIX = "/_sandbox"
#: The routes that withdraw a consent at Altinn (POST), by generation: ``{id}`` is the Altinn 3
#: consent id or the Altinn 2 authorization code.
WITHDRAW_ROUTES = {
    "altinn3": PREFIX + "/altinn3/consents/{id}/revoke",
    "altinn2": PREFIX + "/consents/{id}/withdraw",
}
#: The services that keep a register of persons (the first one checks the request for the rest).
PERSON_REGISTERS = ("idporten", "altinn")
CODE = re.compile(r"^[A-Za-z0-9-]{1,100}$")
#: An Altinn 3 consent id: the consent request's UUID.
CONSENT_ID = re.compile(r"^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$")


def admin_blueprint() -> Blueprint:
    bp = Blueprint(BLUEPRINT, __name__, url_prefix=PREFIX)

    @bp.get("/health")
    def health():
        return json_response({"status": "ok", "service": SERVICE})

    @bp.get("/services")
    def services():
        cp = control()
        health_of = {name: cp.fanout.health(name) for name in FAKES}
        return json_response(
            {
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
        return json_response(control().settings.describe())

    @bp.get("/clock")
    def show_clock():
        cp = control()
        return json_response({"service": SERVICE, **cp.clock.describe(), "services": fan("GET", "/_sandbox/clock")})

    @bp.post("/clock")
    def move_clock():
        """Move the calendar of every service to the same offset (``advance``/``set``/``reset``)."""
        return json_response(move_calendars(calendar_offset_from(admin_json(), control().clock)))

    @bp.get("/lifetimes")
    def show_lifetimes():
        results = fan("GET", "/_sandbox/lifetimes")
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
            changed.update(forward(service, "POST", "/_sandbox/lifetimes", json=values)["lifetimes"])
        return json_response({"lifetimes": changed})

    @bp.delete("/lifetimes")
    def reset_lifetimes():
        fan("DELETE", "/_sandbox/lifetimes")
        return show_lifetimes()

    @bp.get("/faults")
    def list_faults():
        return json_response({"services": fan("GET", "/_sandbox/faults")})

    @bp.post("/faults")
    def arm_fault():
        """A service's fault spec plus ``"service"``: where to arm it."""
        body = admin_json()
        service = body.pop("service", None)
        if service not in FAKES:
            raise admin_error(400, "invalid_fault", f"service must be one of {', '.join(FAKES)}")
        return json_response(forward(service, "POST", "/_sandbox/faults", json=body), 201)

    @bp.delete("/faults")
    def clear_faults():
        service = request.args.get("service")
        services = (service,) if service in FAKES else FAKES
        params = {"operation": request.args["operation"]} if "operation" in request.args else None
        return json_response({"services": fan("DELETE", "/_sandbox/faults", services, params=params)})

    @bp.get("/tls")
    def show_certificates():
        """Which certificate each service presents (``authority`` or ``untrusted``)."""
        return json_response({"tls": control().settings.tls, "services": fan("GET", "/_sandbox/tls")})

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
        """Every service's reset (``{"registrations": true}`` also forgets registrations), then the
        control plane's own: its calendar, its event log and, with registrations, its insurers."""
        return json_response({"reset": True, "services": reset_sandbox(admin_json(optional=True) or {})})

    @bp.get("/events")
    def events():
        """The merged timeline (the control plane's own events and every service's) after ``since``,
        the ``cursor`` of a previous answer."""
        return json_response(
            timeline.merged(control(), request.args.get("since", ""), request.args.get("limit", "1000"))
        )

    @bp.get("/persons")
    def list_persons():
        return json_response(forward("idporten", "GET", "/_sandbox/persons", params=request.args))  # its page

    @bp.post("/persons")
    def add_persons():
        """``{"persons": [{"pid", "name", "last_name"?, "description"?}]}``: test persons everywhere
        a citizen must be known: the ID-porten login page and Altinn's register (``OfferedByName``)."""
        body = admin_json()
        answers = {service: forward(service, "POST", "/_sandbox/persons", json=body) for service in PERSON_REGISTERS}
        return json_response({"persons": answers[PERSON_REGISTERS[0]]["persons"], "registered_at": list(answers)}, 201)

    @bp.post(_rule(WITHDRAW_ROUTES["altinn2"], "code"))
    def withdraw_consent(code: str):
        """Withdraws a consent at Altinn, as Altinn's own admin API does (its answer passed through):
        the dashboard's withdraw control."""
        if not CODE.match(code):
            raise admin_error(400, "invalid_request", "code must be an authorization code")
        return json_response(_withdrawn("altinn2", forward("altinn", "POST", f"/_sandbox/consents/{code}/withdraw")))

    @bp.post(_rule(WITHDRAW_ROUTES["altinn3"], "consent_id"))
    def revoke_altinn3_consent(consent_id: str):
        """Revokes an Altinn 3 consent at Altinn, as Altinn's own admin fixture does (its answer
        passed through): the withdraw control for Altinn 3, where the citizen would revoke it on
        Altinn's active consents page."""
        if not CONSENT_ID.match(consent_id):
            raise admin_error(400, "invalid_request", "consent_id must be the consent request's UUID")
        answer = forward("altinn", "POST", f"/_sandbox/altinn3/consents/{consent_id}/revoke")
        return json_response(_withdrawn("altinn3", answer))

    @bp.get("/insurers")
    def list_insurers():
        page = page_request()
        return paged("insurers", control().insurers.page(page.since, page.limit), page)

    @bp.post("/insurers")
    def register_insurer():
        """``{"org", "name", "redirect_uri" | "redirect_uris": [...], "consent"?: "altinn3" | "altinn2",
        "token_endpoint_auth_method"?: how the ID-porten client authenticates}``: what ``register-insurer`` calls.
        Answers the registration's facts (each service's client, key and URLs) with the PEM texts
        under ``certificate``. Registering an org again replaces its earlier registration (new key,
        client ids and API key)."""
        cp = control()
        body = admin_json()
        org = check.org_number(body.get("org"))
        name = check.text(body, "name")
        uris = body.get("redirect_uris") or ([body["redirect_uri"]] if body.get("redirect_uri") else None)
        if not uris:
            raise admin_error(400, "invalid_request", "redirect_uri (the insurer's consent callback) is required")
        uris = [check.absolute_url(uri, "redirect_uri") for uri in check.string_list({"u": uris}, "u")]
        consent = check.one_of(body, "consent", insurers.CONSENT_GENERATIONS, insurers.CONSENT_GENERATIONS[0])
        auth = check.one_of(
            body, "token_endpoint_auth_method", insurers.IDPORTEN_AUTH_METHODS, insurers.IDPORTEN_AUTH_METHODS[0]
        )
        try:
            registration = insurers.register(
                cp.fanout,
                cp.authority,
                cp.clock,
                org,
                name,
                uris,
                replacing=cp.insurers.get(org),
                consent=consent,
                idporten_auth=auth,
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


def move_calendars(offset: float) -> dict:
    """Every service's calendar, then the control plane's, to ``offset``: what ``POST /_sandbox/clock``
    answers (the control plane's clock and each service's)."""
    cp = control()
    results = fan("POST", "/_sandbox/clock", json={"offset_seconds": offset})
    cp.runtime.set_calendar_offset(offset)
    return {"service": SERVICE, **cp.clock.describe(), "services": results}


def reset_sandbox(body: dict) -> dict:
    """``POST /_sandbox/reset`` with ``body``: every service's answer, by service."""
    registrations = body.get("registrations", False)
    if not isinstance(registrations, bool):
        raise admin_error(400, "invalid_request", "registrations must be true or false")
    _restore_certificates()
    results = fan("POST", "/_sandbox/reset", json=body)
    control().runtime.reset(registrations=registrations)
    return results


def _withdrawn(consent: str, answer: dict) -> dict:
    """The withdraw controls are the citizen's act, done by the control plane at Altinn: a hop the
    diagram draws from the control plane's lifeline to Altinn's (``details.hop``)."""
    annotate(hop={"from": SERVICE, "to": "altinn"}, consent=consent, target="altinn", on_behalf_of="citizen")
    return answer


def _rule(route: str, name: str) -> str:
    """The blueprint's rule for one of the routes above: ``{id}`` becomes the view's argument."""
    return route.removeprefix(PREFIX).replace("{id}", f"<{name}>")


def _serve_certificate(service: str, kind) -> dict:
    """Switch ``service``'s certificate and keep the control plane able to reach it."""
    answer = forward(service, "POST", "/_sandbox/tls", json={"certificate": kind})
    control().fanout.trust_root(service, answer["root_pem"] if kind == "untrusted" else None)
    return answer


def _restore_certificates() -> dict:
    """Services serving an untrusted certificate go back to the authority's; what each serves."""
    cp = control()
    if not cp.settings.tls:
        return {}
    return {
        service: _serve_certificate(service, "authority")["certificate"] for service in list(cp.fanout.trusted_roots)
    }
