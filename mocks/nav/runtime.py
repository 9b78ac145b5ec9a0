"""The NAV fake's parts, shared by its blueprints: access list, disclosure log, the persons NAV
knows, remote keys, and the sessions for its calls to the other services (the runtime's
``outbound``)."""

from __future__ import annotations

from collections.abc import Iterable

from flask import current_app

from dsop_sandbox.mocks.authority import KeyAuthority
from dsop_sandbox.mocks.common.peers import Peers
from dsop_sandbox.mocks.common.records import Records
from dsop_sandbox.mocks.common.remote_keys import RemoteKeys
from dsop_sandbox.mocks.common.settings import Settings

from .disclosures import Disclosures

SERVICE = "nav"
NAV_ORG = "889640782"


class Nav(Peers):
    """The service's parts, on ``app.extensions["nav"]`` (reach them with :func:`nav`).

    ``personas`` are the people NAV holds data about (``dsop_sandbox.people.personas.Persona``:
    ``pid``, ``name``, ``history``); :meth:`person` looks one up by fødselsnummer."""

    def __init__(self, settings: Settings, rt, authority: KeyAuthority, personas: Iterable = ()):
        super().__init__(settings, rt.clock, authority, NAV_ORG, "Arbeids- og velferdsetaten", outbound=rt.outbound)
        self.settings = settings
        self.rt = rt
        self.clock = rt.clock
        self.base_url = settings.base_url(SERVICE)
        self.access_list = Records(rt.store, "access_list", rt.clock)
        self.disclosures = Disclosures(rt.store, rt.clock)
        self.altinn_keys = RemoteKeys(
            settings.internal_url("altinn") + "/api/metadata/jwk", rt.clock, outbound=self.outbound
        )
        self.people = {found.pid: found for found in personas}

    def person(self, pid: str):
        """The persona with fødselsnummer ``pid``, or None: NAV does not know them."""
        return self.people.get(pid)


def nav() -> Nav:
    return current_app.extensions[SERVICE]
