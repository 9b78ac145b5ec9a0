"""Consent requests as Access Management writes them on the wire.

* :func:`details` — ``ConsentRequestDetailsDto`` (create 201, GET): parties as identifier URNs,
  enums by their .NET names (``"status": "Created"``, ``"eventType": "Accepted"``,
  ``"portalViewMode": "Hide"``), times as ``DateTimeOffset`` (``…+00:00``), nulls written out.
  A GET of a request whose ``validTo`` has passed carries an extra ``Expired`` event, made up as
  ``AddExpiredEventIfConsentIsExpired`` makes it (zero ids, created = validTo, by ``to``).
* :func:`existing` — what the create call answers (200) when the id is taken by a request for the
  same parties: the service's *internal* model serialised as is (``consentRequestStatus`` instead
  of ``status``, ``templateId``/``templateVersion``, resource ``version``, events by internal party
  uuid), because the controller returns ``Ok(consentRequestStatus.Value.ConsentRequest)``.
* :func:`lookup` — ``ConsentInfoMaskinportenDto`` for Maskinporten.
* :func:`status_change` — one item of the events feed (``ConsentStatusChangeDto``).
"""

from __future__ import annotations

from datetime import datetime

from dsop_sandbox.mocks.common.clock import parse_time

from . import consents as C
from . import urns

VIEW_PATH = "/accessmanagement/ui/consent/request"
ENTERPRISE_PATH = "/accessmanagement/api/v1/enterprise/consentrequests"


def view_uri(base_url: str, consent_id: str) -> str:
    return f"{base_url}{VIEW_PATH}?id={consent_id}"


def location(base_url: str, consent_id: str) -> str:
    return f"{base_url}{ENTERPRISE_PATH}/{consent_id}"


def rights(record: dict, *, internal: bool = False) -> list[dict]:
    out = []
    for right in record["consent_rights"]:
        resources = []
        for attribute in right["resource"]:
            item = {"type": attribute["type"], "value": attribute["value"]}
            if internal:
                item["version"] = attribute.get("version")
            resources.append(item)
        out.append({"action": list(right["action"]), "resource": resources, "metadata": right.get("metadata")})
    return out


def event_body(event: C.Event, *, internal: bool = False) -> dict:
    performed_by = event.performed_by
    if internal:
        party = urns.parse_party(performed_by)
        performed_by = urns.internal_urn(party.kind, party.value)
    return {
        "consentEventID": event.id,
        "created": event.created,
        "performedBy": performed_by,
        "eventType": event.event_type,
        "consentRequestID": event.consent_id,
    }


def expired_event(record: dict) -> dict:
    return {
        "consentEventID": C.ZERO_UUID,
        "created": record["valid_to"],
        "performedBy": record["to"],
        "eventType": C.EXPIRED,
        "consentRequestID": C.ZERO_UUID,
    }


def details(record: dict, events: list[C.Event], base_url: str, calendar_now: datetime | None = None) -> dict:
    """``ConsentRequestDetailsDto``; with ``calendar_now`` (a GET) an expired request gets its Expired event."""
    event_bodies = [event_body(event) for event in events]
    if (
        calendar_now is not None
        and parse_time(record["valid_to"]) < calendar_now
        and not any(event.event_type == C.EXPIRED for event in events)
    ):
        event_bodies.append(expired_event(record))
    return {
        "id": record["id"],
        "from": record["from"],
        "to": record["to"],
        "requiredDelegator": record.get("required_delegator"),
        "handledBy": record.get("handled_by"),
        "validTo": record["valid_to"],
        "consentRights": rights(record),
        "requestMessage": record.get("request_message"),
        "status": record["status"],
        "consented": record.get("consented"),
        "redirectUrl": record["redirect_url"],
        "consentRequestEvents": event_bodies,
        "viewUri": view_uri(base_url, record["id"]),
        "portalViewMode": record["portal_view_mode"],
    }


def existing(record: dict, events: list[C.Event], base_url: str) -> dict:
    """Access Management's internal ``ConsentRequestDetails``, as the repeated create answers it."""
    return {
        "id": record["id"],
        "from": record["from"],
        "requiredDelegator": record.get("required_delegator"),
        "to": record["to"],
        "handledBy": record.get("handled_by"),
        "validTo": record["valid_to"],
        "consentRights": rights(record, internal=True),
        "requestMessage": record.get("request_message"),
        "consentRequestStatus": record["status"],
        "consented": record.get("consented"),
        "consentRequestEvents": [event_body(event, internal=True) for event in events],
        "redirectUrl": record["redirect_url"],
        "viewUri": view_uri(base_url, record["id"]),
        "templateId": record["template_id"],
        "templateVersion": record["template_version"],
        "portalViewMode": record["portal_view_mode"],
    }


def lookup(record: dict) -> dict:
    return {
        "id": record["id"],
        "from": record["from"],
        "to": record["to"],
        "handledBy": record.get("handled_by"),
        "consented": record.get("consented"),
        "validTo": record["valid_to"],
        "consentRights": rights(record),
    }


def status_change(event: C.Event) -> dict:
    return {"consentRequestId": event.consent_id, "eventType": event.event_type, "changedDate": event.created}
