"""The citizen's side of Altinn: login through ID-porten, the consent page, "Mine samtykker"."""
from __future__ import annotations

from flask import Blueprint

CITIZEN_SCHEMA = ""
CITIZEN_TABLES: tuple[str, ...] = ()


def citizen_blueprint() -> Blueprint:
    return Blueprint("altinn_citizen", __name__)
