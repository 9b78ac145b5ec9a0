"""Maskinporten's public API as OpenAPI 3.0 (served at /openapi.json; used by the contract tests)."""

from __future__ import annotations

ERROR = {
    "type": "object",
    "required": ["error", "error_description"],
    "properties": {
        "error": {"type": "string"},
        "error_description": {"type": "string", "pattern": r"\(trace_id: [^)]+\)$"},
        "error_uri": {"type": "string", "pattern": "/errors/MP-[0-9]{3}$"},
    },
}
JWKS = {
    "type": "object",
    "required": ["keys"],
    "properties": {
        "keys": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "required": ["kty", "kid", "n", "e", "x5c", "x5t"],
                "properties": {
                    "kty": {"enum": ["RSA"]},
                    "kid": {"type": "string"},
                    "alg": {"type": "string"},
                    "use": {"enum": ["sig"]},
                    "n": {"type": "string"},
                    "e": {"type": "string"},
                    "x5c": {"type": "array", "items": {"type": "string"}},
                    "x5t": {"type": "string"},
                },
            },
        }
    },
}


PARTY_URN = {
    "type": "string",
    "pattern": r"^urn:altinn:(person:identifier-no:[0-9]{11}|organization:identifier-no:[0-9]{9})$",
}
ISO6523 = {
    "type": "object",
    "required": ["authority", "ID"],
    "properties": {"authority": {"enum": ["iso6523-actorid-upis"]}, "ID": {"type": "string"}},
}
#: The grant's authorization_details claim (Digdir, "Samtykketoken i Maskinporten").
CONSENT_REQUEST = {
    "type": "array",
    "minItems": 1,
    "maxItems": 1,
    "description": "One Altinn 3 consent per token request; the grant still needs its scope.",
    "items": {
        "type": "object",
        "additionalProperties": False,
        "required": ["type", "id", "from"],
        "properties": {
            "type": {"enum": ["urn:altinn:consent"]},
            "id": {"type": "string", "format": "uuid", "description": "The consent request's id"},
            "from": {**PARTY_URN, "description": "Who consented: a person (pid) or an organisation"},
        },
    },
}
#: What the access token carries once Altinn has confirmed the consent.
CONSENT_IN_TOKEN = {
    "type": "array",
    "items": {
        "type": "object",
        "required": ["type", "id", "from", "to", "consented", "validTo", "consentRights"],
        "properties": {
            "type": {"enum": ["urn:altinn:consent"]},
            "id": {"type": "string", "format": "uuid"},
            "from": PARTY_URN,
            "to": {**ISO6523, "description": "The organisation the consent was given to: the token's consumer"},
            "consented": {"type": "string", "format": "date-time"},
            "validTo": {"type": "string", "format": "date-time"},
            "consentRights": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["action", "resource"],
                    "properties": {
                        "action": {"type": "array", "items": {"type": "string"}},
                        "resource": {
                            "type": "array",
                            "items": {
                                "type": "object",
                                "properties": {"type": {"type": "string"}, "value": {"type": "string"}},
                            },
                        },
                        "metadata": {"type": "object", "additionalProperties": {"type": "string"}},
                    },
                },
            },
        },
    },
}
ASSERTION = (
    "The JWT grant (RFC 7523), signed by the client. Its claims: aud, iss, iat, exp, jti, scope, and "
    "optionally resource, pid, consumer_org and authorization_details: one urn:altinn:consent "
    "(components/schemas/ConsentRequest), which Maskinporten looks up at Altinn and puts into the access "
    "token (components/schemas/ConsentInToken). A consent Altinn refuses gives 400 "
    "invalid_altinn_customer_configuration (MP-303); Altinn out of reach gives 503 temporarily_unavailable."
)


def _error_responses(*statuses: int) -> dict:
    return {
        str(status): {"description": "Error", "content": {"application/json": {"schema": ERROR}}} for status in statuses
    }


def openapi_document(base_url: str) -> dict:
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "Maskinporten (dsop-sandbox)",
            "version": "1.0",
            "description": "JWT-bearer grant token service, faithful to Digdir's Maskinporten.",
        },
        "servers": [{"url": base_url}],
        "paths": {
            "/.well-known/oauth-authorization-server": {
                "get": {
                    "operationId": "metadata",
                    "responses": {
                        "200": {
                            "description": "RFC 8414 metadata",
                            "content": {
                                "application/json": {
                                    "schema": {
                                        "type": "object",
                                        "required": ["issuer", "token_endpoint", "jwks_uri"],
                                        "properties": {
                                            "issuer": {"type": "string"},
                                            "token_endpoint": {"type": "string"},
                                            "jwks_uri": {"type": "string"},
                                            "authorization_details_types_supported": {
                                                "type": "array",
                                                "items": {"enum": ["urn:altinn:consent"]},
                                            },
                                        },
                                    }
                                }
                            },
                        }
                    },
                }
            },
            "/jwk": {
                "get": {
                    "operationId": "jwk",
                    "responses": {
                        "200": {"description": "Signing keys", "content": {"application/json": {"schema": JWKS}}}
                    },
                }
            },
            "/token": {
                "post": {
                    "operationId": "token",
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/x-www-form-urlencoded": {
                                "schema": {
                                    "type": "object",
                                    "required": ["grant_type", "assertion"],
                                    "properties": {
                                        "grant_type": {
                                            "type": "string",
                                            "enum": ["urn:ietf:params:oauth:grant-type:jwt-bearer"],
                                        },
                                        "assertion": {"type": "string", "description": ASSERTION},
                                    },
                                }
                            }
                        },
                    },
                    "responses": {
                        "200": {
                            "description": "Access token",
                            "content": {
                                "application/json": {
                                    "schema": {
                                        "type": "object",
                                        "required": ["access_token", "token_type", "expires_in", "scope"],
                                        "properties": {
                                            "access_token": {"type": "string"},
                                            "token_type": {"enum": ["Bearer"]},
                                            "expires_in": {"type": "integer", "minimum": 1},
                                            "scope": {"type": "string"},
                                        },
                                    }
                                }
                            },
                        },
                        **_error_responses(400, 405, 413, 503),
                    },
                }
            },
            "/errors/{code}": {
                "get": {
                    "operationId": "error_page",
                    "parameters": [{"name": "code", "in": "path", "required": True, "schema": {"type": "string"}}],
                    "responses": {
                        "200": {
                            "description": "What an error code means",
                            "content": {"text/html": {"schema": {"type": "string"}}},
                        },
                        **_error_responses(404),
                    },
                }
            },
        },
        "components": {"schemas": {"ConsentRequest": CONSENT_REQUEST, "ConsentInToken": CONSENT_IN_TOKEN}},
    }
