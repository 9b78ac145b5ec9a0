"""The fake against its own OpenAPI document (/openapi.json), with schemathesis, in process."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from schemathesis import checks

from dsop_sandbox.mocks.common.clock import Clock
from dsop_sandbox.mocks.common.settings import Settings
from dsop_sandbox.mocks.maskinporten import create_app
from tests.budgets import examples

from .conftest import JWT_BEARER, claims_of

FORM = "application/x-www-form-urlencoded"


# The schema is loaded from a running app when the module is collected (schemathesis 4.32's
# ``schemathesis.pytest.from_fixture`` breaks on pytest 9: it reads ``request.node._nodeid``),
# so this module has one app of its own, on a temporary state directory removed at the end.
_STATE = tempfile.TemporaryDirectory(prefix="dsop-mp-contract-")
_CLOCK = Clock()
_APP = create_app(Settings.load(environ={}).with_state_dir(Path(_STATE.name)), clock=_CLOCK)
schema = schemathesis.openapi.from_wsgi("/openapi.json", _APP)


@pytest.fixture(scope="module", autouse=True)
def _remove_state():
    yield
    _STATE.cleanup()


# The conftest fixtures (insurer, credentials, assertion) work on this module's app.
@pytest.fixture
def app():
    return _APP


@pytest.fixture
def clock():
    return _CLOCK


@pytest.fixture
def authority():
    return _APP.extensions["maskinporten"].authority


@pytest.fixture
def mp_schema():
    return schema


@schema.parametrize()
@hypothesis_settings(
    max_examples=examples(100),
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_every_operation_keeps_its_contract(case):
    # positive_data_acceptance is left out: it expects a 2xx for every schema-valid request, but a
    # schema cannot describe a grant that is signed by a registered client, so a random
    # "assertion" string is rightly refused with 400 (covered by the valid-grant test below).
    # Every other check runs: no 5xx, documented status codes, content types, headers, response
    # schemas (error bodies with the trace id and MP-xxx error_uri) and rejection of invalid data.
    case.call_and_validate(excluded_checks=[checks.positive_data_acceptance])


def test_a_valid_grant_keeps_the_contract_with_every_check(mp_schema, assertion):
    case = mp_schema["/token"]["POST"].Case(body={"grant_type": JWT_BEARER, "assertion": assertion()}, media_type=FORM)
    response = case.call_and_validate()
    assert response.status_code == 200
    body = response.json()
    assert claims_of(body["access_token"])["scope"] == body["scope"]


def test_a_refused_grant_matches_the_error_schema(mp_schema, assertion):
    operation = mp_schema["/token"]["POST"]
    case = operation.Case(
        body={"grant_type": JWT_BEARER, "assertion": assertion(aud="https://wrong/")}, media_type=FORM
    )
    response = case.call()
    assert response.status_code == 400
    assert response.json()["error_uri"].endswith("/errors/MP-110")
    case.validate_response(
        response,
        checks=[
            checks.not_a_server_error,
            checks.status_code_conformance,
            checks.content_type_conformance,
            checks.response_schema_conformance,
        ],
    )


def test_the_document_describes_the_public_api_only(client):
    document = client.get("/openapi.json").get_json()
    assert set(document["paths"]) == {"/.well-known/oauth-authorization-server", "/jwk", "/token", "/errors/{code}"}
    assert not any(path.startswith("/_sandbox") for path in document["paths"])
