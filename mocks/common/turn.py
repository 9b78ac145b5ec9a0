"""Taking turns at a fake's work, one request thread at a time per process, with bounded patience.

A served fake answers each connection on a thread of its own, and every thread gives the GIL away at
each ``recv``, ``send``, SQLite step and ``flock``, then waits to get it back: with 16 connections on
two worker processes a NAV call costs 10-20 % more CPU than with 4, in context switches and cold
caches (``benchmarks/hotpath.md``). The server therefore runs a request's app code inside
:meth:`Turn.taken`, so that the threads of a process take turns at it instead of slicing each
other's requests; reading the request and sending the answer stay outside, side by side.

A turn is never a deadlock, by construction:

* whoever waits for the turn waits at most :data:`PATIENCE`, then goes on without it (a request
  that holds the turn and waits on something that needs it, through a path nobody foresaw, costs the
  others that much once, never more);
* the waits that are foreseen give the turn up while they last (:meth:`Turn.given_up`): a call to
  another service (:mod:`.outbound`, which every fake's outgoing request goes through, and the
  control plane's fan-out), and a fault's delay (:mod:`.faults`).

The turn is per process: a worker process forked from a supervisor starts with it free (the
supervisor forks before any thread runs).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from requests.adapters import HTTPAdapter

#: Seconds a request waits for the turn before it goes on without it. Under the heaviest load a worker
#: meets while it is faster with turns (16 connections on two workers: 8 threads, each ~1 ms in the
#: app) a thread waits a few milliseconds; a turn held across a wait nobody foresaw costs this at most.
PATIENCE = 0.02


class Turn:
    """One thread at a time in the code run inside :meth:`taken` (see the module text)."""

    def __init__(self, patience: float = PATIENCE):
        self.patience = patience
        self._lock = threading.Lock()
        self._local = threading.local()

    @property
    def held(self) -> bool:
        """Whether this thread holds the turn now."""
        return getattr(self._local, "held", False)

    @property
    def free(self) -> bool:
        """Whether no thread holds the turn now."""
        return not self._lock.locked()

    @contextmanager
    def taken(self) -> Iterator[None]:
        """Run the block in turn: wait for the turn up to :attr:`patience`, then without it. Inside a
        block that has it already (or waited in vain for it), the same turn goes on."""
        if getattr(self._local, "inside", False):
            yield
            return
        self._local.inside = True
        self._local.held = self._lock.acquire(timeout=self.patience)
        try:
            yield
        finally:
            if self._local.held:
                self._local.held = False
                self._lock.release()
            self._local.inside = False

    @contextmanager
    def given_up(self) -> Iterator[None]:
        """Let the others run while the block waits (a call to another service, a delay): the turn is
        released, if this thread holds it, and taken again afterwards (with the same patience)."""
        if not self.held:
            yield
            return
        self._local.held = False
        self._lock.release()
        try:
            yield
        finally:
            self._local.held = self._lock.acquire(timeout=self.patience)


#: This process's turn: the servers of the fakes take it (sandbox/wsgi_server.py), and the waits
#: named in the module text give it up.
TURN = Turn()


class GivingAdapter(HTTPAdapter):
    """``requests``' transport, giving :data:`TURN` up while a request is on the wire: the service
    called may be served by this very process, and must not wait for a turn its caller holds."""

    def send(self, request, **kwargs):
        with TURN.given_up():
            return super().send(request, **kwargs)


def giving_session(session):
    """``session`` (a ``requests.Session``) sending through :class:`GivingAdapter` for http and https."""
    for scheme in ("http://", "https://"):
        session.mount(scheme, GivingAdapter())
    return session
