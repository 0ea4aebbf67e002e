"""The domain records Husky keeps: runs, job state, log lines, outputs, alerts.

Timestamps are aware UTC datetimes in Python; the store writes them as fixed-width
`YYYY-MM-DDTHH:MM:SS.mmmZ` text (I25) and `format_ts` / `parse_ts` convert.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum


class RunStatus(StrEnum):
    PENDING = "PENDING"
    RUNNING = "RUNNING"
    SUCCESS = "SUCCESS"
    FAILED = "FAILED"
    CANCELLED = "CANCELLED"
    RETRYING = "RETRYING"
    SKIPPED = "SKIPPED"

    @property
    def is_active(self) -> bool:
        return self in (RunStatus.PENDING, RunStatus.RUNNING)


class Trigger(StrEnum):
    SCHEDULE = "schedule"
    MANUAL = "manual"
    DEPENDENCY = "dependency"


class Stream(StrEnum):
    STDOUT = "stdout"
    STDERR = "stderr"
    HEALTHCHECK = "healthcheck"


def format_ts(value: datetime) -> str:
    """`2026-03-08T07:30:00.123Z`: UTC, milliseconds, fixed width (text order = time order)."""
    return value.astimezone(UTC).isoformat(timespec="milliseconds")[:23] + "Z"


def parse_ts(text: str) -> datetime:
    """Parse stored/JSON timestamps, with or without milliseconds."""
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


@dataclass(frozen=True)
class NewRun:
    """What the dispatcher knows when it inserts a run row."""

    job_name: str
    trigger: Trigger
    triggered_by: str
    reason: str | None
    attempt: int
    cycle_id: str
    created_at: datetime
    status: RunStatus = RunStatus.PENDING
    status_reason: str | None = None
    finished_at: datetime | None = None  # set for rows born terminal (refusals, skips)


@dataclass(frozen=True)
class Run:
    id: int
    job_name: str
    status: RunStatus
    status_reason: str | None
    attempt: int
    trigger: Trigger
    triggered_by: str
    reason: str | None
    started_at: datetime | None
    finished_at: datetime | None
    exit_code: int | None
    sla_breached: bool
    hc_status: str | None
    created_at: datetime
    cycle_id: str | None = None
    pgid: int | None = None
    retry_at: datetime | None = None  # when a RETRYING row's next attempt is due (I12)


@dataclass(frozen=True)
class RunResult:
    """How an attempt ended: everything `finish_run` writes."""

    status: RunStatus
    finished_at: datetime
    exit_code: int | None
    status_reason: str | None = None
    hc_status: str | None = None


@dataclass(frozen=True)
class JobState:
    job_name: str
    last_success: datetime | None = None
    last_failure: datetime | None = None
    last_status: RunStatus | None = None
    next_run: datetime | None = None
    lock_pid: int | None = None


@dataclass(frozen=True)
class LogLine:
    run_id: int
    seq: int
    stream: Stream
    line: str
    ts: datetime


@dataclass(frozen=True)
class LogBatch:
    """Consecutive lines of one stream read together: seqs `first_seq`, `first_seq + 1`, ….

    The executor hands the store and the bus one of these per chunk it reads, so a
    chatty job costs one object per chunk, not one per line.
    """

    run_id: int
    first_seq: int
    stream: Stream
    ts: datetime
    lines: Sequence[str]

    @property
    def last_seq(self) -> int:
        return self.first_seq + len(self.lines) - 1

    def log_lines(self) -> list[LogLine]:
        return [
            LogLine(self.run_id, seq, self.stream, text, self.ts)
            for seq, text in enumerate(self.lines, self.first_seq)
        ]


@dataclass(frozen=True)
class RunOutput:
    run_id: int
    job_name: str
    var_name: str
    value: str
    cycle_id: str
    created_at: datetime


class AlertStatus(StrEnum):
    """Where a notification's delivery stands (store.md `alerts.status`)."""

    PENDING = "pending"
    DELIVERED = "delivered"
    FAILED = "failed"


@dataclass(frozen=True)
class NewAlert:
    """An `alerts` row as the notifier writes it, `pending`, before the first attempt."""

    job_name: str
    run_id: int | None
    event: str
    channel: str
    payload: str  # JSON text, notifications.md §8
    created_at: datetime  # stored as `sent_at`


@dataclass(frozen=True)
class Alert:
    id: int
    job_name: str
    run_id: int | None
    event: str
    channel: str
    status: AlertStatus
    attempts: int
    last_attempt_at: datetime | None
    error: str | None
    sent_at: datetime
    payload: str | None
