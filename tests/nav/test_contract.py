"""NAV against its own OpenAPI document (/openapi.json), with schemathesis: generated requests
carrying a valid Maskinporten token never get a 5xx and every answer matches the document; fully
valid requests (token, person, and an Altinn 2 consent token or an Altinn 3 consent in the access
token) get 200 with bodies that match it too."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from schemathesis import checks

from dsop_sandbox.mocks.common.settings import Settings
from dsop_sandbox.mocks.nav.openapi import openapi_document
from tests.altinn.conftest import KARI, OLA
from tests.budgets import examples
from tests.nav.conftest import AAP_SCOPE, UFORE_SCOPE

# The document for the default paths (the sandbox fixture uses the same paths, other ports):
# generated cases are sent to the in-process sandbox through its session (base_url + session).
schema = schemathesis.openapi.from_dict(openapi_document(Settings.load(environ={})))
SCOPES = {"hentUforeopplysninger": UFORE_SCOPE, "finnVedtakListe": AAP_SCOPE, "finnMeldekortListe": AAP_SCOPE}


@pytest.fixture(scope="module")
def fetch(world, company):
    def headers_for(operation_id: str, pid: str | None = None) -> dict:
        headers = {"Authorization": f"Bearer {company.token(SCOPES[operation_id])}"}
        if pid:
            headers["fnr"] = pid
            headers["NAV-Samtykke-Token"] = world.consent_token_text(company, world.consent(company, pid))
        return headers

    return headers_for


@pytest.fixture(scope="module")
def fetch_altinn3(world, company):
    def headers_for(operation_id: str, pid: str) -> dict:
        token = world.altinn3_token(company, [world.altinn3_consent(company, pid)], scope=SCOPES[operation_id])
        return {"Authorization": f"Bearer {token}", "fnr": pid}

    return headers_for


def test_the_served_document_is_this_one(world):
    served = world.http.get(world.nav + "/openapi.json", timeout=10).json()
    assert served["paths"].keys() == schema.raw_schema["paths"].keys()


@pytest.mark.parametrize("operation_id", list(SCOPES))
def test_the_document_describes_both_consent_generations(operation_id):
    raw = next(p["get"] for p in schema.raw_schema["paths"].values() if p["get"]["operationId"] == operation_id)
    header = next(p for p in raw["parameters"] if p["name"] == "NAV-Samtykke-Token")
    assert header["required"] is False and header["description"].startswith("Brukes kun for Altinn 2")
    text = schema.raw_schema["info"]["description"]
    for fact in (
        "authorization_details",
        "urn:altinn:consent",
        "nav_samtykke_dsop_aap-ufore",
        "fraogmed",
        "leses ikke",
    ):
        assert fact in text, fact


@schema.parametrize()
@hypothesis_settings(
    max_examples=examples(60),
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_generated_requests_keep_the_contract(case, world, fetch):
    # positive_data_acceptance is left out: a schema cannot describe a consent token signed by
    # Altinn for this person, so schema-valid random headers are rightly refused (403/400).
    headers = {**(case.headers or {}), **fetch(case.operation.definition.raw["operationId"])}
    case.call_and_validate(
        base_url=world.nav,
        app=world.sandbox.app("nav"),
        headers=headers,
        excluded_checks=[checks.positive_data_acceptance],
    )


@pytest.fixture(scope="module")
def served_schema(world):
    """The document NAV serves, bound to NAV's app: every call of a case, and the probes some
    checks send on their own (``ignored_auth`` resends without the token), go to the app in process."""
    return schemathesis.openapi.from_wsgi("/openapi.json", world.sandbox.app("nav"))


@pytest.mark.parametrize("path_attr", ["ufore_path", "aap_vedtak_path", "aap_meldekort_path"])
@pytest.mark.parametrize("pid", [KARI["pid"], OLA["pid"], "09816834004"])
def test_valid_requests_get_data_matching_the_document(world, served_schema, fetch, path_attr, pid):
    path = getattr(world.paths, path_attr)
    operation = served_schema[path]["GET"]
    case = operation.Case(headers=fetch(operation.definition.raw["operationId"], pid), query={})
    response = case.call_and_validate()
    assert response.status_code == 200


@pytest.mark.parametrize("path_attr", ["ufore_path", "aap_vedtak_path", "aap_meldekort_path"])
@pytest.mark.parametrize("pid", [KARI["pid"], OLA["pid"], "09816834004"])
def test_valid_altinn3_requests_get_data_matching_the_document(world, served_schema, fetch_altinn3, path_attr, pid):
    path = getattr(world.paths, path_attr)
    operation = served_schema[path]["GET"]
    case = operation.Case(headers=fetch_altinn3(operation.definition.raw["operationId"], pid), query={})
    response = case.call_and_validate()
    assert response.status_code == 200
