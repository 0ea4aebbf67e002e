"""What a starting daemon does about the past (recovery.md §2–§3, I12, I26), and retention.

- Orphans: PENDING/RUNNING rows of a dead daemon. Their surviving process groups are
  killed, the rows become FAILED ("orphaned: …"), and a retry is scheduled when the
  job has attempts left (new cycle, same trigger and reason).
- Pending retries: RETRYING rows whose next attempt never started are re-armed for
  what is left of their delay.
- Catchup: a `catchup: true` job whose persisted next_run passed while the daemon was
  down runs once, if within `scheduler.catchup_window`.
- Retention: the vacuum of store.md §5, 2 minutes after start and then every 24 h.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import uuid
from datetime import datetime, timedelta

from husky.clock import Clock
from husky.config.daemon_models import RetentionSection
from husky.daemon.runtime import Runtime
from husky.errors import DaemonError
from husky.executor.groups import kill_group
from husky.models import JobState, RunStatus, Trigger
from husky.scheduler.cycle import Request, retry_delay
from husky.store.base import StateStore

log = logging.getLogger("husky.daemon")
ORPHAN_REASON = "orphaned: daemon stopped while running"
RETENTION_FIRST = timedelta(minutes=2)
RETENTION_EVERY = timedelta(hours=24)


async def recover_orphans(rt: Runtime) -> None:
    for run in await rt.store.active_runs():
        if run.pgid is not None and await kill_group(run.pgid, grace=2.0):
            log.warning(
                "orphan run %d of %s: killed its surviving process group %d",
                run.id,
                run.job_name,
                run.pgid,
            )
        await rt.store.rewrite_status(run.id, RunStatus.FAILED, ORPHAN_REASON, rt.clock.now())
        log.warning("orphan run %d of %s marked FAILED", run.id, run.job_name)
        job = rt.config.jobs.get(run.job_name)
        if job is not None and run.attempt <= (job.retries or 0):
            delay = retry_delay(job.retry_delay, run.attempt, rt.dispatcher.rng)
            retry = dataclasses.replace(run, cycle_id=str(uuid.uuid4()))
            rt.dispatcher.arm_retry(retry, delay)
            log.info(
                "orphan run %d of %s will be retried in %.1fs",
                run.id,
                run.job_name,
                delay.total_seconds(),
            )


async def rearm_pending_retries(rt: Runtime) -> None:
    """I12: a RETRYING row whose retry never ran is retried after its remaining delay."""
    now = rt.clock.now()
    for run in await rt.store.pending_retries():
        if run.job_name not in rt.config.jobs or run.retry_at is None:
            continue
        rt.dispatcher.arm_retry(run, max(run.retry_at - now, timedelta(0)))
        log.info(
            "retry of %s (run %d) re-armed for %s", run.job_name, run.id, run.retry_at.isoformat()
        )


async def catch_up(rt: Runtime, states: dict[str, JobState]) -> None:
    window = rt.daemon_config.scheduler.catchup_window_delta
    now = rt.clock.now()
    for name, job in rt.config.jobs.items():
        missed: datetime | None = states[name].next_run if name in states else None
        if not job.catchup or not job.frequency.is_auto or missed is None or missed >= now:
            continue
        if window is not None and now - missed > window:
            log.info("catchup: %s missed %s, outside catchup window", name, missed.isoformat())
            continue
        log.info("catchup: %s missed %s; running it once", name, missed.isoformat())
        req = Request(
            job=name, trigger=Trigger.SCHEDULE, triggered_by="scheduler", reason="catchup"
        )
        try:
            await rt.dispatcher.dispatch(req)
        except DaemonError as exc:
            log.info("catchup of %s not run: %s", name, exc)


async def retention_loop(
    store: StateStore,
    clock: Clock,
    retention: RetentionSection,
    *,
    first: timedelta = RETENTION_FIRST,
    every: timedelta = RETENTION_EVERY,
) -> None:
    """store.md §5: vacuum `first` after start, then every `every`; off when unset."""
    max_age, max_runs = retention.max_age_delta, retention.max_runs_per_job or None
    if max_age is None and max_runs is None:
        return
    await asyncio.sleep(first.total_seconds())
    while True:
        runs, logs, outputs = await store.vacuum(
            clock.now(), max_age=max_age, max_runs_per_job=max_runs
        )
        if runs:
            log.info("retention: deleted %d runs, %d log lines, %d outputs", runs, logs, outputs)
        await asyncio.sleep(every.total_seconds())
