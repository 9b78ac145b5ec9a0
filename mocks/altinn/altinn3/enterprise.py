"""``/accessmanagement/api/v1/enterprise/consentrequests``: an enterprise asks for consent, reads
its requests and follows their events (Access Management's ``Api.Enterprise`` ConsentController,
Altinn/altinn-authorization-tmp; docs: https://docs.altinn.studio/en/authorization/guides/system-vendor/consent/).

``POST …/consentrequests`` (scope ``altinn:consentrequests.write``): in the real order, the body's
media type (415), the token (401/403), the body (``STD-00000``), the caller's organisation, ``to``
equal to it (403; Digdir's ``altinn:consentrequests.org`` may ask for another and becomes
``handledBy``), every resource one the caller may request consent for (the registry's access list,
403), then :mod:`.request_rules`. A new id answers 201 with ``Location`` and the
``ConsentRequestDetailsDto``; an id taken by a request between the same parties answers 200 with
that request in the service's internal shape (see :func:`.dto.existing`), between other parties
AM-00016.

``GET …/consentrequests/{id}`` (``.read`` or ``.write``): the request, to its ``to`` only (AM-00000),
AM-00001 when unknown, with an ``Expired`` event once ``validTo`` has passed on the calendar.

``GET …/consentrequests/events``: status changes of the caller's requests, oldest first, 100 a
page, only those at least ``altinn.consent_events_delay`` seconds old (the real service's 5-minute
safety lag), filtered by ``eventType`` (repeatable), ``createdAfter`` (inclusive),
``createdBefore`` (exclusive) and ``consentRequestId``. A full page carries ``links.next`` with a
``continuationToken``: the last event id's bytes (.NET ``Guid.ToByteArray``) in base64.

Every path also answers with a trailing slash, as ASP.NET's routing does.
"""

from __future__ import annotations

import base64
import binascii
import uuid
from urllib.parse import urlencode, urlsplit

from flask import Blueprint, request

from dsop_sandbox.mocks.common.errors import ServiceError, json_response
from dsop_sandbox.mocks.common.events import annotate
from dsop_sandbox.mocks.common.payload import trace_id

from ..runtime import Altinn, altinn
from . import auth, binding, dto, urns
from . import problems as P
from .body import json_body, require_json
from .consents import epoch_us
from .request_rules import checked_request

PAGE_SIZE = 100  # Access Management's Consent:EventsPageSize
EVENT_TYPE_FILTERS = ("rejected", "accepted", "revoked", "deleted", "used")
EVENTS_PATH = dto.ENTERPRISE_PATH + "/events"


