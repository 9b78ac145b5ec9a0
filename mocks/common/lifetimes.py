"""Runtime-adjustable lifetimes (seconds) owned by one service.

Start from the settings; ``POST /_sandbox/lifetimes {"altinn.consent_token": 2}`` changes the
next token a service issues; ``reset`` goes back to the settings.
"""

from __future__ import annotations

import threading

MAX_LIFETIME = 366 * 24 * 3600


class LifetimeError(ValueError):
    pass


class Lifetimes:
    """``may_be_zero``: the names that are waits rather than lifetimes (0 allowed)."""

    def __init__(self, defaults: dict[str, int], may_be_zero: frozenset[str] = frozenset()):
        self._defaults = dict(defaults)
        self._may_be_zero = may_be_zero
        self._values = dict(defaults)
        self._lock = threading.Lock()

    def __getitem__(self, key: str) -> int:
        with self._lock:
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
        with self._lock:
            self._values.update(changes)
            return dict(self._values)

    def reset(self) -> None:
        with self._lock:
            self._values = dict(self._defaults)

    def as_dict(self) -> dict[str, int]:
        with self._lock:
            return dict(self._values)
