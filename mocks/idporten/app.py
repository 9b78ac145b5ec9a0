"""The ID-porten fake: an OpenID Connect provider for the citizen's login, faithful enough for real
OIDC client libraries. Discovery, ``/authorize`` with a TestID-style login page, SSO, ``/token``,
``/userinfo``, ``/logout``, ``/par`` and ``/jwks.json``; clients, test persons and login denials
through the admin API."""

from __future__ import annotations

import secrets
import uuid

from flask import Blueprint, Flask, current_app

from dsop_sandbox.mocks.authority import KeyAuthority
from dsop_sandbox.mocks.common import language
from dsop_sandbox.mocks.common import validation as check
from dsop_sandbox.mocks.common.admin import admin_error, admin_json, fixtures_blueprint
from dsop_sandbox.mocks.common.clock import Clock
from dsop_sandbox.mocks.common.errors import json_response
from dsop_sandbox.mocks.common.key_admin import key_admin_blueprint
from dsop_sandbox.mocks.common.records import Records, record_routes
from dsop_sandbox.mocks.common.service import create_service_app
from dsop_sandbox.mocks.common.settings import Settings
from dsop_sandbox.mocks.common.shared_state import meta_once
from dsop_sandbox.people.roster import TEST_PERSONS

from .authorize import authorize_blueprint
from .discovery import metadata
from .errors import ERRORS
from .logout import logout_blueprint
from .state import REGISTRATION_TABLES, RUNTIME_TABLES, SCHEMA, OidcState
from .tokens import token_blueprint

SERVICE = "idporten"
ALTINN_CLIENT_ID = "altinn"
ALTINN_CALLBACK = "/ui/authentication/callback"
DIGDIR_ORG = "991825827"
NAV_CLIENT_ID = "nav"
NAV_CALLBACK = "/oauth2/callback"
NAV_ORG = "889640782"
#: The sandbox's own services that log citizens in: client id, name, org, service, callback path.
SERVICE_CLIENTS = (
    (ALTINN_CLIENT_ID, "Altinn", DIGDIR_ORG, "altinn", ALTINN_CALLBACK),
    (NAV_CLIENT_ID, "NAV", NAV_ORG, "nav", NAV_CALLBACK),
)
AUTH_METHODS = ("client_secret_basic", "client_secret_post", "private_key_jwt", "none")
PAIRWISE_SECRET_KEY = "pairwise_secret"
#: Logins to refuse (``POST /_sandbox/deny-login``), taken one by one by whichever process gets the login.
LOGIN_DENIALS_TABLE = "login_denials"
LOGIN_DENIALS_SCHEMA = """
CREATE TABLE IF NOT EXISTS login_denials (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    error TEXT NOT NULL
);
"""


