"""A DSOP API call parsed into a plain value in the view (mocks/nav/api_request.py): what NAV's
checks and its disclosure log read instead of the request."""

from __future__ import annotations

from types import MappingProxyType

import pytest
from flask import Flask

from dsop_sandbox.mocks.nav.api_request import ApiRequest, parse

APP = Flask(__name__)


def parsed(path: str = "/dsop-ufo/uforeopplysninger", **kw) -> ApiRequest:
    with APP.test_request_context(path, **kw) as context:
        return parse(context.request)


def test_the_headers_and_dates_that_matter_are_kept_as_sent():
    asked = parsed(
        "/dsop-aap/v1/vedtak?fomDato=2024-01-01&tomDato=x&fomDato=2025-01-01&other=1",
        headers={
            "Authorization": "Bearer a.b.c",
            "fnr": "15838512329",
            "NAV-PersonIdent": "02917945651",
            "NAV-Samtykke-Token": "t.o.k",
            "X-Other": "not kept",
        },
    )
    assert (asked.method, asked.path) == ("GET", "/dsop-aap/v1/vedtak")
    assert asked.authorization == "Bearer a.b.c" and asked.consent_token == "t.o.k"
    assert dict(asked.persons) == {"fnr": "15838512329", "NAV-PersonIdent": "02917945651"}
    assert (asked.fom, asked.tom) == ("2024-01-01", "x")  # raw: the checks judge them
    assert dict(asked.query) == {"fomDato": "2024-01-01", "tomDato": "x", "other": "1"}
    assert asked.disclosure_record() == {
        "method": "GET",
        "path": "/dsop-aap/v1/vedtak",
        "query": {"fomDato": "2024-01-01", "tomDato": "x", "other": "1"},
        "headers": {"fnr": "15838512329", "NAV-PersonIdent": "02917945651"},
    }


def test_empty_values_count_as_not_sent():
    asked = parsed(
        "/x?fomDato=&tomDato=",
        headers={"Authorization": "", "fnr": "", "NAV-Samtykke-Token": "", "NAV-PersonIdent": ""},
    )
    assert asked.authorization is None and asked.consent_token is None
    assert dict(asked.persons) == {} and asked.fom is None and asked.tom is None
    nothing = parsed("/x")
    assert nothing == ApiRequest("GET", "/x", MappingProxyType({}))


def test_the_value_cannot_be_changed_by_whoever_reads_it():
    asked = parsed("/x?a=1", headers={"fnr": "15838512329"})
    for mapping in (asked.query, asked.persons):
        with pytest.raises(TypeError):
            mapping["b"] = "2"
    record = asked.disclosure_record()
    record["query"]["a"] = "changed"
    assert asked.query["a"] == "1"
