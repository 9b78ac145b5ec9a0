"""Reading a JSON body the way ASP.NET Core binds it to Access Management's DTOs.

Altinn's API binds with System.Text.Json (web defaults: property names case-insensitive, unknown
properties ignored, the last of a duplicated property wins), then validates the model. Two kinds of
failure follow, both answered as ``STD-00000`` problem details (HTTP 400):

* deserialisation stops at the first value it cannot read (a string where a list belongs, a
  malformed uuid or time, an unknown enum name, a string that is not a party URN) or at an object
  that lacks a ``required`` property: one error ``STD.VLD-00017`` at that JSON path;
* model validation then finds every non-nullable reference property that is null (or a string
  that is empty or blank): ``STD.VLD-00000`` "The field is required." at each path.

Value types cannot be null: ``"id": null`` is a deserialisation error, ``"from": null`` a
validation error. A :class:`Shape` describes one DTO; :func:`bind` reads a body with it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone

from . import problems as P
from . import urns

GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
ISO_TIME = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})"
    r"(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,16}))?)?)?"
    r"(Z|[+-]\d{2}:\d{2})?$"
)


class Unreadable(Exception):
    """A deserialisation failure: ``path`` is the JSON pointer of the value, ``detail`` why."""

    def __init__(self, path: str, detail: str):
        super().__init__(detail)
        self.path, self.detail = path, detail


def pointer(path: list) -> str:
    return "/" + "/".join(str(part).replace("~", "~0").replace("/", "~1") for part in path) if path else "/"


# -- value readers: (value, path) -> python value; raise Unreadable ------------------------------------------
Reader = Callable[[object, list], object]


def read_guid(value, path):
    if not isinstance(value, str) or not GUID.match(value):
        raise Unreadable(pointer(path), "The JSON value could not be converted to System.Guid.")
    return value.lower()


def parse_time(text: str) -> datetime | None:
    """An ISO 8601 time as .NET's JSON reader takes it (no offset: taken as UTC), or None."""
    match = ISO_TIME.match(text)
    if not match:
        return None
    year, month, day, hour, minute, second, fraction, offset = match.groups()
    micro = int((fraction or "0")[:6].ljust(6, "0"))
    zone = UTC
    if offset and offset != "Z":
        sign = -1 if offset[0] == "-" else 1
        hours, minutes = int(offset[1:3]), int(offset[4:6])
        if hours > 14 or minutes > 59:
            return None
        zone = timezone(sign * timedelta(hours=hours, minutes=minutes))
    try:
        moment = datetime(
            int(year), int(month), int(day), int(hour or 0), int(minute or 0), int(second or 0), micro, tzinfo=zone
        )
        return moment.astimezone(UTC)
    except (ValueError, OverflowError):
        return None


def read_time(value, path):
    moment = parse_time(value) if isinstance(value, str) else None
    if moment is None:
        raise Unreadable(pointer(path), "The JSON value could not be converted to System.DateTimeOffset.")
    return moment


def read_string(value, path):
    if value is None or isinstance(value, str):
        return value
    raise Unreadable(pointer(path), "The JSON value could not be converted to System.String.")


def read_party(value, path):
    if value is None:
        return None
    if not isinstance(value, str):
        raise Unreadable(pointer(path), "The JSON value could not be converted to ConsentPartyUrn.")
    try:
        return urns.parse_party(value)
    except urns.UrnError as exc:
        raise Unreadable(pointer(path), f"The JSON value could not be converted to ConsentPartyUrn: {exc}") from exc


def enum_reader(names: tuple[str, ...], type_name: str) -> Reader:
    """A ``JsonStringEnumConverter`` enum: a name in any case, or the member's number."""

    def read(value, path):
        if value is None:
            return None
        if isinstance(value, str):
            for name in names:
                if name.lower() == value.strip().lower():
                    return name
        elif isinstance(value, int) and not isinstance(value, bool) and 0 <= value < len(names):
            return names[value]
        raise Unreadable(pointer(path), f"The JSON value could not be converted to {type_name}.")

    return read


def list_of(item: Reader, type_name: str) -> Reader:
    def read(value, path):
        if value is None:
            return None
        if not isinstance(value, list):
            raise Unreadable(pointer(path), f"The JSON value could not be converted to List<{type_name}>.")
        return [item(element, [*path, index]) for index, element in enumerate(value)]

    return read


def string_dict(value, path):
    """``Dictionary<string, string>``: an object of strings (null values are allowed)."""
    if value is None:
        return None
    if not isinstance(value, dict):
        raise Unreadable(pointer(path), "The JSON value could not be converted to Dictionary<String,String>.")
    for key, text in value.items():
        read_string(text, [*path, key])
    return dict(value)


