"""One run from row to result: wait for a slot, spawn, stream lines, record the outcome.

The `Executor` owns the runs that are PENDING or RUNNING in this daemon (keyed by run
id, C8). A run row exists before its process starts; a finished run's lines are all
committed before its terminal status (the store's FIFO writer guarantees the order).
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Literal

from husky.clock import Clock
from husky.config.effective import Job
from husky.events import EventBus, LogsAppended, RunChanged
from husky.executor.process import ProcessResult, run_process
from husky.models import LogBatch, NewRun, Run, RunResult, RunStatus, Stream, Trigger
from husky.store.base import StateStore

log = logging.getLogger("husky.executor")
CANCELLED_REASON = "cancelled by operator"


@dataclass(frozen=True)
class ExecutorSettings:
    shell: str = "/bin/sh"
    global_env: Mapping[str, str] = field(default_factory=dict)
    working_dir: Path = Path(".")
    max_concurrent_jobs: int = 32
    pool_size: int = 8
    kill_grace: float = 10.0


@dataclass(eq=False)
class ActiveRun:
    run: Run
    job: Job
    cancel: asyncio.Event = field(default_factory=asyncio.Event)
    task: asyncio.Task[Run] | None = None
    executing: bool = False
    stopped: bool = False
    last_seq: int = 0  # lines handed to the store and the bus so far


class Executor:
    def __init__(
        self, store: StateStore, bus: EventBus, clock: Clock, settings: ExecutorSettings
    ) -> None:
        self.store = store
        self.bus = bus
        self.clock = clock
        self.settings = settings
        self.active: dict[int, ActiveRun] = {}
        self._global_slots = asyncio.Semaphore(settings.max_concurrent_jobs)
        self._pool_slots = asyncio.Semaphore(settings.pool_size)

    # -- submitting and cancelling ----------------------------------------------------

    async def submit(
        self,
        job: Job,
        *,
        trigger: Trigger,
        triggered_by: str,
        reason: str | None,
        cycle_id: str,
        attempt: int = 1,
    ) -> Run:
        """Insert the PENDING row and start the run in the background; return the row."""
        new = NewRun(
            job_name=job.name,
            trigger=trigger,
            triggered_by=triggered_by,
            reason=reason or None,
            attempt=attempt,
            cycle_id=cycle_id,
            created_at=self.clock.now(),
        )
        run = await self.store.create_run(new)
        self.bus.publish(RunChanged(run))
        active = ActiveRun(run, job)
        self.active[run.id] = active
        active.task = asyncio.create_task(self._execute(active), name=f"run-{run.id}")
        return run

    def runs_of(self, job_name: str) -> list[ActiveRun]:
        return [a for a in self.active.values() if a.job.name == job_name]

    def cancel(self, run_id: int) -> bool:
        active = self.active.get(run_id)
        if active is None:
            return False
        active.cancel.set()
        return True

    # -- the run itself ---------------------------------------------------------------

    async def _execute(self, active: ActiveRun) -> Run:
        try:
            result = await self._wait_and_run(active)
            return await self._finish(active, result)
        except Exception:
            log.exception("run %d of %s failed inside husky", active.run.id, active.job.name)
            failed = RunResult(RunStatus.FAILED, self.clock.now(), -1, "internal error in husky")
            return await self._finish(active, failed)
        finally:
            self.active.pop(active.run.id, None)

    async def _wait_and_run(self, active: ActiveRun) -> RunResult:
        outcome = await self._acquire_slots(active)
        if outcome != "acquired":
            reason = (
                CANCELLED_REASON if outcome == "cancelled" else "daemon stopped before it started"
            )
            status = RunStatus.CANCELLED if outcome == "cancelled" else RunStatus.SKIPPED
            return RunResult(status, self.clock.now(), None, reason)
        try:
            active.executing = True
            process = await self._run_main(active)
        finally:
            active.executing = False
            self._pool_slots.release()
            self._global_slots.release()
        return self._result(process)

    async def _acquire_slots(
        self, active: ActiveRun
    ) -> Literal["acquired", "cancelled", "stopped"]:
        """Global slot, then executor slot. A PENDING run can be cancelled while it waits;
        when the daemon stops, waiting runs give up (their `cancel` is set with `stopped`)."""
        held: list[asyncio.Semaphore] = []
        for sem in (self._global_slots, self._pool_slots):
            if not sem.locked() and not active.cancel.is_set():
                await sem.acquire()  # free slot: returns at once, no helper tasks
                held.append(sem)
                continue
            acquire = asyncio.ensure_future(sem.acquire())
            interrupted = asyncio.ensure_future(active.cancel.wait())
            await asyncio.wait({acquire, interrupted}, return_when=asyncio.FIRST_COMPLETED)
            interrupted.cancel()
            if acquire.done() and not active.cancel.is_set():
                held.append(sem)
                continue
            if acquire.done():
                held.append(sem)
            else:
                acquire.cancel()
            for got in held:
                got.release()
            return "stopped" if active.stopped else "cancelled"
        return "acquired"

    async def _run_main(self, active: ActiveRun) -> ProcessResult:
        run_id = active.run.id
        marked: asyncio.Future[None] | None = None

        async def sink(stream: Stream, lines: list[str]) -> None:
            batch = LogBatch(run_id, active.last_seq + 1, stream, self.clock.now(), lines)
            active.last_seq += len(lines)
            await self.store.append_batch(batch)
            self.bus.publish(LogsAppended(batch))

        async def on_spawn(pid: int) -> None:
            nonlocal marked
            started = self.clock.now()
            # Not awaited here: the write is queued in order before any log line and
            # awaited before the run finishes, so reading the pipes starts at once.
            marked = asyncio.ensure_future(self.store.mark_running(run_id, started, pid))
            active.run = replace(active.run, status=RunStatus.RUNNING, started_at=started, pgid=pid)
            self.bus.publish(RunChanged(active.run))

        try:
            return await self._spawn(active, sink, on_spawn)
        finally:
            if marked is not None:
                await marked

    async def _spawn(
        self,
        active: ActiveRun,
        sink: Callable[[Stream, list[str]], Awaitable[None]],
        on_spawn: Callable[[int], Awaitable[None]],
    ) -> ProcessResult:
        job = active.job
        return await run_process(
            [self.settings.shell, "-c", job.command],
            cwd=self.working_dir(job),
            env=self.environment(job),
            sink=sink,
            timeout=job.timeout.total_seconds(),
            cancel=active.cancel,
            grace=self.settings.kill_grace,
            on_spawn=on_spawn,
        )

    def working_dir(self, job: Job) -> Path:
        """I14: the job's `working_dir` against the configured base (husky.yaml's directory)."""
        return (
            self.settings.working_dir / job.working_dir
            if job.working_dir
            else self.settings.working_dir
        )

    def environment(self, job: Job) -> dict[str, str]:
        """Daemon environment ← `executor.global_env` ← job `env`; empty values never override."""
        env = dict(os.environ)
        env.update({k: v for k, v in self.settings.global_env.items() if v})
        env.update({k: v for k, v in job.env.items() if v})
        return env

    def _result(self, process: ProcessResult) -> RunResult:
        now = self.clock.now()
        if process.cancelled:
            return RunResult(RunStatus.CANCELLED, now, -1, CANCELLED_REASON)
        status = RunStatus.SUCCESS if process.exit_code == 0 else RunStatus.FAILED
        return RunResult(status, now, process.exit_code, process.status_reason)

    async def _finish(self, active: ActiveRun, result: RunResult) -> Run:
        run_id = active.run.id
        await self.store.finish_run(run_id, result, job_name=active.job.name)
        final = replace(
            active.run,
            status=result.status,
            status_reason=result.status_reason,
            finished_at=result.finished_at,
            exit_code=result.exit_code,
            hc_status=result.hc_status,
            pgid=None,
        )
        active.run = final
        self.bus.publish(RunChanged(final))
        log.info("run %d of %s finished: %s", run_id, active.job.name, result.status)
        return final

    # -- shutdown ---------------------------------------------------------------------

    def stop_accepting(self) -> None:
        """Runs still waiting for a slot end SKIPPED instead of starting (recovery.md §5)."""
        for active in self.active.values():
            if not active.executing:
                active.stopped = True
                active.cancel.set()

    async def drain(self, seconds: float) -> list[ActiveRun]:
        """Wait up to `seconds` for every active run; return those still executing."""
        tasks = [a.task for a in self.active.values() if a.task is not None]
        if tasks:
            await asyncio.wait(tasks, timeout=seconds)
        return list(self.active.values())
