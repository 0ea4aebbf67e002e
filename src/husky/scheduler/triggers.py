"""When a schedule fires next (scheduling.md §2 and §4, improvement I6).

Pure functions: the caller passes the instant, nothing here reads the clock. Every
comparison is made between UTC datetimes, because Python compares two datetimes
sharing a tzinfo by wall time and ignores `fold`, which is wrong around DST overlaps.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from husky.scheduler.frequency import WALL_CLOCK_KINDS, Frequency, FrequencyKind, Schedule

_MICROSECOND = timedelta(microseconds=1)
_UNIX_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
#: Microseconds from the `every:` grid anchor 0001-01-01T00:00:00Z to the Unix epoch.
_GRID_OFFSET_US = 62_135_596_800 * 1_000_000
#: Local days scanned: the day before `instant`'s date, that date and the 40 after it
#: (spec §2). The farthest any form needs is monthly's 33; the scan stops at the first hit.
_SEARCH_DAYS = 42
_HOURLY_TIMES = tuple((hour, 0) for hour in range(24))


@dataclass(frozen=True)
class Occurrence:
    """One fire instant of a schedule.

    `at` is the instant in UTC and `local` the same instant in the job's zone. For
    wall-clock forms `wanted` is the naive local wall time that was asked for; when
    it did not exist (DST gap) `dst_gap` is how far it was pushed forward, so
    `local` shows `wanted + dst_gap`. `every:` occurrences have neither.
    """

    at: datetime
    local: datetime
    dst_gap: timedelta | None = None
    wanted: datetime | None = None


def next_occurrence(schedule: Schedule, instant: datetime) -> Occurrence | None:
    """First occurrence strictly after `instant`; None for kinds that never fire."""
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ValueError(f"instant must be timezone-aware, got {instant!r}")
    now = instant.astimezone(UTC)
    frequency = schedule.frequency
    if frequency.kind is FrequencyKind.EVERY:
        return _next_on_grid(frequency, schedule.zone, now)
    if frequency.kind is FrequencyKind.HOURLY:
        # I6: the top of every hour in the job's zone, resolved like any wall time.
        return _next_wall_clock(frequency, schedule.zone, _HOURLY_TIMES, now)
    if frequency.kind in WALL_CLOCK_KINDS:
        if schedule.time is None:
            raise ValueError(f"{frequency.kind} schedule needs a time")
        return _next_wall_clock(frequency, schedule.zone, (schedule.time,), now)
    return None


def next_after(schedule: Schedule, instant: datetime) -> datetime | None:
    """UTC instant of the first occurrence strictly after `instant` (spec §2)."""
    occurrence = next_occurrence(schedule, instant)
    return None if occurrence is None else occurrence.at


def upcoming(schedule: Schedule, instant: datetime, count: int) -> list[Occurrence]:
    """The next `count` occurrences after `instant`, each strictly after the previous."""
    found: list[Occurrence] = []
    cursor = instant
    while len(found) < count:
        occurrence = next_occurrence(schedule, cursor)
        if occurrence is None:
            break
        found.append(occurrence)
        cursor = occurrence.at
    return found


def _next_on_grid(frequency: Frequency, zone: ZoneInfo, now: datetime) -> Occurrence:
    """`every:D`: next point of the grid anchored at year 1, in integer microseconds.

    Integers keep sub-second intervals and far-future instants exact, which float
    seconds would not.
    """
    interval = frequency.interval
    if interval is None or interval <= timedelta(0):
        raise ValueError(f"every: needs a positive interval, got {interval!r}")
    step = interval // _MICROSECOND
    since_anchor = (now - _UNIX_EPOCH) // _MICROSECOND + _GRID_OFFSET_US
    at = _UNIX_EPOCH + timedelta(microseconds=(since_anchor // step + 1) * step - _GRID_OFFSET_US)
    return Occurrence(at=at, local=at.astimezone(zone))


def _next_wall_clock(
    frequency: Frequency,
    zone: ZoneInfo,
    times: tuple[tuple[int, int], ...],
    now: datetime,
) -> Occurrence | None:
    """Scan local dates in order; the first matching wall time later than `now` wins.

    The scan starts the day before `now`'s local date so that a time pushed across
    midnight by a gap, or an earlier offset, can never be missed.
    """
    first_day = now.astimezone(zone).date() - timedelta(days=1)
    for offset in range(_SEARCH_DAYS):
        day = first_day + timedelta(days=offset)
        if not _day_matches(frequency, day):
            continue
        for hour, minute in times:
            occurrence = _resolve(datetime(day.year, day.month, day.day, hour, minute), zone)
            if occurrence.at > now:
                return occurrence
    return None


def _day_matches(frequency: Frequency, day: date) -> bool:
    """Whether `frequency` fires on local date `day` (weekday sets come from the parser)."""
    if frequency.kind in (FrequencyKind.DAILY, FrequencyKind.HOURLY):
        return True
    if frequency.kind is FrequencyKind.MONTHLY:
        return day.day == 1
    return day.weekday() in frequency.days


def _resolve(wanted: datetime, zone: ZoneInfo) -> Occurrence:
    """Turn a naive local wall time into an occurrence following spec §4.

    `fold=0` reads a nonexistent time with the offset in force before the gap
    (shifting it later by the gap length) and picks the earlier of two repeated
    times. A gap shows up as a wall time that does not survive the UTC round trip.
    """
    at = wanted.replace(tzinfo=zone, fold=0).astimezone(UTC)
    local = at.astimezone(zone)
    shift = local.replace(tzinfo=None) - wanted
    return Occurrence(at=at, local=local, dst_gap=shift or None, wanted=wanted)
