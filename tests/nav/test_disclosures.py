"""The disclosure log's store (mocks/nav/disclosures.py): which consent an entry was made under, and
a log from an earlier sandbox (without those columns) upgraded in place when NAV opens it."""

from __future__ import annotations

import sqlite3

import pytest

from dsop_sandbox.mocks.common.clock import Clock
from dsop_sandbox.mocks.common.store import Store
from dsop_sandbox.mocks.nav.disclosures import SCHEMA, TABLES, Disclosures

PID = "15838512329"
#: The table as the first release made it.
OLD_SCHEMA = """
CREATE TABLE disclosures (
    id INTEGER PRIMARY KEY AUTOINCREMENT, person TEXT NOT NULL, mottaker TEXT NOT NULL, tema TEXT NOT NULL,
    behandlingsgrunnlag TEXT NOT NULL, tidspunkt TEXT NOT NULL, leverte_data TEXT NOT NULL,
    samtykke_token TEXT, authorization_code TEXT, foresporsel TEXT NOT NULL, leverandor TEXT, trace_id TEXT
);
INSERT INTO disclosures(person, mottaker, tema, behandlingsgrunnlag, tidspunkt, leverte_data, samtykke_token,
    authorization_code, foresporsel) VALUES
    ('15838512329', '310000019', 'UFO', 'Samtykke (Altinn c0de)', '2026-01-01T10:00:00Z', '{}', 'a.b.c', 'c0de', '{}'),
    ('15838512329', '310000019', 'UFO', 'Lov', '2026-01-02T10:00:00Z', '{}', NULL, NULL, '{}');
"""


def open_log(path) -> Disclosures:
    return Disclosures(Store(path, SCHEMA, TABLES), Clock())


def record(log: Disclosures, **fields) -> int:
    values = {
        "person": PID,
        "mottaker": "310000019",
        "tema": "UFO",
        "behandlingsgrunnlag": "Samtykke",
        "data": "{}",
        "samtykke_token": None,
        "authorization_code": None,
        "foresporsel": {},
        "leverandor": None,
        "trace_id": "t",
    }
    values.update(fields)
    return log.record(**values)


def test_an_old_log_gets_the_new_columns_and_its_altinn2_entries_their_generation(tmp_path):
    path = tmp_path / "nav.sqlite3"
    with sqlite3.connect(path) as db:
        db.executescript(OLD_SCHEMA)
    log = open_log(path)
    first, legal_basis = log.all()
    assert (first["consentGeneration"], first["consentId"], first["samtykkeToken"]) == ("altinn2", "c0de", "a.b.c")
    assert (legal_basis["consentGeneration"], legal_basis["consentId"]) == (None, None)
    assert [e["id"] for e in log.of_person(PID)] == [first["id"]]
    again = open_log(path)  # a second start changes nothing
    assert again.all() == [first, legal_basis]
    added = record(again, consent_generation="altinn3", consent_id="a3", consent_details={"id": "a3"})
    assert again.get(added)["consentDetails"] == {"id": "a3"}


def test_an_entry_with_an_altinn2_token_is_an_altinn2_entry(tmp_path):
    log = open_log(tmp_path / "nav.sqlite3")
    entry = log.get(record(log, samtykke_token="a.b.c", authorization_code="kode"))
    assert (entry["consentGeneration"], entry["consentId"]) == ("altinn2", "kode")
    nothing = log.get(record(log))
    assert nothing["consentGeneration"] is None and log.of_person(PID) == [entry]


@pytest.mark.parametrize("stored", ["not json", "[1, 2]", "null"])
def test_unreadable_consent_details_read_as_none(tmp_path, stored):
    log = open_log(tmp_path / "nav.sqlite3")
    entry_id = record(log, consent_generation="altinn3", consent_id="a3", consent_details={"id": "a3"})
    with log.store.transaction() as db:
        db.execute("UPDATE disclosures SET consent_details = ? WHERE id = ?", (stored, entry_id))
    assert log.get(entry_id)["consentDetails"] is None
