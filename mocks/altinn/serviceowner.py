"""``GET /api/serviceowner/consents``: the service owner's view of the consents to its services.

NAV (5252) or Skatteetaten (4628, 4804) call with their own ApiKey and see, page by page, the
consents that are ``Active`` or ``Revoked`` (a used-up one-time consent counts as revoked);
expired consents are not listed (Altinn, «Samtykke»,
https://altinn.github.io/docs/utviklingsguider/samtykke/). The continuation token is
``yyyy-MM-ddTHH:mm:ss.fff_<AuthorizationCode>`` of the last consent on the previous page.
"""

from __future__ import annotations

import hmac

from flask import Blueprint, request

from dsop_sandbox.mocks.common.errors import json_response
from dsop_sandbox.mocks.common.events import annotate

from . import consents as C
from . import errors as E
from .norwegian_time import local_iso
from .runtime import Altinn, altinn

PAGE_SIZE = 100
LISTED = {C.ACTIVE: "Active", C.REVOKED: "Revoked", C.USED: "Revoked"}


def _owner(service: Altinn) -> dict:
    key = request.headers.get("ApiKey", "").strip()
    if not key:
        raise E.altinn_error(403, E.API_KEY, "The request has no ApiKey header")
    found = None
    for owner in service.service_owners.all():
        if hmac.compare_digest(owner["api_key"].encode(), key.encode()):
            found = owner
    if found is None:
        raise E.altinn_error(403, E.API_KEY, "The API key is not a service owner's")
    annotate(caller=found["org"])
    return found


def present(service: Altinn, record: dict, status: str) -> dict:
    person = service.person(record["offered_by"]) or {}
    return {
        "AuthorizationCode": record["code"],
        "Status": status,
        "OfferedBy": {
            "Name": person.get("name", record.get("offered_by_name")),
            "Type": "Person",
            "SocialSecurityNumber": record["offered_by"],
        },
        "CoveredBy": {
            "Name": record.get("covered_by_name"),
            "Type": "Enterprise",
            "OrganizationNumber": record["covered_by"],
        },
        "Services": C.service_keys(record),
        "Created": local_iso(record["consent"]["delegated"]),
        "ValidTo": local_iso(record["valid_to"]),
        "LastChanged": local_iso(record["last_changed"]),
    }


def continuation_of(record: dict) -> str:
    return f"{local_iso(record['last_changed'])}_{record['code']}"


def serviceowner_blueprint() -> Blueprint:
    bp = Blueprint("altinn_serviceowner", __name__)

    @bp.get("/api/serviceowner/consents")
    def serviceowner_consents():
        service = altinn()
        owner = _owner(service)
        code = request.args.get("serviceCode") or request.args.get("servicecode")
        edition = request.args.get("serviceEditionCode") or request.args.get("serviceeditioncode")
        status = request.args.get("status")
        if not code:
            raise E.altinn_error(400, E.QUERY, "serviceCode is required")
        if code not in owner["services"]:
            raise E.altinn_error(403, E.SERVICE_OWNER, f"{owner['org']} does not own service {code}")
        if status is not None and status not in ("Active", "Revoked"):
            raise E.altinn_error(400, E.QUERY, "status is Active or Revoked")
        listed = []
        for record in service.consents.accepted():
            if not any(
                r["code"] == code and (not edition or str(r["edition"]) == edition) for r in record["resources"]
            ):
                continue
            shown = LISTED.get(service.consents.state(record))
            if shown is None or (status and shown != status):
                continue
            listed.append((continuation_of(record), record, shown))
        listed.sort(key=lambda item: item[0])
        after = request.args.get("continuation")
        if after:
            listed = [item for item in listed if item[0] > after]
        page = listed[:PAGE_SIZE]
        body = {
            "_links": {"self": {"href": request.url}},
            "_embedded": {"consents": [present(service, record, shown) for _, record, shown in page]},
        }
        if len(listed) > PAGE_SIZE:
            token = page[-1][0]
            body["continuationtoken"] = token
            args = {k: v for k, v in request.args.items() if k != "continuation"}
            query = "&".join(f"{k}={v}" for k, v in args.items())
            body["_links"]["next"] = {
                "href": f"{service.base_url}/api/serviceowner/consents?{query}&continuation={token}"
            }
        annotate(listed=len(page))
        return json_response(body)

    return bp
