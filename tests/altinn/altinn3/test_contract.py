"""Altinn against its own OpenAPI document (/openapi.json), both generations, with schemathesis, in
process: generated requests carrying valid credentials for each operation never get a 5xx and every
answer matches the document; fully valid requests get their 2xx with matching bodies."""

from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from schemathesis import checks

from dsop_sandbox.mocks.altinn.openapi import openapi_document
from tests.altinn.altinn3.world import DIGDIR_ORG, INSURER_ORG, KARI, LOOKUP, WRITE, World
from tests.budgets import examples

# The document is made here (the served one is the same, checked below); the cases go to the
# in-process app of the ``world`` fixture, reset for each operation.
schema = schemathesis.openapi.from_dict(openapi_document("http://localhost"))
schema.config.update(base_url="http://localhost")


def headers_for(world: World, operation_id: str) -> dict:
    """Valid credentials for the operation (the generated ones would only ever be refused)."""
    if operation_id == "maskinporten_consent_lookup":
        return world.auth(DIGDIR_ORG, LOOKUP)
    if operation_id.startswith("enterprise_"):
        return world.auth(INSURER_ORG, WRITE)
    if operation_id == "serviceowner_consents":
        return {"ApiKey": world.service.service_owners.get("889640782")["api_key"]}
    if operation_id in ("get_resource", "metadata", "jwk"):
        return {}
    return {"ApiKey": world.service.consumer(INSURER_ORG)["api_key"], **world.auth(INSURER_ORG, WRITE)}


@schemathesis.check
def no_server_error(ctx, response, case):
    """Never a 5xx (several problems at once, the real service's 500, is a 400 here)."""
    assert response.status_code < 500, f"{response.status_code}: {response.text[:300]}"


@schema.parametrize()
@hypothesis_settings(
    max_examples=examples(25),
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.filter_too_much],
)
def test_every_operation_keeps_its_contract(case, world):
    # positive_data_acceptance is left out: a schema cannot describe a consent request for a person
    # Altinn knows or a consent that exists, so schema-valid random bodies are rightly refused. The
    # credentials are put in for every case, so missing_required_header and ignored_auth cannot be
    # judged here (tests/altinn/altinn3/test_create.py refuses every kind of bad credential).
    case.headers = {**(case.headers or {}), **headers_for(world, case.operation.definition.raw["operationId"])}
    before = len(world.events())
    case.call_and_validate(
        app=world.app,
        excluded_checks=[
            checks.positive_data_acceptance,
            checks.not_a_server_error,
            checks.missing_required_header,
            checks.ignored_auth,
        ],
        additional_checks=[no_server_error],
    )
    assert len(world.events()) > before  # answered by the app in process


def test_the_served_document_is_this_one(world):
    served = world.client.get("/openapi.json").get_json()
    assert served["paths"] == openapi_document(world.service.base_url)["paths"]
    paths = served["paths"]
    assert "/api/consentRequests" in paths and "/accessmanagement/api/v1/enterprise/consentrequests" in paths
    assert "/accessmanagement/api/v1/maskinporten/consent/lookup" in paths
    assert "/resourceregistry/api/v1/resource/{id}" in paths


def _validated(world, path: str, method: str, url: str, **kw):
    """``url`` called on the app in process, its answer checked against ``path``/``method`` with every check."""
    response = world.client.open(url, method=method, **kw)
    schema[path][method].Case(media_type="application/json").validate_response(
        response,
        excluded_checks=[checks.not_a_server_error, checks.ignored_auth],  # the credentials are real here
        additional_checks=[no_server_error],
    )
    return response


def test_valid_altinn3_calls_keep_the_contract_with_every_check(world):
    enterprise = "/accessmanagement/api/v1/enterprise/consentrequests"
    body = world.body()
    write = headers_for(world, "enterprise_create_consent_request")
    assert _validated(world, enterprise, "POST", enterprise, json=body, headers=write).status_code == 201
    assert _validated(world, enterprise, "POST", enterprise, json=body, headers=write).status_code == 200
    one = f"{enterprise}/{body['id']}"
    assert _validated(world, enterprise + "/{consentRequestId}", "GET", one, headers=write).status_code == 200
    assert _validated(world, enterprise + "/events", "GET", enterprise + "/events", headers=write).status_code == 200
    made = world.client.post("/_sandbox/altinn3/consents", json={"from": KARI, "to": INSURER_ORG}).get_json()
    lookup = "/accessmanagement/api/v1/maskinporten/consent/lookup"
    asked = {"id": made["id"], "from": made["from"], "to": made["to"]}
    headers = headers_for(world, "maskinporten_consent_lookup")
    assert _validated(world, lookup, "POST", lookup, json=asked, headers=headers).status_code == 200
    resource = "/resourceregistry/api/v1/resource/nav_samtykke_dsop_aap-ufore"
    assert _validated(world, "/resourceregistry/api/v1/resource/{id}", "GET", resource).status_code == 200
