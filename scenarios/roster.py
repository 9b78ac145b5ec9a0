"""The sandbox's test persons: synthetic people (TestID-style fødselsnummer, month + 80, valid
mod-11 check digits) offered on the ID-porten login page and known to Altinn.

Built from the personas (``dsop_sandbox.people.personas``), so each person's NAV history is what the login
page says: ``{"pid", "name", "first_name", "last_name", "description"}``, the description being
the persona's Norwegian text and the birth date. The four original persons come first (Kari
Nordmann, Ola Hansen, Ingrid Berg, Per Johansen), with the same numbers."""

from __future__ import annotations

from dsop_sandbox.people.personas import PERSONAS, Persona

__all__ = ["TEST_PERSONS", "login_person"]


def login_person(persona: Persona) -> dict:
    """The persona as a test person record (ID-porten's and Altinn's)."""
    person = persona.person
    return {
        "pid": person.pid,
        "name": person.name,
        "first_name": person.first_name,
        "last_name": person.last_name,
        "description": f"{persona.description_nb}, født {person.born:%d.%m.%Y}",
    }


TEST_PERSONS = tuple(login_person(p) for p in PERSONAS)
