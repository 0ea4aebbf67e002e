"""JSON shapes of api.md §5, with exact field names. Timestamps carry milliseconds (I25)."""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from husky.config.effective import Job
from husky.config.parse import format_duration
from husky.models import Alert, JobState, LogLine, Run, RunOutput, format_ts

#: `format_ts` memoised: formatting costs ~20x a lookup, and the same instants recur
#: (every poll of a view re-reads the same rows; a chunk of log lines shares one).
stamp = lru_cache(maxsize=16384)(format_ts)


def ts(value: datetime | None) -> str | None:
    return None if value is None else stamp(value)


def go_duration(value: timedelta) -> str:
    """Whole seconds in Go's style: `45s`, `1m0s`, `2h0m5s`."""
    return format_duration(timedelta(seconds=max(0, round(value.total_seconds()))))


def run_json(run: Run) -> dict[str, Any]:
    """api.md §5 Run; `store/sqlite_views.py` builds the same object in SQL for `/api/audit`."""
    out: dict[str, Any] = {"id": run.id, "job_name": run.job_name, "status": str(run.status)}
    if run.status_reason:
        out["status_reason"] = run.status_reason
    out.update(
        attempt=run.attempt,
        trigger=str(run.trigger),
        triggered_by=run.triggered_by,
        reason=run.reason or "",
    )
    for key, value in (
        ("started_at", ts(run.started_at)),
        ("finished_at", ts(run.finished_at)),
        ("exit_code", run.exit_code),
        ("hc_status", run.hc_status),
    ):
        if value is not None:
            out[key] = value
    out["sla_breached"] = run.sla_breached
    out["created_at"] = stamp(run.created_at)
    return out


def log_json(line: LogLine) -> dict[str, Any]:
    """api.md §5 LogLine; `store/sqlite_views.py` builds the same object in SQL for `/logs`."""
    return {
        "run_id": line.run_id,
        "seq": line.seq,
        "stream": str(line.stream),
        "line": line.line,
        "ts": stamp(line.ts),
    }


def output_json(output: RunOutput) -> dict[str, Any]:
    return {
        "run_id": output.run_id,
        "job_name": output.job_name,
        "var_name": output.var_name,
        "value": output.value,
        "cycle_id": output.cycle_id,
    }


def job_summary_json(
    job: Job, state: JobState | None, *, next_run: datetime | None, running: bool, paused: bool
) -> dict[str, Any]:
    out: dict[str, Any] = {
        "name": job.name,
        "description": job.description,
        "frequency": job.frequency_text,
    }
    if job.timezone:
        out["timezone"] = job.timezone
    if job.tags:
        out["tags"] = list(job.tags)
    for key, value in (
        ("next_run", ts(next_run)),
        ("last_success", ts(state.last_success if state else None)),
        ("last_failure", ts(state.last_failure if state else None)),
    ):
        if value is not None:
            out[key] = value
    out["running"] = running
    if paused:
        out["paused"] = True
    return out


def alert_json(alert: Alert) -> dict[str, Any]:
    """api.md §5 Alert: `run_id`, `event`, `last_attempt_at`, `error`, `payload` omitted
    when NULL or empty."""
    out: dict[str, Any] = {"id": alert.id, "job_name": alert.job_name}
    if alert.run_id is not None:
        out["run_id"] = alert.run_id
    if alert.event:
        out["event"] = alert.event
    out.update(channel=alert.channel, status=str(alert.status), attempts=alert.attempts)
    if alert.last_attempt_at is not None:
        out["last_attempt_at"] = stamp(alert.last_attempt_at)
    if alert.error:
        out["error"] = alert.error
    out["sent_at"] = stamp(alert.sent_at)
    if alert.payload:
        out["payload"] = alert.payload
    return out


def state_json(state: JobState) -> dict[str, Any]:
    """A `job_state` row for `/api/db/state`: the five columns of store.md §3, NULLs omitted."""
    out: dict[str, Any] = {"job_name": state.job_name}
    for key, value in (
        ("last_success", ts(state.last_success)),
        ("last_failure", ts(state.last_failure)),
        ("next_run", ts(state.next_run)),
        ("lock_pid", state.lock_pid),
    ):
        if value is not None:
            out[key] = value
    return out
