"""Admin fixtures for Altinn 3 consents, under ``/_sandbox/altinn3/consents`` (for fast tests)::

    POST /altinn3/consents               a consent in a given state, as if the citizen had answered just now
    GET  /altinn3/consents[?from=&to=]   every Altinn 3 consent request (with its derived ``state``)
    GET  /altinn3/consents/{id}          one
    POST /altinn3/consents/{id}/revoke   the citizen revokes it (Accepted only; 409 with AM-00010 otherwise)
    POST /altinn3/consents/{id}/expire   validTo becomes a moment before the calendar's now

The create body (only ``from`` and ``to`` are needed)::

    {"from": "15838512329", "to": "310000019",            # the person's fødselsnummer, the recipient org
     "resource": "nav_samtykke_dsop_aap-ufore",            # default NAV's
     "metadata": {"fraogmed": "…", "tilogmed": "…"},       # default for NAV: three years back to validTo
     "valid_to": "2029-01-01T00:00:00Z" | "valid_for": "P3Y",   # default P3Y from the calendar's now
     "status": "Accepted" | "Created" | "Rejected" | "Revoked", # default Accepted
     "handled_by": null, "redirect_url": null, "request_message": null, "id": null}

Each record carries the real ``ConsentRequestDetailsDto`` plus ``state`` (``Expired`` once validTo
has passed, else the status) and ``subject`` (the person's fødselsnummer).
"""

from __future__ import annotations

import uuid

from flask import Blueprint, request

from dsop_sandbox.mocks.common import validation as check
from dsop_sandbox.mocks.common.admin import admin_error, admin_json, page_request, paged_list
from dsop_sandbox.mocks.common.admin import fixtures_blueprint as service_fixtures
from dsop_sandbox.mocks.common.clock import ClockError, Duration, parse_time
from dsop_sandbox.mocks.common.errors import json_response
from dsop_sandbox.mocks.common.events import annotate
from dsop_sandbox.mocks.common.identifiers import fnr_problem

from ..resource_registry.nav import IDENTIFIER as NAV_RESOURCE
from ..resource_registry.store import CONSENT
from ..runtime import Altinn, altinn
from . import consents as C
from . import dto, urns
from .consents import TransitionRefused, dotnet_iso

#: The changes after Created that put a consent in each state: (event type, performed by whom).
HISTORY = {
    C.CREATED: (),
    C.ACCEPTED: ((C.ACCEPTED, "from"),),
    C.REJECTED: ((C.REJECTED, "from"),),
    C.REVOKED: ((C.ACCEPTED, "from"), (C.REVOKED, "from")),
}


def state_of(record: dict, calendar_now) -> str:
    if record["status"] == C.ACCEPTED and C.is_expired(record, calendar_now):
        return C.EXPIRED
    return record["status"]


def presented(service: Altinn, record: dict) -> dict:
    now = service.clock.calendar()
    body = dto.details(record, service.consents3.events(record["id"]), service.base_url, now)
    sender = urns.parse_party(record["from"])
    return {**body, "state": state_of(record, now), "subject": sender.value}


def _record(consent_id: str) -> dict:
    record = altinn().consents3.get(consent_id)
    if record is None:
        raise admin_error(404, "unknown_consent", f"no Altinn 3 consent request {consent_id}")
    return record


def _default_metadata(resource: dict, now, valid_to) -> dict:
    if resource["identifier"] == NAV_RESOURCE:
        start = Duration.parse("-P3Y").added_to(now)
        return {"fraogmed": start.strftime("%d.%m.%Y"), "tilogmed": valid_to.strftime("%d.%m.%Y")}
    return {}


