"""ID-porten's OAuth error shape: ``{"error", "error_description"}``."""

from __future__ import annotations

from dsop_sandbox.mocks.common.errors import ErrorShape, ServiceError

OAUTH_ERRORS = {
    "invalid_request",
    "invalid_client",
    "invalid_grant",
    "unauthorized_client",
    "unsupported_grant_type",
    "invalid_scope",
    "invalid_token",
    "server_error",
    "temporarily_unavailable",
    "access_denied",
}


def error_body(status: int, code: str, message: str, trace_id: str) -> dict:
    if code not in OAUTH_ERRORS:
        code = ("temporarily_unavailable" if status == 503 else "server_error") if status >= 500 else "invalid_request"
    return {"error": code, "error_description": message}


ERRORS = ErrorShape(error_body)


def oauth_error(status: int, error: str, description: str, headers: dict | None = None) -> ServiceError:
    return ServiceError(status, {"error": error, "error_description": description}, error, headers)
