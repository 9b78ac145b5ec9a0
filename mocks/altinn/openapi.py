"""The OpenAPI 3.0 document of the Altinn fake's REST APIs, both generations (``/openapi.json``).

Altinn 2 (``www.altinn.no/api``): consent requests, consent tokens and their use log, the service
owner's consent list, the token issuer's metadata and keys. Errors are Altinn 2's list of
``{"ErrorCode", "ErrorMessage"}``.

Altinn 3 (``platform.altinn.no``): Access Management's enterprise consent requests and events,
Maskinporten's consent lookup, and the resource registry. Errors are RFC 7807 problem details in
Altinn's shape; a ``STD-00001`` (several problems) is HTTP 400 here (the real service answers 500),
and the only 5xx an Altinn 3 operation answers is 503 when Maskinporten's keys cannot be read.

The citizen's HTML pages are not part of it.
"""

from __future__ import annotations

STRING = {"type": "string"}
NULLABLE_STRING = {"type": "string", "nullable": True}
UUID = {"type": "string", "format": "uuid"}
DATETIME = {"type": "string", "format": "date-time"}
TEXTS = {"type": "object", "additionalProperties": {"type": "string"}}
PARTY_URN = {
    "type": "string",
    "pattern": r"^urn:altinn:(person:identifier-no:[0-9]{11}|organization:identifier-no:[0-9]{9}|"
    r"(party|person|organization|systemuser):uuid:[0-9a-fA-F-]{36}|party:id:[0-9]+|partyid:[0-9]+)$",
}

A2_ERRORS = {
    "type": "array",
    "minItems": 1,
    "items": {
        "type": "object",
        "required": ["ErrorCode", "ErrorMessage"],
        "properties": {"ErrorCode": STRING, "ErrorMessage": STRING},
    },
}
PROBLEM = {
    "type": "object",
    "required": ["type", "title", "status"],
    "properties": {
        "type": STRING,
        "title": STRING,
        "status": {"type": "integer"},
        "detail": STRING,
        "code": {"type": "string", "pattern": r"^[A-Z]{2,4}(\.[A-Z]{1,4})?-[0-9]{5}$"},
        "traceId": STRING,
        "statusDescription": STRING,
        "validationErrors": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["code", "title", "paths"],
                "properties": {
                    "code": STRING,
                    "title": STRING,
                    "paths": {"type": "array", "items": STRING},
                    "detail": STRING,
                },
            },
        },
        "problems": {"type": "array", "items": {"type": "object", "required": ["code", "title", "status"]}},
    },
}
EVENT = {
    "type": "object",
    "required": ["consentEventID", "created", "performedBy", "eventType", "consentRequestID"],
    "properties": {
        "consentEventID": UUID,
        "created": DATETIME,
        "performedBy": STRING,
        "eventType": {"enum": ["Created", "Rejected", "Accepted", "Revoked", "Deleted", "Expired", "Used"]},
        "consentRequestID": UUID,
    },
}


def _right(internal: bool = False) -> dict:
    attribute = {"type": "object", "required": ["type", "value"], "properties": {"type": STRING, "value": STRING}}
    if internal:
        attribute["properties"]["version"] = NULLABLE_STRING
    return {
        "type": "object",
        "required": ["action", "resource"],
        "properties": {
            "action": {"type": "array", "items": STRING},
            "resource": {"type": "array", "items": attribute},
            "metadata": {
                "type": "object",
                "nullable": True,
                "additionalProperties": {"type": "string", "nullable": True},
            },
        },
    }


