"""The Altinn fake's parts, shared by its blueprints: registries, consents, remote keys."""
from __future__ import annotations

import threading

from flask import current_app

from mocks.authority import KeyAuthority
from mocks.common.records import Records
from mocks.common.remote_keys import RemoteKeys
from mocks.common.settings import Settings

from . import consents

SERVICE = "altinn"
DIGDIR_ORG = "991825827"


class Altinn:
    """The service's parts, on ``app.extensions["altinn"]`` (reach them with :func:`altinn`)."""

    def __init__(self, settings: Settings, rt, authority: KeyAuthority):
        self.settings = settings
        self.rt = rt
        self.clock = rt.clock
        self.authority = authority
        self.base_url = settings.base_url(SERVICE)
        self.consumers = Records(rt.store, "consumers", rt.clock)
        self.persons = Records(rt.store, "persons", rt.clock)
        self.service_owners = Records(rt.store, "service_owners", rt.clock)
        self.consents = consents.Consents(rt.store, rt.clock)
        self.maskinporten_issuer = settings.issuer("maskinporten")
        self.maskinporten_keys = RemoteKeys(settings.base_url("maskinporten") + "/jwk", rt.clock)
        self.idporten_issuer = settings.issuer("idporten")
        self.idporten_base_url = settings.base_url("idporten")
        self.idporten_keys = RemoteKeys(self.idporten_base_url + "/jwks.json", rt.clock)
        self._credentials = None
        self._lock = threading.Lock()

    def enterprise_credentials(self):
        """Altinn's own virksomhetssertifikat (Digdir's org), made on first use."""
        with self._lock:
            if self._credentials is None:
                self._credentials = self.authority.issue_enterprise_certificate(
                    DIGDIR_ORG, "Digitaliseringsdirektoratet (Altinn)", self.clock.now())
            return self._credentials

    def person(self, pid: str) -> dict | None:
        return self.persons.get(pid)

    def consumer(self, org: str) -> dict | None:
        return self.consumers.get(org)


def altinn() -> Altinn:
    return current_app.extensions[SERVICE]


def altinn() -> Altinn:
    return current_app.extensions[SERVICE]
