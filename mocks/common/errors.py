"""Errors in each service's own wire shape.

Every fake raises :class:`ServiceError` with its own body; the service app renders it as JSON
and records the error code in the event log. :class:`ErrorShape` turns generic HTTP failures
(404, 405, 413, 415, malformed JSON) into the same shape, so no fake ever answers with
Flask's HTML error page or a 500.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass

from flask import Response


class ServiceError(Exception):
    """An error answered with ``status`` and ``body`` (already in the service's shape)."""

    def __init__(self, status: int, body, code: str = "", headers: dict | None = None):
        super().__init__(f"{status} {code}")
        self.status = status
        self.body = body
        self.code = code
        self.headers = headers or {}


@dataclass(frozen=True)
class ErrorShape:
    """How one service writes an error: ``build(status, code, message, trace_id) -> body``."""

    build: Callable[[int, str, str, str], object]

    def error(self, status: int, code: str, message: str, trace_id: str, headers: dict | None = None) -> ServiceError:
        return ServiceError(status, self.build(status, code, message, trace_id), code, headers)


def json_response(body, status: int = 200, headers: dict | None = None) -> Response:
    try:
        data = json.dumps(body, ensure_ascii=False).encode()
    except UnicodeEncodeError:  # a lone surrogate echoed from the request: escape it instead
        data = json.dumps(body).encode()
    response = Response(data, status=status, mimetype="application/json")
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


#: The shape of the sandbox's own admin API (``/_sandbox/*``).
def admin_error_body(status: int, code: str, message: str, trace_id: str) -> dict:
    return {"error": code, "message": message, "trace_id": trace_id}


ADMIN_ERRORS = ErrorShape(admin_error_body)
