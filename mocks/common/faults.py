"""Fault injection: make an operation fail, slow down or drop the connection.

``POST /_sandbox/faults`` with::

    {"operation": "token",          # an operation of this service, or "*" for all public ones
     "status": 503,                 # answer with this status and the service's real error body ...
     "body": {...},                 # ... or exactly this JSON body
     "delay_ms": 2000,              # wait first (alone: only slow the call down)
     "drop": true,                  # close the connection without an answer
     "count": 1}                    # for the next N calls; absent or null: until cleared

Faults are runtime state in the service's store (table ``faults``), so that every process of the
service applies the same ones: a fault with ``count`` N fails N calls in total, whichever process
takes them (each use is counted by one ``UPDATE … RETURNING``). A reset clears them. Each process
keeps a copy of the armed faults (reloaded when the shared state changes, see
:mod:`.shared_state`) only to know, without a query, that an operation has none.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace

from .shared_state import SharedState
from .turn import TURN

MAX_DELAY_MS = 60_000
FAULTS_TABLE = "faults"
FAULTS_SCHEMA = """
CREATE TABLE IF NOT EXISTS faults (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    operation TEXT NOT NULL,
    spec TEXT NOT NULL,
    count_limit INTEGER,
    used INTEGER NOT NULL DEFAULT 0
);
"""
_COLUMNS = "id, operation, spec, count_limit, used"


class FaultError(ValueError):
    pass


@dataclass
class Fault:
    id: int
    operation: str
    status: int | None = None
    body: object = None
    delay_ms: int = 0
    drop: bool = False
    count: int | None = None
    used: int = 0

    @property
    def fails(self) -> bool:
        """Whether the call fails (an error status or a dropped connection), not only waits."""
        return self.status is not None or self.drop

    def describe(self) -> dict:
        data = asdict(self)
        data["remaining"] = None if self.count is None else self.count - self.used
        return data


class Faults:
    def __init__(self, operations: Callable[[], tuple[str, ...]], shared: SharedState):
        self._operations_of = operations
        self._operations: tuple[str, ...] | None = None
        self._shared = shared
        self._store = shared.store
        self._armed: tuple[Fault, ...] = ()  # this process's copy, in the order they were armed
        shared.on_change(self._load)
        self._load()

    def _load(self) -> None:
        self._armed = tuple(self._read())

    def _read(self) -> list[Fault]:
        return [_fault(row) for row in self._store.query(f"SELECT {_COLUMNS} FROM faults ORDER BY id")]

    @property
    def operations(self) -> tuple[str, ...]:
        """The service's public operations, read from its routes once they are all registered."""
        if self._operations is None:
            self._operations = tuple(self._operations_of())
        return self._operations

    def arm(self, spec: dict) -> Fault:
        if not isinstance(spec, dict):
            raise FaultError("a fault is a JSON object")
        unknown = set(spec) - {"operation", "status", "body", "delay_ms", "drop", "count"}
        if unknown:
            raise FaultError(f"unknown fault fields: {', '.join(sorted(unknown))}")
        operation = spec.get("operation")
        if operation != "*" and operation not in self.operations:
            raise FaultError(f"operation must be '*' or one of: {', '.join(self.operations)}")
        status = spec.get("status")
        if status is not None and (not _is_int(status) or not 400 <= status <= 599):
            raise FaultError("status must be an HTTP error status, 400-599")
        delay_ms = spec.get("delay_ms", 0)
        if not _is_int(delay_ms) or not 0 <= delay_ms <= MAX_DELAY_MS:
            raise FaultError(f"delay_ms must be a whole number from 0 to {MAX_DELAY_MS}")
        drop = spec.get("drop", False)
        if not isinstance(drop, bool):
            raise FaultError("drop must be true or false")
        if drop and status is not None:
            raise FaultError("a fault either drops the connection or answers with a status, not both")
        if "body" in spec and status is None:
            raise FaultError("body needs a status")
        if status is None and not drop and not delay_ms:
            raise FaultError("a fault needs a status, drop or delay_ms")
        count = spec.get("count")
        if count is not None and (not _is_int(count) or count < 1):
            raise FaultError("count must be a positive whole number, or null for until cleared")
        what = {"status": status, "body": spec.get("body"), "delay_ms": delay_ms, "drop": drop}
        with self._shared.change() as db:
            row = db.execute(
                "INSERT INTO faults(operation, spec, count_limit, used) VALUES (?, ?, ?, 0) RETURNING id",
                (operation, json.dumps(what), count),
            ).fetchone()
        return Fault(row["id"], operation, status, spec.get("body"), delay_ms, drop, count)

    def take(self, operation: str) -> Fault | None:
        """The fault to apply to this call of ``operation`` (consuming one use), or None. The use is
        counted in the store: a fault another process used up is passed over."""
        for fault in self._armed:
            if fault.operation in (operation, "*"):
                taken = self._use(fault)
                if taken is not None:
                    return taken
        return None

    def _use(self, fault: Fault) -> Fault | None:
        with self._store.transaction() as db:
            row = db.execute(
                "UPDATE faults SET used = used + 1"
                " WHERE id = ? AND (count_limit IS NULL OR used < count_limit) RETURNING used",
                (fault.id,),
            ).fetchone()
            if row is None:
                return None  # used up or cleared through another process
            spent = fault.count is not None and row["used"] >= fault.count
            if spent:
                db.execute("DELETE FROM faults WHERE id = ?", (fault.id,))
        if spent:
            self._shared.changed()  # every process forgets it
        return replace(fault, used=row["used"])

    def apply(self, operation: str, sleep: Callable[[float], None] = time.sleep) -> Fault | None:
        """The fault armed for this call of ``operation``, its delay already waited out, or None.
        The one place a fault takes effect: the service middleware (for a whole request) and a
        handler's internal step (NAV's disclosure log write) both call it, then fail the call
        when :attr:`Fault.fails`. The delay gives the request's turn up (:mod:`.turn`): a slow
        service is slow to its caller, not to every other request of its process."""
        fault = self.take(operation)
        if fault is not None and fault.delay_ms:
            with TURN.given_up():
                sleep(fault.delay_ms / 1000)
        return fault

    def clear(self, operation: str | None = None) -> int:
        with self._shared.change() as db:
            if operation is None:
                return db.execute("DELETE FROM faults").rowcount
            return db.execute("DELETE FROM faults WHERE operation = ?", (operation,)).rowcount

    def list(self) -> list[dict]:
        """The armed faults as the store has them (uses made through every process)."""
        return [fault.describe() for fault in self._read()]


def _fault(row) -> Fault:
    what = json.loads(row["spec"])
    return Fault(row["id"], row["operation"], **what, count=row["count_limit"], used=row["used"])


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)
