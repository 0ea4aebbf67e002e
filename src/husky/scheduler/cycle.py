"""The values the dispatcher works with: a request to run a job, a cycle's state, the
refusal it answers with, and the retry backoff (execution.md §7.1 with I10)."""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from husky.config.effective import Job
from husky.config.parse import parse_duration
from husky.errors import DaemonError
from husky.models import NewRun, Run, RunStatus, Trigger

RETRY_CAP = timedelta(hours=1)
DEFAULT_RETRY_BASE = timedelta(seconds=30)


class Refused(DaemonError):
    """A dispatch was refused; `run` is the row recording why (if one was written)."""

    def __init__(self, reason: str, run: Run | None = None) -> None:
        super().__init__(reason, 409)
        self.run = run


@dataclass(frozen=True)
class Request:
    job: str
    trigger: Trigger
    triggered_by: str
    reason: str | None
    cycle_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    attempt: int = 1
    scheduled: bool = False  # a plain scheduler fire: a paused job is skipped in the log only

    def new_run(
        self,
        now: datetime,
        status: RunStatus = RunStatus.PENDING,
        reason: str | None = None,
    ) -> NewRun:
        """The row for this request: PENDING, or born terminal (`status`, `reason`, finished now)."""
        return NewRun(
            job_name=self.job,
            trigger=self.trigger,
            triggered_by=self.triggered_by,
            reason=self.reason or None,
            attempt=self.attempt,
            cycle_id=self.cycle_id,
            created_at=now,
            status=status,
            status_reason=reason,
            finished_at=None if status is RunStatus.PENDING else now,
        )


@dataclass
class Cycle:
    """What happened in one cycle: who took part and how each job ended (I4, I8)."""

    id: str
    dispatched: set[str] = field(default_factory=set)
    succeeded: set[str] = field(default_factory=set)  # includes failures under `ignore`
    failed: set[str] = field(default_factory=set)
    waiting: set[str] = field(default_factory=set)  # triggered, waiting for a join
    expected: set[str] = field(default_factory=set)  # triggered, dispatch under way
    in_flight: int = 0  # runs submitted and not yet completed, retries waiting included

    stopped_by: str | None = None

    def takes_part(self, job: str) -> bool:
        return job in self.dispatched or job in self.expected


def retry_delay(policy: str, k: int, rng: random.Random) -> timedelta:
    """Delay before retry `k` (k = 1 → attempt 2): execution.md §7.1 with I10's 1 h cap."""
    base = DEFAULT_RETRY_BASE * 2 ** (k - 1)
    if policy.startswith("fixed:"):
        try:
            fixed = parse_duration(policy[len("fixed:") :])
        except ValueError:
            fixed = timedelta(0)
        base = fixed if fixed > timedelta(0) else DEFAULT_RETRY_BASE
    delay: timedelta = max(base * (1 + rng.uniform(-0.25, 0.25)), timedelta(0))
    return min(delay, RETRY_CAP)


@dataclass(frozen=True)
class Admitted:
    """A request that passed every check of the pipeline: what the executor needs to start it."""

    req: Request
    job: Job
    cycle: Cycle
    command: str
    env: dict[str, str]
    replaced: list[int]  # runs to cancel once it exists (concurrency: replace)
