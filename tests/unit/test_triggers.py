"""Tests for husky.scheduler.triggers (scheduling.md §2, §4, improvement I6).

Expected instants in the vector tests were worked out by hand from the zones'
transition dates (`zdump -v`), never with the code under test.
"""

from __future__ import annotations

import functools
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from husky.scheduler.frequency import Frequency, FrequencyKind, Schedule
from husky.scheduler.triggers import Occurrence, next_after, next_occurrence, upcoming

K = FrequencyKind
US = timedelta(microseconds=1)
SECOND = timedelta(seconds=1)
UNIX_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
GRID_ANCHOR = datetime(1, 1, 1, tzinfo=UTC)
DAY_SETS = {K.WEEKLY: {0}, K.WEEKDAYS: {0, 1, 2, 3, 4}, K.WEEKENDS: {5, 6}}


def sched(
    kind: FrequencyKind,
    zone: str = "UTC",
    time: tuple[int, int] | None = None,
    days: frozenset[int] | set[int] = frozenset(),
    interval: timedelta | None = None,
) -> Schedule:
    """Build a schedule the way the config parser fills it (weekday sets, 03:00 default)."""
    if kind in DAY_SETS:
        days = DAY_SETS[kind]
    frequency = Frequency(kind, days=frozenset(days), interval=interval)
    return Schedule(frequency, ZoneInfo(zone), time)


def utc(y: int, mo: int, d: int, h: int = 0, mi: int = 0, s: int = 0, us: int = 0) -> datetime:
    return datetime(y, mo, d, h, mi, s, us, tzinfo=UTC)


