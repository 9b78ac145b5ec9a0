"""Reading request bodies strictly: the right content type, a size limit, well-formed content, and
text that is text (no lone surrogate, which JSON's ``\\ud800`` escape can carry but no store, page or
answer can hold).

Werkzeug enforces ``MAX_CONTENT_LENGTH`` (413) when the body is read; these helpers add the
content-type check (415) and the parse check (400), raising through the service's error shape.
"""

from __future__ import annotations

import json

from flask import request

from .errors import ErrorShape, ServiceError
from .events import current_draft


def trace_id() -> str:
    """The trace id of the request being handled ("" outside a request)."""
    draft = current_draft()
    return draft.trace_id if draft is not None else ""


def content_type(asked=None) -> str:
    """The request's (or ``asked``'s) media type, lower case."""
    return ((request if asked is None else asked).mimetype or "").lower()


def is_json_type(mimetype: str) -> bool:
    return mimetype == "application/json" or mimetype.endswith("+json")


def read_json(shape: ErrorShape, *, optional: bool = False, kind: type | tuple = dict):
    """The JSON body as ``kind`` (a dict by default); an empty body gives None when optional."""
    raw = request.get_data(cache=True)
    if not raw.strip():
        if optional:
            return None
        raise shape.error(400, "invalid_request", "the request needs a JSON body", trace_id())
    if not is_json_type(content_type()):
        raise shape.error(
            415,
            "unsupported_media_type",
            f"send Content-Type: application/json, not {request.mimetype or 'nothing'}",
            trace_id(),
        )
    try:
        value = json.loads(raw, parse_constant=_no_constants)
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise shape.error(400, "invalid_request", f"malformed JSON: {exc}", trace_id()) from exc
    if has_lone_surrogate(value):  # "\ud800" is valid JSON, but no text: it cannot be stored or shown
        raise shape.error(
            400, "invalid_request", "the body holds a string that is not valid Unicode (a lone surrogate)", trace_id()
        )
    if not isinstance(value, kind):
        expected = "a JSON object" if kind is dict else "JSON of another type"
        raise shape.error(400, "invalid_request", f"the body must be {expected}", trace_id())
    return value


def has_lone_surrogate(value) -> bool:
    """True if any string in a decoded JSON value (keys included) cannot be encoded as UTF-8."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                return True
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


def require_form(shape: ErrorShape, error_code: str = "invalid_request", asked=None) -> None:
    """Refuse a body that is not ``application/x-www-form-urlencoded`` (``asked``: the request, when
    it is not Flask's current one)."""
    if content_type(asked) != "application/x-www-form-urlencoded":
        raise ServiceError(
            400,
            shape.build(400, error_code, "Content-Type must be application/x-www-form-urlencoded", trace_id()),
            error_code,
        )


def _no_constants(name: str):
    raise ValueError(f"{name} is not JSON")
