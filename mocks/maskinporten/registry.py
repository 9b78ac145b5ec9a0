"""Maskinporten's registry: clients and their keys, scopes, access lists, delegations, used grants."""

from __future__ import annotations

import json
import threading
import uuid
from contextlib import contextmanager
from dataclasses import dataclass

from dsop_sandbox.mocks.common.clock import Clock, isoformat
from dsop_sandbox.mocks.common.shared_state import SharedState
from dsop_sandbox.mocks.common.store import Store

SCHEMA = """
CREATE TABLE IF NOT EXISTS clients (
    client_id TEXT PRIMARY KEY,
    org TEXT NOT NULL,
    name TEXT NOT NULL,
    scopes TEXT NOT NULL,
    integration_type TEXT NOT NULL,
    access_token_lifetime INTEGER,
    active INTEGER NOT NULL DEFAULT 1,
    created TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS client_keys (
    client_id TEXT NOT NULL REFERENCES clients(client_id) ON DELETE CASCADE,
    kid TEXT NOT NULL,
    jwk TEXT NOT NULL,
    created REAL NOT NULL,
    PRIMARY KEY (client_id, kid)
);
CREATE TABLE IF NOT EXISTS scopes (
    scope TEXT PRIMARY KEY,
    owner_org TEXT NOT NULL,
    description TEXT NOT NULL,
    at_max_age INTEGER,
    accessible_for_all INTEGER NOT NULL DEFAULT 0,
    allowed_integration_types TEXT NOT NULL,
    delegation_source TEXT
);
CREATE TABLE IF NOT EXISTS scope_access (
    scope TEXT NOT NULL REFERENCES scopes(scope) ON DELETE CASCADE,
    consumer_org TEXT NOT NULL,
    created TEXT NOT NULL,
    last_updated TEXT NOT NULL,
    PRIMARY KEY (scope, consumer_org)
);
CREATE TABLE IF NOT EXISTS delegations (
    scope TEXT NOT NULL REFERENCES scopes(scope) ON DELETE CASCADE,
    consumer_org TEXT NOT NULL,
    supplier_org TEXT NOT NULL,
    created TEXT NOT NULL,
    PRIMARY KEY (scope, consumer_org, supplier_org)
);
CREATE TABLE IF NOT EXISTS used_grants (
    client_id TEXT NOT NULL,
    jti TEXT NOT NULL,
    expires REAL NOT NULL,
    PRIMARY KEY (client_id, jti)
);
CREATE INDEX IF NOT EXISTS used_grants_expires ON used_grants(expires);
"""
REGISTRATION_TABLES = ("delegations", "scope_access", "client_keys", "clients", "scopes")
RUNTIME_TABLES = ("used_grants",)

NAV_ORG = "889640782"
DIGDIR_ORG = "991825827"
INTEGRATION_TYPES = ("maskinporten", "api_klient")

#: The scopes of the DSOP flow, present in every sandbox (scope, owner, description).
DEFAULT_SCOPES = (
    ("nav:helse/v1/uforeopplysninger", NAV_ORG, "Uføreopplysninger fra NAV (DSOP)"),
    ("nav:arbeid/v1/aap", NAV_ORG, "Arbeidsavklaringspenger og meldekort fra NAV (DSOP)"),
    ("altinn:consentrequests.write", DIGDIR_ORG, "Opprette samtykkeforespørsler i Altinn"),
    ("altinn:consentrequests.read", DIGDIR_ORG, "Lese samtykkeforespørsler i Altinn"),
)
DSOP_SCOPES = tuple(scope for scope, _, _ in DEFAULT_SCOPES)
#: Maskinporten's own scope for looking consents up at Altinn (Access Management's policy
#: ``MaskinportenConsentRead``). Seeded so that it is listed, but never in DSOP_SCOPES and on no
#: access list: an insurer's client that names it is refused (MP-250).
CONSENT_LOOKUP_SCOPE = "altinn:maskinporten/consent.read"
OWN_SCOPES = ((CONSENT_LOOKUP_SCOPE, DIGDIR_ORG, "Maskinporten slår opp samtykker i Altinn"),)
KEY_MAX_AGE = 365 * 24 * 3600
PRUNE_EVERY = 200


