"""One SQLite database per service under the state directory.

Each thread gets its own connection (the WSGI server is threaded); WAL mode lets readers
run beside the single writer. Services declare their tables as *registrations* (kept by
``reset``) or *runtime* (cleared by ``reset``).
"""

from __future__ import annotations

import json
import sqlite3
import threading
from contextlib import contextmanager, suppress
from pathlib import Path

_COMMON_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    time TEXT NOT NULL,
    calendar_time TEXT NOT NULL,
    service TEXT NOT NULL,
    operation TEXT NOT NULL,
    method TEXT NOT NULL,
    path TEXT NOT NULL,
    status INTEGER NOT NULL,
    outcome TEXT NOT NULL,
    caller TEXT,
    subject TEXT,
    error TEXT,
    trace_id TEXT NOT NULL,
    details TEXT NOT NULL
);
"""


class Store:
    def __init__(
        self,
        path: Path,
        schema: str = "",
        runtime_tables: tuple[str, ...] = (),
        registration_tables: tuple[str, ...] = (),
    ):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.runtime_tables = ("events", *tuple(runtime_tables))
        self.registration_tables = tuple(registration_tables)
        self._local = threading.local()
        self._write_lock = threading.RLock()
        self._connections: list[sqlite3.Connection] = []
        with self._write_lock:
            # executescript commits on its own; the statements are all IF NOT EXISTS.
            self._connection().executescript(_COMMON_SCHEMA + schema)

    def _connection(self) -> sqlite3.Connection:
        db = getattr(self._local, "db", None)
        if db is None:
            db = sqlite3.connect(self.path, timeout=10, isolation_level=None, check_same_thread=False)
            db.row_factory = sqlite3.Row
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            db.execute("PRAGMA foreign_keys=ON")
            self._local.db = db
            with self._write_lock:
                self._connections.append(db)
        return db

    @contextmanager
    def transaction(self):
        """A write transaction (``BEGIN IMMEDIATE``): all or nothing."""
        db = self._connection()
        with self._write_lock:
            db.execute("BEGIN IMMEDIATE")
            try:
                yield db
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")

    def query(self, sql: str, params: tuple | dict = ()) -> list[sqlite3.Row]:
        return self._connection().execute(sql, params).fetchall()

    def query_one(self, sql: str, params: tuple | dict = ()) -> sqlite3.Row | None:
        return self._connection().execute(sql, params).fetchone()

    # -- the meta table: small persisted settings such as the calendar offset -------------------
    def get_meta(self, key: str, default=None):
        row = self.query_one("SELECT value FROM meta WHERE key = ?", (key,))
        return json.loads(row["value"]) if row else default

    def set_meta(self, key: str, value) -> None:
        with self.transaction() as db:
            db.execute(
                "INSERT INTO meta(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                (key, json.dumps(value)),
            )

    def reset(self, registrations: bool = False) -> None:
        tables = self.runtime_tables + (self.registration_tables if registrations else ())
        with self.transaction() as db:
            for table in tables:
                db.execute(f"DELETE FROM {table}")
            db.execute("DELETE FROM meta")

    def close(self) -> None:
        with self._write_lock:
            for db in self._connections:
                with suppress(sqlite3.Error):
                    db.close()
            self._connections.clear()
        self._local = threading.local()
