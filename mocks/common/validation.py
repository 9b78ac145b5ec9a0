"""Small checks for admin request bodies, answered as sandbox admin errors (400)."""

from __future__ import annotations

from urllib.parse import urlsplit

from .admin import admin_error
from .identifiers import org_number_problem


def org_number(value, field: str = "org") -> str:
    problem = org_number_problem(value)
    if problem:
        raise admin_error(400, "invalid_org", f"{field}: {problem}")
    return value


def text(body: dict, field: str, default: str | None = None, max_length: int = 200) -> str:
    value = body.get(field, default)
    if not isinstance(value, str) or not value.strip() or len(value) > max_length:
        raise admin_error(
            400, "invalid_request", f"{field} must be a non-empty string of at most {max_length} characters"
        )
    return value.strip()


def string_list(body: dict, field: str, default: list | None = None, *, allow_empty: bool = True) -> list[str]:
    value = body.get(field, default if default is not None else [])
    if (
        not isinstance(value, list)
        or not all(isinstance(item, str) and item for item in value)
        or (not allow_empty and not value)
    ):
        raise admin_error(400, "invalid_request", f"{field} must be an array of non-empty strings")
    return list(dict.fromkeys(value))


def absolute_url(value: str, field: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.fragment:
        raise admin_error(400, "invalid_request", f"{field}: {value!r} is not an absolute http(s) URL without fragment")
    return value


def one_of(body: dict, field: str, choices: tuple[str, ...], default: str) -> str:
    value = body.get(field, default)
    if value not in choices:
        raise admin_error(400, "invalid_request", f"{field} must be one of {', '.join(choices)}")
    return value


def persons(body: dict) -> list[dict]:
    """The people of a ``{"persons": [{"pid", "name", ...}]}`` body (or one person): each an object
    with a *synthetic* fødselsnummer and a name; a real person's number is refused outright."""
    from .identifiers import fnr_problem

    people = body.get("persons", [body])
    if not isinstance(people, list) or not people:
        raise admin_error(400, "invalid_request", "persons must be a non-empty array")
    for person in people:
        if not isinstance(person, dict):
            raise admin_error(400, "invalid_request", "a person is an object with pid and name")
        problem = fnr_problem(person.get("pid"))
        if problem:
            raise admin_error(400, "invalid_pid", f"{person.get('pid')!r}: {problem}")
        text(person, "name")
    return people