CONSENT_REQUEST = {
    "type": "object",
    "required": ["id", "from", "to", "validTo", "consentRights", "redirectUrl"],
    "properties": {
        "id": UUID,
        "from": PARTY_URN,
        "requiredDelegator": {**PARTY_URN, "nullable": True},
        "to": PARTY_URN,
        "validTo": DATETIME,
        "consentRights": {"type": "array", "items": _right()},
        "requestMessage": {**TEXTS, "nullable": True},
        "redirectUrl": STRING,
        "portalViewMode": {"type": "string", "enum": ["hide", "show", "Hide", "Show"], "nullable": True},
    },
}
_DETAILS_PROPERTIES = {
    "id": UUID,
    "from": STRING,
    "to": STRING,
    "requiredDelegator": NULLABLE_STRING,
    "handledBy": NULLABLE_STRING,
    "validTo": DATETIME,
    "consentRights": {"type": "array", "items": _right()},
    "requestMessage": {**TEXTS, "nullable": True},
    "status": {"enum": ["Created", "Rejected", "Accepted", "Revoked", "Deleted", "Expired"]},
    "consented": {**DATETIME, "nullable": True},
    "redirectUrl": STRING,
    "consentRequestEvents": {"type": "array", "items": EVENT},
    "viewUri": STRING,
    "portalViewMode": {"enum": ["Hide", "Show"]},
}
CONSENT_REQUEST_DETAILS = {
    "type": "object",
    "required": list(_DETAILS_PROPERTIES),
    "additionalProperties": False,
    "properties": _DETAILS_PROPERTIES,
}
EXISTING_CONSENT_REQUEST = {
    "type": "object",
    "description": "Access Management's internal model: the answer when the id is taken (same parties)",
    "required": ["id", "from", "to", "validTo", "consentRights", "consentRequestStatus", "templateId"],
    "properties": {
        **{k: v for k, v in _DETAILS_PROPERTIES.items() if k not in ("status", "consentRights")},
        "consentRights": {"type": "array", "items": _right(internal=True)},
        "consentRequestStatus": _DETAILS_PROPERTIES["status"],
        "templateId": STRING,
        "templateVersion": {"type": "integer", "nullable": True},
    },
}
STATUS_CHANGES = {
    "type": "object",
    "required": ["links", "data"],
    "properties": {
        "links": {"type": "object", "required": ["next"], "properties": {"next": NULLABLE_STRING}},
        "data": {
            "type": "array",
            "maxItems": 100,
            "items": {
                "type": "object",
                "required": ["consentRequestId", "eventType", "changedDate"],
                "properties": {"consentRequestId": UUID, "eventType": STRING, "changedDate": DATETIME},
            },
        },
    },
}
LOOKUP_BODY = {
    "type": "object",
    "required": ["from", "to"],
    "properties": {"id": UUID, "from": PARTY_URN, "to": PARTY_URN},
}
CONSENT_INFO = {
    "type": "object",
    "required": ["id", "from", "to", "handledBy", "consented", "validTo", "consentRights"],
    "additionalProperties": False,
    "properties": {
        "id": UUID,
        "from": STRING,
        "to": STRING,
        "handledBy": NULLABLE_STRING,
        "consented": {**DATETIME, "nullable": True},
        "validTo": DATETIME,
        "consentRights": {"type": "array", "items": _right()},
    },
}
SERVICE_RESOURCE = {
    "type": "object",
    "required": ["identifier", "title", "resourceType", "hasCompetentAuthority"],
    "properties": {
        "identifier": STRING,
        "version": STRING,
        "title": TEXTS,
        "description": TEXTS,
        "resourceType": STRING,
        "hasCompetentAuthority": {"type": "object"},
        "accessListMode": {"enum": ["Enabled", "Disabled"]},
        "consentTemplate": STRING,
        "consentText": TEXTS,
        "consentMetadata": {"type": "object", "additionalProperties": {"type": "object"}},
        "isOneTimeConsent": {"type": "boolean"},
        "sandbox": {
            "type": "object",
            "description": "The sandbox's own field: maxConsentValidity, metadataFormats, metadataPeriod",
        },
    },
}
A2_CONSENT_REQUEST = {
    "type": "object",
    "required": ["AuthorizationCode", "RequestStatus", "CoveredBy", "ValidTo", "RedirectUrl", "RequestResources"],
    "properties": {
        "AuthorizationCode": UUID,
        "RequestStatus": {"enum": ["Unopened", "Opened", "Accepted", "Rejected"]},
        "CoveredBy": STRING,
        "OfferedBy": STRING,
        "ValidTo": STRING,
        "RedirectUrl": STRING,
        "RequestResources": {"type": "array", "items": {"type": "object"}},
        "_links": {"type": "object"},
    },
}


