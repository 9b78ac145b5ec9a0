"""The sandbox's test persons: synthetic people (TestID-style fødselsnummer, month + 80, valid
mod-11 check digits) offered on the ID-porten login page. The synthetic population with NAV
histories builds on these."""
from __future__ import annotations

TEST_PERSONS = (
    {"pid": "15838512329", "name": "Kari Nordmann", "description": "født 15.03.1985"},
    {"pid": "02917945651", "name": "Ola Hansen", "description": "født 02.11.1979"},
    {"pid": "24869221151", "name": "Ingrid Berg", "description": "født 24.06.1992"},
    {"pid": "09816834004", "name": "Per Johansen", "description": "født 09.01.1968"},
)