# -- objects ---------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Field:
    name: str  # the property's JSON name (camelCase)
    read: Reader
    required: bool = False  # C# ``required``: must be present (deserialisation error otherwise)
    non_null: bool = False  # non-nullable reference type: null fails validation ("The field is required.")


@dataclass(frozen=True)
class Shape:
    type_name: str  # the .NET type, for the messages
    fields: tuple[Field, ...]

    def reader(self) -> Reader:
        return lambda value, path: _read_object(self, value, path)


def _read_object(shape: Shape, value, path: list):
    if value is None:
        return None
    if not isinstance(value, dict):
        raise Unreadable(pointer(path), f"The JSON value could not be converted to {shape.type_name}.")
    by_name = {field.name.lower(): field for field in shape.fields}
    found: dict = {}
    for key, raw in value.items():  # in document order: the first unreadable value stops it all
        field = by_name.get(str(key).lower())
        if field is not None:
            found[field.name] = field.read(raw, [*path, key])
    missing = [field.name for field in shape.fields if field.required and field.name not in found]
    if missing:
        names = ", ".join(f"'{name}'" for name in missing)
        raise Unreadable(
            pointer(path),
            f"JSON deserialization for type '{shape.type_name}' was missing required properties, including the "
            f"following: {names}",
        )
    return found


def required_errors(shape: Shape, values: dict | None, path: list) -> list[P.ValidationError]:
    """Model validation: every non-nullable reference property that is null or blank, recursively."""
    errors: list[P.ValidationError] = []
    if values is None:
        return errors
    for field in shape.fields:
        value = values.get(field.name)
        where = [*path, field.name]
        if field.non_null and (value is None or (isinstance(value, str) and not value.strip())):
            errors.append(P.ValidationError(P.REQUIRED, [pointer(where)]))
            continue
        nested = NESTED.get((shape.type_name, field.name))
        if nested is not None and isinstance(value, list):
            for index, item in enumerate(value):
                errors += required_errors(nested, item, [*where, index])
    return errors


def bind(shape: Shape, body) -> dict:
    """The body read as ``shape``; raises a ``STD-00000`` :class:`~.problems.ProblemError` otherwise."""
    try:
        values = _read_object(shape, body, [])
    except Unreadable as exc:
        raise P.fail(P.validation_problem([P.ValidationError(P.JSON_ERROR, [exc.path], exc.detail)])) from exc
    except RecursionError as exc:
        raise P.fail(P.validation_problem([P.ValidationError(P.JSON_ERROR, ["/"], "The JSON is too deep.")])) from exc
    if values is None:
        raise P.fail(
            P.validation_problem([P.ValidationError(P.REQUIRED, ["/"], "A non-empty request body is required.")])
        )
    errors = required_errors(shape, values, [])
    if errors:
        raise P.fail(P.validation_problem(errors))
    return values


# -- the consent DTOs ------------------------------------------------------------------------------------------
RESOURCE_ATTRIBUTE = Shape(
    "Altinn.Authorization.Api.Contracts.Consent.ConsentResourceAttributeDto",
    (
        Field("type", read_string, required=True, non_null=True),
        Field("value", read_string, required=True, non_null=True),
    ),
)
RIGHT = Shape(
    "Altinn.Authorization.Api.Contracts.Consent.ConsentRightDto",
    (
        Field("action", list_of(read_string, "String"), required=True, non_null=True),
        Field(
            "resource",
            list_of(RESOURCE_ATTRIBUTE.reader(), "ConsentResourceAttributeDto"),
            required=True,
            non_null=True,
        ),
        Field("metadata", string_dict),
    ),
)
PORTAL_VIEW_MODES = ("Hide", "Show")
CONSENT_REQUEST = Shape(
    "Altinn.Authorization.Api.Contracts.Consent.ConsentRequestDto",
    (
        Field("id", read_guid, required=True),
        Field("from", read_party, required=True, non_null=True),
        Field("requiredDelegator", read_party),
        Field("to", read_party, required=True, non_null=True),
        Field("validTo", read_time, required=True),
        Field("consentRights", list_of(RIGHT.reader(), "ConsentRightDto"), required=True, non_null=True),
        Field("requestMessage", string_dict),
        Field("redirectUrl", read_string, required=True, non_null=True),
        Field("portalViewMode", enum_reader(PORTAL_VIEW_MODES, "ConsentPortalViewMode")),
    ),
)
CONSENT_LOOKUP = Shape(
    "Altinn.Authorization.Api.Contracts.Consent.ConsentLookupDto",
    (
        Field("id", read_guid),
        Field("from", read_party, required=True, non_null=True),
        Field("to", read_party, required=True, non_null=True),
    ),
)
#: Which list properties hold objects that model validation walks into.
NESTED = {
    (CONSENT_REQUEST.type_name, "consentRights"): RIGHT,
    (RIGHT.type_name, "resource"): RESOURCE_ATTRIBUTE,
}
