"""Maskinporten's admin fixtures under ``/_sandbox``: clients and keys, scopes, access lists
(shaped like Digdir's ``/scopes/access`` API) and Altinn API delegations."""

from __future__ import annotations

import json

from flask import current_app, request
from jwt.algorithms import RSAAlgorithm

from dsop_sandbox.mocks.common.admin import admin_error, admin_json, fixtures_blueprint, page_request, paged_list
from dsop_sandbox.mocks.common.errors import json_response
from dsop_sandbox.mocks.common.identifiers import org_number_problem

from .registry import DSOP_SCOPES, INTEGRATION_TYPES, Registry


def _registry() -> Registry:
    return current_app.extensions["maskinporten"].registry


def _org(value, field: str) -> str:
    problem = org_number_problem(value)
    if problem:
        raise admin_error(400, "invalid_org", f"{field}: {problem}")
    return value


def _known_scope(scope) -> str:
    if not isinstance(scope, str) or _registry().scope(scope) is None:
        raise admin_error(400, "unknown_scope", f"no scope {scope!r}; create it with POST /_sandbox/scopes")
    return scope


def _positive_int_or_none(body: dict, field: str) -> int | None:
    value = body.get(field)
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
        raise admin_error(400, "invalid_request", f"{field} must be a positive whole number of seconds")
    return value


