"""Following a run's log live: backfill from the store, then lines pushed by the bus.

One feed for every live consumer: `husky logs --tail` (NDJSON over the socket) and the
WebSocket. Lines are de-duplicated by `seq`; a follower that lagged behind the bus
catches up from the store; the feed ends with the run's terminal status.

Followers are the least urgent work of the daemon: they hand frames over in chunks and
yield to the event loop between chunks, so the pipes of running jobs are read first and
a crowd of followers never slows the run they follow (they fall behind instead, and the
bus's lag handling sends them to the store). Each bus batch is encoded to JSON once,
whoever follows it (`FrameCache`).
"""

from __future__ import annotations

import asyncio
import json
from collections import OrderedDict
from collections.abc import AsyncIterator, Sequence
from datetime import datetime

from husky.daemon.runtime import Runtime
from husky.events import Event, LogsAppended, RunChanged
from husky.models import LogBatch, LogLine, Run, RunStatus, Stream, format_ts

CHUNK = 32
"""Frames a follower hands over before it lets the event loop run something else."""
BACKFILL_PAGE = 1_000
"""Lines read from the store at a time when (re)filling a follower."""


def encode_log(run_id: int, seq: int, stream: Stream, line: str, ts: str) -> str:
    """One `log` frame: the LogLine shape of api.md §5 plus `"type": "log"`."""
    frame = {"type": "log", "run_id": run_id, "seq": seq, "stream": str(stream), "line": line}
    frame["ts"] = ts
    return json.dumps(frame)


class FrameCache:
    """Encoded `log` frames of recent bus batches, shared by every follower of a run, and
    a limit on how many followers read the store at once (each read holds the GIL in a
    worker thread for a while, which the event loop, reading job pipes, would feel)."""

    def __init__(self, capacity: int = 2048, concurrent_reads: int = 1) -> None:
        self._frames: OrderedDict[tuple[int, int], list[str]] = OrderedDict()
        self._capacity = capacity
        self.reads = asyncio.Semaphore(concurrent_reads)

    def frames(self, batch: LogBatch) -> list[str]:
        key = (batch.run_id, batch.first_seq)
        frames = self._frames.get(key)
        if frames is None:
            ts = format_ts(batch.ts)
            frames = self._frames[key] = [
                encode_log(batch.run_id, seq, batch.stream, text, ts)
                for seq, text in enumerate(batch.lines, batch.first_seq)
            ]
            if len(self._frames) > self._capacity:
                self._frames.popitem(last=False)
        return frames


class RunFeed:
    """One follower of one run. Iterate `chunks()` for encoded `log` frames; afterwards
    `status` is the run's terminal status, or None when the run does not exist."""

    def __init__(
        self, rt: Runtime, run_id: int, *, include_healthcheck: bool, cache: FrameCache
    ) -> None:
        self.rt = rt
        self.run_id = run_id
        self.include_healthcheck = include_healthcheck
        self.cache = cache
        self.status: RunStatus | None = None
        self._last_seq = 0

    def _wanted(self, stream: Stream) -> bool:
        return self.include_healthcheck or stream is not Stream.HEALTHCHECK

    def _from_lines(self, lines: Sequence[LogLine]) -> list[str]:
        out = []
        stamps: dict[datetime, str] = {}  # lines read together mostly share a timestamp
        for line in lines:
            if line.seq > self._last_seq:
                self._last_seq = line.seq
                if self._wanted(line.stream):
                    ts = stamps.get(line.ts) or stamps.setdefault(line.ts, format_ts(line.ts))
                    out.append(encode_log(line.run_id, line.seq, line.stream, line.line, ts))
        return out

    def _from_batch(self, batch: LogBatch) -> list[str]:
        if batch.last_seq <= self._last_seq:
            return []
        skip = max(0, self._last_seq - batch.first_seq + 1)
        self._last_seq = batch.last_seq
        if not self._wanted(batch.stream):
            return []
        frames = self.cache.frames(batch)
        return frames[skip:] if skip else frames

    async def _backfill(self) -> AsyncIterator[list[str]]:
        """Lines already handed to the store (those still queued for commit included)."""
        await self.rt.store.flush()
        while True:
            async with self.cache.reads:
                page = await self.rt.store.get_logs(
                    self.run_id, after_seq=self._last_seq, limit=BACKFILL_PAGE
                )
            frames = self._from_lines(page)
            for start in range(0, len(frames), CHUNK):
                yield frames[start : start + CHUNK]
                await asyncio.sleep(0)
            if len(page) < BACKFILL_PAGE:
                return

    async def _chunked(self, frames: list[str]) -> AsyncIterator[list[str]]:
        for start in range(0, len(frames), CHUNK):
            yield frames[start : start + CHUNK]
            await asyncio.sleep(0)

    async def chunks(self) -> AsyncIterator[list[str]]:
        rt, run_id = self.rt, self.run_id
        follower = rt.bus.follow(run_id)
        try:
            active = rt.executor.active.get(run_id)
            if active is None or active.last_seq > 0:  # else nothing printed yet
                async for chunk in self._backfill():
                    yield chunk
            run: Run | None = active.run if active is not None else await rt.store.get_run(run_id)
            if run is None:
                return
            while run.status.is_active:
                event = await follower.get()
                if follower.lagged:
                    for missed in [event, *_drain(follower.queue)]:
                        if isinstance(missed, RunChanged):
                            run = missed.run
                    follower.resync()
                    async for chunk in self._backfill():
                        yield chunk
                    if run.status.is_active:
                        run = await rt.store.get_run(run_id) or run
                elif isinstance(event, LogsAppended):
                    if event.batch.first_seq > self._last_seq + 1:  # before we subscribed
                        async for chunk in self._backfill():
                            yield chunk
                    async for chunk in self._chunked(self._from_batch(event.batch)):
                        yield chunk
                elif isinstance(event, RunChanged):
                    # Every batch was published before this event on the same queue, and a
                    # lag or a gap would have sent us to the store: nothing is missing.
                    run = event.run
            self.status = run.status
        finally:
            rt.bus.unfollow(follower)


def _drain(queue: asyncio.Queue[Event]) -> list[Event]:
    events = []
    while not queue.empty():
        events.append(queue.get_nowait())
    return events


def end_frame(run_id: int, status: RunStatus) -> str:
    return json.dumps({"type": "end", "run_id": run_id, "status": str(status)})
