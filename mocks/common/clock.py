"""The sandbox clock: the only place a fake may read the time.

Two readings (README, "Time"):

* ``now()`` — *protocol time*: real time. Token ``iat``/``exp``, assertion windows,
  code and session lifetimes, ``jti`` windows. The insurer under test keeps its own real
  clock, so this reading is never offset over HTTP. In-process tests may freeze or move it
  through :meth:`Clock.freeze` / :meth:`Clock.move`.
* ``calendar()`` — *calendar time*: protocol time plus an offset the control plane moves
  (``POST /_sandbox/clock``). Consent validity, the dates of NAV data and of disclosures.
  The offset is kept in the service's store and every process of the service takes it up
  before its next request (``ServiceRuntime``, :mod:`.shared_state`); freezing or moving
  protocol time stays with one :class:`Clock` object, as only in-process tests do it.
"""

from __future__ import annotations

import calendar as _calendar
import math
import re
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

UTC = UTC

_DURATION = re.compile(
    r"^(?P<sign>[-+])?P(?!$)"
    r"(?:(?P<years>\d+)Y)?(?:(?P<months>\d+)M)?(?:(?P<weeks>\d+)W)?(?:(?P<days>\d+)D)?"
    r"(?:T(?=\d)(?:(?P<hours>\d+)H)?(?:(?P<minutes>\d+)M)?(?:(?P<seconds>\d+(?:\.\d+)?)S)?)?$"
)


class ClockError(ValueError):
    """A duration or time the clock cannot understand."""


@dataclass(frozen=True)
class Duration:
    """An ISO 8601 duration, kept in calendar units so that ``P3Y`` means three calendar years."""

    sign: int = 1
    years: int = 0
    months: int = 0
    days: int = 0
    seconds: float = 0.0

    @classmethod
    def parse(cls, text: str) -> Duration:
        match = _DURATION.match(text.strip().upper()) if isinstance(text, str) else None
        if not match:
            raise ClockError(f"not an ISO 8601 duration: {text!r} (examples: P3Y, P1D, PT2H, -P1M)")
        part = {k: match.group(k) for k in ("years", "months", "weeks", "days", "hours", "minutes", "seconds")}
        return cls(
            sign=-1 if match.group("sign") == "-" else 1,
            years=int(part["years"] or 0),
            months=int(part["months"] or 0),
            days=int(part["weeks"] or 0) * 7 + int(part["days"] or 0),
            seconds=int(part["hours"] or 0) * 3600 + int(part["minutes"] or 0) * 60 + float(part["seconds"] or 0),
        )

    def added_to(self, moment: datetime) -> datetime:
        """``moment`` moved by this duration; month arithmetic clamps the day (31 Jan + P1M = 28/29 Feb)."""
        total_months = moment.year * 12 + (moment.month - 1) + self.sign * (self.years * 12 + self.months)
        year, month = divmod(total_months, 12)
        month += 1
        if not 1 <= year <= 9999:
            raise ClockError("the calendar cannot be moved outside the years 1-9999")
        day = min(moment.day, _calendar.monthrange(year, month)[1])
        moved = moment.replace(year=year, month=month, day=day)
        return moved + self.sign * timedelta(days=self.days, seconds=self.seconds)


def parse_time(text: str) -> datetime:
    """An ISO 8601 instant (``2029-12-01T12:00:00Z``) or date (``2029-12-01``, midnight UTC)."""
    if not isinstance(text, str) or not text.strip():
        raise ClockError("a time must be an ISO 8601 string such as 2029-12-01T12:00:00Z")
    value = text.strip()
    if value.endswith(("Z", "z")):
        value = value[:-1] + "+00:00"
    try:
        moment = datetime.fromisoformat(value)
    except ValueError as exc:
        raise ClockError(f"not an ISO 8601 time: {text!r}") from exc
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


class Clock:
    """Protocol time and calendar time for one service (thread-safe)."""

    def __init__(self, calendar_offset: float = 0.0, source=time.time):
        self._lock = threading.Lock()
        self._source = source
        self._frozen_at: float | None = None
        self._protocol_shift = 0.0
        self._calendar_offset = float(calendar_offset)

    # -- protocol time -------------------------------------------------------------------------
    def timestamp(self) -> float:
        """Protocol time as POSIX seconds."""
        with self._lock:
            base = self._frozen_at if self._frozen_at is not None else self._source()
            return base + self._protocol_shift

    def now(self) -> datetime:
        return datetime.fromtimestamp(self.timestamp(), UTC)

    def epoch(self) -> int:
        """Protocol time as a JWT NumericDate."""
        return int(self.timestamp())

    def freeze(self, at: datetime | float | None = None) -> None:
        """Stop protocol time (for in-process tests only; never exposed over HTTP)."""
        stamp = self.timestamp() if at is None else (at.timestamp() if isinstance(at, datetime) else float(at))
        with self._lock:
            self._frozen_at = stamp
            self._protocol_shift = 0.0

    def move(self, seconds: float) -> None:
        """Move protocol time (frozen or running) by ``seconds`` (tests only)."""
        with self._lock:
            if self._frozen_at is not None:
                self._frozen_at += seconds
            else:
                self._protocol_shift += seconds

    def unfreeze(self) -> None:
        with self._lock:
            self._frozen_at = None
            self._protocol_shift = 0.0

    # -- calendar time -------------------------------------------------------------------------
    @property
    def calendar_offset(self) -> float:
        with self._lock:
            return self._calendar_offset

    def calendar(self) -> datetime:
        return datetime.fromtimestamp(self.timestamp() + self.calendar_offset, UTC)

    def set_calendar_offset(self, seconds: float) -> None:
        with self._lock:
            self._calendar_offset = float(seconds)

    def checked_offset(self, seconds: float) -> float:
        """``seconds`` if it is a usable calendar offset (finite, calendar within years 2-9998)."""
        if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or not math.isfinite(seconds):
            raise ClockError("a calendar offset is a finite number of seconds")
        try:
            year = datetime.fromtimestamp(self.timestamp() + seconds, UTC).year
        except (OverflowError, OSError, ValueError):
            year = 0
        if not 2 <= year <= 9998:
            raise ClockError("the calendar must stay within the years 2-9998")
        return float(seconds)

    def offset_after_advance(self, duration: str) -> float:
        """The calendar offset that moving the calendar by ``duration`` would give."""
        now = self.calendar()
        return self.calendar_offset + (Duration.parse(duration).added_to(now) - now).total_seconds()

    def offset_for(self, moment: str) -> float:
        """The calendar offset that would make the calendar read ``moment`` now."""
        return (parse_time(moment) - self.now()).total_seconds()

    def describe(self) -> dict:
        protocol = self.now()
        calendar_now = self.calendar()
        return {
            "protocol_time": isoformat(protocol),
            "calendar_time": isoformat(calendar_now),
            "offset_seconds": round(self.calendar_offset, 3),
        }


def isoformat(moment: datetime) -> str:
    """UTC instant with second precision and a ``Z``: what the sandbox writes everywhere."""
    return moment.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")
