"""husky.scheduler.loop on a manual clock: every frequency fires at its instant, jitter
stays in bounds, reload recomputes without firing the past. No test sleeps."""

from __future__ import annotations

import asyncio
import random
from datetime import UTC, datetime, timedelta

from husky.clock import ManualClock
from husky.config.effective import Job
from husky.config.load import load_config
from husky.scheduler.loop import Fire, ScheduleLoop
from tests.conftest import WriteConfig


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def jobs_of(
    write_config: WriteConfig, spec: dict[str, tuple[str, str | None, str]]
) -> dict[str, Job]:
    """name → (frequency, time or None, timezone)."""
    lines = ['version: "1"', "jobs:"]
    for name, (frequency, time, zone) in spec.items():
        lines += [
            f"  {name}:",
            "    description: d",
            f"    frequency: {frequency}",
            "    command: x",
            f"    timezone: {zone}",
        ]
        if time:
            lines.append(f'    time: "{time}"')
    return load_config(write_config("\n".join(lines) + "\n")).jobs


async def never(_fires: list[Fire]) -> None:  # the loop's driver is not used here
    raise AssertionError("not driven")


def make_loop(start: str, jitter: timedelta = timedelta(0)) -> tuple[ManualClock, ScheduleLoop]:
    clock = ManualClock(utc(start))
    return clock, ScheduleLoop(clock, never, jitter=jitter, rng=random.Random(7))


def fires_until(clock: ManualClock, loop: ScheduleLoop, end: str) -> list[tuple[str, datetime]]:
    """Jump from due instant to due instant (as the driver would) until `end`."""
    fired: list[tuple[str, datetime]] = []
    while (due := loop.next_due()) is not None and due <= utc(end):
        clock.set(due)
        fired += [(f.job, f.due) for f in loop.fire_due(clock.now())]
    return fired


def test_every_frequency_fires_at_its_instant(write_config: WriteConfig) -> None:
    jobs = jobs_of(
        write_config,
        {
            "hourly": ("hourly", None, "Asia/Kolkata"),
            "daily": ("daily", "0930", "UTC"),
            "weekly": ("weekly", "1000", "UTC"),
            "weekdays": ("weekdays", None, "UTC"),
            "weekends": ("weekends", "0800", "UTC"),
            "monthly": ("monthly", "0600", "UTC"),
            "on": ("on:[wednesday]", "1200", "UTC"),
            "every": ("every:90m", None, "UTC"),
            "manual": ("manual", None, "UTC"),
        },
    )
    clock, loop = make_loop("2026-01-30T23:00:00")  # a Friday
    loop.load(jobs, clock.now())
    assert "manual" not in loop.next_runs
    fired = fires_until(clock, loop, "2026-02-04T12:00:00")
    by_job: dict[str, list[datetime]] = {}
    for name, due in fired:
        by_job.setdefault(name, []).append(due)
    assert by_job["daily"] == [
        utc(f"2026-{d}T09:30:00") for d in ("01-31", "02-01", "02-02", "02-03", "02-04")
    ]
    assert by_job["weekly"] == [utc("2026-02-02T10:00:00")]
    assert by_job["weekdays"] == [
        utc("2026-02-02T03:00:00"),
        utc("2026-02-03T03:00:00"),
        utc("2026-02-04T03:00:00"),
    ]
    assert by_job["weekends"] == [utc("2026-01-31T08:00:00"), utc("2026-02-01T08:00:00")]
    assert by_job["monthly"] == [utc("2026-02-01T06:00:00")]
    assert by_job["on"] == [utc("2026-02-04T12:00:00")]
    assert by_job["hourly"][:2] == [utc("2026-01-30T23:30:00"), utc("2026-01-31T00:30:00")]  # I6
    assert by_job["every"][:3] == [
        utc("2026-01-31T00:00:00"),
        utc("2026-01-31T01:30:00"),
        utc("2026-01-31T03:00:00"),
    ]