@dataclass(frozen=True)
class Client:
    client_id: str
    org: str
    name: str
    scopes: tuple[str, ...]
    integration_type: str
    access_token_lifetime: int | None
    active: bool
    created: str
    kids: tuple[str, ...] = ()

    def describe(self) -> dict:
        return {
            "client_id": self.client_id,
            "client_orgno": self.org,
            "client_name": self.name,
            "scopes": list(self.scopes),
            "integration_type": self.integration_type,
            "token_endpoint_auth_method": "private_key_jwt" if self.kids else "virksomhetssertifikat",
            "access_token_lifetime": self.access_token_lifetime,
            "active": self.active,
            "created": self.created,
            "kids": list(self.kids),
        }


@dataclass(frozen=True)
class Scope:
    scope: str
    owner_org: str
    description: str
    at_max_age: int | None
    accessible_for_all: bool
    allowed_integration_types: tuple[str, ...]
    delegation_source: str | None

    def describe(self) -> dict:
        return {
            "scope": self.scope,
            "owner_orgno": self.owner_org,
            "description": self.description,
            "at_max_age": self.at_max_age,
            "accessible_for_all": self.accessible_for_all,
            "allowed_integration_types": list(self.allowed_integration_types),
            "delegation_source": self.delegation_source,
        }


