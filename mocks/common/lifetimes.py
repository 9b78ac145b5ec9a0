"""Runtime-adjustable lifetimes (seconds) owned by one service.

Start from the settings; ``POST /_sandbox/lifetimes {"altinn.consent_token": 2}`` changes the
next token a service issues, in every process of the service: a changed lifetime is kept in the
store's ``meta`` (key ``lifetime:<name>``, one key each, so that two changes at once never undo
each other), and each process reads its copy from there when the shared state changes (see
:mod:`.shared_state`). ``reset`` goes back to the settings.
"""

from __future__ import annotations

import json

from .shared_state import SharedState
from .store import write_meta

MAX_LIFETIME = 366 * 24 * 3600
_PREFIX = "lifetime:"


class LifetimeError(ValueError):
    pass


class Lifetimes:
    """``may_be_zero``: the names that are waits rather than lifetimes (0 allowed)."""

    def __init__(self, defaults: dict[str, int], shared: SharedState, may_be_zero: frozenset[str] = frozenset()):
        self._defaults = dict(defaults)
        self._may_be_zero = may_be_zero
        self._shared = shared
        self._values = dict(defaults)
        shared.on_change(self._load)
        self._load()

    def _load(self) -> None:
        rows = self._shared.store.query("SELECT key, value FROM meta WHERE key LIKE ?", (_PREFIX + "%",))
        changed = {row["key"][len(_PREFIX) :]: json.loads(row["value"]) for row in rows}
        self._values = {**self._defaults, **{k: v for k, v in changed.items() if k in self._defaults}}

    def __getitem__(self, key: str) -> int:
        return self._values[key]

    def update(self, changes: dict) -> dict[str, int]:
        if not isinstance(changes, dict) or not changes:
            raise LifetimeError("send a JSON object of lifetime name to seconds")
        unknown = sorted(set(changes) - set(self._defaults))
        if unknown:
            raise LifetimeError(f"unknown lifetimes: {', '.join(unknown)}; known: {', '.join(sorted(self._defaults))}")
        for key, value in changes.items():
            least = 0 if key in self._may_be_zero else 1
            if not isinstance(value, int) or isinstance(value, bool) or not least <= value <= MAX_LIFETIME:
                raise LifetimeError(f"{key} must be a whole number of seconds from {least} to {MAX_LIFETIME}")
        with self._shared.change() as db:
            for key, value in changes.items():
                write_meta(db, _PREFIX + key, value)
        return self.as_dict()

    def reset(self) -> None:
        with self._shared.change() as db:
            db.execute("DELETE FROM meta WHERE key LIKE ?", (_PREFIX + "%",))

    def as_dict(self) -> dict[str, int]:
        return dict(self._values)
