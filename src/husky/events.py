"""The in-process events bus: run state changes and log lines, published once.

The runner writes to the store first (the durable copy, with backpressure) and then
publishes here for live followers: `husky logs --tail`, WebSockets and notifications
(SLA breaches, forced kills). Publishing never blocks: each follower has a bounded
queue, and a follower that falls behind is marked `lagged` and stops receiving until it
has caught up from the store's copy (`resync`). A slow reader can never slow a job.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from husky.models import LogBatch, Run


@dataclass(frozen=True)
class RunChanged:
    run: Run


@dataclass(frozen=True)
class LogsAppended:
    batch: LogBatch

    @property
    def run_id(self) -> int:
        return self.batch.run_id


@dataclass(frozen=True)
class SlaBreached:
    """A run is still executing past its `sla` (notifications subscribe to this)."""

    run: Run


@dataclass(frozen=True)
class ForcedKill:
    """A run's process group outlived SIGTERM and its grace and was SIGKILLed
    (huskyd.yaml `alerts.on_forced_kill`); `why` says what stopped it."""

    run: Run
    why: str


Event = RunChanged | LogsAppended | SlaBreached | ForcedKill


@dataclass(eq=False)
class Follower:
    """One subscriber: events of one run (`run_id`) or of every run (`None`)."""

    run_id: int | None
    queue: asyncio.Queue[Event] = field(default_factory=lambda: asyncio.Queue(maxsize=1024))
    lagged: bool = False
    kinds: tuple[type[Event], ...] = ()  # only these event types (empty = all)

    async def get(self) -> Event:
        return await self.queue.get()

    def resync(self) -> None:
        """Called by the follower after re-reading what it missed from the store."""
        self.lagged = False


class EventBus:
    def __init__(self) -> None:
        self._followers: set[Follower] = set()

    def follow(
        self, run_id: int | None = None, *, maxsize: int = 1024, kinds: tuple[type[Event], ...] = ()
    ) -> Follower:
        follower = Follower(run_id, asyncio.Queue(maxsize=maxsize), kinds=kinds)
        self._followers.add(follower)
        return follower

    def unfollow(self, follower: Follower) -> None:
        self._followers.discard(follower)

    def publish(self, event: Event) -> None:
        run_id = event.run_id if isinstance(event, LogsAppended) else event.run.id
        for follower in self._followers:
            if follower.run_id is not None and follower.run_id != run_id:
                continue
            if follower.kinds and not isinstance(event, follower.kinds):
                continue
            if follower.lagged and isinstance(event, LogsAppended):
                continue
            try:
                follower.queue.put_nowait(event)
            except asyncio.QueueFull:
                follower.lagged = True