class IdPorten:
    """The service's parts, on ``app.extensions["idporten"]``."""

    def __init__(self, settings: Settings, rt, authority: KeyAuthority):
        self.issuer = settings.issuer(SERVICE)
        self.base_url = settings.base_url(SERVICE)
        self.token_endpoint = f"{self.base_url}/token"
        self.authority = authority
        self.clock = rt.clock
        self.store = rt.store
        self.clients = Records(rt.store, "clients", rt.clock)
        self.persons = Records(rt.store, "persons", rt.clock)
        self.state = OidcState(rt.store, rt.clock)
        # The secret behind pairwise subjects: one for every process of the service, kept across
        # resets (a reset empties meta; the process that resets puts it back, and every process
        # takes up what the store holds when the shared state changes).
        self.pairwise_secret = bytes.fromhex(meta_once(rt.store, PAIRWISE_SECRET_KEY, lambda: secrets.token_hex(32)))
        self.settings = settings
        self.seed()
        rt.on_reset(lambda registrations: self.seed())
        rt.shared.on_change(self._take_up_pairwise_secret)

    def _take_up_pairwise_secret(self) -> None:
        stored = self.store.get_meta(PAIRWISE_SECRET_KEY)
        if stored is not None:
            self.pairwise_secret = bytes.fromhex(stored)

    def seed(self) -> None:
        """What every sandbox's ID-porten knows: Altinn (consent pages) and NAV (innsyn) as clients,
        and the sandbox's test persons on the login page; and the pairwise secret, if a reset took it."""
        self.pairwise_secret = bytes.fromhex(meta_once(self.store, PAIRWISE_SECRET_KEY, self.pairwise_secret.hex))
        for client_id, name, org, service, callback in SERVICE_CLIENTS:
            base_url = self.settings.base_url(service)
            client = {
                "client_id": client_id,
                "client_name": name,
                "org": org,
                "redirect_uris": [base_url + callback],
                "post_logout_redirect_uris": [base_url + "/"],
                # The service authenticates with its enterprise certificate (x5c in the client
                # assertion), so the fakes share no secret, only the key authority's root.
                "token_endpoint_auth_method": "private_key_jwt",
                "client_secret": None,
                "grant_types": ["authorization_code"],
                "scopes": ["openid", "profile"],
                "frontchannel_logout_uri": None,
                "pkce_required": True,
                "jwks": None,
            }
            existing = self.clients.get(client_id)
            if existing is None or any(existing.get(k) != v for k, v in client.items()):
                self.clients.put(client_id, client)
        for person in TEST_PERSONS:
            if self.persons.get(person["pid"]) is None:
                self.persons.put(person["pid"], dict(person))

    def deny_logins(self, count: int, error: str) -> None:
        with self.store.transaction() as db:
            for _ in range(count):
                db.execute("INSERT INTO login_denials(error) VALUES (?)", (error,))

    def take_login_denial(self) -> str | None:
        """The next denial, taken from the store: each one by exactly one login, in any process
        (a denial another process deleted first is passed over for the next)."""
        while True:
            row = self.store.query_one("SELECT id, error FROM login_denials ORDER BY id LIMIT 1")
            if row is None:
                return None  # the usual case: no write
            with self.store.transaction() as db:
                if db.execute("DELETE FROM login_denials WHERE id = ?", (row["id"],)).rowcount:
                    return row["error"]


def create_app(settings: Settings, *, authority: KeyAuthority | None = None, clock: Clock | None = None) -> Flask:
    app = create_service_app(
        SERVICE,
        settings,
        errors=ERRORS,
        schema=SCHEMA + LOGIN_DENIALS_SCHEMA,
        runtime_tables=(*RUNTIME_TABLES, LOGIN_DENIALS_TABLE),
        registration_tables=REGISTRATION_TABLES,
        clock=clock,
    )
    rt = app.extensions["sandbox"]
    authority = authority or KeyAuthority.open(settings.state_dir, rt.clock.now())
    service = IdPorten(settings, rt, authority)
    app.extensions[SERVICE] = service
    public = Blueprint(SERVICE, __name__)

    @public.get("/.well-known/openid-configuration")
    def discovery():
        return json_response(metadata(service.issuer, service.base_url))

    @public.get("/jwks.json")
    def jwks():
        return json_response(authority.jwks(SERVICE))

    for blueprint in (
        public,
        authorize_blueprint(),
        token_blueprint(),
        logout_blueprint(),
        fixtures(),
        key_admin_blueprint(authority, SERVICE),
    ):
        app.register_blueprint(blueprint)
    return language.install(app)


def _service() -> IdPorten:
    return current_app.extensions[SERVICE]


