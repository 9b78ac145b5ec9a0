"""How a fake calls another service: every outgoing HTTP request goes through a session from its
:class:`Outbound`.

The fakes call each other the way the real services do, over HTTP: NAV and Altinn fetch
Maskinporten's, Altinn's and ID-porten's JWKS, and redeem a citizen's login code at ID-porten's
token endpoint. An :class:`Outbound` is made from the settings, once per service, and hands out
``requests`` sessions that

* never read proxies or certificates from the environment (``trust_env`` off: sandbox traffic
  never goes through a proxy), and
* trust exactly the sandbox's CA bundle when the sandbox serves TLS (``verify`` from
  :func:`~dsop_sandbox.mocks.common.trust.trust`), and
* give the caller's turn up while a request is on the wire (:mod:`.turn`): the service called may
  be served by the same process.

:meth:`Outbound.mount` mounts a ``requests`` transport adapter for a URL prefix on every session
handed out afterwards. The sandbox itself never mounts one; a test does, to deliver a fake's
requests to another service's Flask app in the same process instead of over a socket.
"""

from __future__ import annotations

import threading

import requests
from requests.adapters import BaseAdapter

from .settings import Settings
from .trust import trust
from .turn import giving_session


class Outbound:
    """The sessions one service makes its outgoing calls with (see the module text)."""

    def __init__(self, settings: Settings | None = None, *, verify: bool | str | None = None):
        """``verify`` overrides what ``settings`` say to trust (``True``: requests' default)."""
        if verify is None:
            verify = trust(settings) if settings is not None else True
        self.verify = verify
        self._adapters: dict[str, BaseAdapter] = {}
        self._lock = threading.Lock()

    def mount(self, prefix: str, adapter: BaseAdapter) -> None:
        """Send requests whose URL starts with ``prefix`` through ``adapter`` (sessions made from now on)."""
        with self._lock:
            self._adapters[prefix] = adapter

    def unmount(self, prefix: str) -> None:
        with self._lock:
            self._adapters.pop(prefix, None)

    @property
    def mounted(self) -> dict[str, BaseAdapter]:
        with self._lock:
            return dict(self._adapters)

    def session(self) -> requests.Session:
        """A new session for one or a few calls; close it after use (``with outbound.session() as http``)."""
        session = giving_session(requests.Session())  # the caller's turn is free while it waits
        session.trust_env = False
        session.verify = self.verify
        for prefix, adapter in self.mounted.items():
            session.mount(prefix, adapter)
        return session
