"""What the executor keeps about each run it owns (PENDING or RUNNING in this daemon, C8),
and what a caller hands it to start one."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Mapping
from dataclasses import dataclass, field

from husky.config.effective import Job
from husky.executor.process import Cancel
from husky.models import NewRun, Run, RunStatus

CANCELLED_REASON = "cancelled by operator"


@dataclass(eq=False)
class ActiveRun:
    run: Run
    job: Job
    command: str
    env: Mapping[str, str]
    cancel: Cancel = field(default_factory=Cancel)
    cancel_reason: str = CANCELLED_REASON
    cancel_status: RunStatus = RunStatus.CANCELLED
    task: asyncio.Task[Run] | None = None
    executing: bool = False
    finishing: bool = False  # completion handling under way: no longer a concurrency victim
    stopped: bool = False
    last_seq: int = 0  # lines handed to the store and the bus so far
    waiting: asyncio.Future[None] | None = None  # queued for a slot
    marked: Awaitable[None] | None = None  # the RUNNING write, queued when it spawned


@dataclass(frozen=True)
class Submission:
    """One run to start: its job, its row, and the command and env rendered for it."""

    job: Job
    new: NewRun
    command: str | None = None  # None: the job's own
    env: Mapping[str, str] | None = None