def _json(schema: dict, description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _a2_errors(*statuses: int) -> dict:
    return {str(status): _json(A2_ERRORS, "Altinn 2 errors") for status in statuses}


def _problems(*statuses: int) -> dict:
    return {str(status): _json(PROBLEM, "Problem details") for status in statuses}


API_KEY = {"name": "ApiKey", "in": "header", "required": True, "schema": STRING, "description": "The consumer's key"}


def _path_param(name: str, schema: dict | None = None) -> dict:
    return {"name": name, "in": "path", "required": True, "schema": schema or STRING}


def _query(name: str, schema: dict | None = None, description: str = "", *, empty: bool = False) -> dict:
    param = {"name": name, "in": "query", "required": False, "schema": schema or STRING}
    if description:
        param["description"] = description
    if empty:  # ASP.NET binds an empty value of a nullable type as absent
        param["allowEmptyValue"] = True
    return param


def _altinn2_paths() -> dict:
    body = {"required": True, "content": {"application/json": {"schema": {"type": "object"}}}}
    a2_request = {"application/json": {"schema": A2_CONSENT_REQUEST}}
    token = {
        "200": {
            "description": "The consent token: the JWT as a JSON string (quoted), or XML",
            "content": {"application/json": {"schema": STRING}, "application/xml": {"schema": STRING}},
        },
        **_a2_errors(400, 401, 403, 404),
    }
    code = _path_param("code")
    return {
        "/api/consentRequests": {
            "post": {
                "operationId": "create_consent_request",
                "tags": ["Altinn 2"],
                "parameters": [API_KEY],
                "requestBody": body,
                "security": [{"maskinporten": []}, {}],
                "responses": {
                    "201": {"description": "Created", "content": a2_request},
                    **_a2_errors(400, 401, 403, 413, 415, 503),
                },
            },
            "get": {
                "operationId": "list_consent_requests",
                "tags": ["Altinn 2"],
                "parameters": [
                    API_KEY,
                    _query("serviceCode"),
                    _query("serviceEditionCode"),
                    _query("status"),
                    _query("direction"),
                    _query("continuation"),
                ],
                "security": [{"maskinporten": []}, {}],
                "responses": {
                    "200": {
                        "description": "The consumer's requests",
                        "content": {"application/json": {"schema": {"type": "array", "items": A2_CONSENT_REQUEST}}},
                    },
                    **_a2_errors(400, 401, 403, 503),
                },
            },
        },
        "/api/consentRequests/{code}": {
            "get": {
                "operationId": "get_consent_request",
                "tags": ["Altinn 2"],
                "parameters": [code, API_KEY],
                "security": [{"maskinporten": []}, {}],
                "responses": {
                    "200": {"description": "The request", "content": a2_request},
                    **_a2_errors(401, 403, 404, 503),
                },
            },
            "delete": {
                "operationId": "delete_consent_request",
                "tags": ["Altinn 2"],
                "parameters": [code, API_KEY],
                "security": [{"maskinporten": []}, {}],
                "responses": {"204": {"description": "Withdrawn"}, **_a2_errors(400, 401, 403, 404, 503)},
            },
        },
        "/api/authorization/token/{code}": {
            "get": {
                "operationId": "get_consent_token",
                "tags": ["Altinn 2"],
                "parameters": [code, API_KEY],
                "responses": token,
            }
        },
        "/api/authorization/token": {
            "get": {
                "operationId": "get_consent_token_by_query",
                "tags": ["Altinn 2"],
                "parameters": [_query("authcode"), API_KEY],
                "responses": token,
            }
        },
        "/api/authorization/token/{code}/loguse": {
            "post": {
                "operationId": "log_use",
                "tags": ["Altinn 2"],
                "parameters": [code, API_KEY],
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "properties": {
                                    "ServiceCode": STRING,
                                    "ServiceEditionCode": {"type": "integer"},
                                    "UsageDateTime": STRING,
                                },
                            }
                        }
                    },
                },
                "responses": {"204": {"description": "Logged"}, **_a2_errors(400, 401, 403, 404, 413, 415)},
            }
        },
        "/api/serviceowner/consents": {
            "get": {
                "operationId": "serviceowner_consents",
                "tags": ["Altinn 2"],
                "parameters": [
                    API_KEY,
                    _query("serviceCode"),
                    _query("serviceEditionCode"),
                    _query("status", {"type": "string", "enum": ["Active", "Revoked"]}),
                    _query("continuation"),
                ],
                "responses": {
                    "200": _json({"type": "object", "required": ["_links", "_embedded"]}, "The owner's consents"),
                    **_a2_errors(400, 403),
                },
            }
        },
        "/.well-known/oauth-authorization-server": {
            "get": {
                "operationId": "metadata",
                "tags": ["Altinn 2"],
                "responses": {
                    "200": _json(
                        {"type": "object", "required": ["issuer", "jwks_uri"], "properties": {"issuer": STRING}},
                        "Where the consent token's keys are",
                    )
                },
            }
        },
        "/api/metadata/jwk": {
            "get": {
                "operationId": "jwk",
                "tags": ["Altinn 2"],
                "responses": {"200": _json({"type": "object", "required": ["keys"]}, "Consent token signing keys")},
            }
        },
    }