def fixtures_blueprint() -> Blueprint:
    bp = service_fixtures("altinn3")

    @bp.post("/altinn3/consents")
    def create_altinn3_consent():
        service = altinn()
        body = admin_json()
        pid = body.get("from")
        problem = fnr_problem(pid)
        if problem:
            raise admin_error(400, "invalid_pid", f"from {pid!r}: {problem}")
        to = check.org_number(body.get("to"), "to")
        if service.organization_name(to) is None:
            raise admin_error(400, "unknown_organization", f"{to} is not known to Altinn (register it as a consumer)")
        handled_by = body.get("handled_by")
        if handled_by is not None:
            check.org_number(handled_by, "handled_by")
        resource = service.resources.get(body.get("resource", NAV_RESOURCE))
        if resource is None or resource.get("resourceType") != CONSENT:
            raise admin_error(400, "unknown_resource", f"{body.get('resource')!r} is not a consent resource")
        status = body.get("status", C.ACCEPTED)
        if status not in HISTORY:
            raise admin_error(400, "invalid_request", f"status is one of {', '.join(HISTORY)}")
        now = service.clock.calendar()
        try:
            valid_to = (
                parse_time(body["valid_to"])
                if "valid_to" in body
                else Duration.parse(body.get("valid_for", "P3Y")).added_to(now)
            )
        except (ClockError, TypeError) as exc:
            raise admin_error(400, "invalid_request", f"valid_to / valid_for: {exc}") from exc
        if valid_to <= now:
            raise admin_error(400, "invalid_request", "valid_to must be after the sandbox calendar's now")
        metadata = body.get("metadata", _default_metadata(resource, now, valid_to))
        if not isinstance(metadata, dict) or not all(isinstance(v, str) for v in metadata.values()):
            raise admin_error(400, "invalid_request", "metadata is an object of strings")
        missing = set(resource.get("consentMetadata") or {}) - {key.lower() for key in metadata}
        if missing:
            raise admin_error(400, "invalid_request", f"metadata lacks {', '.join(sorted(missing))}")
        consent_id = body.get("id") or str(uuid.uuid4())
        try:
            consent_id = str(uuid.UUID(consent_id))
        except (ValueError, AttributeError, TypeError) as exc:
            raise admin_error(400, "invalid_request", "id is a uuid") from exc
        consumer = service.consumer(to) or {}
        message = body.get("request_message")
        if message is not None and not isinstance(message, dict):
            raise admin_error(400, "invalid_request", 'request_message is an object such as {"nb": "…"}')
        record = {
            "id": consent_id,
            "from": urns.person_urn(pid),
            "to": urns.organization_urn(to),
            "required_delegator": None,
            "handled_by": urns.organization_urn(handled_by) if handled_by else None,
            "valid_to": dotnet_iso(valid_to),
            "consent_rights": [
                {
                    "action": ["consent"],
                    "resource": [
                        {
                            "type": "urn:altinn:resource",
                            "value": resource["identifier"],
                            "version": str(resource.get("versionId", 1)),
                        }
                    ],
                    "metadata": metadata,
                }
            ],
            "request_message": message,
            "redirect_url": body.get("redirect_url") or (consumer.get("redirect_urls") or [service.base_url + "/"])[0],
            "portal_view_mode": "Hide",
            "template_id": resource.get("consentTemplate", "default"),
            "template_version": 1,
            "one_time": bool(resource.get("isOneTimeConsent")),
            "origin": "fixture",
        }
        parties = {"from": record["from"]}
        history = tuple((event_type, parties[by]) for event_type, by in HISTORY[status])
        stored, created = service.consents3.create(record, record["to"], history)
        if not created:
            raise admin_error(409, "id_taken", f"an Altinn 3 consent request {consent_id} exists already")
        annotate(consent_id=consent_id, subject=pid, status=status)
        return json_response(presented(service, stored), 201)

    @bp.get("/altinn3/consents")
    def list_altinn3_consents():
        service = altinn()
        wanted_from = request.args.get("from")
        wanted_to = request.args.get("to")
        records = [
            record
            for record in service.consents3.all()
            if (not wanted_from or record["from"] == urns.person_urn(wanted_from))
            and (not wanted_to or record["to"] == urns.organization_urn(wanted_to))
        ]
        return paged_list("consents", [presented(service, record) for record in records], page_request())

    @bp.get("/altinn3/consents/<consent_id>")
    def show_altinn3_consent(consent_id: str):
        return json_response(presented(altinn(), _record(consent_id)))

    @bp.post("/altinn3/consents/<consent_id>/revoke")
    def revoke_altinn3_consent(consent_id: str):
        service = altinn()
        record = _record(consent_id)
        annotate(consent_id=consent_id)
        try:
            record = service.consents3.revoke(consent_id, record["from"])
        except TransitionRefused as exc:
            raise admin_error(
                409, exc.descriptor.code, f"{exc.descriptor.title} (the request is {exc.status})"
            ) from exc
        return json_response(presented(service, record))

    @bp.post("/altinn3/consents/<consent_id>/expire")
    def expire_altinn3_consent(consent_id: str):
        service = altinn()
        _record(consent_id)
        annotate(consent_id=consent_id)
        return json_response(presented(service, service.consents3.expire(consent_id)))

    return bp
