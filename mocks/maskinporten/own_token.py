"""Maskinporten's own access token, for looking consents up at Altinn.

Altinn's lookup endpoint takes a Maskinporten token with scope ``altinn:maskinporten/consent.read``
(Access Management's policy ``MaskinportenConsentRead``, Altinn/altinn-authorization-tmp,
``AccessManagementHost.cs``). Maskinporten issues that token to itself: signed with its own key like
every token it mints, ``consumer`` Digdir (``0192:991825827``, the organisation that runs
Maskinporten), a client id of its own (:data:`OWN_CLIENT_ID`). The token is reused while it has
more than :data:`REUSE_MARGIN` seconds left, as a careful client reuses its tokens.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from dsop_sandbox.mocks.common.clock import Clock

from .grant import Grant
from .registry import CONSENT_LOOKUP_SCOPE, DIGDIR_ORG, Client, Registry, Scope

#: The client id in Maskinporten's own token (the sandbox's name; the real one is not published).
OWN_CLIENT_ID = "dsop-sandbox-maskinporten"
OWN_CLIENT_NAME = "Maskinporten (Digitaliseringsdirektoratet)"
#: Seconds a cached token must still be valid for to be sent again (Altinn allows no clock skew).
REUSE_MARGIN = 20


def own_grant(registry: Registry) -> Grant:
    """What Maskinporten's own client is entitled to: the consent lookup scope, as Digdir."""
    scope = registry.scope(CONSENT_LOOKUP_SCOPE) or Scope(
        CONSENT_LOOKUP_SCOPE, DIGDIR_ORG, "", None, False, ("maskinporten",), None
    )
    client = Client(OWN_CLIENT_ID, DIGDIR_ORG, OWN_CLIENT_NAME, (scope.scope,), "maskinporten", None, True, "")
    return Grant(client, "virksomhetssertifikat", (scope,), DIGDIR_ORG)


class OwnToken:
    """The token Maskinporten sends Altinn: ``mint()`` gives ``(token, claims)``; cached until
    :data:`REUSE_MARGIN` seconds before it expires on ``clock``."""

    def __init__(self, mint: Callable[[], tuple[str, dict]], clock: Clock):
        self._mint = mint
        self._clock = clock
        self._token: str | None = None
        self._expires = 0
        self._lock = threading.Lock()

    def get(self) -> str:
        with self._lock:
            if self._token is None or self._clock.epoch() + REUSE_MARGIN >= self._expires:
                self._token, claims = self._mint()
                self._expires = claims["exp"]
            return self._token

    def forget(self) -> None:
        """Mint a new token next time (Altinn did not accept this one)."""
        with self._lock:
            self._token = None
