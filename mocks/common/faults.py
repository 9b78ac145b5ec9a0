"""Fault injection: make an operation fail, slow down or drop the connection.

``POST /_sandbox/faults`` with::

    {"operation": "token",          # an operation of this service, or "*" for all public ones
     "status": 503,                 # answer with this status and the service's real error body ...
     "body": {...},                 # ... or exactly this JSON body
     "delay_ms": 2000,              # wait first (alone: only slow the call down)
     "drop": true,                  # close the connection without an answer
     "count": 1}                    # for the next N calls; absent or null: until cleared

Faults live in memory (they are runtime state): a restart or reset clears them.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass

MAX_DELAY_MS = 60_000


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
    def __init__(self, operations: Callable[[], tuple[str, ...]]):
        self._operations_of = operations
        self._operations: tuple[str, ...] | None = None
        self._faults: list[Fault] = []
        self._ids = itertools.count(1)
        self._lock = threading.Lock()

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
        with self._lock:
            fault = Fault(next(self._ids), operation, status, spec.get("body"), delay_ms, drop, count)
            self._faults.append(fault)
        return fault

    def take(self, operation: str) -> Fault | None:
        """The fault to apply to this call of ``operation`` (consuming one use), or None."""
        with self._lock:
            for fault in self._faults:
                if fault.operation in (operation, "*"):
                    fault.used += 1
                    if fault.count is not None and fault.used >= fault.count:
                        self._faults.remove(fault)
                    return fault
        return None

    def apply(self, operation: str, sleep: Callable[[float], None] = time.sleep) -> Fault | None:
        """The fault armed for this call of ``operation``, its delay already waited out, or None.
        The one place a fault takes effect: the service middleware (for a whole request) and a
        handler's internal step (NAV's disclosure log write) both call it, then fail the call
        when :attr:`Fault.fails`."""
        fault = self.take(operation)
        if fault is not None and fault.delay_ms:
            sleep(fault.delay_ms / 1000)
        return fault

    def clear(self, operation: str | None = None) -> int:
        with self._lock:
            before = len(self._faults)
            self._faults = [f for f in self._faults if operation is not None and f.operation != operation]
            return before - len(self._faults)

    def list(self) -> list[dict]:
        with self._lock:
            return [fault.describe() for fault in self._faults]


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)