def origin_and_path(url: str) -> str:
    """A URL without user info, query or fragment, for the event log."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = f":{parts.port}" if parts.port is not None else ""
    except ValueError:
        return url.split("?")[0].split("#")[0][:200]
    return f"{parts.scheme}://{host}{port}{parts.path}" if host else f"{parts.scheme}:{parts.path}"


def _annotate_request(record: dict) -> None:
    first = record["consent_rights"][0] if record["consent_rights"] else {"resource": [], "metadata": None}
    sender = urns.parse_party(record["from"])
    annotate(
        subject=sender.value if sender.kind == urns.PERSON else None,
        consent_id=record["id"],
        to=urns.parse_party(record["to"]).value,
        resource=first["resource"][0]["value"] if first["resource"] else None,
        resources=[a["value"] for right in record["consent_rights"] for a in right["resource"]],
        valid_to=record["valid_to"],
        metadata=first.get("metadata"),
        redirect_url=origin_and_path(record["redirect_url"]),
        handled_by=urns.parse_party(record["handled_by"]).value if record.get("handled_by") else None,
    )


def _problem_codes(exc: P.ProblemError) -> None:
    annotate(problems=exc.problem.codes())


def enterprise_blueprint() -> Blueprint:
    bp = Blueprint("altinn3_enterprise", __name__)

    @bp.post(dto.ENTERPRISE_PATH)
    @bp.post(dto.ENTERPRISE_PATH + "/")
    def enterprise_create_consent_request():
        service = altinn()
        require_json()
        caller = auth.authenticate(service, auth.WRITE_SCOPES)
        try:
            bound = binding.bind(binding.CONSENT_REQUEST, json_body())
        except P.ProblemError as exc:
            _problem_codes(exc)
            raise
        sender = bound["from"]
        annotate(consent_id=bound["id"], subject=sender.value if sender.kind == urns.PERSON else None)
        org = auth.consumer_org(caller)
        handled_by = caller.supplier
        to = bound["to"]
        if not (to.kind == urns.ORGANIZATION and to.value == org):
            if auth.ORG_SCOPE not in caller.scopes:
                raise P.fail(P.Problem(P.SBX_TO_NOT_CALLER, f"to is {to}, but the token's consumer is {org}"))
            handled_by = org
        for right in bound["consentRights"]:
            if right["resource"] and not service.resources.may_request(right["resource"][0]["value"], org):
                resource = right["resource"][0]["value"]
                annotate(resource=resource)
                raise P.fail(P.Problem(P.SBX_RESOURCE_ACCESS, f"{org} may not request consent for {resource!r}"))
        try:
            record = checked_request(service, bound, handled_by)
        except P.ProblemError as exc:
            _problem_codes(exc)
            raise
        stored, created = service.consents3.create(record, urns.organization_urn(org))
        if not created:
            annotate(consent_id=stored["id"], duplicate=True)
            if stored["from"] != record["from"] or stored["to"] != record["to"]:
                raise P.fail(P.Problem(P.ID_EXISTS, extensions={"requestId": stored["id"]}))
            return json_response(dto.existing(stored, service.consents3.events(stored["id"]), service.base_url))
        _annotate_request(stored)
        body = dto.details(stored, service.consents3.events(stored["id"]), service.base_url)
        return json_response(body, 201, {"Location": dto.location(service.base_url, stored["id"])})

    @bp.get(EVENTS_PATH)
    @bp.get(EVENTS_PATH + "/")
    def enterprise_consent_events():
        service = altinn()
        caller = auth.authenticate(service, auth.READ_SCOPES)
        query = _events_query()
        org = auth.consumer_org(caller)
        delay = service.rt.lifetimes["altinn.consent_events_delay"]
        now = service.clock.calendar()
        events = service.consents3.feed(
            urns.organization_urn(org),
            visible_until_us=epoch_us(now) - delay * 1_000_000,
            after_key=query["after"],
            event_types=query["event_types"],
            created_after_us=query["created_after"],
            created_before_us=query["created_before"],
            consent_id=query["consent_id"],
            limit=PAGE_SIZE,
        )
        next_link = _next_link(service, events[-1].id) if len(events) == PAGE_SIZE else None
        annotate(returned=len(events), delay=delay)
        return json_response({"links": {"next": next_link}, "data": [dto.status_change(e) for e in events]})

    @bp.get(dto.ENTERPRISE_PATH + "/<consent_id>")
    @bp.get(dto.ENTERPRISE_PATH + "/<consent_id>/")
    def enterprise_get_consent_request(consent_id: str):
        service = altinn()
        wanted = _route_guid(consent_id)
        caller = auth.authenticate(service, auth.READ_SCOPES)
        org = auth.consumer_org(caller)
        record = service.consents3.get(wanted)
        annotate(consent_id=wanted)
        if record is None:
            raise P.fail(P.Problem(P.NOT_FOUND))
        if record["to"] != urns.organization_urn(org):
            raise P.fail(P.Problem(P.NOT_AUTHORIZED))
        sender = urns.parse_party(record["from"])
        annotate(subject=sender.value if sender.kind == urns.PERSON else None, status=record["status"])
        events = service.consents3.events(wanted)
        return json_response(dto.details(record, events, service.base_url, service.clock.calendar()))

    return bp


def _route_guid(text: str) -> str:
    """The ``{consentRequestId:guid}`` route constraint: anything that is not a uuid is no route (404)."""
    try:
        return str(uuid.UUID(text))
    except ValueError:
        raise ServiceError(404, P.plain_problem(404, "", trace_id()), "not_found") from None


def _query_time(name: str, errors: list) -> int | None:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return None
    moment = binding.parse_time(raw.strip())
    if moment is None:
        errors.append(P.ValidationError(P.INVALID_VALUE, [f"/$QUERY/{name}"], f"The value '{raw}' is not valid."))
        return None
    return epoch_us(moment)


def _events_query() -> dict:
    """The feed's query, checked as the controller checks it: values that do not bind are one
    ``STD-00000`` (before the action runs), then AM.VLD-00051/52/53 together."""
    binding_errors: list[P.ValidationError] = []
    created_after = _query_time("createdAfter", binding_errors)
    created_before = _query_time("createdBefore", binding_errors)
    consent_id = None
    raw_id = request.args.get("consentRequestId")
    if raw_id:
        try:
            consent_id = str(uuid.UUID(raw_id.strip()))
        except ValueError:
            binding_errors.append(
                P.ValidationError(P.INVALID_VALUE, ["/$QUERY/consentRequestId"], f"The value '{raw_id}' is not valid.")
            )
    if binding_errors:
        raise P.fail(P.validation_problem(binding_errors))
    errors: list[P.ValidationError] = []
    if created_after is not None and created_before is not None and created_after >= created_before:
        errors.append(P.ValidationError(P.INVALID_DATE_RANGE, ["$QUERY/createdAfter"]))
    event_types = request.args.getlist("eventType")
    if any(value.lower() not in EVENT_TYPE_FILTERS for value in event_types):
        errors.append(P.ValidationError(P.INVALID_EVENT_TYPE, ["$QUERY/eventType"]))
    after = None
    token = request.args.get("continuationToken")
    if token:
        after = _continuation(token)
        if after is None:
            errors.append(P.ValidationError(P.INVALID_CONTINUATION_TOKEN, ["$QUERY/continuationToken"]))
    if errors:
        raise P.fail(P.validation_problem(errors))
    annotate(event_types=event_types or None, consent_id=consent_id)
    return {
        "created_after": created_after,
        "created_before": created_before,
        "consent_id": consent_id,
        "event_types": event_types or None,
        "after": after,
    }


def continuation_token(event_id: str) -> str:
    """.NET's ``Convert.ToBase64String(guid.ToByteArray())`` (the first three groups little-endian)."""
    return base64.b64encode(uuid.UUID(event_id).bytes_le).decode()


def _continuation(token: str) -> str | None:
    """The event id (as a sort key) a continuation token names; None when it is not 16 bytes of base64."""
    try:
        raw = base64.b64decode("".join(token.split()), validate=True)
    except (binascii.Error, ValueError):
        return None
    if len(raw) != 16:
        return None
    return uuid.UUID(bytes_le=raw).hex


def _next_link(service: Altinn, last_event_id: str) -> str:
    params: list[tuple[str, str]] = [("continuationToken", continuation_token(last_event_id))]
    if "consentRequestId" in request.args:
        params.append(("consentRequestId", request.args.get("consentRequestId", "")))
    for name in ("createdAfter", "createdBefore"):
        value = request.args.get(name)
        if value:
            moment = binding.parse_time(value.strip())
            params.append((name, moment.strftime("%Y-%m-%dT%H:%M:%S.%f") + "0Z" if moment else value))
    params += [("eventType", value) for value in request.args.getlist("eventType")]
    return f"{service.base_url}{EVENTS_PATH}?{urlencode(params)}"
