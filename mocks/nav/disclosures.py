"""The disclosure log (sporingslogg): one record per delivery, written before the data leaves.

Fields follow NAV's sporingslogg message (docs/nav.md, «Disclosure log and innsyn»): person,
mottaker (recipient org), tema (``AAP``/``UFO``), behandlingsgrunnlag, uthentingstidspunkt (calendar
time), the delivered JSON (kept as text; ``leverteData`` is its base64 on the wire), the consent
token, the request, and leverandør (the supplier org when one fetched for the insurer).

The sandbox adds which consent it was: its generation (``altinn2``/``altinn3``) and id (Altinn 3's
consent id, Altinn 2's authorization code). An Altinn 2 entry keeps the consent token, as NAV's
sporingslogg does; an Altinn 3 consent has no token of its own (it is inside the Maskinporten
token), so its entry keeps the consent's facts from the token (``authorization_details``: parties,
times, rights; no signature) and the access token's fingerprint, never the token.

The citizen sees their own entries made under a consent, as nav.no does (``/api/les``: the entries
with a ``samtykkeToken``; here: with a consent generation, which every Altinn 2 entry has too).
"""

from __future__ import annotations

import base64
import json

from dsop_sandbox.mocks.common.clock import Clock, isoformat
from dsop_sandbox.mocks.common.store import Store

from .consent import ALTINN2

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
    trace_id TEXT,
    consent_generation TEXT,
    consent_id TEXT,
    consent_details TEXT,
    access_token TEXT
);
CREATE INDEX IF NOT EXISTS disclosures_person ON disclosures(person);
"""
TABLES = ("disclosures",)
#: Columns added since the first release, with the statement that fills them in older rows.
ADDED_COLUMNS = ("consent_generation", "consent_id", "consent_details", "access_token")
BACKFILL = (
    "UPDATE disclosures SET consent_generation = 'altinn2', consent_id = authorization_code "
    "WHERE consent_generation IS NULL AND samtykke_token IS NOT NULL"
)


def upgrade(store: Store) -> None:
    """Add the columns a disclosure log from an earlier sandbox lacks (its state directory survives
    upgrades); its Altinn 2 entries get their generation and id."""
    present = store.columns("disclosures")
    missing = [column for column in ADDED_COLUMNS if column not in present]
    if not missing:
        return
    with store.transaction() as db:
        for column in missing:
            db.execute(f"ALTER TABLE disclosures ADD COLUMN {column} TEXT")
        db.execute(BACKFILL)


class Disclosures:
    def __init__(self, store: Store, clock: Clock):
        self.store, self.clock = store, clock
        upgrade(store)

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
        consent_generation: str | None = None,
        consent_id: str | None = None,
        consent_details: dict | None = None,
        access_token: str | None = None,
    ) -> int:
        """``access_token`` is a fingerprint (``sha256:…``); an entry with an Altinn 2 consent token
        and no generation given is an Altinn 2 entry; without either it was not made under a consent."""
        if consent_generation is None and samtykke_token is not None:
            consent_generation = ALTINN2
            consent_id = consent_id or authorization_code
        with self.store.transaction(exclusive=False) as db:  # an append: waits for no other writer
            (row,) = db.execute(
                "INSERT INTO disclosures(person, mottaker, tema, behandlingsgrunnlag, tidspunkt, leverte_data, "
                "samtykke_token, authorization_code, foresporsel, leverandor, trace_id, consent_generation, "
                "consent_id, consent_details, access_token) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?) RETURNING id",
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
                    consent_generation,
                    consent_id,
                    None if consent_details is None else json.dumps(consent_details, ensure_ascii=False),
                    access_token,
                ),
            ).fetchall()
            return row["id"]

    def _rows(self, where: str = "", params: tuple = ()) -> list[dict]:
        rows = self.store.query(f"SELECT * FROM disclosures {where} ORDER BY id", params)
        return [entry(row) for row in rows]

    def all(self) -> list[dict]:
        return self._rows()

    def page(self, since: int, limit: int) -> list[tuple[int, dict]]:
        """(id, entry) after ``since``, oldest first, at most ``limit``: the whole log, a page at a time."""
        rows = self.store.query("SELECT * FROM disclosures WHERE id > ? ORDER BY id LIMIT ?", (since, limit))
        return [(row["id"], entry(row)) for row in rows]

    def of_person(self, pid: str) -> list[dict]:
        """What the citizen may see: their own disclosures made under a consent, newest first."""
        return list(reversed(self._rows("WHERE person = ? AND consent_generation IS NOT NULL", (pid,))))

    def get(self, entry_id: int) -> dict | None:
        found = self._rows("WHERE id = ?", (entry_id,))
        return found[0] if found else None


def _details(text: str | None) -> dict | None:
    try:
        value = json.loads(text) if text else None
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


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
        "consentGeneration": row["consent_generation"],
        "consentId": row["consent_id"],
        "consentDetails": _details(row["consent_details"]),
        "accessTokenFingerprint": row["access_token"],
    }
