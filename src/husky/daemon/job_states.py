"""job_state's outcome columns, held in memory for `GET /api/jobs`.

The daemon is the only writer of job_state. An attempt that ends SUCCESS or FAILED is
written by the executor's `finish_run` (last_success or last_failure, and last_status);
the executor then hands the final run to `on_finalised`, and `record` applies the same
change here. So the job list reads no rows per request and is never older than the
store. The rows are read once, at the first request; outcomes recorded while that read
is in flight are applied to its result (applying one twice changes nothing).

`next_run` and `lock_pid` are not kept: the list shows the scheduler's own `next_run`,
and nothing shows the lock.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import replace

from husky.models import JobState, Run, RunStatus
from husky.store.base import StateStore


class JobStates:
    def __init__(self, store: StateStore) -> None:
        self._store = store
        self._states: dict[str, JobState] | None = None
        self._pending: list[Run] | None = None  # recorded while the first read is in flight
        self._loading = asyncio.Lock()
        #: Bumped by every recorded outcome: a cache of what the states show compares it.
        self.version = 0

    async def current(self) -> Mapping[str, JobState]:
        """Every job_state row by job name (read from the store at the first call only)."""
        if self._states is None:
            async with self._loading:
                if self._states is None:
                    self._pending = []
                    try:
                        states = await self._store.job_states()
                        for run in self._pending:
                            _apply(states, run)
                    finally:
                        self._pending = None
                    self._states = states
        return self._states

    def record(self, run: Run) -> None:
        """A run's final state (`Executor.on_finalised`): the job_state change that
        `finish_run` made for it, if any (SUCCESS and FAILED only, execution.md §8)."""
        if run.status not in _OUTCOMES or run.finished_at is None:
            return
        self.version += 1
        if self._states is not None:
            _apply(self._states, run)
        elif self._pending is not None:
            self._pending.append(run)


_OUTCOMES = (RunStatus.SUCCESS, RunStatus.FAILED)


def _apply(states: dict[str, JobState], run: Run) -> None:
    old = states.get(run.job_name) or JobState(run.job_name)
    if run.status is RunStatus.SUCCESS:
        new = replace(old, last_success=run.finished_at, last_status=run.status)
    else:
        new = replace(old, last_failure=run.finished_at, last_status=run.status)
    states[run.job_name] = new
