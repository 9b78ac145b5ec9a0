"""Each service's state: one SQLite database per service under the state directory (the embedded
default), or one schema per service in PostgreSQL (``store_url``, :mod:`.postgres_store`).

On SQLite each thread gets its own connection (the WSGI server is threaded); WAL mode lets
readers run beside the single writer. Services declare their tables as *registrations* (kept by
``reset``) or *runtime* (cleared by ``reset``).

The SQL the services write runs on both backends (portable SQL): ``?`` placeholders, no
``rowid``/``PRAGMA``/``INSERT OR …``/``lastrowid`` (``INSERT … ON CONFLICT … DO …`` and
``RETURNING id``), no SQLite-only functions, and auto-numbered keys spelled exactly
``id INTEGER PRIMARY KEY AUTOINCREMENT`` (first in their table; ``seq`` where ``id`` names
something else). A table from before its key got one is renumbered from its rowid once, on SQLite.
"""

from __future__ import annotations

import json
import os
import re
import sqlite3
import threading
from contextlib import contextmanager, suppress
from pathlib import Path

try:
    import fcntl
except ImportError:  # not POSIX: one process per database there (workers need fork)
    fcntl = None

COMMON_SCHEMA = """
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
#: An auto-numbered key is spelled ``<column> INTEGER PRIMARY KEY AUTOINCREMENT``, first in its table
#: (``id``, or ``seq`` where ``id`` names something else); the PostgreSQL backend translates it.
_NUMBERED_TABLE = re.compile(r"CREATE TABLE IF NOT EXISTS (\w+)\s*\(\s*(\w+) INTEGER PRIMARY KEY AUTOINCREMENT")


def statements(script: str) -> list[str]:
    """A schema script's statements (schemas hold no ``;`` inside a statement)."""
    return [part.strip() for part in script.split(";") if part.strip()]


def numbered_tables(schema: str) -> list[tuple[str, str]]:
    """(table, column) of the tables whose first column is auto-numbered."""
    return _NUMBERED_TABLE.findall(schema)


class Store:
    """The SQLite store; :func:`.open_store.open_store` picks the backend from the settings."""

    backend = "sqlite"

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
        self._lock_fd, self._lock_owner = -1, 0
        self._connections: list[sqlite3.Connection] = []
        script = COMMON_SCHEMA + schema
        with self.transaction() as db:
            renumbered = [(table, key) for table, key in numbered_tables(script) if self._lacks(db, table, key)]
            for table, _ in renumbered:
                self._set_aside(db, table)
            for statement in statements(script):
                db.execute(statement)
            for table, key in renumbered:
                self._renumber(db, table, key)

    # -- tables from before their auto-numbered key (a state directory survives upgrades) -----------
    @staticmethod
    def _lacks(db, table: str, key: str) -> bool:
        names = {row["name"] for row in db.execute(f"PRAGMA table_info({table})")}
        return bool(names) and key not in names

    @staticmethod
    def _set_aside(db, table: str) -> None:
        indexes = db.execute(
            "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = ? AND sql IS NOT NULL", (table,)
        ).fetchall()
        for row in indexes:
            db.execute(f"DROP INDEX {row['name']}")
        db.execute(f"ALTER TABLE {table} RENAME TO {table}__old")

    @staticmethod
    def _renumber(db, table: str, key: str) -> None:
        """The old rows into the new table, numbered in the order they were made (their rowid)."""
        old = {row["name"] for row in db.execute(f"PRAGMA table_info({table}__old)")}
        new = [row["name"] for row in db.execute(f"PRAGMA table_info({table})")]
        columns = ", ".join(name for name in new if name in old)
        db.execute(f"INSERT INTO {table}({key}, {columns}) SELECT rowid, {columns} FROM {table}__old ORDER BY rowid")
        db.execute(f"DROP TABLE {table}__old")

    # -- connections and transactions -------------------------------------------------------------
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
    def transaction(self, exclusive: bool = True):
        """A write transaction (``BEGIN IMMEDIATE``): all or nothing. SQLite has one writer at a time
        whatever ``exclusive`` says (PostgreSQL's store lets appends skip the service's lock)."""
        db = self._connection()
        with self._write_lock, self._writer_turn():
            db.execute("BEGIN IMMEDIATE")
            try:
                yield db
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")

    @contextmanager
    def _writer_turn(self):
        """This process's turn to write, among every process on the database (``--workers``): a
        ``flock`` on ``<database>.lock`` beside it. The kernel wakes a waiting process the moment the
        lock is free, where SQLite's own busy handler sleeps 1 to 100 ms between looks, during which
        every thread of the waiting process that wants to write waits too. The file is opened once
        per process (a forked child opens its own: a lock taken through an inherited descriptor
        would be the parent's lock)."""
        if fcntl is None:
            yield
            return
        pid = os.getpid()
        if self._lock_owner != pid:
            self._lock_fd = os.open(f"{self.path}.lock", os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
            self._lock_owner = pid
        fcntl.flock(self._lock_fd, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(self._lock_fd, fcntl.LOCK_UN)

    def query(self, sql: str, params: tuple = ()) -> list:
        return self._connection().execute(sql, params).fetchall()

    def query_one(self, sql: str, params: tuple = ()):
        return self._connection().execute(sql, params).fetchone()

    def columns(self, table: str) -> set[str]:
        """The names of ``table``'s columns (empty when there is no such table)."""
        return {row["name"] for row in self.query(f"PRAGMA table_info({table})")}

    # -- the meta table: small persisted settings such as the calendar offset -------------------
    def get_meta(self, key: str, default=None):
        row = self.query_one(READ_META, (key,))
        return json.loads(row["value"]) if row else default

    def set_meta(self, key: str, value) -> None:
        with self.transaction() as db:
            write_meta(db, key, value)

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
            if self._lock_owner == os.getpid():
                with suppress(OSError):
                    os.close(self._lock_fd)
            self._lock_fd, self._lock_owner = -1, 0
        self._local = threading.local()


#: A ``meta`` value's text (JSON), and setting it (both backends speak this SQL).
READ_META = "SELECT value FROM meta WHERE key = ?"
UPSERT_META = "INSERT INTO meta(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value"


def write_meta(db, key: str, value) -> None:
    """Set a ``meta`` value inside a transaction (``db`` from :meth:`Store.transaction`)."""
    db.execute(UPSERT_META, (key, json.dumps(value)))
