"""What several processes of one service share, so that any of them answers a request alike.

``up --workers N`` runs N processes per service over one state directory (or one PostgreSQL
database), each with its own apps; two sandbox hosts may share a database too. Everything a
request can observe therefore lives in the service's :class:`~.store.Store`. What a process keeps
in memory is only a copy, and the store says when copies are stale: every change to shared state
writes a new random *generation* into the ``meta`` table (:meth:`SharedState.change`), and each
request reads it first (:meth:`SharedState.refresh`, one indexed read, the only extra query per
request); when it differs from the one this process saw last, the process reloads its copies
(the callbacks given to :meth:`SharedState.on_change`). The generation is random rather than a
counter, because a reset deletes ``meta`` and a counter starting over could repeat a value a
process has seen.

State that must be exact under concurrency is never answered from a copy: a fault's remaining
uses are counted in the store in one statement, and ID-porten's login denials are taken from it
one row at a time. The copies only say whether there is anything to ask the store for.

Inventory (issue 18), what a request can observe and where it lives:

=============================================  ============================================================
state                                          where it lives now
=============================================  ============================================================
registrations, consents, disclosures, events,  the service's store already (tables)
``jti``/grant stores, codes, SSO sessions,
PAR requests, refresh tokens (ID-porten)
armed faults and their uses (``faults.py``)    table ``faults``; uses counted by one ``UPDATE … RETURNING``;
                                               the per-process list only says which operations have faults
lifetimes set at runtime (``lifetimes.py``)    ``meta`` keys ``lifetime:<name>``; copy reloaded on change
calendar offset (``clock.py``)                 ``meta`` ``calendar_offset`` (was read at startup only);
                                               reloaded on change. Protocol-time freeze/move stays per
                                               :class:`~.clock.Clock` object: tests only, never over HTTP
signing keys after a rotation (authority)      the key directory's files (as before) and table
                                               ``signing_keys`` (published generations and their PEMs, for
                                               hosts with key directories of their own); every process of
                                               the service takes them up on change (``key_admin.py``)
Maskinporten registry cache (``registry.py``)  copy of store rows, dropped on change (every registry
                                               write changes the generation)
ID-porten login denials (``idporten/app.py``)  table ``login_denials``, taken one row at a time
ID-porten pairwise secret                      ``meta``; written only if absent, so processes agree; put
                                               back after a reset and taken up on change
TLS certificate presented (``/_sandbox/tls``)  ``meta`` ``tls_certificate`` (see below)
reset (``ServiceRuntime.reset``)               the store is reset once; the generation change makes the
                                               other processes drop their copies; seeding hooks run once
=============================================  ============================================================

Per-process on purpose (not observable, or a pure function of shared inputs):

* peers' JWKS caches (``remote_keys.py``): a cache of another service's public document, as the
  real services keep; a token with a ``kid`` the cache lacks refetches it, and since every
  process of the issuer now serves its current keys, the refetch finds a key rotated anywhere;
* Maskinporten's certificate chain cache (``grant.py``): a function of the certificate, the
  authority's root and the time, all shared;
* Maskinporten's own token for Altinn (``own_token.py``) and the peers' enterprise certificates
  (``peers.py``): credentials a client holds; each process holding its own valid one is what
  several instances of a real client do;
* the control plane's reference insurers and their reset keys: startup configuration from
  whoever builds the app (the same in every process that builds it), not request state.

The certificate the servers present (``POST /_sandbox/tls``) is kept in ``meta``
(``tls_certificate``, kept across a reset as before); each process's server is switched when its
app takes the change up, whichever switch the server in front of it installed.
"""

from __future__ import annotations

import json
import logging
import threading
import uuid
from collections.abc import Callable
from contextlib import contextmanager

from .store import READ_META, UPSERT_META, Store

log = logging.getLogger("dsop_sandbox")

GENERATION_KEY = "shared_generation"


class SharedState:
    """The generation of one service's shared state, and this process's copies of it."""

    def __init__(self, store: Store):
        self.store = store
        self._seen: object = object()  # equal to no generation: the first request reloads
        self._reloads: list[Callable[[], None]] = []
        self._lock = threading.Lock()

    def on_change(self, reload: Callable[[], None]) -> None:
        """Call ``reload()`` (read the store afresh) whenever shared state changed, here or elsewhere."""
        self._reloads.append(reload)

    @contextmanager
    def change(self):
        """A store transaction (yields ``db``) that changes shared state: it writes a new
        generation in the same transaction, and this process reloads its copies once it committed."""
        with self.store.transaction() as db:
            yield db
            generation = json.dumps(uuid.uuid4().hex)  # as stored: refresh compares the text
            db.execute(UPSERT_META, (GENERATION_KEY, generation))
        self._reload(generation)

    def changed(self) -> None:
        """Shared state changed outside a transaction of :meth:`change` (a file, a reset)."""
        with self.change():
            pass

    def refresh(self) -> None:
        """Reload the copies if another process changed shared state since this one last looked."""
        row = self.store.query_one(READ_META, (GENERATION_KEY,))
        generation = row["value"] if row is not None else None
        if generation != self._seen:
            self._reload(generation)

    def _reload(self, generation) -> None:
        with self._lock:
            for reload in self._reloads:
                try:
                    reload()
                except Exception:  # one copy that cannot be read must not fail every request after
                    log.exception("could not reload shared state (%s)", getattr(reload, "__qualname__", reload))
            self._seen = generation

    def wrap(self, wsgi_app):
        """``wsgi_app`` with :meth:`refresh` before every request."""

        def refreshed(environ, start_response):
            self.refresh()
            return wsgi_app(environ, start_response)

        return refreshed


def meta_once(store: Store, key: str, make: Callable[[], object]):
    """The ``meta`` value at ``key``, made by ``make()`` and stored if there is none yet; when
    several processes start at once, every one of them gets the value the first one stored."""
    row = store.query_one(READ_META, (key,))
    if row is not None:
        return json.loads(row["value"])
    with store.transaction() as db:
        db.execute("INSERT INTO meta(key, value) VALUES (?, ?) ON CONFLICT(key) DO NOTHING", (key, json.dumps(make())))
    return store.get_meta(key)