def fixtures():
    bp = fixtures_blueprint("maskinporten")

    @bp.post("/clients")
    def create_client():
        """``{"org", "name", "scopes": [...], "client_id"?, "jwks"?: {"keys": [...]},
        "integration_type"?, "access_token_lifetime"?}``. Without ``jwks`` the client
        authenticates with its enterprise certificate (``x5c``)."""
        body = admin_json()
        registry = _registry()
        org = _org(body.get("org"), "org")
        name = body.get("name") or f"Klient for {org}"
        scopes = body.get("scopes", [])
        if not isinstance(scopes, list):
            raise admin_error(400, "invalid_request", "scopes must be an array")
        scopes = [_known_scope(scope) for scope in scopes]
        client_id = body.get("client_id")
        if client_id is not None and (not isinstance(client_id, str) or not client_id.strip()):
            raise admin_error(400, "invalid_request", "client_id must be a non-empty string")
        if client_id and registry.client(client_id):
            raise admin_error(409, "client_exists", f"client {client_id} exists")
        integration_type = body.get("integration_type", "maskinporten")
        if integration_type not in INTEGRATION_TYPES:
            raise admin_error(400, "invalid_request", f"integration_type must be one of {INTEGRATION_TYPES}")
        keys = _parse_jwks(body.get("jwks"))
        client = registry.create_client(
            org, str(name), scopes, client_id, integration_type, _positive_int_or_none(body, "access_token_lifetime")
        )
        for kid, jwk in keys:
            registry.add_key(client.client_id, kid, jwk)
        return json_response(registry.client(client.client_id).describe(), 201)

    @bp.get("/clients")
    def list_clients():
        return paged_list("clients", [client.describe() for client in _registry().clients()], page_request())

    @bp.get("/clients/<client_id>")
    def show_client(client_id: str):
        client = _registry().client(client_id)
        if client is None:
            raise admin_error(404, "unknown_client", f"no client {client_id}")
        return json_response(client.describe())

    @bp.delete("/clients/<client_id>")
    def delete_client(client_id: str):
        if not _registry().delete_client(client_id):
            raise admin_error(404, "unknown_client", f"no client {client_id}")
        return json_response({"deleted": client_id})

    @bp.post("/clients/<client_id>/keys")
    def add_keys(client_id: str):
        """Register JWKs (``{"keys": [...]}``): the client must then sign with ``kid``."""
        registry = _registry()
        if registry.client(client_id) is None:
            raise admin_error(404, "unknown_client", f"no client {client_id}")
        for kid, jwk in _parse_jwks(admin_json()):
            registry.add_key(client_id, kid, jwk)
        return json_response(registry.client(client_id).describe(), 201)

    @bp.get("/scopes")
    def list_scopes():
        return json_response({"scopes": [scope.describe() for scope in _registry().scopes()]})

    @bp.get("/scopes/dsop")
    def dsop_scopes():
        """The scopes of the DSOP flow that every sandbox seeds (NAV's two APIs, Altinn's consent
        requests): what an insurer is given when the control plane registers it."""
        return json_response({"scopes": list(DSOP_SCOPES)})

    @bp.post("/scopes")
    def put_scope():
        """``{"scope", "owner_org"?, "description"?, "at_max_age"?, "accessible_for_all"?,
        "allowed_integration_types"?, "delegation_source"?}`` creates or replaces a scope."""
        body = admin_json()
        scope = body.get("scope")
        if not isinstance(scope, str) or ":" not in scope or " " in scope or scope.startswith(":"):
            raise admin_error(400, "invalid_scope_name", "a scope is prefix:subscope, without spaces")
        types = body.get("allowed_integration_types", ["maskinporten"])
        if not isinstance(types, list) or not types or any(t not in INTEGRATION_TYPES for t in types):
            raise admin_error(400, "invalid_request", f"allowed_integration_types: a list of {INTEGRATION_TYPES}")
        accessible = body.get("accessible_for_all", False)
        if not isinstance(accessible, bool):
            raise admin_error(400, "invalid_request", "accessible_for_all must be true or false")
        source = body.get("delegation_source")
        if source is not None and not isinstance(source, str):
            raise admin_error(400, "invalid_request", "delegation_source must be a string")
        created = _registry().put_scope(
            scope,
            _org(body.get("owner_org", "889640782"), "owner_org"),
            str(body.get("description", "")),
            _positive_int_or_none(body, "at_max_age"),
            accessible,
            tuple(types),
            source,
        )
        return json_response(created.describe(), 201)

    @bp.get("/scopes/access")
    def access_list():
        scope = request.args.get("scope")
        if scope:
            _known_scope(scope)
        return json_response(_registry().access_list(scope))

    @bp.put("/scopes/access/<consumer_org>")
    def grant_access(consumer_org: str):
        scope = _known_scope(request.args.get("scope"))
        return json_response(_registry().grant_access(scope, _org(consumer_org, "consumer_orgno")))

    @bp.delete("/scopes/access/<consumer_org>")
    def revoke_access(consumer_org: str):
        scope = _known_scope(request.args.get("scope"))
        if not _registry().revoke_access(scope, consumer_org):
            raise admin_error(404, "no_access", f"{consumer_org} is not on the access list of {scope}")
        return json_response({"scope": scope, "consumer_orgno": consumer_org, "state": "DENIED"})

    @bp.get("/delegations")
    def list_delegations():
        return json_response({"delegations": _registry().delegations()})

    @bp.post("/delegations")
    def delegate():
        """``{"scope", "consumer_org", "supplier_org"}``: the customer lets the supplier use the scope."""
        body = admin_json()
        scope = _known_scope(body.get("scope"))
        consumer = _org(body.get("consumer_org"), "consumer_org")
        supplier = _org(body.get("supplier_org"), "supplier_org")
        if consumer == supplier:
            raise admin_error(400, "invalid_request", "a delegation goes from one organisation to another")
        return json_response(_registry().delegate(scope, consumer, supplier), 201)

    @bp.delete("/delegations")
    def undelegate():
        args = request.args
        if not _registry().undelegate(
            args.get("scope", ""), args.get("consumer_org", ""), args.get("supplier_org", "")
        ):
            raise admin_error(404, "no_delegation", "no such delegation")
        return json_response({"deleted": True})

    return bp


def _parse_jwks(jwks) -> list[tuple[str, dict]]:
    if jwks is None:
        return []
    keys = jwks.get("keys") if isinstance(jwks, dict) else None
    if not isinstance(keys, list) or not keys or len(keys) > 5:
        raise admin_error(400, "invalid_jwks", 'jwks is {"keys": [...]} with 1 to 5 keys (Maskinporten\'s limit)')
    parsed = []
    for jwk in keys:
        if not isinstance(jwk, dict) or jwk.get("kty") != "RSA" or not isinstance(jwk.get("kid"), str):
            raise admin_error(400, "invalid_jwks", "each key must be an RSA public JWK with a kid")
        if "d" in jwk:
            raise admin_error(400, "invalid_jwks", "register the public key only (the JWK has a private part)")
        try:
            RSAAlgorithm.from_jwk(json.dumps(jwk))
        except Exception as exc:
            raise admin_error(400, "invalid_jwks", f"key {jwk.get('kid')}: {exc}") from exc
        parsed.append((jwk["kid"], jwk))
    return parsed
