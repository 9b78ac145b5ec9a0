"""Reading an Altinn 3 request body: ``Content-Type: application/json`` (ASP.NET's
``[Consumes("application/json")]``: anything else is 415 problem details), then JSON whose syntax
errors are ``STD-00000`` with ``STD.VLD-00017`` at ``/`` (the size limit is Flask's 413)."""

from __future__ import annotations

import json

from flask import request

from dsop_sandbox.mocks.common.errors import ServiceError
from dsop_sandbox.mocks.common.payload import trace_id

from . import problems as P


def require_json() -> None:
    """415 unless the body is ``application/json`` (checked while routing, before authentication)."""
    if (request.mimetype or "").lower() != "application/json":
        detail = f"Content-Type must be application/json, not {request.mimetype or 'nothing'}"
        raise ServiceError(415, P.plain_problem(415, detail, trace_id()), "unsupported_media_type")


def json_body():
    """The parsed JSON body (None for an empty body or JSON ``null``)."""
    raw = request.get_data(cache=True)
    if not raw.strip():
        return None
    try:
        return json.loads(raw, parse_constant=_no_constants)
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        error = P.ValidationError(P.JSON_ERROR, ["/"], f"The JSON is malformed: {exc}")
        raise P.fail(P.validation_problem([error])) from exc


def _no_constants(name: str):
    raise ValueError(f"{name} is not JSON")
