"""The NAV fake: the DSOP APIs for insurers (uføretrygd, AAP vedtak and meldekort), NAV's access
list of insurers, the disclosure log (sporingslogg) written before any data leaves, and the
citizen's innsyn. NAV trusts Maskinporten and Altinn only through their published JWKS.

Consents of both Altinn generations are accepted (:mod:`.consent`): an Altinn 3 consent inside
the Maskinporten access token (``authorization_details``, resource ``nav_samtykke_dsop_aap-ufore``,
for uføre and both AAP operations), or an Altinn 2 consent token in ``NAV-Samtykke-Token``. When a
token carries an Altinn 3 consent *and* the header is sent, NAV uses the consent in the token and
does not read the header (the uføre API documents the header as "kun for Altinn 2", optional since
January 2026: navikt/pensjon-ekstern-api, ``docs/api/uforeopplysninger/apidocUforeopplysninger.yaml``);
the event notes ``consent_header: "ignored"``.

HTTP stays in the views: a call is parsed into an :class:`~.api_request.ApiRequest` there, and the
checks and the disclosure log take that value. The persons NAV knows are given to
:func:`create_app` (default: the sandbox's personas)."""

from __future__ import annotations

import json
from collections.abc import Iterable

from flask import Blueprint, Flask, Response, request

from dsop_sandbox.mocks.authority import KeyAuthority
from dsop_sandbox.mocks.common import language
from dsop_sandbox.mocks.common import validation as check
from dsop_sandbox.mocks.common.admin import admin_error, admin_json, fixtures_blueprint, page_request, paged
from dsop_sandbox.mocks.common.clock import Clock
from dsop_sandbox.mocks.common.direct import after_response, direct_get
from dsop_sandbox.mocks.common.errors import json_response
from dsop_sandbox.mocks.common.events import annotate
from dsop_sandbox.mocks.common.payload import trace_id
from dsop_sandbox.mocks.common.records import record_routes, records_schema
from dsop_sandbox.mocks.common.service import create_service_app
from dsop_sandbox.mocks.common.settings import Settings
from dsop_sandbox.people.personas import PERSONAS

from . import api_request, benefits
from . import errors as E
from .api_request import CONSENT_HEADER, ApiRequest
from .checks import AAP, UFORE, Access, Api, check_request
from .disclosures import SCHEMA as DISCLOSURE_SCHEMA
from .disclosures import TABLES as DISCLOSURE_TABLES
from .innsyn import INNSYN_SCHEMA, INNSYN_TABLES, innsyn_blueprint
from .openapi import openapi_document
from .runtime import SERVICE, Nav, nav

#: The DSOP APIs NAV opens to an insurer on its access list.
APIS = (UFORE.name, AAP.name)
ERRORS = E.ERRORS
DISCLOSURE_WRITE = "sporingslogg"
CORRELATION_HEADERS = ("Nav-Call-Id", "X-Request-Id", "X-Correlation-Id")


def create_app(
    settings: Settings,
    *,
    authority: KeyAuthority | None = None,
    clock: Clock | None = None,
    personas: Iterable | None = None,
) -> Flask:
    """Like the real NAV, this fake trusts Maskinporten's and Altinn's keys only through their
    JWKS over HTTP; the key authority only gives NAV its own enterprise certificate (for the
    innsyn login at ID-porten). ``personas`` are the persons NAV holds data about (anything with
    ``pid``, ``name`` and ``history``; default :data:`dsop_sandbox.people.personas.PERSONAS`)."""

    app = create_service_app(
        SERVICE,
        settings,
        errors=ERRORS,
        schema=records_schema("access_list") + DISCLOSURE_SCHEMA + INNSYN_SCHEMA,
        runtime_tables=DISCLOSURE_TABLES + INNSYN_TABLES,
        registration_tables=("access_list",),
        clock=clock,
        internal_operations=(DISCLOSURE_WRITE,),
    )
    rt = app.extensions["sandbox"]
    authority = authority or KeyAuthority.open(settings.state_dir, rt.clock.now())
    service = app.extensions[SERVICE] = Nav(settings, rt, authority, PERSONAS if personas is None else personas)
    app.register_blueprint(api_blueprint(settings, service))
    app.register_blueprint(innsyn_blueprint())
    app.register_blueprint(access_fixtures())

    after_response(app, echo_correlation)
    return language.install(app)


