"""The sandbox clock: ISO 8601 durations with calendar arithmetic, protocol time that tests can
freeze and move, and calendar time = protocol time + an offset."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from dsop_sandbox.mocks.common.clock import Clock, ClockError, Duration, isoformat, parse_time

UTC = UTC


def at(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


class FakeSource:
    """A controllable stand-in for ``time.time`` (so "running" clocks are tested without sleeping)."""

    def __init__(self, value: float):
        self.value = value

    def __call__(self) -> float:
        return self.value


# -- Duration.parse ------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "text, expected",
    [
        ("P3Y", Duration(years=3)),
        ("P1M", Duration(months=1)),
        ("P2W", Duration(days=14)),
        ("P1W3D", Duration(days=10)),
        ("P1D", Duration(days=1)),
        ("PT2H", Duration(seconds=7200)),
        ("PT90M", Duration(seconds=5400)),
        ("PT1.5S", Duration(seconds=1.5)),
        ("P1Y2M3DT4H5M6S", Duration(years=1, months=2, days=3, seconds=4 * 3600 + 5 * 60 + 6)),
        ("-P1M", Duration(sign=-1, months=1)),
        ("+P1D", Duration(days=1)),
        ("p1y", Duration(years=1)),  # lower case is read as upper case
        ("  P1D  ", Duration(days=1)),  # surrounding blanks are ignored
        ("P0D", Duration()),
    ],
)
def test_duration_parse_reads_iso_8601(text, expected):
    assert Duration.parse(text) == expected


@pytest.mark.parametrize(
    "text",
    ["", "P", "PT", "3Y", "P1.5Y", "P-1D", "P1H", "PT1D", "P1Y1Y", "--P1D", "P1DT", "1 day", "P 1D", None, 3, ["P1D"]],
)
def test_duration_parse_refuses_what_is_not_a_duration(text):
    with pytest.raises(ClockError, match="ISO 8601 duration"):
        Duration.parse(text)


def test_clock_error_is_a_value_error():
    assert issubclass(ClockError, ValueError)


@pytest.mark.parametrize(
    "start, text, expected",
    [
        (at(2026, 1, 31, 12), "P1M", at(2026, 2, 28, 12)),  # clamps to the end of February
        (at(2028, 1, 31, 12), "P1M", at(2028, 2, 29, 12)),  # ... in a leap year too
        (at(2028, 2, 29), "P1Y", at(2029, 2, 28)),  # 29 Feb + 1 year: no 29 Feb 2029
        (at(2028, 2, 29), "P4Y", at(2032, 2, 29)),
        (at(2026, 3, 31), "-P1M", at(2026, 2, 28)),  # negative months clamp as well
        (at(2026, 1, 31), "P13M", at(2027, 2, 28)),  # months roll over into years
        (at(2026, 12, 15), "P1M", at(2027, 1, 15)),
        (at(2026, 1, 15), "-P1M", at(2025, 12, 15)),
        (at(2026, 1, 31, 12), "P3Y", at(2029, 1, 31, 12)),
        (at(2026, 1, 1), "P2W", at(2026, 1, 15)),
        (at(2026, 1, 1), "PT36H", at(2026, 1, 2, 12)),
        (at(2026, 1, 1), "-P1D", at(2025, 12, 31)),
        (at(2026, 1, 1), "-PT1.5S", at(2025, 12, 31, 23, 59, 58, 500000)),
        (at(2026, 1, 31), "P1M1D", at(2026, 3, 1)),  # months first (28 Feb), then the day
    ],
)
def test_duration_added_to_uses_calendar_arithmetic(start, text, expected):
    assert Duration.parse(text).added_to(start) == expected


def test_duration_refuses_to_leave_years_1_to_9999():
    with pytest.raises(ClockError, match="1-9999"):
        Duration.parse("P8000Y").added_to(at(2026, 1, 1))
    with pytest.raises(ClockError, match="1-9999"):
        Duration.parse("-P2100Y").added_to(at(2026, 1, 1))


# -- parse_time and isoformat ----------------------------------------------------------------------------
@pytest.mark.parametrize(
    "text, expected",
    [
        ("2029-12-01T12:00:00Z", at(2029, 12, 1, 12)),
        ("2029-12-01T12:00:00z", at(2029, 12, 1, 12)),
        ("2029-12-01", at(2029, 12, 1)),  # a date is midnight UTC
        ("2029-12-01T12:00:00+02:00", at(2029, 12, 1, 10)),  # converted to UTC
        ("2029-12-01T12:00:00", at(2029, 12, 1, 12)),  # no zone: read as UTC
        (" 2029-12-01T12:00:00.250Z ", at(2029, 12, 1, 12, 0, 0, 250000)),
    ],
)
def test_parse_time_reads_instants_and_dates(text, expected):
    moment = parse_time(text)
    assert moment == expected
    assert moment.utcoffset() == timedelta(0)


@pytest.mark.parametrize("text", ["", "   ", "tomorrow", "2029-13-01", "2029-02-30", "P1D", None, 1700000000])
def test_parse_time_refuses_what_is_not_a_time(text):
    with pytest.raises(ClockError):
        parse_time(text)


def test_isoformat_is_utc_with_seconds_and_z():
    assert isoformat(at(2029, 12, 1, 12, 0, 0, 999999)) == "2029-12-01T12:00:00Z"
    plus_two = timezone(timedelta(hours=2))
    assert isoformat(datetime(2029, 12, 1, 12, tzinfo=plus_two)) == "2029-12-01T10:00:00Z"
    assert parse_time(isoformat(at(2031, 7, 4, 5, 6, 7))) == at(2031, 7, 4, 5, 6, 7)


# -- protocol time ------------------------------------------------------------------------------------------
def test_protocol_time_follows_the_source_when_running():
    source = FakeSource(1_800_000_000.25)
    clock = Clock(source=source)
    assert clock.timestamp() == 1_800_000_000.25
    assert clock.epoch() == 1_800_000_000
    assert clock.now() == datetime.fromtimestamp(1_800_000_000.25, UTC)
    assert clock.now().tzinfo is not None
    source.value += 10
    assert clock.epoch() == 1_800_000_010


def test_freeze_stops_protocol_time():
    source = FakeSource(1_800_000_000.0)
    clock = Clock(source=source)
    clock.freeze()
    source.value += 500
    assert clock.timestamp() == 1_800_000_000.0


def test_freeze_at_a_datetime_or_a_timestamp():
    clock = Clock()
    clock.freeze(at(2026, 1, 31, 12))
    assert clock.now() == at(2026, 1, 31, 12)
    assert clock.epoch() == int(at(2026, 1, 31, 12).timestamp())
    clock.freeze(1_900_000_000)
    assert clock.timestamp() == 1_900_000_000.0


def test_move_a_frozen_clock():
    clock = Clock()
    clock.freeze(at(2026, 1, 31, 12))
    clock.move(90)
    assert clock.now() == at(2026, 1, 31, 12, 1, 30)
    clock.move(-3600)
    assert clock.now() == at(2026, 1, 31, 11, 1, 30)


def test_move_a_running_clock_shifts_it_and_unfreeze_forgets_the_shift():
    source = FakeSource(1_800_000_000.0)
    clock = Clock(source=source)
    clock.move(120)
    assert clock.timestamp() == 1_800_000_120.0
    source.value += 5
    assert clock.timestamp() == 1_800_000_125.0  # still running, still shifted
    clock.unfreeze()
    assert clock.timestamp() == 1_800_000_005.0


def test_freeze_after_move_keeps_the_moved_instant_once():
    source = FakeSource(1_800_000_000.0)
    clock = Clock(source=source)
    clock.move(60)
    clock.freeze()
    assert clock.timestamp() == 1_800_000_060.0  # the shift is not applied twice
    clock.move(1)
    assert clock.timestamp() == 1_800_000_061.0
    clock.unfreeze()
    assert clock.timestamp() == 1_800_000_000.0


def test_unfreeze_returns_to_the_source():
    source = FakeSource(1_800_000_000.0)
    clock = Clock(source=source)
    clock.freeze(5.0)
    clock.unfreeze()
    assert clock.timestamp() == 1_800_000_000.0


# -- calendar time -------------------------------------------------------------------------------------------
def test_calendar_is_protocol_time_plus_the_offset():
    clock = Clock(calendar_offset=3600)
    clock.freeze(at(2026, 1, 31, 12))
    assert clock.calendar_offset == 3600.0
    assert clock.calendar() == at(2026, 1, 31, 13)
    assert clock.now() == at(2026, 1, 31, 12)  # protocol time is never offset
    clock.set_calendar_offset(-86400)
    assert clock.calendar() == at(2026, 1, 30, 12)
    clock.move(60)  # moving protocol time moves the calendar with it
    assert clock.calendar() == at(2026, 1, 30, 12, 1)


def test_offset_after_advance_is_calendar_aware_and_cumulative():
    clock = Clock()
    clock.freeze(at(2026, 1, 31, 12))
    offset = clock.offset_after_advance("P1M")
    assert offset == (at(2026, 2, 28, 12) - at(2026, 1, 31, 12)).total_seconds()
    assert clock.calendar_offset == 0  # only computed, not applied
    clock.set_calendar_offset(offset)
    clock.set_calendar_offset(clock.offset_after_advance("P1M"))
    assert clock.calendar() == at(2026, 3, 28, 12)  # 28 Feb + 1 month, from the moved calendar
    clock.set_calendar_offset(clock.offset_after_advance("-P2M"))
    assert clock.calendar() == at(2026, 1, 28, 12)


def test_advance_three_years_expires_a_three_year_consent_in_calendar_time_only():
    clock = Clock()
    clock.freeze(at(2026, 1, 31, 12))
    clock.set_calendar_offset(clock.offset_after_advance("P3Y"))
    assert clock.calendar() == at(2029, 1, 31, 12)
    assert clock.calendar_offset == 1096 * 86400  # 2028 is a leap year
    assert clock.now() == at(2026, 1, 31, 12)


def test_offset_for_makes_the_calendar_read_that_moment():
    clock = Clock(calendar_offset=12345)
    clock.freeze(at(2026, 1, 31, 12))
    offset = clock.offset_for("2029-12-01T00:00:00Z")
    clock.set_calendar_offset(offset)
    assert clock.calendar() == at(2029, 12, 1)
    clock.set_calendar_offset(clock.offset_for("2020-01-01"))  # the past works too
    assert clock.calendar() == at(2020, 1, 1)
    assert clock.calendar_offset < 0


def test_offset_helpers_refuse_bad_input():
    clock = Clock()
    with pytest.raises(ClockError):
        clock.offset_after_advance("three years")
    with pytest.raises(ClockError):
        clock.offset_for("not a time")


def test_describe():
    clock = Clock(calendar_offset=90.1234)
    clock.freeze(at(2026, 1, 31, 12, 0, 0, 700000))
    assert clock.describe() == {
        "protocol_time": "2026-01-31T12:00:00Z",
        "calendar_time": "2026-01-31T12:01:30Z",
        "offset_seconds": 90.123,
    }
