"""A state directory survives upgrades: tables made before their auto-numbered key (records,
Altinn's consent requests and resources, Altinn 3's requests, which were ordered by SQLite's rowid)
get the key once, numbered in the order the rows were made, with their indexes; and the service
reads them as before."""

from __future__ import annotations

import json
import sqlite3

from dsop_sandbox.mocks.altinn import altinn3
from dsop_sandbox.mocks.altinn.consents import SCHEMA as CONSENT_SCHEMA
from dsop_sandbox.mocks.altinn.consents import TABLES as CONSENT_TABLES
from dsop_sandbox.mocks.altinn.consents import Consents
from dsop_sandbox.mocks.common.clock import Clock
from dsop_sandbox.mocks.common.records import Records, records_schema
from dsop_sandbox.mocks.common.store import Store

OLD_SCHEMA = """
CREATE TABLE clients (key TEXT PRIMARY KEY, created TEXT NOT NULL, data TEXT NOT NULL);
CREATE TABLE consent_requests (
    code TEXT PRIMARY KEY, covered_by TEXT NOT NULL, handled_by TEXT, offered_by TEXT, status TEXT NOT NULL,
    created TEXT NOT NULL, last_changed TEXT NOT NULL, data TEXT NOT NULL
);
CREATE INDEX consent_requests_covered_by ON consent_requests(covered_by);
"""


def test_tables_from_before_the_key_are_numbered_by_their_rowid(tmp_path):
    path = tmp_path / "altinn.sqlite3"
    with sqlite3.connect(path) as old:
        old.executescript(OLD_SCHEMA)
        for key in ("zulu", "alpha", "mike"):  # made in this order, not in key order
            old.execute("INSERT INTO clients VALUES (?, 't', ?)", (key, json.dumps({"key": key})))
        for code in ("c-2", "c-1"):
            record = {"code": code, "covered_by": "310000019", "status": "Unopened", "created": "t"}
            old.execute(
                "INSERT INTO consent_requests VALUES (?, '310000019', NULL, NULL, 'Unopened', 't', 't', ?)",
                (code, json.dumps(record)),
            )
    old.close()
    store = Store(path, records_schema("clients") + CONSENT_SCHEMA, registration_tables=("clients", *CONSENT_TABLES))
    try:
        clock = Clock()
        clients = Records(store, "clients", clock)
        assert [r["key"] for r in clients.all()] == ["zulu", "alpha", "mike"]
        assert [cursor for cursor, _ in clients.page(0, 10)] == [1, 2, 3]
        clients.put("new", {"key": "new"})
        assert [r["key"] for r in clients.all()][-1] == "new"
        consents = Consents(store, clock)
        assert [r["code"] for r in consents.all()] == ["c-2", "c-1"]
        assert [cursor for cursor, _ in consents.page(0, 10)] == [1, 2]
        indexes = {row["name"] for row in store.query("SELECT name FROM sqlite_master WHERE type = 'index'")}
        assert {"consent_requests_covered_by", "consent_requests_offered_by"} <= indexes
        assert not {row["name"] for row in store.query("SELECT name FROM sqlite_master")} & {
            "clients__old",
            "consent_requests__old",
        }
    finally:
        store.close()
    again = Store(path, records_schema("clients") + CONSENT_SCHEMA)  # a second start changes nothing
    try:
        assert [r["key"] for r in Records(again, "clients", Clock()).all()] == ["zulu", "alpha", "mike", "new"]
    finally:
        again.close()


def test_altinn3_requests_get_their_seq(tmp_path):
    path = tmp_path / "altinn.sqlite3"
    with sqlite3.connect(path) as old:
        old.execute(
            "CREATE TABLE consent3_requests (id TEXT PRIMARY KEY, from_party TEXT NOT NULL, to_party TEXT NOT NULL,"
            " status TEXT NOT NULL, created TEXT NOT NULL, data TEXT NOT NULL)"
        )
        for consent_id in ("b", "a"):
            old.execute(
                "INSERT INTO consent3_requests VALUES (?, 'p', 'o', 'Created', 't', ?)",
                (consent_id, json.dumps({"id": consent_id})),
            )
    old.close()
    store = Store(path, altinn3.consents.SCHEMA)
    try:
        assert [row["id"] for row in store.query("SELECT id FROM consent3_requests ORDER BY seq")] == ["b", "a"]
    finally:
        store.close()