def echo_correlation(asked, response: Response) -> Response:
    """NAV answers the call id it was sent (``Nav-Call-Id`` and its kin)."""
    for name in CORRELATION_HEADERS:
        if asked.headers.get(name):
            response.headers[name] = asked.headers[name]
    return response


def history_of(service: Nav, pid: str):
    found = service.person(pid)
    return found.history if found is not None else None


def deliver(service: Nav, access: Access, asked: ApiRequest, body: dict) -> Response:
    """Log the disclosure, then answer; if the log cannot be written, no data (503)."""
    data = json.dumps(body, ensure_ascii=False)
    try:
        fault = service.rt.faults.apply(DISCLOSURE_WRITE)
        if fault is not None:
            annotate(fault=fault.id)
            if fault.fails:
                raise OSError("sporingslogg write refused by a sandbox fault")
        consent = access.consent
        entry_id = service.disclosures.record(
            person=access.pid,
            mottaker=access.consumer_org,
            tema=access.api.tema,
            behandlingsgrunnlag=consent.basis,
            data=data,
            samtykke_token=consent.token,
            authorization_code=consent.authorization_code,
            foresporsel=asked.disclosure_record(),
            leverandor=access.supplier_org,
            trace_id=trace_id(),
            consent_generation=consent.generation,
            consent_id=consent.id,
            consent_details=consent.details,
            access_token=access.access_token if consent.token is None else None,
        )
    except Exception as exc:
        annotate(disclosure="failed")
        raise E.nav_error(503, E.LOG_FAILED, f"{E.TEXT_LOG}: {exc}") from exc
    annotate(disclosure=entry_id, tema=access.api.tema)
    return Response(data, mimetype="application/json")


def api_blueprint(settings: Settings, service: Nav) -> Blueprint:
    """The DSOP APIs, answered beside Flask (:func:`~dsop_sandbox.mocks.common.direct.direct_get`)."""
    bp = Blueprint("nav_api", __name__)
    paths = settings.nav

    def serving(api: Api, build):
        def serve(request) -> Response:
            asked = api_request.parse(request)
            access = check_request(service, api, asked)
            consent = access.consent
            body = build(history_of(service, access.pid), access.fom, access.tom, consent.start, consent.end)
            return deliver(service, access, asked, body)

        return serve

    direct_get(bp, paths.ufore_path, "hentUforeopplysninger", serving(UFORE, benefits.uforeopplysninger))
    direct_get(bp, paths.aap_vedtak_path, "finnVedtakListe", serving(AAP, benefits.vedtaksliste))
    direct_get(bp, paths.aap_meldekort_path, "finnMeldekortListe", serving(AAP, benefits.meldekortliste))

    @bp.get("/openapi.json")
    def openapi():
        return json_response(openapi_document(settings))

    return bp


def access_fixtures() -> Blueprint:
    bp = fixtures_blueprint(SERVICE)

    @bp.post("/access-list")
    def grant():
        """``{"org", "name", "apis"?: ["uforeopplysninger", "aap"]}``: NAV lets the insurer call the APIs."""
        body = admin_json()
        apis = check.string_list(body, "apis", list(APIS), allow_empty=False)
        if not set(apis) <= set(APIS):
            raise admin_error(400, "invalid_request", f"apis: any of {', '.join(APIS)}")
        org = check.org_number(body.get("org"))
        return json_response(
            nav().access_list.put(org, {"org": org, "name": check.text(body, "name"), "apis": apis}), 201
        )

    record_routes(bp, "/access-list", lambda: nav().access_list, listing="access_list", missing="not_on_access_list")

    @bp.get("/disclosures")
    def disclosures():
        """The service owner's view of the disclosure log, oldest first, paged (``?since=&limit=``,
        ``next`` in the answer); ``?person=`` gives one person's whole record, newest first."""
        service = nav()
        person = request.args.get("person")
        if person:
            return json_response({"disclosures": service.disclosures.of_person(person), "next": None})
        page = page_request()
        return paged("disclosures", service.disclosures.page(page.since, page.limit), page)

    return bp


__all__ = ["CONSENT_HEADER", "create_app"]