VECTORS = [
    # scheduling.md §2, UTC zone.
    ("daily-before", sched(K.DAILY, time=(9, 0)), utc(2024, 1, 10, 8), [utc(2024, 1, 10, 9)]),
    ("daily-after", sched(K.DAILY, time=(9, 0)), utc(2024, 1, 10, 10), [utc(2024, 1, 11, 9)]),
    ("daily-exact", sched(K.DAILY, time=(9, 0)), utc(2024, 1, 10, 9), [utc(2024, 1, 11, 9)]),
    (
        "weekly",
        sched(K.WEEKLY, time=(10, 0)),
        utc(2024, 1, 10, 10, 1),
        [utc(2024, 1, 15, 10), utc(2024, 1, 22, 10)],
    ),
    (
        "monthly",
        sched(K.MONTHLY, time=(9, 0)),
        utc(2024, 1, 1, 10),
        [utc(2024, 2, 1, 9), utc(2024, 3, 1, 9)],
    ),
    (
        "weekdays-saturday",
        sched(K.WEEKDAYS, time=(3, 0)),
        utc(2024, 1, 13, 12),
        [utc(2024, 1, 15, 3), utc(2024, 1, 16, 3)],
    ),
    (
        "weekends",
        sched(K.WEEKENDS, time=(3, 0)),
        utc(2024, 1, 10, 12),
        [utc(2024, 1, 13, 3), utc(2024, 1, 14, 3), utc(2024, 1, 20, 3)],
    ),
    (
        "on-tue-fri",
        sched(K.ON, time=(3, 0), days={1, 4}),
        utc(2024, 1, 10, 12),
        [utc(2024, 1, 12, 3), utc(2024, 1, 16, 3), utc(2024, 1, 19, 3)],
    ),
    (
        "hourly-utc",
        sched(K.HOURLY),
        utc(2024, 1, 10, 12),
        [utc(2024, 1, 10, 13), utc(2024, 1, 10, 14)],
    ),
    (
        "every-15m",
        sched(K.EVERY, interval=timedelta(minutes=15)),
        utc(2024, 1, 10, 12, 7),
        [utc(2024, 1, 10, 12, 15), utc(2024, 1, 10, 12, 30)],
    ),
    (
        "every-15s",
        sched(K.EVERY, interval=timedelta(seconds=15)),
        utc(2024, 1, 10, 12, 0, 15),
        [utc(2024, 1, 10, 12, 0, 30)],
    ),
    (
        "every-90m",
        sched(K.EVERY, interval=timedelta(minutes=90)),
        utc(2024, 1, 9, 23, 59),
        [utc(2024, 1, 10, 0), utc(2024, 1, 10, 1, 30), utc(2024, 1, 10, 3)],
    ),
    # 1704067200 + 62135596800 is a multiple of 420 s, so 2024-01-01T00:00Z is on the 7m grid.
    (
        "every-7m",
        sched(K.EVERY, interval=timedelta(minutes=7)),
        utc(2024, 1, 1) - US,
        [utc(2024, 1, 1), utc(2024, 1, 1, 0, 7), utc(2024, 1, 1, 0, 14)],
    ),
    (
        "every-300ms",
        sched(K.EVERY, interval=timedelta(milliseconds=300)),
        utc(2024, 1, 1, 0, 0, 0, 100_000),
        [
            utc(2024, 1, 1, 0, 0, 0, 300_000),
            utc(2024, 1, 1, 0, 0, 0, 600_000),
            utc(2024, 1, 1, 0, 0, 0, 900_000),
            utc(2024, 1, 1, 0, 0, 1, 200_000),
        ],
    ),
    # Year 1 .. 9999-12-31T23:59:59 is 315537897599 s, i.e. 3155378975990 tenths ≡ 1 (mod 3).
    (
        "every-300ms-far-future",
        sched(K.EVERY, interval=timedelta(milliseconds=300)),
        utc(9999, 12, 31, 23, 59, 59, 500_000),
        [utc(9999, 12, 31, 23, 59, 59, 700_000)],
    ),
    # every: ignores the zone; the instant may be given in any zone.
    (
        "every-zone-ignored",
        sched(K.EVERY, "Asia/Kolkata", interval=timedelta(minutes=15)),
        datetime(2024, 1, 10, 17, 37, tzinfo=ZoneInfo("Asia/Kolkata")),
        [utc(2024, 1, 10, 12, 15)],
    ),
    # America/New_York (§4): gap 2026-03-08 02:00 EST -> 03:00 EDT,
    # overlap 2026-11-01 02:00 EDT -> 01:00 EST.
    (
        "ny-gap",
        sched(K.DAILY, "America/New_York", (2, 30)),
        utc(2026, 3, 8, 6, 55),
        [utc(2026, 3, 8, 7, 30), utc(2026, 3, 9, 6, 30)],
    ),
    (
        "ny-overlap",
        sched(K.DAILY, "America/New_York", (1, 30)),
        utc(2026, 11, 1, 4, 45),
        [utc(2026, 11, 1, 5, 30), utc(2026, 11, 2, 6, 30)],
    ),
    (
        "ny-overlap-second-pass",
        sched(K.DAILY, "America/New_York", (1, 30)),
        utc(2026, 11, 1, 6, 10),
        [utc(2026, 11, 2, 6, 30)],
    ),
    (
        "ny-hourly-gap",
        sched(K.HOURLY, "America/New_York"),
        utc(2026, 3, 8, 6, 30),
        [utc(2026, 3, 8, 7), utc(2026, 3, 8, 8)],
    ),
    # 01:00 EST (06:00Z) repeats the wall time 01:00, so it is skipped.
    (
        "ny-hourly-overlap",
        sched(K.HOURLY, "America/New_York"),
        utc(2026, 11, 1, 4, 30),
        [utc(2026, 11, 1, 5), utc(2026, 11, 1, 7), utc(2026, 11, 1, 8)],
    ),
    # Australia/Lord_Howe, +10:30 / +11: gap 2026-10-04 02:00 -> 02:30 (15:30Z on 10-03),
    # overlap 2026-04-05 02:00 -> 01:30 (15:00Z on 04-04).
    (
        "lord-howe-gap",
        sched(K.DAILY, "Australia/Lord_Howe", (2, 15)),
        utc(2026, 10, 3, 13, 30),
        [utc(2026, 10, 3, 15, 45), utc(2026, 10, 4, 15, 15)],
    ),
    (
        "lord-howe-overlap",
        sched(K.DAILY, "Australia/Lord_Howe", (1, 45)),
        utc(2026, 4, 4, 13),
        [utc(2026, 4, 4, 14, 45), utc(2026, 4, 5, 15, 15)],
    ),
    (
        "lord-howe-hourly-gap",
        sched(K.HOURLY, "Australia/Lord_Howe"),
        utc(2026, 10, 3, 14),
        [utc(2026, 10, 3, 14, 30), utc(2026, 10, 3, 15, 30), utc(2026, 10, 3, 16)],
    ),
    (
        "lord-howe-hourly-overlap",
        sched(K.HOURLY, "Australia/Lord_Howe"),
        utc(2026, 4, 4, 13, 30),
        [utc(2026, 4, 4, 14), utc(2026, 4, 4, 15, 30), utc(2026, 4, 4, 16, 30)],
    ),
    # Europe/London: gap 2026-03-29 01:00Z, overlap 2026-10-25 01:00Z.
    (
        "london-gap",
        sched(K.DAILY, "Europe/London", (1, 30)),
        utc(2026, 3, 29),
        [utc(2026, 3, 29, 1, 30), utc(2026, 3, 30, 0, 30)],
    ),
    (
        "london-overlap",
        sched(K.DAILY, "Europe/London", (1, 30)),
        utc(2026, 10, 25),
        [utc(2026, 10, 25, 0, 30), utc(2026, 10, 26, 1, 30)],
    ),
    (
        "london-weekly-bst",
        sched(K.WEEKLY, "Europe/London", (10, 0)),
        utc(2026, 6, 10, 12),
        [utc(2026, 6, 15, 9)],
    ),
    # Asia/Kolkata, +05:30 (I6: hourly at :30 UTC).
    (
        "kolkata-hourly",
        sched(K.HOURLY, "Asia/Kolkata"),
        utc(2024, 1, 10, 12),
        [utc(2024, 1, 10, 12, 30), utc(2024, 1, 10, 13, 30)],
    ),
    (
        "kolkata-hourly-edge",
        sched(K.HOURLY, "Asia/Kolkata"),
        utc(2024, 1, 10, 12, 30) - US,
        [utc(2024, 1, 10, 12, 30)],
    ),
    (
        "kolkata-daily",
        sched(K.DAILY, "Asia/Kolkata", (9, 0)),
        utc(2024, 1, 10),
        [utc(2024, 1, 10, 3, 30)],
    ),
    # America/Sao_Paulo: 2018-11-04 00:00 -03 -> 01:00 -02 (03:00Z); 2019-02-17 00:00 -02 ->
    # 2019-02-16 23:00 -03 (02:00Z); no DST since.
    (
        "sao-paulo-midnight-gap",
        sched(K.DAILY, "America/Sao_Paulo", (0, 30)),
        utc(2018, 11, 3, 15),
        [utc(2018, 11, 4, 3, 30), utc(2018, 11, 5, 2, 30)],
    ),
    (
        "sao-paulo-sunday-midnight",
        sched(K.ON, "America/Sao_Paulo", (0, 0), days={6}),
        utc(2018, 11, 3, 12),
        [utc(2018, 11, 4, 3), utc(2018, 11, 11, 2)],
    ),
    (
        "sao-paulo-overlap",
        sched(K.DAILY, "America/Sao_Paulo", (23, 30)),
        utc(2019, 2, 16, 14),
        [utc(2019, 2, 17, 1, 30), utc(2019, 2, 18, 2, 30)],
    ),
    (
        "sao-paulo-no-dst",
        sched(K.DAILY, "America/Sao_Paulo", (0, 30)),
        utc(2026, 10, 31, 12),
        [utc(2026, 11, 1, 3, 30)],
    ),
    # Pacific/Chatham, +12:45 / +13:45: gap 2026-09-27 02:45 -> 03:45 (14:00Z on 09-26),
    # overlap 2026-04-05 03:45 -> 02:45 (14:00Z on 04-04).
    (
        "chatham-gap",
        sched(K.DAILY, "Pacific/Chatham", (3, 0)),
        utc(2026, 9, 26, 11, 15),
        [utc(2026, 9, 26, 14, 15), utc(2026, 9, 27, 13, 15)],
    ),
    (
        "chatham-overlap",
        sched(K.DAILY, "Pacific/Chatham", (3, 0)),
        utc(2026, 4, 4, 10, 15),
        [utc(2026, 4, 4, 13, 15), utc(2026, 4, 5, 14, 15)],
    ),
    (
        "chatham-hourly-gap",
        sched(K.HOURLY, "Pacific/Chatham"),
        utc(2026, 9, 26, 13),
        [utc(2026, 9, 26, 13, 15), utc(2026, 9, 26, 14, 15), utc(2026, 9, 26, 15, 15)],
    ),
    # Pacific/Apia skipped Friday 2011-12-30 entirely (-10 -> +14 at 10:00Z).
    (
        "apia-skipped-day",
        sched(K.DAILY, "Pacific/Apia", (9, 0)),
        utc(2011, 12, 29, 22),
        [utc(2011, 12, 30, 19), utc(2011, 12, 31, 19)],
    ),
    (
        "apia-skipped-friday",
        sched(K.ON, "Pacific/Apia", (9, 0), days={4}),
        utc(2011, 12, 29, 22),
        [utc(2011, 12, 30, 19), utc(2012, 1, 5, 19)],
    ),
]


