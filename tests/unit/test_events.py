"""husky.events: publishing never blocks; a follower that falls behind is marked lagged."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from husky.events import EventBus, LogsAppended, RunChanged
from husky.models import LogBatch, Run, RunStatus, Stream, Trigger

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def make_run(run_id: int, status: RunStatus = RunStatus.RUNNING) -> Run:
    return Run(
        run_id,
        "job",
        status,
        None,
        1,
        Trigger.MANUAL,
        "cli",
        None,
        NOW,
        None,
        None,
        False,
        None,
        NOW,
    )


def logs(run_id: int, seq: int) -> LogsAppended:
    return LogsAppended(LogBatch(run_id, seq, Stream.STDOUT, NOW, [f"line {seq}"]))


def test_followers_get_only_their_run() -> None:
    async def scenario() -> None:
        bus = EventBus()
        one, every = bus.follow(1), bus.follow(None)
        bus.publish(logs(1, 1))
        bus.publish(logs(2, 1))
        bus.publish(RunChanged(make_run(1, RunStatus.SUCCESS)))
        assert one.queue.qsize() == 2 and every.queue.qsize() == 3
        first = await one.get()
        assert isinstance(first, LogsAppended) and first.run_id == 1

    asyncio.run(scenario())


def test_slow_follower_is_marked_lagged_and_never_blocks_publishers() -> None:
    async def scenario() -> None:
        bus = EventBus()
        slow = bus.follow(1, maxsize=2)
        for seq in range(1, 1001):
            bus.publish(logs(1, seq))  # would block or raise if publishing waited for readers
        assert slow.lagged and slow.queue.qsize() == 2
        while not slow.queue.empty():
            slow.queue.get_nowait()
        slow.resync()
        bus.publish(logs(1, 1001))
        event = await slow.get()
        assert isinstance(event, LogsAppended) and event.batch.first_seq == 1001

    asyncio.run(scenario())


def test_unfollow_stops_delivery() -> None:
    async def scenario() -> None:
        bus = EventBus()
        follower = bus.follow(1)
        bus.unfollow(follower)
        bus.publish(logs(1, 1))
        assert follower.queue.empty()

    asyncio.run(scenario())
