"""A keyed table of JSON records: the shape most admin fixtures need (clients, consumers, access lists)."""

from __future__ import annotations

import json

from .clock import Clock, isoformat
from .store import Store


def records_schema(table: str) -> str:
    return (
        f"CREATE TABLE IF NOT EXISTS {table} (id INTEGER PRIMARY KEY AUTOINCREMENT, key TEXT NOT NULL UNIQUE,"
        " created TEXT NOT NULL, data TEXT NOT NULL);"
    )


class Records:
    def __init__(self, store: Store, table: str, clock: Clock):
        self.store, self.table, self.clock = store, table, clock

    def put(self, key: str, data: dict) -> dict:
        record = {**data, "created": isoformat(self.clock.now())}
        with self.store.transaction() as db:
            db.execute(
                f"INSERT INTO {self.table}(key, created, data) VALUES (?,?,?) "
                "ON CONFLICT(key) DO UPDATE SET data = excluded.data",
                (key, record["created"], json.dumps(record, ensure_ascii=False)),
            )
        return self.get(key)

    def get(self, key: str) -> dict | None:
        row = self.store.query_one(f"SELECT data FROM {self.table} WHERE key = ?", (key,))
        return json.loads(row["data"]) if row else None

    def all(self) -> list[dict]:
        return [json.loads(row["data"]) for row in self.store.query(f"SELECT data FROM {self.table} ORDER BY id")]

    def page(self, since: int, limit: int) -> list[tuple[int, dict]]:
        """(cursor, record) after ``since``, in the order they were first put, at most ``limit``."""
        rows = self.store.query(f"SELECT id, data FROM {self.table} WHERE id > ? ORDER BY id LIMIT ?", (since, limit))
        return [(row["id"], json.loads(row["data"])) for row in rows]

    def delete(self, key: str) -> bool:
        with self.store.transaction() as db:
            return db.execute(f"DELETE FROM {self.table} WHERE key = ?", (key,)).rowcount > 0


def record_routes(bp, path: str, records, *, listing: str, missing: str) -> None:
    """``GET path`` (``{listing: [...], "next": cursor}``, paged with ``?since=&limit=``),
    ``GET path/<key>`` and ``DELETE path/<key>`` on ``bp`` for the table ``records()`` returns; an
    unknown key is a 404 with error ``missing``."""
    from .admin import admin_error, page_request, paged
    from .errors import json_response

    def found(key: str) -> dict:
        record = records().get(key)
        if record is None:
            raise admin_error(404, missing, f"nothing registered as {key} in {path}")
        return record

    @bp.get(path, endpoint=f"list_{listing}")
    def list_records():
        page = page_request()
        return paged(listing, records().page(page.since, page.limit), page)

    @bp.get(f"{path}/<key>", endpoint=f"show_{listing}")
    def show_record(key: str):
        return json_response(found(key))

    @bp.delete(f"{path}/<key>", endpoint=f"delete_{listing}")
    def delete_record(key: str):
        found(key)
        records().delete(key)
        return json_response({"deleted": key})