@pytest.mark.parametrize(
    ("schedule", "instant", "expected"), [pytest.param(*v[1:], id=v[0]) for v in VECTORS]
)
def test_vectors(schedule: Schedule, instant: datetime, expected: list[datetime]) -> None:
    assert [o.at for o in upcoming(schedule, instant, len(expected))] == expected
    assert next_after(schedule, instant) == expected[0]


@pytest.mark.parametrize(
    ("schedule", "instant", "local", "gap"),
    [
        (sched(K.DAILY, "America/New_York", (2, 30)), utc(2026, 3, 8, 6, 55), (3, 30), 60),
        (sched(K.DAILY, "Australia/Lord_Howe", (2, 15)), utc(2026, 10, 3, 13, 30), (2, 45), 30),
        (sched(K.DAILY, "Pacific/Apia", (9, 0)), utc(2011, 12, 29, 22), (9, 0), 24 * 60),
    ],
)
def test_gap_details(
    schedule: Schedule, instant: datetime, local: tuple[int, int], gap: int
) -> None:
    occurrence = next_occurrence(schedule, instant)
    assert occurrence is not None
    assert occurrence.dst_gap == timedelta(minutes=gap)
    assert occurrence.wanted is not None
    assert (occurrence.wanted.hour, occurrence.wanted.minute) == schedule.time
    assert occurrence.local.tzinfo is schedule.zone
    assert (occurrence.local.hour, occurrence.local.minute) == local
    assert occurrence.local.replace(tzinfo=None) == occurrence.wanted + occurrence.dst_gap


