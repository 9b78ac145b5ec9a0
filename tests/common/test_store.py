"""The per-service SQLite store: meta values, transactions, and what reset keeps."""

from __future__ import annotations

import threading

import pytest

from dsop_sandbox.mocks.common.clock import Clock
from dsop_sandbox.mocks.common.records import Records, records_schema
from dsop_sandbox.mocks.common.store import Store

SCHEMA = records_schema("clients") + records_schema("sessions")


@pytest.fixture
def store(tmp_path):
    made = Store(
        tmp_path / "deep" / "svc.sqlite3", SCHEMA, runtime_tables=("sessions",), registration_tables=("clients",)
    )
    yield made
    made.close()


@pytest.fixture
def clock():
    frozen = Clock()
    frozen.freeze(1_800_000_000)
    return frozen


def count(store, table) -> int:
    return store.query_one(f"SELECT COUNT(*) AS n FROM {table}")["n"]


def test_creates_its_folder_and_tables(store, tmp_path):
    assert (tmp_path / "deep" / "svc.sqlite3").exists()
    tables = {row["name"] for row in store.query("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {"meta", "events", "clients", "sessions"} <= tables
    assert store.runtime_tables == ("events", "sessions")


@pytest.mark.parametrize("value", [0.0, 94672800.5, "text", {"a": [1, None]}, [1, 2], True, None])
def test_meta_round_trips_json(store, value):
    store.set_meta("key", value)
    assert store.get_meta("key", "default") == value


def test_meta_default_and_overwrite(store):
    assert store.get_meta("missing") is None
    assert store.get_meta("missing", 7) == 7
    store.set_meta("k", 1)
    store.set_meta("k", 2)
    assert store.get_meta("k") == 2
    assert count(store, "meta") == 1


def test_transaction_is_all_or_nothing(store, clock):
    with pytest.raises(RuntimeError), store.transaction() as db:
        db.execute("INSERT INTO clients(key, created, data) VALUES ('a', 'now', '{}')")
        raise RuntimeError("half way")
    assert count(store, "clients") == 0
    with store.transaction() as db:
        db.execute("INSERT INTO clients(key, created, data) VALUES ('a', 'now', '{}')")
    assert count(store, "clients") == 1


def test_reset_keeps_registrations_unless_asked(store, clock):
    clients, sessions = Records(store, "clients", clock), Records(store, "sessions", clock)
    clients.put("c1", {"name": "client"})
    sessions.put("s1", {"user": "u"})
    store.set_meta("calendar_offset", 100.0)
    with store.transaction() as db:
        db.execute(
            "INSERT INTO events(time, calendar_time, service, operation, method, path, status, outcome,"
            " trace_id, details) VALUES ('t', 't', 's', 'o', 'GET', '/', 200, 'ok', 'x', '{}')"
        )
    store.reset()
    assert clients.get("c1")["name"] == "client"
    assert sessions.all() == [] and count(store, "events") == 0
    assert store.get_meta("calendar_offset") is None
    store.reset(registrations=True)
    assert clients.all() == []


def test_survives_reopening(tmp_path, clock):
    first = Store(tmp_path / "s.sqlite3", SCHEMA, registration_tables=("clients",))
    Records(first, "clients", clock).put("c1", {"n": 1})
    first.set_meta("calendar_offset", 42.0)
    first.close()
    second = Store(tmp_path / "s.sqlite3", SCHEMA, registration_tables=("clients",))
    try:
        assert Records(second, "clients", clock).get("c1")["n"] == 1
        assert second.get_meta("calendar_offset") == 42.0
    finally:
        second.close()


def test_records_put_get_all_delete(store, clock):
    clients = Records(store, "clients", clock)
    record = clients.put("c1", {"name": "første"})
    assert record == {"name": "første", "created": "2027-01-15T08:00:00Z"}
    clients.put("c1", {"name": "renamed"})
    assert clients.get("c1")["name"] == "renamed"
    clients.put("c0", {"name": "zero"})
    # listed in the order first put (an update keeps a record's place), not by key
    assert [r["name"] for r in clients.all()] == ["renamed", "zero"]
    assert clients.delete("c1") is True and clients.delete("c1") is False
    assert clients.get("c1") is None


def test_writes_from_many_threads(store, clock):
    clients = Records(store, "clients", clock)

    def worker(n):
        for i in range(10):
            clients.put(f"{n}-{i}", {"n": n})

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert count(store, "clients") == 40