def fixtures() -> Blueprint:
    bp = fixtures_blueprint(SERVICE)

    @bp.post("/clients")
    def register_client():
        """``{"client_name", "redirect_uris": [...], "client_id"?, "org"?, "post_logout_redirect_uris"?,
        "token_endpoint_auth_method"?, "grant_types"?, "scopes"?, "frontchannel_logout_uri"?,
        "jwks"?, "pkce_required"?}``; a client secret is made for the client_secret_* methods."""
        body = admin_json()
        client_id = body.get("client_id") or str(uuid.uuid4())
        if not isinstance(client_id, str):
            raise admin_error(400, "invalid_request", "client_id must be a string")
        if _service().clients.get(client_id):
            raise admin_error(409, "client_exists", f"client {client_id} exists")
        method = check.one_of(body, "token_endpoint_auth_method", AUTH_METHODS, "client_secret_basic")
        pkce_required = body.get("pkce_required", True)
        if not isinstance(pkce_required, bool) or (method == "none" and not pkce_required):
            raise admin_error(400, "invalid_request", "pkce_required is true or false, and true for public clients")
        grant_types = check.string_list(body, "grant_types", ["authorization_code"])
        if not set(grant_types) <= {"authorization_code", "refresh_token"}:
            raise admin_error(400, "invalid_request", "grant_types: authorization_code and/or refresh_token")
        jwks = body.get("jwks")
        if jwks is not None and (not isinstance(jwks, dict) or not isinstance(jwks.get("keys"), list)):
            raise admin_error(400, "invalid_jwks", 'jwks is {"keys": [...]}')
        if method == "private_key_jwt" and not jwks and not body.get("org"):
            raise admin_error(400, "invalid_request", "private_key_jwt needs jwks or an org (enterprise certificate)")
        frontchannel = body.get("frontchannel_logout_uri")
        record = {
            "client_id": client_id,
            "client_name": check.text(body, "client_name"),
            "org": check.org_number(body["org"]) if body.get("org") is not None else None,
            "redirect_uris": [
                check.absolute_url(uri, "redirect_uris")
                for uri in check.string_list(body, "redirect_uris", allow_empty=False)
            ],
            "post_logout_redirect_uris": [
                check.absolute_url(uri, "post_logout_redirect_uris")
                for uri in check.string_list(body, "post_logout_redirect_uris")
            ],
            "token_endpoint_auth_method": method,
            "client_secret": secrets.token_urlsafe(32) if method.startswith("client_secret") else None,
            "grant_types": grant_types,
            "scopes": check.string_list(body, "scopes", ["openid", "profile"]),
            "frontchannel_logout_uri": check.absolute_url(frontchannel, "frontchannel_logout_uri")
            if frontchannel is not None
            else None,
            "pkce_required": pkce_required,
            "jwks": jwks,
        }
        return json_response(_service().clients.put(client_id, record), 201)

    record_routes(bp, "/clients", lambda: _service().clients, listing="clients", missing="unknown_client")

    @bp.post("/persons")
    def add_persons():
        """``{"persons": [{"pid", "name", "description"?}, ...]}`` (or one person): the test persons
        offered on the login page. Only synthetic fødselsnummer are taken."""
        added = []
        for person in check.persons(admin_json()):
            record = {
                "pid": person["pid"],
                "name": check.text(person, "name"),
                "description": str(person.get("description", ""))[:200],
            }
            added.append(_service().persons.put(person["pid"], record))
        return json_response({"persons": added}, 201)

    record_routes(bp, "/persons", lambda: _service().persons, listing="persons", missing="unknown_person")

    @bp.post("/deny-login")
    def deny_login():
        """``{"count": 1, "error": "access_denied"}``: the next logins fail back to the client."""
        body = admin_json(optional=True) or {}
        count = body.get("count", 1)
        if not isinstance(count, int) or isinstance(count, bool) or not 1 <= count <= 1000:
            raise admin_error(400, "invalid_request", "count must be 1-1000")
        error = body.get("error", "access_denied")
        if error not in ("access_denied", "login_required", "server_error", "temporarily_unavailable"):
            raise admin_error(
                400, "invalid_request", "error: access_denied, login_required, server_error or temporarily_unavailable"
            )
        _service().deny_logins(count, error)
        return json_response({"denied_logins": count, "error": error}, 201)

    return bp