def _altinn3_paths() -> dict:
    enterprise = "/accessmanagement/api/v1/enterprise/consentrequests"
    bearer = [{"maskinporten": []}]
    return {
        enterprise: {
            "post": {
                "operationId": "enterprise_create_consent_request",
                "tags": ["Altinn 3"],
                "description": "Scope altinn:consentrequests.write; to must be the token's consumer.",
                "security": bearer,
                "requestBody": {"required": True, "content": {"application/json": {"schema": CONSENT_REQUEST}}},
                "responses": {
                    "201": {
                        **_json(CONSENT_REQUEST_DETAILS, "Created"),
                        "headers": {"Location": {"schema": STRING}},
                    },
                    "200": _json(EXISTING_CONSENT_REQUEST, "The id is taken by a request for the same parties"),
                    **_problems(400, 401, 403, 404, 413, 415, 503),
                },
            }
        },
        enterprise + "/{consentRequestId}": {
            "get": {
                "operationId": "enterprise_get_consent_request",
                "tags": ["Altinn 3"],
                "security": bearer,
                "parameters": [_path_param("consentRequestId", UUID)],
                "responses": {
                    "200": _json(CONSENT_REQUEST_DETAILS, "The request"),
                    **_problems(401, 403, 404, 503),
                },
            }
        },
        enterprise + "/events": {
            "get": {
                "operationId": "enterprise_consent_events",
                "tags": ["Altinn 3"],
                "security": bearer,
                "parameters": [
                    _query("continuationToken", description="From links.next of the previous page"),
                    _query("createdAfter", DATETIME, empty=True),
                    _query("createdBefore", DATETIME, empty=True),
                    {
                        "name": "eventType",
                        "in": "query",
                        "required": False,
                        "style": "form",
                        "explode": True,
                        "schema": {
                            "type": "array",
                            "items": {"type": "string", "enum": ["rejected", "accepted", "revoked", "deleted", "used"]},
                        },
                    },
                    _query("consentRequestId", UUID, empty=True),
                ],
                "responses": {
                    "200": _json(STATUS_CHANGES, "Status changes, oldest first"),
                    **_problems(400, 401, 403, 503),
                },
            }
        },
        "/accessmanagement/api/v1/maskinporten/consent/lookup": {
            "post": {
                "operationId": "maskinporten_consent_lookup",
                "tags": ["Altinn 3"],
                "description": "Maskinporten's own: scope altinn:maskinporten/consent.read, consumer Digdir.",
                "security": bearer,
                "requestBody": {"required": True, "content": {"application/json": {"schema": LOOKUP_BODY}}},
                "responses": {
                    "200": _json(CONSENT_INFO, "The consent, for Maskinporten's token"),
                    **_problems(400, 401, 403, 404, 413, 415, 503),
                },
            }
        },
        "/resourceregistry/api/v1/resource/{id}": {
            "get": {
                "operationId": "get_resource",
                "tags": ["Resource registry"],
                "parameters": [_path_param("id")],
                "responses": {"200": _json(SERVICE_RESOURCE, "The resource"), **_problems(404)},
            }
        },
    }


def openapi_document(base_url: str) -> dict:
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "Altinn consent (dsop-sandbox)",
            "version": "1.0",
            "description": "Altinn 2's consent API and Altinn 3's (Access Management, resource registry), "
            "faithful to Altinn's, on one base URL.",
        },
        "servers": [{"url": base_url}],
        "components": {
            "securitySchemes": {"maskinporten": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}}
        },
        "paths": {**_altinn2_paths(), **_altinn3_paths()},
    }
