"""The event log: every request a fake handles becomes one event.

Handlers describe what happened with :func:`annotate` (caller, subject, error code and a
claims summary); the service middleware writes the event once the status is known. Tokens
are never stored whole: use :func:`token_fingerprint` to refer to one.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import UTC, datetime

from .clock import Clock, isoformat
from .settings import Retention
from .store import Store


@dataclass
class EventDraft:
    operation: str
    method: str
    path: str
    trace_id: str
    caller: str | None = None
    subject: str | None = None
    error: str | None = None
    outcome: str | None = None
    details: dict = field(default_factory=dict)


#: The event of the request this thread is handling (set by the service middleware).
_DRAFT: ContextVar[EventDraft | None] = ContextVar("dsop_event_draft", default=None)


@contextmanager
def drafting(draft: EventDraft) -> Iterator[None]:
    """``draft`` is the event of the request handled in the block (blocks nest: a fake answering
    another fake's call in the same thread, as the in-process tests deliver them)."""
    token = _DRAFT.set(draft)
    try:
        yield
    finally:
        _DRAFT.reset(token)


def current_draft() -> EventDraft | None:
    return _DRAFT.get()


def annotate(caller: str | None = None, subject: str | None = None, error: str | None = None, **details) -> None:
    """Add facts to the event of the request being handled (no-op outside a request)."""
    draft = _DRAFT.get()
    if draft is None:
        return
    if caller is not None:
        draft.caller = caller
    if subject is not None:
        draft.subject = subject
    if error is not None:
        draft.error = error
    draft.details.update({k: v for k, v in details.items() if v is not None})


def token_fingerprint(token: str) -> str:
    """A short, stable reference to a token that does not reveal it."""
    return "sha256:" + hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()[:16]


#: Every this many events, the log drops what is past its retention (a sandbox runs for weeks).
PRUNE_EVERY = 500


class EventLog:
    def __init__(self, service: str, store: Store, clock: Clock, retention: Retention | None = None):
        self.service = service
        self.store = store
        self.clock = clock
        self.retention = retention or Retention()

    def record(self, draft: EventDraft, status: int) -> int:
        outcome = draft.outcome or ("ok" if status < 400 else "error")
        with self.store.transaction(exclusive=False) as db:  # an append: waits for no other writer
            (row,) = db.execute(
                "INSERT INTO events(time, calendar_time, service, operation, method, path, status, outcome,"
                " caller, subject, error, trace_id, details) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?) RETURNING id",
                (
                    isoformat_ms(self.clock),
                    isoformat(self.clock.calendar()),
                    self.service,
                    draft.operation,
                    draft.method,
                    draft.path,
                    status,
                    outcome,
                    draft.caller,
                    draft.subject,
                    draft.error,
                    draft.trace_id,
                    json.dumps(draft.details, ensure_ascii=False, default=str),
                ),
            ).fetchall()
            if row["id"] % PRUNE_EVERY == 0:
                self._prune(db, row["id"])
            return row["id"]

    def _prune(self, db, newest: int) -> None:
        """Drop the events past the retention (ids only grow, so a cursor stays valid)."""
        db.execute("DELETE FROM events WHERE id <= ?", (newest - self.retention.count,))
        if self.retention.days > 0:
            oldest = self.clock.now().timestamp() - self.retention.days * 86400
            cutoff = datetime.fromtimestamp(oldest, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
            db.execute("DELETE FROM events WHERE time < ?", (cutoff,))

    def since(self, last_id: int = 0, limit: int = 1000) -> list[dict]:
        rows = self.store.query("SELECT * FROM events WHERE id > ? ORDER BY id LIMIT ?", (last_id, limit))
        return [event_dict(row) for row in rows]


def isoformat_ms(clock: Clock) -> str:
    """Protocol time with milliseconds, so that events order well across services."""
    return clock.now().isoformat(timespec="milliseconds").replace("+00:00", "Z")


def event_dict(row) -> dict:
    event = dict(row)
    event["details"] = json.loads(event["details"])
    return event