class Registry:
    def __init__(self, store: Store, clock: Clock, delegation_source: str, shared: SharedState):
        self.store = store
        self.clock = clock
        self.delegation_source = delegation_source
        # The token endpoint's lookups are answered from memory. Every write changes the service's
        # shared generation, and any process of the service (this one at once, the others at their
        # next request) then forgets what it remembered (see mocks/common/shared_state.py).
        self._shared = shared
        self._cache: dict = {}
        self._forgotten = 0  # how often the cache was dropped: a load begun before is not kept
        self._cache_lock = threading.Lock()
        self._grants_since_prune = 0
        shared.on_change(self.forget_cache)

    @contextmanager
    def _write(self):
        with self._shared.change() as db:
            yield db

    def forget_cache(self) -> None:
        with self._cache_lock:
            self._cache.clear()
            self._forgotten += 1

    def _remembered(self, key: tuple, load):
        with self._cache_lock:
            if key in self._cache:
                return self._cache[key]
            forgotten = self._forgotten
        value = load()
        with self._cache_lock:
            if forgotten == self._forgotten:
                self._cache[key] = value
        return value

    # -- scopes ------------------------------------------------------------------------------------
    def reseed(self) -> None:
        """After the store was reset: put the DSOP scopes back (the writes make every process
        forget what it cached)."""
        self.forget_cache()
        self.seed_default_scopes()

    def seed_default_scopes(self) -> None:
        """The DSOP scopes (delegable through Altinn) and Maskinporten's own (not delegable)."""
        for scope, owner, description in DEFAULT_SCOPES:
            if self.scope(scope) is None:
                self.put_scope(scope, owner, description, delegation_source=self.delegation_source)
        for scope, owner, description in OWN_SCOPES:
            if self.scope(scope) is None:
                self.put_scope(scope, owner, description)

    def put_scope(
        self,
        scope: str,
        owner_org: str,
        description: str = "",
        at_max_age: int | None = None,
        accessible_for_all: bool = False,
        allowed_integration_types=("maskinporten",),
        delegation_source: str | None = None,
    ) -> Scope:
        with self._write() as db:
            db.execute(
                "INSERT INTO scopes(scope, owner_org, description, at_max_age, accessible_for_all,"
                " allowed_integration_types, delegation_source) VALUES (?,?,?,?,?,?,?)"
                " ON CONFLICT(scope) DO UPDATE SET owner_org=excluded.owner_org, description=excluded.description,"
                " at_max_age=excluded.at_max_age, accessible_for_all=excluded.accessible_for_all,"
                " allowed_integration_types=excluded.allowed_integration_types,"
                " delegation_source=excluded.delegation_source",
                (
                    scope,
                    owner_org,
                    description,
                    at_max_age,
                    int(accessible_for_all),
                    json.dumps(list(allowed_integration_types)),
                    delegation_source,
                ),
            )
        return self.scope(scope)

    def scope(self, name: str) -> Scope | None:
        row = self.store.query_one("SELECT * FROM scopes WHERE scope = ?", (name,))
        return _scope(row) if row else None

    def scopes_named(self, names) -> dict[str, Scope]:
        """The existing scopes among ``names``, by name (one query)."""
        names = tuple(names)
        return self._remembered(("scopes", names), lambda: self._scopes_named(names))

    def _scopes_named(self, names: tuple) -> dict[str, Scope]:
        rows = self.store.query(
            f"SELECT * FROM scopes WHERE scope IN ({','.join('?' * len(names))})",
            tuple(names),
        )
        return {row["scope"]: _scope(row) for row in rows}

    def scopes(self) -> list[Scope]:
        return [_scope(row) for row in self.store.query("SELECT * FROM scopes ORDER BY scope")]

    # -- access lists ------------------------------------------------------------------------------
    def grant_access(self, scope: str, consumer_org: str) -> dict:
        stamp = isoformat(self.clock.now())
        with self._write() as db:
            db.execute(
                "INSERT INTO scope_access(scope, consumer_org, created, last_updated) VALUES (?,?,?,?)"
                " ON CONFLICT(scope, consumer_org) DO UPDATE SET last_updated = excluded.last_updated",
                (scope, consumer_org, stamp, stamp),
            )
        return self.access_entry(scope, consumer_org)

    def revoke_access(self, scope: str, consumer_org: str) -> bool:
        with self._write() as db:
            return (
                db.execute(
                    "DELETE FROM scope_access WHERE scope = ? AND consumer_org = ?", (scope, consumer_org)
                ).rowcount
                > 0
            )

    def has_access(self, scope: str, consumer_org: str) -> bool:
        return self._remembered(
            ("access", scope, consumer_org),
            lambda: (
                self.store.query_one(
                    "SELECT 1 FROM scope_access WHERE scope = ? AND consumer_org = ?", (scope, consumer_org)
                )
                is not None
            ),
        )

    def access_entry(self, scope: str, consumer_org: str) -> dict | None:
        row = self.store.query_one(
            "SELECT a.*, s.owner_org FROM scope_access a JOIN scopes s USING (scope)"
            " WHERE a.scope = ? AND a.consumer_org = ?",
            (scope, consumer_org),
        )
        return _access(row) if row else None

    def access_list(self, scope: str | None = None) -> list[dict]:
        sql = "SELECT a.*, s.owner_org FROM scope_access a JOIN scopes s USING (scope)"
        rows = (
            self.store.query(sql + " WHERE a.scope = ? ORDER BY consumer_org", (scope,))
            if scope
            else self.store.query(sql + " ORDER BY scope, consumer_org")
        )
        return [_access(row) for row in rows]

    # -- delegations -------------------------------------------------------------------------------
    def delegate(self, scope: str, consumer_org: str, supplier_org: str) -> dict:
        with self._write() as db:
            db.execute(
                "INSERT INTO delegations(scope, consumer_org, supplier_org, created) VALUES (?,?,?,?)"
                " ON CONFLICT DO NOTHING",
                (scope, consumer_org, supplier_org, isoformat(self.clock.now())),
            )
        return {"scope": scope, "consumer_orgno": consumer_org, "supplier_orgno": supplier_org}

    def undelegate(self, scope: str, consumer_org: str, supplier_org: str) -> bool:
        with self._write() as db:
            return (
                db.execute(
                    "DELETE FROM delegations WHERE scope = ? AND consumer_org = ? AND supplier_org = ?",
                    (scope, consumer_org, supplier_org),
                ).rowcount
                > 0
            )

    def has_delegation(self, scope: str, consumer_org: str, supplier_org: str) -> bool:
        return self._remembered(
            ("delegation", scope, consumer_org, supplier_org),
            lambda: (
                self.store.query_one(
                    "SELECT 1 FROM delegations WHERE scope = ? AND consumer_org = ? AND supplier_org = ?",
                    (scope, consumer_org, supplier_org),
                )
                is not None
            ),
        )

    def delegations(self) -> list[dict]:
        return [
            {
                "scope": r["scope"],
                "consumer_orgno": r["consumer_org"],
                "supplier_orgno": r["supplier_org"],
                "created": r["created"],
            }
            for r in self.store.query("SELECT * FROM delegations ORDER BY scope, consumer_org")
        ]

    # -- clients -----------------------------------------------------------------------------------
    def create_client(
        self,
        org: str,
        name: str,
        scopes: list[str],
        client_id: str | None = None,
        integration_type: str = "maskinporten",
        access_token_lifetime: int | None = None,
    ) -> Client:
        client_id = client_id or str(uuid.uuid4())
        with self._write() as db:
            db.execute(
                "INSERT INTO clients(client_id, org, name, scopes, integration_type, access_token_lifetime,"
                " created) VALUES (?,?,?,?,?,?,?)",
                (
                    client_id,
                    org,
                    name,
                    json.dumps(scopes),
                    integration_type,
                    access_token_lifetime,
                    isoformat(self.clock.now()),
                ),
            )
        return self.client(client_id)

    def client(self, client_id: str) -> Client | None:
        return self._remembered(("client", client_id), lambda: self._client(client_id))

    def _client(self, client_id: str) -> Client | None:
        row = self.store.query_one("SELECT * FROM clients WHERE client_id = ?", (client_id,))
        if row is None:
            return None
        kids = tuple(
            r["kid"]
            for r in self.store.query("SELECT kid FROM client_keys WHERE client_id = ? ORDER BY created", (client_id,))
        )
        return Client(
            row["client_id"],
            row["org"],
            row["name"],
            tuple(json.loads(row["scopes"])),
            row["integration_type"],
            row["access_token_lifetime"],
            bool(row["active"]),
            row["created"],
            kids,
        )

    def clients(self) -> list[Client]:
        return [self.client(r["client_id"]) for r in self.store.query("SELECT client_id FROM clients ORDER BY created")]

    def delete_client(self, client_id: str) -> bool:
        with self._write() as db:
            return db.execute("DELETE FROM clients WHERE client_id = ?", (client_id,)).rowcount > 0

    def add_key(self, client_id: str, kid: str, jwk: dict) -> None:
        with self._write() as db:
            db.execute(
                "INSERT INTO client_keys(client_id, kid, jwk, created) VALUES (?,?,?,?)"
                " ON CONFLICT(client_id, kid) DO UPDATE SET jwk = excluded.jwk,"
                " created = CASE WHEN jwk = excluded.jwk THEN created ELSE excluded.created END",
                (client_id, kid, json.dumps(jwk), self.clock.timestamp()),
            )

    def key(self, client_id: str, kid: str) -> tuple[dict, float] | None:
        return self._remembered(("key", client_id, kid), lambda: self._key(client_id, kid))

    def _key(self, client_id: str, kid: str) -> tuple[dict, float] | None:
        row = self.store.query_one(
            "SELECT jwk, created FROM client_keys WHERE client_id = ? AND kid = ?", (client_id, kid)
        )
        return (json.loads(row["jwk"]), row["created"]) if row else None

    # -- replay protection -------------------------------------------------------------------------
    def grant_used(self, client_id: str, jti: str) -> bool:
        """Whether the client has used ``jti`` (while its grant could still be valid), without using it."""
        row = self.store.query_one(
            "SELECT 1 FROM used_grants WHERE client_id = ? AND jti = ? AND expires >= ?",
            (client_id, jti, self.clock.timestamp()),
        )
        return row is not None

    def use_grant(self, client_id: str, jti: str, expires: float) -> bool:
        """Record a grant's jti; False if the client has used it before (and it has not aged out)."""
        now = self.clock.timestamp()
        self._grants_since_prune += 1
        with self.store.transaction() as db:
            if self._grants_since_prune >= PRUNE_EVERY:  # aged-out jtis need not go at every call
                self._grants_since_prune = 0
                db.execute("DELETE FROM used_grants WHERE expires < ?", (now,))
            # a jti seen before counts only while its grant could still be valid
            inserted = db.execute(
                "INSERT INTO used_grants(client_id, jti, expires) VALUES (?,?,?)"
                " ON CONFLICT(client_id, jti) DO UPDATE SET expires = excluded.expires"
                " WHERE used_grants.expires < ?",
                (client_id, jti, expires, now),
            ).rowcount
        return inserted == 1


def _scope(row) -> Scope:
    return Scope(
        row["scope"],
        row["owner_org"],
        row["description"],
        row["at_max_age"],
        bool(row["accessible_for_all"]),
        tuple(json.loads(row["allowed_integration_types"])),
        row["delegation_source"],
    )


def _access(row) -> dict:
    return {
        "scope": row["scope"],
        "state": "APPROVED",
        "consumer_orgno": row["consumer_org"],
        "owner_orgno": row["owner_org"],
        "created": row["created"],
        "last_updated": row["last_updated"],
    }
