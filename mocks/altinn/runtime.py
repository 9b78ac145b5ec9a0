"""The Altinn fake's parts, shared by its blueprints: registries, consents (Altinn 2 and 3), the
resource registry, remote keys."""

from __future__ import annotations

from flask import current_app

from dsop_sandbox.mocks.authority import KeyAuthority
from dsop_sandbox.mocks.common.peers import Peers
from dsop_sandbox.mocks.common.records import Records
from dsop_sandbox.mocks.common.settings import Settings

from . import consents
from .altinn3.consents import Consents3
from .resource_registry import Resources

SERVICE = "altinn"
DIGDIR_ORG = "991825827"


class Altinn(Peers):
    """The service's parts, on ``app.extensions["altinn"]`` (reach them with :func:`altinn`)."""

    def __init__(self, settings: Settings, rt, authority: KeyAuthority):
        super().__init__(
            settings, rt.clock, authority, DIGDIR_ORG, "Digitaliseringsdirektoratet (Altinn)", outbound=rt.outbound
        )
        self.settings = settings
        self.rt = rt
        self.clock = rt.clock
        self.base_url = settings.base_url(SERVICE)
        self.consumers = Records(rt.store, "consumers", rt.clock)
        self.persons = Records(rt.store, "persons", rt.clock)
        self.service_owners = Records(rt.store, "service_owners", rt.clock)
        self.consents = consents.Consents(rt.store, rt.clock)
        self.consents3 = Consents3(rt.store, rt.clock)
        self.resources = Resources(rt.store, rt.clock)

    def person(self, pid: str) -> dict | None:
        return self.persons.get(pid)

    def consumer(self, org: str) -> dict | None:
        return self.consumers.get(org)

    def organization_name(self, org: str) -> str | None:
        """The name of an organisation Altinn's register knows (consumers, service owners, Digdir)."""
        if org == DIGDIR_ORG:
            return "Digitaliseringsdirektoratet"
        for record in (self.consumers.get(org), self.service_owners.get(org)):
            if record is not None:
                return record.get("name") or org
        return None

    def organizations(self) -> list[str]:
        return list(dict.fromkeys([DIGDIR_ORG] + [r["org"] for r in self.consumers.all() + self.service_owners.all()]))


def altinn() -> Altinn:
    return current_app.extensions[SERVICE]
