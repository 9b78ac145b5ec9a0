"""What a fake knows of the other services it talks to, and its own identity towards them.

Altinn and NAV both check Maskinporten tokens and log citizens in at ID-porten; they know those
services only by URL and published keys (:class:`RemoteKeys`), and they authenticate at
ID-porten with their own enterprise certificate from the key authority, made on first use.

Every call to those services goes through ``outbound`` (:class:`Outbound`): pass the service
runtime's (``rt.outbound``) so that one object carries all of the service's outgoing traffic;
without it the peers make their own from the settings.
"""

from __future__ import annotations

import threading

from dsop_sandbox.mocks.authority import EnterpriseCredentials, KeyAuthority

from .clock import Clock
from .outbound import Outbound
from .remote_keys import RemoteKeys
from .settings import Settings


class Peers:
    def __init__(
        self,
        settings: Settings,
        clock: Clock,
        authority: KeyAuthority,
        org: str,
        org_name: str,
        *,
        outbound: Outbound | None = None,
    ):
        self.authority = authority
        self.outbound = outbound if outbound is not None else Outbound(settings)
        self.verify = self.outbound.verify  # requests' verify= for calls to the other services
        self.maskinporten_issuer = settings.issuer("maskinporten")
        self.maskinporten_keys = RemoteKeys(
            settings.internal_url("maskinporten") + "/jwk", clock, outbound=self.outbound
        )
        self.idporten_issuer = settings.issuer("idporten")
        self.idporten_base_url = settings.base_url("idporten")  # where a citizen's browser is sent
        self.idporten_internal_url = settings.internal_url("idporten")  # where this service calls it
        self.idporten_keys = RemoteKeys(self.idporten_internal_url + "/jwks.json", clock, outbound=self.outbound)
        self._identity = (org, org_name)
        self._clock = clock
        self._credentials: EnterpriseCredentials | None = None
        self._lock = threading.Lock()

    def enterprise_credentials(self) -> EnterpriseCredentials:
        """The service's own virksomhetssertifikat."""
        with self._lock:
            if self._credentials is None:
                self._credentials = self.authority.issue_enterprise_certificate(*self._identity, self._clock.now())
            return self._credentials
