"""Altinn 3 consent requests and their events, in the service's store.

A request is ``Created``; the citizen accepts (``Accepted``, the consent) or rejects it
(``Rejected``); an accepted consent can be revoked (``Revoked``). ``Expired`` is never stored: it
is derived when ``validTo`` has passed on the sandbox calendar (Access Management refuses to
persist it too, and adds an ``Expired`` event when it reads an expired request). Each change is
one event (UUIDv7 id, type as Access Management's enum names it: ``Created``, ``Accepted``,
``Rejected``, ``Revoked``), written in the same transaction as the request.

Transitions follow Access Management's ``ConsentService`` (Altinn/altinn-authorization-tmp):
accept only from Created (again from Accepted is a no-op), reject only from Created (again from
Rejected is a no-op), revoke only from Accepted (again from Revoked is a no-op); any other state
refuses with the real problem (AM-00002, AM-00015, AM-00010).

All times are calendar time (README, "Time"), written as .NET writes a ``DateTimeOffset``
(``2027-02-03T10:13:27.897002+00:00``).
"""

from __future__ import annotations

import json
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from dsop_sandbox.mocks.common.clock import Clock, parse_time
from dsop_sandbox.mocks.common.store import Store

from . import problems as P
from . import urns

SCHEMA = """
CREATE TABLE IF NOT EXISTS consent3_requests (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    from_party TEXT NOT NULL,
    to_party TEXT NOT NULL,
    status TEXT NOT NULL,
    created TEXT NOT NULL,
    data TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS consent3_requests_from ON consent3_requests(from_party);
CREATE INDEX IF NOT EXISTS consent3_requests_to ON consent3_requests(to_party);
CREATE TABLE IF NOT EXISTS consent3_events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    sort_key TEXT NOT NULL,
    consent_id TEXT NOT NULL,
    to_party TEXT NOT NULL,
    event_type TEXT NOT NULL,
    created TEXT NOT NULL,
    created_us INTEGER NOT NULL,
    performed_by TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS consent3_events_consent ON consent3_events(consent_id);
CREATE INDEX IF NOT EXISTS consent3_events_order ON consent3_events(to_party, sort_key);
"""
TABLES = ("consent3_requests", "consent3_events")

CREATED, REJECTED, ACCEPTED, REVOKED, DELETED, EXPIRED, USED = (
    "Created",
    "Rejected",
    "Accepted",
    "Revoked",
    "Deleted",
    "Expired",
    "Used",
)
STATUSES = (CREATED, REJECTED, ACCEPTED, REVOKED)
ZERO_UUID = "00000000-0000-0000-0000-000000000000"


class TransitionRefused(Exception):
    """The request's state does not allow the change; ``descriptor`` is Altinn's problem for it."""

    def __init__(self, descriptor: P.Descriptor, status: str):
        super().__init__(f"{descriptor.code}: the request is {status}")
        self.descriptor = descriptor
        self.status = status


class UnknownConsent(KeyError):
    pass


# -- times and ids -----------------------------------------------------------------------------------------
def dotnet_iso(moment: datetime) -> str:
    """A UTC instant as .NET writes a ``DateTimeOffset``: up to 7 fraction digits, ``+00:00``."""
    moment = moment.astimezone(UTC)
    text = moment.strftime("%Y-%m-%dT%H:%M:%S")
    if moment.microsecond:
        text += "." + f"{moment.microsecond:06d}".rstrip("0")
    return text + "+00:00"


def epoch_us(moment: datetime) -> int:
    return int(moment.timestamp() * 1_000_000)


def uuid7_at(moment: datetime) -> uuid.UUID:
    """A version 7 UUID for ``moment`` (48-bit Unix milliseconds, then random bits)."""
    ms = int(moment.timestamp() * 1000) & ((1 << 48) - 1)
    rand = int.from_bytes(secrets.token_bytes(10), "big")
    value = (ms << 80) | (0x7 << 76) | ((rand >> 62) & 0xFFF) << 64 | (0b10 << 62) | (rand & ((1 << 62) - 1))
    return uuid.UUID(int=value)


