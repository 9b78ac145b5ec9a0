"""The insurer's own records: claims, the consent each got, and what was retrieved for it.

SQLite, in memory by default (tests) or in a file (demos, so claims survive a restart). One
connection shared behind a lock: the web threads and the background retrievals all use it.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from datetime import UTC, datetime

PENDING, CONSENTED, DECLINED = "pending", "consented", "declined"
ACTIVE, DEAD = "active", "dead"

COLUMNS = {
    "id": "TEXT PRIMARY KEY",
    "pid": "TEXT NOT NULL",
    "first_name": "TEXT",
    "last_name": "TEXT",
    "generation": "TEXT",  # the consent generation the claim was started in: altinn3 | altinn2
    "code": "TEXT",  # Altinn 2: the AuthorizationCode Altinn gave the consent request
    "consent_id": "TEXT",  # Altinn 3: the consent request's id, which we made
    "gui_url": "TEXT",
    "state": "TEXT NOT NULL",  # pending | consented | declined
    "consent": "TEXT",  # active | dead (withdrawn or expired), once consented
    "consent_problem": "TEXT",
    "decline_message": "TEXT",
    "created": "REAL NOT NULL",
    "answered": "REAL",
    "retrieval": "TEXT",  # the latest retrieval: idle | running | ok | unavailable | consent_required
    "attempts": "INTEGER NOT NULL DEFAULT 0",
    "nav_calls": "INTEGER NOT NULL DEFAULT 0",
    "fetches": "INTEGER NOT NULL DEFAULT 0",
    "uses_logged": "INTEGER NOT NULL DEFAULT 0",
    "data": "TEXT",  # JSON: the latest data NAV delivered
    "data_at": "REAL",
    "last_error": "TEXT",
}


class Store:
    def __init__(self, path: str | None = None):
        self.path = path or ":memory:"
        self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        self._db.row_factory = sqlite3.Row
        self._lock = threading.RLock()
        with self._lock:
            if self.path != ":memory:":
                self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute(
                f"CREATE TABLE IF NOT EXISTS claims ({', '.join(f'{name} {kind}' for name, kind in COLUMNS.items())})"
            )
            self._db.execute("CREATE INDEX IF NOT EXISTS claims_pid ON claims (pid, created)")
            known = {row["name"] for row in self._db.execute("PRAGMA table_info(claims)")}
            for name in COLUMNS.keys() - known:  # a state file from an older version
                self._db.execute(f"ALTER TABLE claims ADD COLUMN {name} {COLUMNS[name]}")

    # -- writing -------------------------------------------------------------------------------------
    def add(self, claim: dict) -> dict:
        claim = {name: claim.get(name) for name in COLUMNS if claim.get(name) is not None}
        with self._lock:
            self._db.execute(
                f"INSERT INTO claims ({', '.join(claim)}) VALUES ({', '.join('?' for _ in claim)})",
                [_db_value(v) for v in claim.values()],
            )
        return self.get(claim["id"])

    def update(self, claim_id: str, *, only_if: dict | None = None, **changes) -> bool:
        """Change a claim; with ``only_if`` only when those columns still hold those values (one
        atomic step: two concurrent callbacks cannot both move a claim out of ``pending``)."""
        unknown = (set(changes) | set(only_if or {})) - set(COLUMNS)
        if unknown:
            raise KeyError(f"unknown claim field(s): {', '.join(sorted(unknown))}")
        where = " AND ".join(["id = ?"] + [f"{k} IS ?" for k in (only_if or {})])
        with self._lock:
            cursor = self._db.execute(
                f"UPDATE claims SET {', '.join(f'{k} = ?' for k in changes)} WHERE {where}",
                [_db_value(v) for v in changes.values()] + [claim_id] + list((only_if or {}).values()),
            )
            return cursor.rowcount == 1

    def count_up(self, claim_id: str, **steps: int) -> None:
        with self._lock:
            self._db.execute(
                f"UPDATE claims SET {', '.join(f'{k} = {k} + ?' for k in steps)} WHERE id = ?",
                [*steps.values(), claim_id],
            )

    def clear(self) -> int:
        """Forget every claim, pending ones too (a workshop's next group starts empty); how many."""
        with self._lock:
            return self._db.execute("DELETE FROM claims").rowcount

    # -- reading -------------------------------------------------------------------------------------
    def get(self, claim_id: str) -> dict | None:
        with self._lock:
            row = self._db.execute("SELECT * FROM claims WHERE id = ?", (claim_id,)).fetchone()
        return _claim(row)

    def for_pid(self, pid: str) -> list[dict]:
        """The person's claims, newest first."""
        with self._lock:
            rows = self._db.execute(
                "SELECT * FROM claims WHERE pid = ? ORDER BY created DESC, rowid DESC", (pid,)
            ).fetchall()
        return [_claim(row) for row in rows]

    def latest_answered(self, pid: str) -> dict | None:
        """The claim whose consent answer came last: it decides whether we may fetch for the person."""
        with self._lock:
            row = self._db.execute(
                "SELECT * FROM claims WHERE pid = ? AND state IN (?, ?) ORDER BY answered DESC, rowid DESC LIMIT 1",
                (pid, CONSENTED, DECLINED),
            ).fetchone()
        return _claim(row)

    def all(self, limit: int = 200) -> list[dict]:
        with self._lock:
            rows = self._db.execute(
                "SELECT * FROM claims ORDER BY created DESC, rowid DESC LIMIT ?", (limit,)
            ).fetchall()
        return [_claim(row) for row in rows]

    def close(self) -> None:
        with self._lock:
            self._db.close()


def _db_value(value):
    return json.dumps(value, ensure_ascii=False) if isinstance(value, (dict, list)) else value


def _claim(row) -> dict | None:
    if row is None:
        return None
    claim = dict(row)
    if claim.get("data"):
        claim["data"] = json.loads(claim["data"])
    return claim


def iso(epoch: float | None) -> str | None:
    if epoch is None:
        return None
    return datetime.fromtimestamp(epoch, UTC).isoformat(timespec="seconds")
