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
                                        "assertion": {
                                            "type": "string",
                                            "description": "The JWT grant, signed by the client",
                                        },
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
                        **_error_responses(400, 405, 413),
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
    }
