"""One run from row to result: wait for a slot, spawn, stream lines, healthcheck,
capture outputs, record the outcome, then hand it to the dispatcher.

The `Executor` owns the runs that are PENDING or RUNNING in this daemon (keyed by run
id, C8). A run row exists before its process starts; a finished run's lines are all
committed before its terminal status (the store's FIFO writer guarantees the order).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Literal

from husky.background import Background
from husky.clock import Clock
from husky.config.effective import Job
from husky.events import EventBus, ForcedKill, LogsAppended, RunChanged, SlaBreached
from husky.executor.limits import Slots
from husky.executor.outputs import OutputCapture
from husky.executor.process import LineSink, ProcessResult, run_process
from husky.models import LogBatch, NewRun, Run, RunOutput, RunResult, RunStatus, Stream
from husky.store.base import StateStore

log = logging.getLogger("husky.executor")
CANCELLED_REASON = "cancelled by operator"
Completion = Callable[[Job, Run, RunResult], Awaitable[None]]


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
    command: str
    env: Mapping[str, str]
    cancel: asyncio.Event = field(default_factory=asyncio.Event)
    cancel_reason: str = CANCELLED_REASON
    cancel_status: RunStatus = RunStatus.CANCELLED
    task: asyncio.Task[Run] | None = None
    executing: bool = False
    finishing: bool = False  # completion handling under way: no longer a concurrency victim
    stopped: bool = False
    last_seq: int = 0  # lines handed to the store and the bus so far
    waiting: asyncio.Future[None] | None = None  # queued for a slot


class Executor:
    def __init__(
        self, store: StateStore, bus: EventBus, clock: Clock, settings: ExecutorSettings
    ) -> None:
        self.store = store
        self.bus = bus
        self.clock = clock
        self.settings = settings
        self.active: dict[int, ActiveRun] = {}
        self._by_job: dict[str, dict[int, ActiveRun]] = {}
        self._base_env: dict[str, str] | None = None
        self.on_complete: Completion | None = None
        self.on_finalised: Callable[[Run], None] | None = None  # the audit log
        self.background = Background()
        self._global_slots = Slots(settings.max_concurrent_jobs)
        self._pool_slots = Slots(settings.pool_size)

    # -- submitting and cancelling ----------------------------------------------------

    async def submit(
        self,
        job: Job,
        new: NewRun,
        *,
        command: str | None = None,
        env: Mapping[str, str] | None = None,
    ) -> Run:
        """Insert the PENDING row and start the run in the background; return the row.
        `command`/`env` are the job's, rendered (templates) by the dispatcher."""
        run = await self.store.create_run(new)
        self.announce(run)
        active = ActiveRun(
            run,
            job,
            job.command if command is None else command,
            job.env if env is None else env,
        )
        self.active[run.id] = active
        self._by_job.setdefault(job.name, {})[run.id] = active
        active.task = asyncio.create_task(self._execute(active), name=f"run-{run.id}")
        return run

    def announce(self, run: Run) -> None:
        self.bus.publish(RunChanged(run))

    def runs_of(self, job_name: str) -> list[ActiveRun]:
        return list(self._by_job.get(job_name, {}).values())

    def cancel(
        self, run_id: int, reason: str = CANCELLED_REASON, status: RunStatus = RunStatus.CANCELLED
    ) -> bool:
        active = self.active.get(run_id)
        if active is None or active.finishing:
            return False
        active.cancel_reason, active.cancel_status = reason, status
        active.cancel.set()
        if active.waiting is not None:
            active.waiting.cancel()
        return True

    # -- the run itself ---------------------------------------------------------------

    async def _execute(self, active: ActiveRun) -> Run:
        sla = self._arm_sla(active)
        try:
            try:
                result = await self._wait_and_run(active)
            except Exception:
                log.exception("run %d of %s failed inside husky", active.run.id, active.job.name)
                result = RunResult(
                    RunStatus.FAILED, self.clock.now(), -1, "internal error in husky"
                )
            finally:
                if sla is not None:
                    sla.cancel()
            active.finishing = True
            final = await self._finish(active, result)
        finally:
            self.active.pop(active.run.id, None)
            of_job = self._by_job.get(active.job.name)
            if of_job is not None:
                of_job.pop(active.run.id, None)
                if not of_job:
                    del self._by_job[active.job.name]
        if self.on_complete is not None:
            try:
                await self.on_complete(active.job, final, result)
            except Exception:
                log.exception("completion handling of run %d failed", final.id)
        return final

    def _arm_sla(self, active: ActiveRun) -> asyncio.TimerHandle | None:
        """execution.md §10: from row insertion; fires only while the job executes."""
        sla = active.job.sla
        if sla is None or sla.total_seconds() <= 0:
            return None

        def breached() -> None:
            if active.executing and not active.finishing:
                self.background.spawn(self._sla_breached(active), name=f"sla-{active.run.id}")

        return asyncio.get_running_loop().call_later(sla.total_seconds(), breached)

    async def _sla_breached(self, active: ActiveRun) -> None:
        await self.store.set_sla_breached(active.run.id)
        active.run = replace(active.run, sla_breached=True)
        log.warning(
            "sla breached: %s run %d still running after %s",
            active.job.name,
            active.run.id,
            active.job.sla_text,
        )
        self.bus.publish(SlaBreached(active.run))
        self.announce(active.run)

    async def _wait_and_run(self, active: ActiveRun) -> RunResult:
        outcome = await self._acquire_slots(active)
        if outcome != "acquired":
            status = active.cancel_status if outcome == "cancelled" else RunStatus.SKIPPED
            reason = (
                active.cancel_reason
                if outcome == "cancelled"
                else "daemon stopped before it started"
            )
            return RunResult(status, self.clock.now(), None, reason)
        try:
            active.executing = True
            return await self._run(active)
        finally:
            active.executing = False
            self._pool_slots.release()
            self._global_slots.release()

    async def _acquire_slots(
        self, active: ActiveRun
    ) -> Literal["acquired", "cancelled", "stopped"]:
        """Global slot, then executor slot, first come first served. A PENDING run can be
        cancelled while it waits; when the daemon stops, waiting runs give up too."""
        held: list[Slots] = []
        for slots in (self._global_slots, self._pool_slots):
            if active.cancel.is_set():
                break
            if slots.take_now():
                held.append(slots)
                continue
            active.waiting = slots.queue()
            try:
                await active.waiting
            except asyncio.CancelledError:
                if not (active.waiting.cancelled() and active.cancel.is_set()):
                    raise  # this task is being cancelled, not just the wait
            else:
                held.append(slots)
            finally:
                active.waiting = None
        if len(held) == 2 and not active.cancel.is_set():
            return "acquired"
        for slots in held:
            slots.release()
        return "stopped" if active.stopped else "cancelled"

    async def _run(self, active: ActiveRun) -> RunResult:
        """Main command, output capture, then the healthcheck (execution.md §4–§11)."""
        capture = OutputCapture(active.job.output)
        process = await self._main(active, capture)
        self._report_forced_kill(active, process)
        now = self.clock.now()
        if process.cancelled:
            return RunResult(active.cancel_status, now, -1, active.cancel_reason)
        if process.spawn_error is None and capture.wanted:
            await self._store_outputs(active, capture.values(process.exit_code))
        if process.exit_code != 0:
            return RunResult(RunStatus.FAILED, now, process.exit_code, process.status_reason)
        hc = active.job.healthcheck
        if hc is None:
            return RunResult(RunStatus.SUCCESS, now, 0)
        check = await self._spawn(
            active,
            hc.command,
            self._sink(active, None),
            hc.timeout.total_seconds(),
            (Stream.HEALTHCHECK, Stream.HEALTHCHECK),
        )
        self._report_forced_kill(active, check)
        now = self.clock.now()
        if check.cancelled:
            return RunResult(active.cancel_status, now, -1, active.cancel_reason)
        if check.exit_code == 0:
            return RunResult(RunStatus.SUCCESS, now, 0, hc_status="pass")
        if hc.on_fail == "warn_only":
            log.warning(
                "healthcheck of %s run %d failed (warn_only)", active.job.name, active.run.id
            )
            return RunResult(RunStatus.SUCCESS, now, 0, hc_status="warn")
        why = "timed out" if check.timed_out else f"exit {check.exit_code}"
        return RunResult(RunStatus.FAILED, now, -2, f"healthcheck failed ({why})", hc_status="fail")

    async def _store_outputs(self, active: ActiveRun, values: Mapping[str, str]) -> None:
        now = self.clock.now()
        run = active.run
        rows = [
            RunOutput(run.id, run.job_name, var, value, run.cycle_id or "", now)
            for var, value in values.items()
        ]
        missing = sorted(set(active.job.output) - set(values))
        if missing:
            log.warning(
                "%s run %d captured no value for output(s) %s",
                run.job_name,
                run.id,
                ", ".join(missing),
            )
        await self.store.add_outputs(rows)

    def _sink(self, active: ActiveRun, capture: OutputCapture | None) -> LineSink:
        run_id = active.run.id

        async def sink(stream: Stream, lines: list[str]) -> None:
            batch = LogBatch(run_id, active.last_seq + 1, stream, self.clock.now(), lines)
            active.last_seq += len(lines)
            if capture is not None and stream is Stream.STDOUT:
                capture.feed(lines)
            await self.store.append_batch(batch)
            self.bus.publish(LogsAppended(batch))

        return sink

    async def _main(self, active: ActiveRun, capture: OutputCapture) -> ProcessResult:
        run_id = active.run.id
        marked: asyncio.Future[None] | None = None

        async def on_spawn(pid: int) -> None:
            nonlocal marked
            started = self.clock.now()
            # Not awaited here: the write is queued in order before any log line and
            # awaited before the run finishes, so reading the pipes starts at once.
            marked = asyncio.ensure_future(self.store.mark_running(run_id, started, pid))
            active.run = replace(active.run, status=RunStatus.RUNNING, started_at=started, pgid=pid)
            self.announce(active.run)

        sink = self._sink(active, capture if capture.wanted else None)
        try:
            return await self._spawn(
                active,
                active.command,
                sink,
                active.job.timeout.total_seconds(),
                (Stream.STDOUT, Stream.STDERR),
                on_spawn,
            )
        finally:
            if marked is not None:
                await marked

    async def _spawn(
        self,
        active: ActiveRun,
        command: str,
        sink: LineSink,
        limit_s: float,
        streams: tuple[Stream, Stream],
        on_spawn: Callable[[int], Awaitable[None]] | None = None,
    ) -> ProcessResult:
        return await run_process(
            [self.settings.shell, "-c", command],
            cwd=self.working_dir(active.job),
            env=self.environment(active.env),
            sink=sink,
            timeout=limit_s,
            cancel=active.cancel,
            grace=self.settings.kill_grace,
            on_spawn=on_spawn,
            stream_names=streams,
        )

    def working_dir(self, job: Job) -> Path:
        """I14: the job's `working_dir` against the configured base (husky.yaml's directory)."""
        return (
            self.settings.working_dir / job.working_dir
            if job.working_dir
            else self.settings.working_dir
        )

    def refresh_environment(self) -> None:
        """Forget the merged base environment (a reload may have read new `.env` keys)."""
        self._base_env = None

    def environment(self, job_env: Mapping[str, str]) -> dict[str, str]:
        """Daemon environment ← `executor.global_env` ← job `env`; empty values never override.

        The first two are merged once: `.env` is applied before the executor exists."""
        if self._base_env is None:
            base = dict(os.environ)
            base.update({k: v for k, v in self.settings.global_env.items() if v})
            self._base_env = base
        overrides = {k: v for k, v in job_env.items() if v}
        return {**self._base_env, **overrides} if overrides else self._base_env

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
        self.announce(final)
        if self.on_finalised is not None:
            self.on_finalised(final)
        log.debug("run %d of %s finished: %s", run_id, active.job.name, result.status)
        return final

    # -- shutdown ---------------------------------------------------------------------

    def stop_accepting(self) -> None:
        """Runs still waiting for a slot end SKIPPED instead of starting (recovery.md §5)."""
        for active in self.active.values():
            if not active.executing:
                active.stopped = True
                active.cancel.set()
                if active.waiting is not None:
                    active.waiting.cancel()

    async def drain(self, seconds: float) -> list[ActiveRun]:
        """Wait up to `seconds` for every active run; return those still executing."""
        tasks = [a.task for a in self.active.values() if a.task is not None]
        if tasks:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait(tasks, timeout=seconds)
        return list(self.active.values())

    # -- notifications ----------------------------------------------------------------

    def _report_forced_kill(self, active: ActiveRun, process: ProcessResult) -> None:
        """SIGTERM and the grace were not enough (`alerts.on_forced_kill`): the process we
        stopped for a timeout or a cancel died of SIGKILL."""
        if (process.timed_out or process.cancelled) and process.signal == signal.SIGKILL:
            why = "timed out" if process.timed_out else active.cancel_reason
            self.bus.publish(ForcedKill(active.run, why))
