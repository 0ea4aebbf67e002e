"""Following a run's log live: backfill from the store, then lines pushed by the bus.

One feed for every live consumer: `husky logs --tail` (NDJSON over the socket) and the
WebSocket. Lines are de-duplicated by `seq`; a follower that lagged behind the bus
catches up from the store; the feed ends with the run's terminal status.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from typing import Any

from husky.api.shapes import log_json
from husky.daemon.runtime import Runtime
from husky.events import LogsAppended, RunChanged
from husky.models import LogLine, Run, Stream


async def follow_run(
    rt: Runtime, run_id: int, *, include_healthcheck: bool
) -> AsyncIterator[dict[str, Any]]:
    """Yield `{"type": "log", …LogLine}` frames, then `{"type": "end", "status": …}`."""
    follower = rt.bus.follow(run_id)
    last_seq = 0

    def frames(lines: Sequence[LogLine]) -> list[dict[str, Any]]:
        nonlocal last_seq
        out = []
        for line in lines:
            if line.seq <= last_seq:
                continue
            last_seq = line.seq
            if include_healthcheck or line.stream is not Stream.HEALTHCHECK:
                out.append({"type": "log", **log_json(line)})
        return out

    async def backfill() -> list[dict[str, Any]]:
        """Lines already handed to the store, including those still queued for commit."""
        await rt.store.flush()
        return frames(await rt.store.get_logs(run_id, after_seq=last_seq))

    def end(run: Run) -> dict[str, Any]:
        return {"type": "end", "run_id": run_id, "status": str(run.status)}

    try:
        active = rt.executor.active.get(run_id)
        if active is None or active.last_seq > 0:  # else nothing printed yet: skip the store
            for frame in await backfill():
                yield frame
        run = active.run if active is not None else await rt.store.get_run(run_id)
        if run is None:
            yield {"type": "error", "error": "run not found"}
            return
        if not run.status.is_active:
            yield end(run)
            return
        while True:
            event = await follower.get()
            if follower.lagged:
                while not follower.queue.empty():
                    follower.queue.get_nowait()
                follower.resync()
                for frame in await backfill():
                    yield frame
                run = await rt.store.get_run(run_id)
                if run is not None and not run.status.is_active:
                    yield end(run)
                    return
                continue
            if isinstance(event, LogsAppended):
                if event.batch.first_seq > last_seq + 1:  # published before we subscribed
                    for frame in await backfill():
                        yield frame
                for frame in frames(event.batch.log_lines()):
                    yield frame
            elif isinstance(event, RunChanged) and not event.run.status.is_active:
                # Every batch was published before this event on the same queue, and
                # a lag or a gap would have sent us to the store: nothing is missing.
                yield end(event.run)
                return
    finally:
        rt.bus.unfollow(follower)
