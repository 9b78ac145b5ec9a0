"""The resource registry over HTTP: Altinn's public read API, and the sandbox's admin fixtures.

Public (the registry's own path on the platform host)::

    GET /resourceregistry/api/v1/resource/{id}      the resource (404 problem details when unknown)

Admin, under ``/_sandbox``::

    POST   /resources                           add a resource, or replace the one with its identifier
    GET    /resources                           every resource with its access list
    GET    /resources/dsop                      {"resources": [ids]}: the DSOP flow's consent resources
    GET    /resources/{id}                      one, with its access list
    DELETE /resources/{id}                      forget it (and its access list)
    GET    /resources/{id}/access-list          {"resource", "access_list": [orgs]}
    PUT    /resources/{id}/access-list/{org}    let org request consent for it (201 new, 200 already there)
    DELETE /resources/{id}/access-list/{org}    take org off the list ("removed": false when it was not on it)
"""

from __future__ import annotations

from flask import Blueprint, current_app, request

from dsop_sandbox.mocks.common import validation as check
from dsop_sandbox.mocks.common.admin import admin_error, admin_json
from dsop_sandbox.mocks.common.admin import fixtures_blueprint as service_fixtures
from dsop_sandbox.mocks.common.errors import ServiceError, json_response
from dsop_sandbox.mocks.common.events import annotate
from dsop_sandbox.mocks.common.payload import trace_id

from ..altinn3.problems import plain_problem
from .nav import DSOP_RESOURCES
from .store import ResourceProblem, Resources, validated

RESOURCE_PATH = "/resourceregistry/api/v1/resource/<identifier>"


def resources() -> Resources:
    return current_app.extensions["altinn"].resources


def registry_blueprint() -> Blueprint:
    bp = Blueprint("altinn_resource_registry", __name__)

    @bp.get(RESOURCE_PATH)
    @bp.get(RESOURCE_PATH + "/")
    def get_resource(identifier: str):
        resource = resources().get(identifier)
        annotate(resource=identifier[:100])
        if resource is None:
            raise ServiceError(404, plain_problem(404, "", trace_id()), "not_found")
        return json_response(resource)

    return bp


def _known(identifier: str) -> dict:
    resource = resources().get(identifier)
    if resource is None:
        raise admin_error(404, "unknown_resource", f"the registry has no resource {identifier}")
    return resource


def _with_access(resource: dict) -> dict:
    return {**resource, "access_list": resources().access_list(resource["identifier"])}


def registry_fixtures_blueprint() -> Blueprint:
    bp = service_fixtures("altinn_registry")

    @bp.post("/resources")
    def add_resource():
        """A resource in the registry's shape (``identifier``, ``title``, ``hasCompetentAuthority``,
        ``resourceType`` (Consent), ``consentTemplate``, ``consentText``, ``consentMetadata``,
        ``accessListMode``, ``isOneTimeConsent``, and the sandbox's ``sandbox`` field)."""
        try:
            resource = validated(admin_json())
        except ResourceProblem as exc:
            raise admin_error(400, "invalid_resource", str(exc)) from exc
        existed = resources().get(resource["identifier"]) is not None
        resources().put(resource)
        annotate(resource=resource["identifier"])
        return json_response(_with_access(resource), 200 if existed else 201)

    @bp.get("/resources")
    def list_resources():
        return json_response({"resources": [_with_access(resource) for resource in resources().all()]})

    @bp.get("/resources/dsop")
    def dsop_resources():
        """The consent resources of the DSOP flow that every sandbox seeds (NAV's): what the control
        plane puts a registered insurer on the access list of."""
        return json_response({"resources": list(DSOP_RESOURCES)})

    @bp.get("/resources/<identifier>")
    def show_resource(identifier: str):
        return json_response(_with_access(_known(identifier)))

    @bp.delete("/resources/<identifier>")
    def delete_resource(identifier: str):
        _known(identifier)
        resources().delete(identifier)
        return json_response({"deleted": identifier})

    @bp.get("/resources/<identifier>/access-list")
    def show_access_list(identifier: str):
        _known(identifier)
        return json_response({"resource": identifier, "access_list": resources().access_list(identifier)})

    @bp.route("/resources/<identifier>/access-list/<org>", methods=["PUT", "DELETE"])
    def change_access_list(identifier: str, org: str):
        _known(identifier)
        check.org_number(org)
        annotate(resource=identifier, org=org)
        if request.method == "PUT":
            added = resources().allow(identifier, org)
            body = {"resource": identifier, "org": org, "added": added}
            status = 201 if added else 200
        else:
            body = {"resource": identifier, "org": org, "removed": resources().deny(identifier, org)}
            status = 200
        return json_response({**body, "access_list": resources().access_list(identifier)}, status)

    return bp
