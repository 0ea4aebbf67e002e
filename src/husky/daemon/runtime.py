"""What a running daemon holds and the operations the API performs on it.

Built by the composition root (`daemon/app.py`) and handed to the API; nothing here
binds sockets or handles signals.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from husky import __version__
from husky.clock import Clock
from husky.config.candidate import check_candidate, write_config
from husky.config.daemon_models import DaemonConfig
from husky.config.effective import HuskyConfig
from husky.config.load import load_config
from husky.daemon.job_states import JobStates
from husky.dag import Dag, build_dag
from husky.errors import ConfigError, DaemonError, HuskyError
from husky.events import EventBus
from husky.executor.runner import Executor
from husky.models import Run, Trigger
from husky.paths import DataDir
from husky.scheduler.cycle import Refused, Request
from husky.scheduler.dispatch import Dispatcher
from husky.scheduler.loop import ScheduleLoop
from husky.store.base import StateStore

if TYPE_CHECKING:
    from husky.notify.notifier import Notifier

log = logging.getLogger("husky.daemon")


@runtime_checkable
class Reloadable(Protocol):
    """State besides husky.yaml that every reload re-reads (the bearer token file, I19)."""

    def prepare(self) -> Callable[[], None]:
        """Read the new state (called off the event loop); raise HuskyError when it is
        unusable. The returned callable swaps it in once the whole reload succeeds."""
        ...


@dataclass
class Runtime:
    config: HuskyConfig
    dag: Dag
    daemon_config: DaemonConfig
    config_path: Path
    config_display: str
    daemon_config_display: str
    data: DataDir
    db_path: Path
    store: StateStore
    executor: Executor
    bus: EventBus
    clock: Clock
    started_at: datetime
    dispatcher: Dispatcher
    schedule: ScheduleLoop
    version: str = __version__
    pid: int = field(default_factory=os.getpid)
    paused: set[str] = field(default_factory=set)
    stopping: bool = False
    stop_requested: asyncio.Event = field(default_factory=asyncio.Event)
    #: One `save_config` at a time: check, write and reload must not interleave.
    config_edit: asyncio.Lock = field(default_factory=asyncio.Lock)
    reloadables: list[Reloadable] = field(default_factory=list)
    #: Notifications; `notifier.resend(alert_id)` re-sends an alert (I20).
    notifier: Notifier | None = None
    #: job_state's outcomes in memory (`GET /api/jobs`), fed by the executor.
    job_states: JobStates = field(init=False)

    def __post_init__(self) -> None:
        """Every final run goes to `job_states` first, then to the hook already set (the
        audit log)."""
        self.job_states = JobStates(self.store)
        then = self.executor.on_finalised

        def finalised(run: Run) -> None:
            self.job_states.record(run)
            if then is not None:
                then(run)

        self.executor.on_finalised = finalised

    # -- jobs -------------------------------------------------------------------------

    def job_or_404(self, name: str) -> None:
        if name not in self.config.jobs:
            raise DaemonError("job not found", 404)

    @property
    def next_runs(self) -> dict[str, datetime]:
        return self.schedule.next_runs

    async def run_job(self, name: str, *, reason: str | None, triggered_by: str) -> Run:
        """A manual run or retry (execution.md §3): trigger `manual`, a new cycle.
        Raises Refused (409) when the dispatch is refused, with the recorded reason (I3)."""
        if self.stopping:
            raise DaemonError("daemon is shutting down", 503)
        if name not in self.config.jobs:
            raise DaemonError("job not found", 404)
        req = Request(job=name, trigger=Trigger.MANUAL, triggered_by=triggered_by, reason=reason)
        run = await self.dispatcher.dispatch(req)
        if run is None:
            raise Refused("waiting for its upstreams")
        return run

    def pause(self, names: list[str]) -> None:
        self.paused.update(names)

    def resume(self, names: list[str]) -> int:
        resumed = [n for n in names if n in self.paused]
        self.paused.difference_update(resumed)
        return len(resumed)

    def tagged(self, tag: str) -> list[str]:
        return [name for name, job in self.config.jobs.items() if tag in job.tags]

    async def persist_schedule(self) -> None:
        """[C1] job_state.next_run for every auto-scheduled job."""
        await self.store.set_next_runs(dict(self.schedule.next_runs))

    def cancel_job(self, name: str) -> int:
        """Cancel every PENDING or RUNNING run of the job; how many were cancelled."""
        runs = self.executor.runs_of(name)
        if not runs:
            raise DaemonError(f'job "{name}" is not currently running', 400)
        for active in runs:
            self.executor.cancel(active.run.id)
        return len(runs)

    # -- daemon -----------------------------------------------------------------------

    async def reload(self) -> None:
        """Re-read husky.yaml and the reloadables (off the loop) and swap them in together;
        raise DaemonError and keep the old state when any is invalid (recovery.md §4, I19)."""
        try:
            config, dag = await asyncio.to_thread(self._load)
            commits = await asyncio.to_thread(self._prepare_reloadables)
        except DaemonError as exc:
            log.error("hot-reload failed, keeping old config: %s", exc)
            raise
        self.config, self.dag = config, dag
        for commit in commits:
            commit()
        self.executor.refresh_environment()
        self.schedule.load(config.jobs, self.clock.now())
        await self.persist_schedule()
        log.info("config reloaded (%d jobs)", len(config.jobs))

    async def save_config(self, text: str) -> ConfigError | None:
        """Replace husky.yaml with `text` and reload (api.md §6 `POST /api/config/save`).

        Returns the validation problems, with nothing written and the running config kept,
        when `text` is invalid. Raises OSError when the file cannot be written (nothing
        changed) and DaemonError when the reload after a successful write fails.
        """
        async with self.config_edit:
            problems = await asyncio.to_thread(
                check_candidate, self.config_path, self.config_display, text
            )
            if problems is not None:
                return problems
            await asyncio.to_thread(write_config, self.config_path, text)
            log.info("husky.yaml saved through the API")
            await self.reload()
        return None

    def _load(self) -> tuple[HuskyConfig, Dag]:
        try:
            config = load_config(self.config_path, display=self.config_display)
        except ConfigError as exc:
            raise DaemonError(f"reload: config load failed: {exc}", 400) from None
        try:
            return config.without_source(), build_dag(config)
        except ConfigError as exc:
            raise DaemonError(f"reload: dag validation failed: {exc}", 400) from None

    def _prepare_reloadables(self) -> list[Callable[[], None]]:
        try:
            return [extra.prepare() for extra in self.reloadables]
        except HuskyError as exc:
            raise DaemonError(f"reload: {exc}", 400) from None

    def request_stop(self) -> None:
        self.stop_requested.set()

    # -- data fixes (api.md §6 /api/db/*) -----------------------------------------------

    async def retry_alert(self, alert_id: int) -> None:
        """I20: put a delivered or failed alert back to `pending` and send it again
        (404 `alert not found`, 409 `alert is already pending retry`)."""
        if self.notifier is None:
            raise DaemonError("notifications are not running", 503)
        await self.notifier.resend(alert_id)

    async def clear_lock(self, job: str) -> None:
        """NULL the job's `lock_pid`; refused (409) while the job has a RUNNING run."""
        if not await self.store.clear_lock(job):
            raise DaemonError(
                f'job "{job}" has a RUNNING execution; stop it before clearing the lock', 409
            )
