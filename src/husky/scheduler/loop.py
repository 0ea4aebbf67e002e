"""The timer loop (I1): a heap of next-fire instants, slept on, never polled.

`fire_due(now)` and `load(jobs, now)` are plain methods over the heap, so tests drive
them with a manual clock; `run()` is the thin async driver that sleeps until the
earliest instant or until `wake()` (a reload or a new schedule) interrupts it.
"""

from __future__ import annotations

import asyncio
import heapq
import logging
import random
from collections.abc import Callable, Coroutine, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from husky.background import Background
from husky.clock import Clock
from husky.config.effective import Job
from husky.scheduler.frequency import Schedule
from husky.scheduler.triggers import Occurrence, next_occurrence

log = logging.getLogger("husky.scheduler")


@dataclass(frozen=True)
class Fire:
    job: str
    due: datetime  # the instant it was due (jitter included)


class ScheduleLoop:
    def __init__(
        self,
        clock: Clock,
        on_fire: Callable[[list[Fire]], Coroutine[Any, Any, None]],
        *,
        jitter: timedelta = timedelta(0),
        rng: random.Random | None = None,
    ) -> None:
        self.clock = clock
        self.on_fire = on_fire
        self.jitter = jitter
        self.rng = rng or random.Random()
        self.jobs: Mapping[str, Job] = {}
        self.next_runs: dict[str, datetime] = {}
        self._heap: list[tuple[datetime, str]] = []
        self._memo: dict[tuple[Schedule, datetime], Occurrence | None] = {}
        self._sleeping: asyncio.Future[None] | None = None
        self._stopped = False
        self.background = Background()

    # -- the heap ---------------------------------------------------------------------

    def load(self, jobs: Mapping[str, Job], now: datetime) -> dict[str, datetime]:
        """(Re)compute every auto-scheduled job's next instant from `now` (start, reload).

        Nothing is fired for the time before `now` (scheduling.md §9).
        """
        self.jobs = jobs
        self.next_runs = {}
        self._memo = {}
        for name, job in jobs.items():
            due = self._next(job, now)
            if due is not None:
                self.next_runs[name] = due
        self._heap = [(due, name) for name, due in self.next_runs.items()]
        heapq.heapify(self._heap)
        self.wake()
        return dict(self.next_runs)

    def next_due(self) -> datetime | None:
        return self._heap[0][0] if self._heap else None

    def fire_due(self, now: datetime) -> list[Fire]:
        """Pop every job due at or before `now`; its next instant is computed from `now`
        (not from the old one), so a late wake-up never fires the same job twice."""
        fired: list[Fire] = []
        self._memo = {}
        while self._heap and self._heap[0][0] <= now:
            due, name = heapq.heappop(self._heap)
            if self.next_runs.get(name) != due:
                continue  # stale entry left by a reload
            fired.append(Fire(name, due))
            nxt = self._next(self.jobs[name], now)
            if nxt is None:
                self.next_runs.pop(name, None)
            else:
                self.next_runs[name] = nxt
                heapq.heappush(self._heap, (nxt, name))
        return fired

    def _next(self, job: Job, now: datetime) -> datetime | None:
        if not job.frequency.is_auto:
            return None
        # Many jobs share a schedule: compute each distinct one once per `now`.
        key = (job.schedule, now)
        if key not in self._memo:
            self._memo[key] = next_occurrence(job.schedule, now)
        occurrence = self._memo[key]
        if occurrence is None:
            return None
        if occurrence.dst_gap:
            log.warning(
                "DST gap: %s %s does not exist in %s; runs at %s",
                job.name,
                occurrence.wanted,
                job.timezone,
                occurrence.local.isoformat(),
            )
        if self.jitter > timedelta(0):
            return occurrence.at + self.jitter * self.rng.random()
        return occurrence.at

    # -- the driver -------------------------------------------------------------------

    def wake(self) -> None:
        """Make the driver look at the heap again (a reload, a new schedule)."""
        if self._sleeping is not None and not self._sleeping.done():
            self._sleeping.set_result(None)

    def stop(self) -> None:
        self._stopped = True
        self.wake()

    async def run(self) -> None:
        """Sleep until the earliest instant (or a wake-up), fire what is due, repeat."""
        while not self._stopped:
            due = self.next_due()
            delay = None if due is None else max((due - self.clock.now()).total_seconds(), 0.0)
            if delay is None or delay > 0:
                await self._sleep(delay)
                if self._stopped:
                    return
            fires = self.fire_due(self.clock.now())
            if fires:  # together: the jobs due at one instant are dispatched as one batch
                self.background.spawn(self.on_fire(fires), name=f"fire-{fires[0].due}")

    async def _sleep(self, seconds: float | None) -> None:
        """Until `seconds` pass (None: indefinitely) or `wake()`: one future and one timer,
        not wait_for's task and cancellation, so a due instant is met a little sooner."""
        loop = asyncio.get_running_loop()
        self._sleeping = sleeping = loop.create_future()
        timer = None if seconds is None else loop.call_later(seconds, self.wake)
        try:
            await sleeping
        finally:
            self._sleeping = None
            if timer is not None:
                timer.cancel()
