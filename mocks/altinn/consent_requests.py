"""``/api/consentRequests``: the consumer creates, reads, lists and withdraws consent requests.

Responses are PascalCase as in Altinn's documentation. The HAL ``_links`` (``self`` and ``gui``,
the page to send the citizen to) are only there when the caller asks for
``Accept: application/hal+json``, as with the real API (Altinn, «Be om samtykke»,
https://altinn.github.io/docs/utviklingsguider/samtykke/datakonsument/be-om-samtykke/).
``/api/consentRequest`` (singular) is the deprecated alias and behaves the same.
"""

from __future__ import annotations

from flask import Blueprint, Response, request

from dsop_sandbox.mocks.common.errors import json_response
from dsop_sandbox.mocks.common.events import annotate
from dsop_sandbox.mocks.common.payload import read_json

from . import consents as C
from . import errors as E
from .caller import READ_SCOPES, WRITE_SCOPE, Caller, authenticate
from .consents import ConsentError
from .norwegian_time import local_iso
from .request_validation import RequestProblems, parse_request
from .runtime import Altinn, altinn

HAL = "application/hal+json"
PAGE_SIZE = 50
STATUSES = (C.UNOPENED, C.OPENED, C.ACCEPTED, C.REJECTED)


def wants_hal() -> bool:
    return any(mimetype == HAL for mimetype, _ in request.accept_mimetypes)


def gui_url(service: Altinn, code: str) -> str:
    return f"{service.base_url}/ui/AccessConsent/request?id={code}"


def present(service: Altinn, record: dict, hal: bool) -> dict:
    body = {
        "AuthorizationCode": record["code"],
        "RequestStatus": record["status"],
        "CoveredBy": record["covered_by"],
        "OfferedBy": record.get("offered_by"),
        "OfferedByName": record.get("offered_by_name"),
        "HandledBy": record.get("handled_by"),
        "RequiredDelegator": record.get("required_delegator"),
        "RequiredDelegatorName": record.get("required_delegator_name"),
        "ValidTo": local_iso(record["valid_to"]),
        "RedirectUrl": record["redirect_url"],
        "RequestResources": [
            {"ServiceCode": r["code"], "ServiceEditionCode": r["edition"], "Metadata": r["metadata"]}
            for r in record["resources"]
        ],
        "RequestMessage": record.get("request_message"),
        "PortalViewMode": record.get("portal_view_mode", "Hide"),
        "Created": local_iso(record["created"]),
        "LastChanged": local_iso(record["last_changed"]),
    }
    body = {key: value for key, value in body.items() if value is not None}
    if hal:
        body["_links"] = {
            "self": {"href": f"{service.base_url}/api/consentRequests/{record['code']}"},
            "gui": {"href": gui_url(service, record["code"])},
        }
    return body


def _own_request(service: Altinn, caller: Caller, code: str) -> dict:
    record = service.consents.get(code)
    if record is None:
        raise E.altinn_error(404, E.NOT_FOUND, f"There is no consent request {code}")
    if caller.org not in (record["covered_by"], record.get("handled_by")):
        raise E.altinn_error(403, E.WRONG_PARTY, f"Consent request {code} is not {caller.org}'s")
    annotate(subject=record.get("offered_by"), authorization_code=code)
    return record


def consent_requests_blueprint() -> Blueprint:
    bp = Blueprint("altinn_consent_requests", __name__)

    @bp.post("/api/consentRequests")
    @bp.post("/api/consentRequest", endpoint="create_consent_request_singular")
    def create_consent_request():
        service = altinn()
        caller = authenticate(service, (WRITE_SCOPE,))
        body = read_json(E.ERRORS)
        try:
            normalized = parse_request(body, service)
        except RequestProblems as exc:
            annotate(problems=[code for code, _ in exc.problems])
            raise E.validation_errors(exc.problems) from exc
        if caller.org not in (normalized["covered_by"], normalized.get("handled_by")):
            raise E.altinn_error(
                403, E.WRONG_PARTY, f"{caller.org} may not ask for consent on behalf of {normalized['covered_by']}"
            )
        record = service.consents.create(normalized)
        annotate(subject=record["offered_by"], authorization_code=record["code"], services=C.service_keys(record))
        return json_response(
            present(service, record, wants_hal()),
            201,
            {"Location": f"{service.base_url}/api/consentRequests/{record['code']}"},
        )

    @bp.get("/api/consentRequests/<code>")
    @bp.get("/api/consentRequest/<code>", endpoint="get_consent_request_singular")
    def get_consent_request(code: str):
        service = altinn()
        caller = authenticate(service, READ_SCOPES)
        return json_response(present(service, _own_request(service, caller, code), wants_hal()))

    @bp.delete("/api/consentRequests/<code>")
    @bp.delete("/api/consentRequest/<code>", endpoint="delete_consent_request_singular")
    def delete_consent_request(code: str):
        service = altinn()
        caller = authenticate(service, (WRITE_SCOPE,))
        _own_request(service, caller, code)
        try:
            service.consents.delete(code)
        except ConsentError as exc:
            raise E.altinn_error(400, E.ALREADY_HANDLED, f"Consent request {code} cannot be deleted: {exc}") from exc
        return Response(status=204)

    @bp.get("/api/consentRequests")
    @bp.get("/api/consentRequest", endpoint="list_consent_requests_singular")
    def list_consent_requests():
        """Filters: ``serviceCode``, ``serviceEditionCode``, ``status`` (or ``status[0]``, ``status[1]``…),
        ``direction`` (``sent``: the consumer's own, the only direction an enterprise has);
        ``continuation`` is the last AuthorizationCode of the previous page."""
        service = altinn()
        caller = authenticate(service, READ_SCOPES)
        args = {key.lower(): value for key, value in request.args.items(multi=True)}
        statuses = [
            value
            for key, value in request.args.items(multi=True)
            if key.lower() == "status" or key.lower().startswith("status[")
        ]
        unknown = [s for s in statuses if s not in STATUSES]
        if unknown:
            raise E.altinn_error(400, E.QUERY, f"status is one of {', '.join(STATUSES)}, not {', '.join(unknown)}")
        if args.get("direction", "sent").lower() not in ("sent", "outgoing"):
            raise E.altinn_error(400, E.QUERY, "an enterprise's requests are direction=sent")
        code, edition = args.get("servicecode"), args.get("serviceeditioncode")
        records = []
        for record in service.consents.for_party(caller.org):
            if statuses and record["status"] not in statuses:
                continue
            if code and not any(
                r["code"] == code and (not edition or str(r["edition"]) == edition) for r in record["resources"]
            ):
                continue
            records.append(record)
        continuation = args.get("continuation")
        if continuation:
            codes = [r["code"] for r in records]
            if continuation not in codes:
                raise E.altinn_error(400, E.QUERY, "continuation is not a request of this list")
            records = records[codes.index(continuation) + 1 :]
        page, more = records[:PAGE_SIZE], len(records) > PAGE_SIZE
        items = [present(service, record, wants_hal()) for record in page]
        if not wants_hal():
            return json_response(items)
        links = {"self": {"href": request.url}}
        if more:
            links["next"] = {"href": f"{service.base_url}/api/consentRequests?continuation={page[-1]['code']}"}
        return json_response({"_links": links, "_embedded": {"consentRequests": items}})

    return bp
