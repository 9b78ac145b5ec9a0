"""The ``dsop_persons`` fixture's objects: the sandbox's test persons (synthetic, TestID-style
fødselsnummer) by persona key, each with the NAV data the sandbox answers for a consent period."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from dsop_sandbox.mocks.nav import benefits
from dsop_sandbox.people.personas import PERSONAS, Persona
from dsop_sandbox.people.roster import login_person


@dataclass(frozen=True)
class DsopPerson:
    persona: Persona

    @property
    def key(self) -> str:
        return self.persona.key

    @property
    def pid(self) -> str:
        return self.persona.pid

    @property
    def name(self) -> str:
        return self.persona.name

    @property
    def history(self):
        """What NAV's systems hold (``aap_vedtak``, ``meldekort``, ``uforetrygd``), including what the
        APIs must not return (``Vedtak.returned``)."""
        return self.persona.history

    def login(self) -> dict:
        """The login page's record: ``{"pid", "name", "first_name", "last_name", "description"}``."""
        return login_person(self.persona)

    def nav_data(self, fra: date, til: date) -> dict:
        """NAV's three answers to an insurer that asks for the whole period of a consent from ``fra``
        to ``til`` (the consent's ``fraogmed``/``tilogmed``), keyed as the reference insurer keeps them."""
        history = self.persona.history
        return {
            "uforeopplysninger": benefits.uforeopplysninger(history, fra, til, fra, til),
            "vedtak": benefits.vedtaksliste(history, fra, til, fra, til),
            "meldekort": benefits.meldekortliste(history, fra, til, fra, til),
        }


def persons() -> dict[str, DsopPerson]:
    return {persona.key: DsopPerson(persona) for persona in PERSONAS}