# -- records -------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Event:
    id: str
    consent_id: str
    event_type: str
    created: str
    performed_by: str
    sort_key: str = ""


def is_expired(record: dict, calendar_now: datetime) -> bool:
    return parse_time(record["valid_to"]) < calendar_now


class Consents3:
    def __init__(self, store: Store, clock: Clock):
        self.store, self.clock = store, clock

    def now(self) -> datetime:
        return self.clock.calendar()

    # -- reading ------------------------------------------------------------------------------------------
    def get(self, consent_id: str) -> dict | None:
        row = self.store.query_one("SELECT data FROM consent3_requests WHERE id = ?", (consent_id,))
        return json.loads(row["data"]) if row else None

    def events(self, consent_id: str) -> list[Event]:
        rows = self.store.query(
            "SELECT id, consent_id, event_type, created, performed_by, sort_key FROM consent3_events "
            "WHERE consent_id = ? ORDER BY seq",
            (consent_id,),
        )
        return [Event(**dict(row)) for row in rows]

    def of_person(self, pid: str) -> list[dict]:
        rows = self.store.query(
            "SELECT data FROM consent3_requests WHERE from_party = ? ORDER BY created DESC, seq DESC",
            (urns.person_urn(pid),),
        )
        return [json.loads(row["data"]) for row in rows]

    def all(self) -> list[dict]:
        return [json.loads(r["data"]) for r in self.store.query("SELECT data FROM consent3_requests ORDER BY seq")]

    def feed(
        self,
        to_party: str,
        *,
        visible_until_us: int,
        after_key: str | None,
        event_types: list[str] | None,
        created_after_us: int | None,
        created_before_us: int | None,
        consent_id: str | None,
        limit: int,
    ) -> list[Event]:
        """The events of requests to ``to_party``, oldest first (by event id), as Access Management's
        ``GetConsentEventsForParty`` selects them."""
        sql = [
            "SELECT id, consent_id, event_type, created, performed_by, sort_key FROM consent3_events",
            "WHERE to_party = ? AND created_us <= ?",
        ]
        params: list = [to_party, visible_until_us]
        if after_key is not None:
            sql.append("AND sort_key > ?")
            params.append(after_key)
        if event_types:
            sql.append(f"AND lower(event_type) IN ({','.join('?' for _ in event_types)})")
            params += [t.lower() for t in event_types]
        if created_after_us is not None:
            sql.append("AND created_us >= ?")
            params.append(created_after_us)
        if created_before_us is not None:
            sql.append("AND created_us < ?")
            params.append(created_before_us)
        if consent_id is not None:
            sql.append("AND consent_id = ?")
            params.append(consent_id)
        sql.append("ORDER BY sort_key LIMIT ?")
        params.append(limit)
        return [Event(**dict(row)) for row in self.store.query(" ".join(sql), tuple(params))]

    # -- writing ------------------------------------------------------------------------------------------
    def create(self, record: dict, performed_by: str, history: tuple[tuple[str, str], ...] = ()) -> tuple[dict, bool]:
        """Store a new request (status Created, a Created event by ``performed_by``), then the
        ``history`` of ``(event type, performed by)`` changes (admin fixtures). Answers
        ``(record, True)``, or ``(existing record, False)`` when the id is taken."""
        now = self.now()
        record = {**record, "status": CREATED, "created": dotnet_iso(now), "consented": None}
        with self.store.transaction() as db:
            existing = db.execute("SELECT data FROM consent3_requests WHERE id = ?", (record["id"],)).fetchone()
            if existing is not None:
                return json.loads(existing["data"]), False
            self._event(db, record, CREATED, performed_by, now)
            for event_type, by in history:
                self._apply(record, event_type, now)
                self._event(db, record, event_type, by, now)
            db.execute(
                "INSERT INTO consent3_requests(id, from_party, to_party, status, created, data) VALUES (?,?,?,?,?,?)",
                (record["id"], record["from"], record["to"], record["status"], record["created"], _dump(record)),
            )
        return record, True

    def accept(self, consent_id: str, performed_by: str, language: str) -> dict:
        def change(record):
            if record["status"] == ACCEPTED:
                return None
            if record["status"] != CREATED:
                raise TransitionRefused(P.CANT_BE_ACCEPTED, record["status"])
            record["context"] = {"language": language}
            return ACCEPTED

        return self._change(consent_id, performed_by, change)

    def reject(self, consent_id: str, performed_by: str) -> dict:
        def change(record):
            if record["status"] == REJECTED:
                return None
            if record["status"] != CREATED:
                raise TransitionRefused(P.CANT_BE_REJECTED, record["status"])
            return REJECTED

        return self._change(consent_id, performed_by, change)

    def revoke(self, consent_id: str, performed_by: str) -> dict:
        def change(record):
            if record["status"] == REVOKED:
                return None
            if record["status"] != ACCEPTED:
                raise TransitionRefused(P.CANT_BE_REVOKED, record["status"])
            return REVOKED

        return self._change(consent_id, performed_by, change)

    def expire(self, consent_id: str) -> dict:
        """The admin's expiry: ``validTo`` becomes a millisecond before the calendar's present moment
        (no event: Expired is derived, as in Altinn)."""
        now = self.now() - timedelta(milliseconds=1)
        with self.store.transaction() as db:
            record = self._load(db, consent_id)
            if parse_time(record["valid_to"]) > now:
                record["valid_to"] = dotnet_iso(now)
                self._write(db, record)
        return record

    # -- plumbing -----------------------------------------------------------------------------------------
    def _change(self, consent_id: str, performed_by: str, change) -> dict:
        now = self.now()
        with self.store.transaction() as db:
            record = self._load(db, consent_id)
            event_type = change(record)
            if event_type is not None:
                self._apply(record, event_type, now)
                self._event(db, record, event_type, performed_by, now)
                self._write(db, record)
        return record

    @staticmethod
    def _apply(record: dict, event_type: str, now: datetime) -> None:
        record["status"] = event_type
        if event_type == ACCEPTED:
            record["consented"] = dotnet_iso(now)
            record.setdefault("context", {"language": "nb"})

    @staticmethod
    def _load(db, consent_id: str) -> dict:
        row = db.execute("SELECT data FROM consent3_requests WHERE id = ?", (consent_id,)).fetchone()
        if row is None:
            raise UnknownConsent(consent_id)
        return json.loads(row["data"])

    @staticmethod
    def _write(db, record: dict) -> None:
        db.execute(
            "UPDATE consent3_requests SET status = ?, data = ? WHERE id = ?",
            (record["status"], _dump(record), record["id"]),
        )

    @staticmethod
    def _event(db, record: dict, event_type: str, performed_by: str, now: datetime) -> None:
        """One event with a UUIDv7 id that sorts after every earlier one (the feed pages by id)."""
        candidate = uuid7_at(now)
        row = db.execute("SELECT MAX(sort_key) AS last FROM consent3_events").fetchone()
        if row["last"] is not None and candidate.hex <= row["last"]:
            candidate = uuid.UUID(int=int(row["last"], 16) + 1)
        db.execute(
            "INSERT INTO consent3_events(id, sort_key, consent_id, to_party, event_type, created, created_us, "
            "performed_by) VALUES (?,?,?,?,?,?,?,?)",
            (
                str(candidate),
                candidate.hex,
                record["id"],
                record["to"],
                event_type,
                dotnet_iso(now),
                epoch_us(now),
                performed_by,
            ),
        )


def _dump(record: dict) -> str:
    return json.dumps(record, ensure_ascii=False)
