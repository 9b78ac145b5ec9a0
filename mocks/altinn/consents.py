"""Consent requests and the consents they become, with their use log, in the service's store.

A request moves ``Unopened`` → ``Opened`` (the citizen saw the page) → ``Accepted`` | ``Rejected``.
An accepted request *is* the consent; its own state is derived, never stored stale:

* ``Active`` while the sandbox calendar is before ``valid_to``;
* ``Revoked`` once withdrawn (by the citizen, or the admin API);
* ``Used`` once a one-time consent has been logged as used;
* ``Expired`` once the calendar passes ``valid_to`` (Altinn keeps ``RequestStatus`` Accepted).

All dates here are calendar time (README, "Time"): moving the sandbox calendar three years ahead
expires a three-year consent. Every change runs in one write transaction, so a crash or a
concurrent answer never leaves half a consent behind.
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime

from dsop_sandbox.mocks.common.clock import Clock, isoformat, parse_time
from dsop_sandbox.mocks.common.store import Store

SCHEMA = """
CREATE TABLE IF NOT EXISTS consent_requests (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    code TEXT NOT NULL UNIQUE,
    covered_by TEXT NOT NULL,
    handled_by TEXT,
    offered_by TEXT,
    status TEXT NOT NULL,
    created TEXT NOT NULL,
    last_changed TEXT NOT NULL,
    data TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS consent_requests_offered_by ON consent_requests(offered_by);
CREATE INDEX IF NOT EXISTS consent_requests_covered_by ON consent_requests(covered_by);
CREATE TABLE IF NOT EXISTS use_log (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    code TEXT NOT NULL,
    time TEXT NOT NULL,
    usage_time TEXT,
    service TEXT NOT NULL,
    logged_by TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS use_log_code ON use_log(code);
"""
TABLES = ("consent_requests", "use_log")

UNOPENED, OPENED, ACCEPTED, REJECTED = "Unopened", "Opened", "Accepted", "Rejected"
UNANSWERED = (UNOPENED, OPENED)
ACTIVE, REVOKED, USED, EXPIRED = "Active", "Revoked", "Used", "Expired"


class ConsentError(Exception):
    """A transition that the request's state does not allow; ``reason`` names the state."""

    def __init__(self, reason: str, message: str):
        super().__init__(message)
        self.reason = reason


def new_code() -> str:
    return str(uuid.uuid4())


def consent_state(record: dict, calendar_now: datetime) -> str | None:
    """``Active``/``Revoked``/``Used``/``Expired`` for an accepted request, None otherwise."""
    if record["status"] != ACCEPTED:
        return None
    consent = record.get("consent") or {}
    if consent.get("revoked"):
        return REVOKED
    if consent.get("used"):
        return USED
    if calendar_now >= parse_time(record["valid_to"]):
        return EXPIRED
    return ACTIVE


def service_keys(record: dict) -> list[str]:
    return [f"{r['code']}_{r['edition']}" for r in record["resources"]]


class Consents:
    def __init__(self, store: Store, clock: Clock):
        self.store, self.clock = store, clock

    def _now(self) -> str:
        return isoformat(self.clock.calendar())

    # -- reading -----------------------------------------------------------------------------------
    def get(self, code: str) -> dict | None:
        row = self.store.query_one("SELECT data FROM consent_requests WHERE code = ?", (code,))
        return json.loads(row["data"]) if row else None

    def for_party(self, org: str) -> list[dict]:
        """Requests where ``org`` is CoveredBy or HandledBy, oldest first."""
        rows = self.store.query(
            "SELECT data FROM consent_requests WHERE covered_by = ? OR handled_by = ? ORDER BY created, id",
            (org, org),
        )
        return [json.loads(row["data"]) for row in rows]

    def of_person(self, pid: str) -> list[dict]:
        """The person's answered requests (their consents and refusals), newest first."""
        rows = self.store.query(
            "SELECT data FROM consent_requests WHERE offered_by = ? AND status IN (?, ?) "
            "ORDER BY last_changed DESC, id DESC",
            (pid, ACCEPTED, REJECTED),
        )
        return [json.loads(row["data"]) for row in rows]

    def accepted(self) -> list[dict]:
        rows = self.store.query(
            "SELECT data FROM consent_requests WHERE status = ? ORDER BY created, code", (ACCEPTED,)
        )
        return [json.loads(row["data"]) for row in rows]

    def all(self) -> list[dict]:
        rows = self.store.query("SELECT data FROM consent_requests ORDER BY created, id")
        return [json.loads(row["data"]) for row in rows]

    def page(self, since: int, limit: int) -> list[tuple[int, dict]]:
        """(cursor, request) after ``since``, in the order they were made, at most ``limit``."""
        rows = self.store.query(
            "SELECT id, data FROM consent_requests WHERE id > ? ORDER BY id LIMIT ?", (since, limit)
        )
        return [(row["id"], json.loads(row["data"])) for row in rows]

    def uses(self, code: str) -> list[dict]:
        rows = self.store.query(
            "SELECT time, usage_time, service, logged_by FROM use_log WHERE code = ? ORDER BY id", (code,)
        )
        return [dict(row) for row in rows]

    def state(self, record: dict) -> str | None:
        return consent_state(record, self.clock.calendar())

    # -- writing -----------------------------------------------------------------------------------
    def create(self, request: dict) -> dict:
        """Store a validated request (``code`` given or new) as Unopened, or Accepted when it
        already carries ``consent`` (the admin fixture)."""
        now = self._now()
        record = {
            "status": UNOPENED,
            "created": now,
            "last_changed": now,
            "opened": None,
            "answered": None,
            "consent": None,
            **request,
        }
        record["code"] = request.get("code") or new_code()
        with self.store.transaction() as db:
            self._write(db, record, insert=True)
        return record

    def mark_opened(self, code: str) -> dict:
        def change(record):
            if record["status"] == UNOPENED:
                record["status"] = OPENED
                record["opened"] = self._now()

        return self._update(code, change)

    def answer(self, code: str, pid: str, accept: bool) -> dict:
        """The citizen ``pid`` accepts or rejects. A request for someone else, an answered one or
        one whose ValidTo has passed cannot be answered."""

        def change(record):
            if record["status"] not in UNANSWERED:
                raise ConsentError("answered", f"the request was already answered ({record['status']})")
            required = record.get("required_delegator") or record.get("offered_by")
            if required and required != pid:
                raise ConsentError("wrong_person", "the request is meant for another person")
            if accept and self.clock.calendar() >= parse_time(record["valid_to"]):
                raise ConsentError("expired", "the request's ValidTo has passed")
            now = self._now()
            record["offered_by"] = record.get("offered_by") or pid
            record["status"] = ACCEPTED if accept else REJECTED
            record["answered"] = now
            if record.get("opened") is None:
                record["opened"] = now
            if accept:
                record["consent"] = {"delegated": now, "delegated_by": pid, "revoked": None, "used": None}

        return self._update(code, change)

    def delete(self, code: str) -> dict:
        """Withdraw an unanswered request (the consumer's DELETE)."""
        with self.store.transaction() as db:
            record = self._load(db, code)
            if record["status"] not in UNANSWERED:
                raise ConsentError("answered", f"the request was already answered ({record['status']})")
            db.execute("DELETE FROM consent_requests WHERE code = ?", (code,))
        return record

    def withdraw(self, code: str, by: str, *, allow_one_time: bool = False) -> dict:
        """Withdraw an active consent; a one-time consent cannot be withdrawn by the citizen."""

        def change(record):
            state = self.state(record)
            if state != ACTIVE:
                raise ConsentError("not_active", f"the consent is not active ({state or record['status']})")
            if record.get("one_time") and not allow_one_time:
                raise ConsentError("one_time", "a one-time consent cannot be withdrawn")
            record["consent"]["revoked"] = {"time": self._now(), "by": by}

        return self._update(code, change)

    def expire(self, code: str) -> dict:
        """End the consent now: ValidTo becomes the present calendar time."""

        def change(record):
            if record["status"] != ACCEPTED:
                raise ConsentError("not_accepted", f"the request is {record['status']}, not a consent")
            record["valid_to"] = self._now()

        return self._update(code, change)

    def log_use(self, code: str, service: str, usage_time: str | None, by: str) -> dict:
        """Record one use; a one-time consent is used up by it."""
        now = self._now()
        with self.store.transaction() as db:
            record = self._load(db, code)
            state = self.state(record)
            if state != ACTIVE:
                raise ConsentError("not_active", f"the consent is not active ({state or record['status']})")
            db.execute(
                "INSERT INTO use_log(code, time, usage_time, service, logged_by) VALUES (?,?,?,?,?)",
                (code, now, usage_time, service, by),
            )
            if record.get("one_time"):
                record["consent"]["used"] = now
            record["last_changed"] = now
            self._write(db, record)
        return record

    # -- plumbing ----------------------------------------------------------------------------------
    def _load(self, db, code: str) -> dict:
        row = db.execute("SELECT data FROM consent_requests WHERE code = ?", (code,)).fetchone()
        if row is None:
            raise ConsentError("unknown", f"no consent request {code}")
        return json.loads(row["data"])

    def _update(self, code: str, change) -> dict:
        with self.store.transaction() as db:
            record = self._load(db, code)
            before = json.dumps(record, sort_keys=True)
            change(record)
            if json.dumps(record, sort_keys=True) != before:
                record["last_changed"] = self._now()
                self._write(db, record)
        return record

    @staticmethod
    def _write(db, record: dict, insert: bool = False) -> None:
        values = (
            record["covered_by"],
            record.get("handled_by"),
            record.get("offered_by"),
            record["status"],
            record["created"],
            record["last_changed"],
            json.dumps(record, ensure_ascii=False),
            record["code"],
        )
        if insert:
            db.execute(
                "INSERT INTO consent_requests(covered_by, handled_by, offered_by, status, created, "
                "last_changed, data, code) VALUES (?,?,?,?,?,?,?,?)",
                values,
            )
        else:
            db.execute(
                "UPDATE consent_requests SET covered_by=?, handled_by=?, offered_by=?, status=?, created=?, "
                "last_changed=?, data=? WHERE code=?",
                values,
            )