def test_no_gap_details() -> None:
    occurrence = next_occurrence(sched(K.DAILY, "Europe/London", (1, 30)), utc(2026, 10, 25))
    assert occurrence == Occurrence(
        at=utc(2026, 10, 25, 0, 30),
        local=datetime(2026, 10, 25, 1, 30, tzinfo=ZoneInfo("Europe/London")),
        dst_gap=None,
        wanted=datetime(2026, 10, 25, 1, 30),
    )


@pytest.mark.parametrize("frequency", [Frequency(K.MANUAL), Frequency(K.AFTER, upstream="a")])
def test_never_fires(frequency: Frequency) -> None:
    schedule = Schedule(frequency, ZoneInfo("UTC"))
    assert next_occurrence(schedule, utc(2024, 1, 1)) is None
    assert next_after(schedule, utc(2024, 1, 1)) is None
    assert upcoming(schedule, utc(2024, 1, 1), 3) == []


def test_naive_instant_rejected() -> None:
    with pytest.raises(ValueError, match="aware"):
        next_after(sched(K.DAILY, time=(9, 0)), datetime(2024, 1, 1))


# --- properties -------------------------------------------------------------

ZONES = [
    "UTC",
    "America/New_York",
    "Europe/London",
    "Europe/Berlin",
    "Australia/Lord_Howe",
    "Australia/Adelaide",
    "Asia/Kolkata",
    "Asia/Kathmandu",
    "America/Sao_Paulo",
    "America/St_Johns",
    "America/Santiago",
    "Africa/Casablanca",
    "Pacific/Chatham",
    "Pacific/Apia",
    "America/Havana",
    "Asia/Tehran",
    "Europe/Moscow",
    "Antarctica/Troll",
    "America/Nuuk",
    "Pacific/Auckland",
]
AUTO = [K.HOURLY, K.DAILY, K.WEEKLY, K.WEEKDAYS, K.WEEKENDS, K.MONTHLY, K.ON, K.EVERY]
COMMON_INTERVALS = [timedelta(milliseconds=300), timedelta(seconds=15), timedelta(minutes=7)]
COMMON_INTERVALS += [timedelta(minutes=15), timedelta(minutes=90), timedelta(hours=5)]
INTERVALS = st.one_of(
    st.sampled_from(COMMON_INTERVALS),
    st.integers(1, 24 * 3600 * 10**6 - 1).map(lambda n: timedelta(microseconds=n)),
)


