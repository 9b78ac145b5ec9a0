"""Times as Altinn 2 writes and reads them: Norwegian local time (Europe/Oslo).

A ``ValidTo`` without a zone (``2019-09-30T10:30:00.000``, as the docs write it) is Norwegian
time; one with a zone or ``Z`` is taken as given. The sandbox stores UTC and shows the citizen
``dd.mm.åååå`` and ``kl. HH:MM`` in Norwegian time.
"""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from dsop_sandbox.mocks.common.clock import parse_time

OSLO = ZoneInfo("Europe/Oslo")


def parse_local(text: str) -> datetime:
    """An ISO 8601 time (naive = Norwegian time) as an aware UTC datetime; ValueError if malformed."""
    if not isinstance(text, str) or not text.strip():
        raise ValueError("a time is an ISO 8601 string")
    value = text.strip().replace(" ", "T", 1)
    if value.endswith(("Z", "z")):
        value = value[:-1] + "+00:00"
    moment = datetime.fromisoformat(value)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=OSLO)
    return moment.astimezone(UTC)


def local_iso(utc_text: str) -> str:
    """A stored UTC time as Altinn echoes it: Norwegian time, milliseconds, no zone."""
    moment = parse_time(utc_text).astimezone(OSLO)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}"


def local_date(utc_text: str) -> str:
    return parse_time(utc_text).astimezone(OSLO).strftime("%d.%m.%Y")


def local_clock(utc_text: str) -> str:
    return parse_time(utc_text).astimezone(OSLO).strftime("%H:%M")
