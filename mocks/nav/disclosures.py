"""The disclosure log (sporingslogg): one record per delivery, written before the data leaves.

Fields follow NAV's sporingslogg message (nav-api.md §5.1): person, mottaker (recipient org), tema
(``AAP``/``UFO``), behandlingsgrunnlag, uthentingstidspunkt (calendar time), the delivered JSON
(kept as text; ``leverteData`` is its base64 on the wire), the consent token, the request, and
leverandør (the supplier org when one fetched for the insurer). The citizen sees their own
entries that carry a consent token, as nav.no does.
"""

from __future__ import annotations

import base64
import json

from dsop_sandbox.mocks.common.clock import Clock, isoformat
from dsop_sandbox.mocks.common.store import Store

SCHEMA = """
CREATE TABLE IF NOT EXISTS disclosures (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    person TEXT NOT NULL,
    mottaker TEXT NOT NULL,
    tema TEXT NOT NULL,
    behandlingsgrunnlag TEXT NOT NULL,
    tidspunkt TEXT NOT NULL,
    leverte_data TEXT NOT NULL,
    samtykke_token TEXT,
    authorization_code TEXT,
    foresporsel TEXT NOT NULL,
    leverandor TEXT,
    trace_id TEXT
);
CREATE INDEX IF NOT EXISTS disclosures_person ON disclosures(person);
"""
TABLES = ("disclosures",)


class Disclosures:
    def __init__(self, store: Store, clock: Clock):
        self.store, self.clock = store, clock

    def record(
        self,
        *,
        person: str,
        mottaker: str,
        tema: str,
        behandlingsgrunnlag: str,
        data: str,
        samtykke_token: str | None,
        authorization_code: str | None,
        foresporsel: dict,
        leverandor: str | None,
        trace_id: str,
    ) -> int:
        with self.store.transaction() as db:
            cursor = db.execute(
                "INSERT INTO disclosures(person, mottaker, tema, behandlingsgrunnlag, tidspunkt, leverte_data, "
                "samtykke_token, authorization_code, foresporsel, leverandor, trace_id) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                (
                    person,
                    mottaker,
                    tema,
                    behandlingsgrunnlag,
                    isoformat(self.clock.calendar()),
                    data,
                    samtykke_token,
                    authorization_code,
                    json.dumps(foresporsel, ensure_ascii=False),
                    leverandor,
                    trace_id,
                ),
            )
            return cursor.lastrowid

    def _rows(self, where: str = "", params: tuple = ()) -> list[dict]:
        rows = self.store.query(f"SELECT * FROM disclosures {where} ORDER BY id", params)
        return [entry(row) for row in rows]

    def all(self) -> list[dict]:
        return self._rows()

    def of_person(self, pid: str) -> list[dict]:
        """What the citizen may see: their own disclosures made under a consent, newest first."""
        return list(reversed(self._rows("WHERE person = ? AND samtykke_token IS NOT NULL", (pid,))))

    def get(self, entry_id: int) -> dict | None:
        found = self._rows("WHERE id = ?", (entry_id,))
        return found[0] if found else None


def entry(row) -> dict:
    data = row["leverte_data"]
    return {
        "id": row["id"],
        "person": row["person"],
        "mottaker": row["mottaker"],
        "tema": row["tema"],
        "behandlingsGrunnlag": row["behandlingsgrunnlag"],
        "uthentingsTidspunkt": row["tidspunkt"],
        "leverteData": base64.b64encode(data.encode()).decode(),
        "samtykkeToken": row["samtykke_token"],
        "authorizationCode": row["authorization_code"],
        "dataForespoersel": json.loads(row["foresporsel"]),
        "leverandoer": row["leverandor"],
        "traceId": row["trace_id"],
    }