@functools.cache
def transitions(key: str, year: int) -> tuple[datetime, ...]:
    """UTC instants where the zone's offset changes in `year` (found by bisection)."""
    zone, found = ZoneInfo(key), []

    def offset(second: int) -> timedelta | None:
        return (UNIX_EPOCH + second * SECOND).astimezone(zone).utcoffset()

    first = (utc(year, 1, 1) - UNIX_EPOCH) // SECOND
    for lo in range(first, (utc(year + 1, 1, 1) - UNIX_EPOCH) // SECOND, 86400):
        hi, before = lo + 86400, offset(lo)
        if offset(hi) == before:
            continue
        while hi - lo > 1:
            mid = (lo + hi) // 2
            lo, hi = (mid, hi) if offset(mid) == before else (lo, mid)
        found.append(UNIX_EPOCH + hi * SECOND)
    return tuple(found)


@st.composite
def cases(draw: st.DrawFn) -> tuple[Schedule, datetime]:
    """A schedule and an instant, mostly just before a DST transition with a wall time
    inside or next to its gap or overlap."""
    key = draw(st.sampled_from(ZONES))
    zone = ZoneInfo(key)
    pivots = transitions(key, draw(st.integers(1980, 2099)))
    kind = draw(st.sampled_from(AUTO))
    time = draw(_times())
    if pivots and draw(st.integers(0, 3)) > 0:
        pivot = draw(st.sampled_from(pivots))
        before = st.integers(0, 2 * 3600) | st.integers(0, 26 * 3600) | st.integers(-86400, 0)
        instant = pivot - draw(before) * SECOND
        wall = (pivot - SECOND).astimezone(zone) + SECOND
        near = wall + draw(st.integers(-90, 90)) * timedelta(minutes=1)
        if draw(st.integers(0, 3)) > 0:
            time = (near.hour, near.minute)
    else:
        naive = draw(st.datetimes(datetime(1980, 1, 1), datetime(2099, 12, 31, 23, 59, 59)))
        instant = naive.replace(tzinfo=UTC)
    instant += draw(st.integers(0, 999_999)) * US
    days = draw(st.frozensets(st.integers(0, 6), min_size=1)) if kind is K.ON else frozenset()
    interval = draw(INTERVALS) if kind is K.EVERY else None
    wall_clock = kind not in (K.HOURLY, K.EVERY)
    return sched(kind, key, time if wall_clock else None, days, interval), instant


def _times() -> st.SearchStrategy[tuple[int, int]]:
    return st.tuples(st.integers(0, 23), st.integers(0, 59))


def matches_day(schedule: Schedule, day: date) -> bool:
    kind = schedule.frequency.kind
    if kind is K.MONTHLY:
        return day.day == 1
    if kind in (K.DAILY, K.HOURLY):
        return True
    return day.weekday() in DAY_SETS.get(kind, schedule.frequency.days)


def wall_times(schedule: Schedule) -> list[tuple[int, int]]:
    if schedule.frequency.kind is K.HOURLY:
        return [(h, 0) for h in range(24)]
    assert schedule.time is not None
    return [schedule.time]


def exists(wall: datetime, zone: ZoneInfo, fold: int) -> bool:
    at = wall.replace(tzinfo=zone, fold=fold).astimezone(UTC)
    return at.astimezone(zone).replace(tzinfo=None) == wall


def assert_fits(schedule: Schedule, instant: datetime, occurrence: Occurrence) -> None:
    """Property (1) and (2): after `instant`, and on the frequency's days and time."""
    at, zone = occurrence.at, schedule.zone
    assert at.utcoffset() == timedelta(0)
    assert at > instant
    # Not `local == at`: PEP 495 makes inter-zone == False when one side is in a fold.
    assert occurrence.local.astimezone(UTC) == at
    assert occurrence.local.tzinfo is zone
    if schedule.frequency.kind is K.EVERY:
        interval = schedule.frequency.interval
        assert interval is not None
        assert (at - GRID_ANCHOR) % interval == timedelta(0)
        assert at - interval <= instant
        return
    wanted = occurrence.wanted
    assert wanted is not None
    assert (wanted.hour, wanted.minute) in wall_times(schedule)
    assert wanted.second == wanted.microsecond == 0
    assert matches_day(schedule, wanted.date())
    local_wall = occurrence.local.replace(tzinfo=None)
    if occurrence.dst_gap is None:
        assert local_wall == wanted
        # In an overlap the earlier of the two instants is used.
        assert at <= wanted.replace(tzinfo=zone, fold=1).astimezone(UTC)
    else:
        assert occurrence.dst_gap > timedelta(0)
        assert local_wall == wanted + occurrence.dst_gap
        assert not exists(wanted, zone, 0)
        assert not exists(wanted, zone, 1)


def assert_nothing_between(schedule: Schedule, instant: datetime, result: datetime) -> None:
    """Brute force: no wall time the schedule wants falls strictly between the two instants,
    except the repeat of a time in an overlap, whose first copy was at or before `instant`."""
    zone = schedule.zone
    day = instant.astimezone(zone).date() - timedelta(days=2)
    while day <= result.astimezone(zone).date() + timedelta(days=1):
        if matches_day(schedule, day):
            for hour, minute in wall_times(schedule):
                wall = datetime(day.year, day.month, day.day, hour, minute)
                first = wall.replace(tzinfo=zone, fold=0).astimezone(UTC)
                second = wall.replace(tzinfo=zone, fold=1).astimezone(UTC)
                assert not instant < first < result, wall
                if exists(wall, zone, 1) and instant < second < result:
                    assert exists(wall, zone, 0) and first <= instant, wall
        day += timedelta(days=1)


PROPERTY_SETTINGS = settings(max_examples=400, derandomize=True, deadline=None)


@PROPERTY_SETTINGS
@given(cases())
def test_next_is_later_and_fits(case: tuple[Schedule, datetime]) -> None:
    schedule, instant = case
    occurrence = next_occurrence(schedule, instant)
    assert occurrence is not None
    assert_fits(schedule, instant, occurrence)
    if schedule.frequency.kind is not K.EVERY:
        assert_nothing_between(schedule, instant, occurrence.at)


@PROPERTY_SETTINGS
@given(cases(), st.lists(st.floats(0, 1, exclude_max=True), min_size=1, max_size=4))
def test_no_occurrence_skipped(case: tuple[Schedule, datetime], fractions: list[float]) -> None:
    schedule, instant = case
    result = next_after(schedule, instant)
    assert result is not None
    span = (result - instant) // US
    for fraction in fractions:
        assert next_after(schedule, instant + int(span * fraction) * US) == result
    assert next_after(schedule, result - US) == result


@PROPERTY_SETTINGS
@given(cases(), st.integers(1, 6))
def test_upcoming_chains(case: tuple[Schedule, datetime], count: int) -> None:
    schedule, instant = case
    found = upcoming(schedule, instant, count)
    assert len(found) == count
    previous = instant
    for occurrence in found:
        assert occurrence == next_occurrence(schedule, previous)
        assert_fits(schedule, previous, occurrence)
        previous = occurrence.at