def test_dst_days_fire_once_at_the_shifted_instant(write_config: WriteConfig) -> None:
    jobs = jobs_of(
        write_config,
        {
            "gap": ("daily", "0230", "America/New_York"),
            "overlap": ("daily", "0130", "America/New_York"),
        },
    )
    clock, loop = make_loop("2026-03-08T05:00:00")
    loop.load(jobs, clock.now())
    assert ("gap", utc("2026-03-08T07:30:00")) in fires_until(clock, loop, "2026-03-08T08:00:00")
    clock, loop = make_loop("2026-11-01T04:00:00")
    loop.load(jobs, clock.now())
    overlap = [
        due for name, due in fires_until(clock, loop, "2026-11-02T12:00:00") if name == "overlap"
    ]
    assert overlap == [utc("2026-11-01T05:30:00"), utc("2026-11-02T06:30:00")]


def test_every_second_fires_each_second_once_even_when_woken_late(
    write_config: WriteConfig,
) -> None:
    clock, loop = make_loop("2026-05-05T12:00:00.300000")
    loop.load(jobs_of(write_config, {"tick": ("every:1s", None, "UTC")}), clock.now())
    assert loop.fire_due(clock.now()) == []
    clock.set(utc("2026-05-05T12:00:01"))
    assert [f.due for f in loop.fire_due(clock.now())] == [utc("2026-05-05T12:00:01")]
    assert loop.fire_due(clock.now()) == []  # never twice for one instant
    clock.set(utc("2026-05-05T12:00:04.500000"))  # woken 2.5 s late: one fire, not three
    assert [f.due for f in loop.fire_due(clock.now())] == [utc("2026-05-05T12:00:02")]
    assert loop.next_due() == utc("2026-05-05T12:00:05")


def test_jitter_stays_within_bounds(write_config: WriteConfig) -> None:
    spec = {f"j{i}": ("every:1h", None, "UTC") for i in range(200)}
    clock, loop = make_loop("2026-05-05T12:10:00", jitter=timedelta(seconds=30))
    loop.load(jobs_of(write_config, spec), clock.now())
    offsets = [
        (due - utc("2026-05-05T13:00:00")).total_seconds() for due in loop.next_runs.values()
    ]
    assert all(0 <= o < 30 for o in offsets)
    assert len(set(offsets)) > 150  # independent offsets, not one shared value


def test_reload_recomputes_from_now_and_fires_nothing_from_the_past(
    write_config: WriteConfig,
) -> None:
    clock, loop = make_loop("2026-05-05T08:00:00")
    loop.load(
        jobs_of(write_config, {"a": ("daily", "0900", "UTC"), "b": ("daily", "1000", "UTC")}),
        clock.now(),
    )
    clock.set(utc("2026-05-05T09:30:00"))  # a's 09:00 passed while nobody looked
    loop.load(
        jobs_of(write_config, {"a": ("daily", "0900", "UTC"), "c": ("daily", "0945", "UTC")}),
        clock.now(),
    )
    assert loop.fire_due(clock.now()) == []
    assert loop.next_runs == {"a": utc("2026-05-06T09:00:00"), "c": utc("2026-05-05T09:45:00")}
    assert [job for job, _ in fires_until(clock, loop, "2026-05-05T23:00:00")] == ["c"]


def test_the_driver_hands_over_every_job_due_at_one_instant_at_once(
    write_config: WriteConfig,
) -> None:
    """One fire for all the jobs due together: their runs are dispatched as one batch."""
    clock = ManualClock(utc("2026-05-05T12:00:00.500000"))
    handed: list[list[str]] = []
    loop: ScheduleLoop

    async def on_fire(fires: list[Fire]) -> None:
        handed.append(sorted(f.job for f in fires))
        loop.stop()

    async def main() -> None:
        nonlocal loop
        loop = ScheduleLoop(clock, on_fire, rng=random.Random(7))
        spec = {name: ("every:1s", None, "UTC") for name in ("a", "b", "c")}
        loop.load(jobs_of(write_config, spec), clock.now())
        clock.set(utc("2026-05-05T12:00:01"))
        await asyncio.wait_for(loop.run(), timeout=10)
        await loop.background.wait(10)

    asyncio.run(main())
    assert handed == [["a", "b", "c"]]
