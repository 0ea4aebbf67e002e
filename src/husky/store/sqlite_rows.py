"""Row <-> record mapping for the SQLite store, in both directions, in one place.

Column lists here match the SELECTs in `sqlite_reader.py` and the INSERTs in
`sqlite.py`. Timestamps are `format_ts` text; `reason` is NULL when empty.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from husky.models import (
    JobState,
    LogBatch,
    LogLine,
    NewRun,
    Run,
    RunOutput,
    RunStatus,
    Stream,
    Trigger,
    format_ts,
    parse_ts,
)

Row = Sequence[Any]
LogRow = tuple[int, int, str, str, str]

RUN_COLUMNS = (
    "id, job_name, status, status_reason, attempt, trigger, triggered_by, reason, started_at,"
    " finished_at, exit_code, sla_breached, hc_status, created_at, cycle_id, pgid, retry_at"
)
INSERT_RUN = (
    "INSERT INTO job_runs (job_name, status, status_reason, attempt, trigger, triggered_by,"
    " reason, started_at, finished_at, exit_code, sla_breached, hc_status, created_at, cycle_id)"
    f" VALUES (?, ?, ?, ?, ?, ?, ?, NULL, ?, NULL, 0, NULL, ?, ?) RETURNING {RUN_COLUMNS}"
)
LOG_COLUMNS = "run_id, seq, stream, line, ts"
INSERT_LOG = f"INSERT INTO run_logs ({LOG_COLUMNS}) VALUES (?, ?, ?, ?, ?)"
OUTPUT_COLUMNS = "run_id, job_name, var_name, value, cycle_id, created_at"
INSERT_OUTPUT = f"INSERT INTO run_outputs ({OUTPUT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?)"
JOB_STATE_COLUMNS = "job_name, last_success, last_failure, last_status, next_run, lock_pid"

_STATUSES = {s.value: s for s in RunStatus}
_STREAMS = {s.value: s for s in Stream}
_TRIGGERS = {t.value: t for t in Trigger}
_MILLIS = tuple(f".{ms:03d}Z" for ms in range(1000))


def ts_text(value: datetime) -> str:
    """`format_ts`, with a fast path for datetimes already in UTC (the common case)."""
    if value.tzinfo is UTC:
        return value.isoformat(timespec="milliseconds")[:23] + "Z"
    return format_ts(value)


def opt_ts_text(value: datetime | None) -> str | None:
    return None if value is None else ts_text(value)


def _opt_ts(text: str | None) -> datetime | None:
    return None if text is None else parse_ts(text)


# -- runs -----------------------------------------------------------------------------


def new_run_params(new: NewRun) -> tuple[object, ...]:
    return (
        new.job_name,
        new.status.value,
        new.status_reason,
        new.attempt,
        new.trigger.value,
        new.triggered_by,
        new.reason or None,
        opt_ts_text(new.finished_at),
        ts_text(new.created_at),
        new.cycle_id,
    )


def run_from_row(row: Row) -> Run:
    return Run(
        id=row[0],
        job_name=row[1],
        status=_STATUSES[row[2]],
        status_reason=row[3],
        attempt=row[4],
        trigger=_TRIGGERS[row[5]],
        triggered_by=row[6],
        reason=row[7] or None,
        started_at=_opt_ts(row[8]),
        finished_at=_opt_ts(row[9]),
        exit_code=row[10],
        sla_breached=bool(row[11]),
        hc_status=row[12],
        created_at=parse_ts(row[13]),
        cycle_id=row[14],
        pgid=row[15],
        retry_at=_opt_ts(row[16]),
    )


# -- logs -----------------------------------------------------------------------------


def log_rows(lines: Sequence[LogLine]) -> list[LogRow]:
    """Parameter tuples for INSERT_LOG, built with little per-line work: a timestamp
    shared by neighbours is formatted once, and a UTC one reuses its second's text."""
    rows: list[LogRow] = []
    append = rows.append
    last_ts: datetime | None = None
    last_text = prefix = ""
    last_second: tuple[int, ...] = ()
    for ln in lines:
        ts = ln.ts
        if ts is not last_ts:
            last_ts = ts
            if ts.tzinfo is UTC:
                second = (ts.second, ts.minute, ts.hour, ts.day, ts.month, ts.year)
                if second != last_second:
                    last_second = second
                    prefix = ts.isoformat(timespec="seconds")[:19]
                last_text = prefix + _MILLIS[ts.microsecond // 1000]
            else:
                last_text = format_ts(ts)
        append((ln.run_id, ln.seq, ln.stream.value, ln.line, last_text))
    return rows


def batch_rows(batch: LogBatch) -> list[LogRow]:
    """Parameter tuples for INSERT_LOG from one batch: one timestamp text, one stream."""
    run_id, stream, text = batch.run_id, batch.stream.value, ts_text(batch.ts)
    return [
        (run_id, seq, stream, line, text) for seq, line in enumerate(batch.lines, batch.first_seq)
    ]


def logs_from_rows(rows: Sequence[Row]) -> list[LogLine]:
    out: list[LogLine] = []
    append = out.append
    last_text = ""
    last_ts = datetime.min
    streams = _STREAMS
    for run_id, seq, stream, line, ts in rows:
        if ts != last_text:
            last_text, last_ts = ts, parse_ts(ts)
        append(LogLine(run_id, seq, streams[stream], line, last_ts))
    return out


# -- outputs --------------------------------------------------------------------------


def output_params(output: RunOutput) -> tuple[object, ...]:
    return (
        output.run_id,
        output.job_name,
        output.var_name,
        output.value,
        output.cycle_id,
        ts_text(output.created_at),
    )


def output_from_row(row: Row) -> RunOutput:
    return RunOutput(
        run_id=row[0],
        job_name=row[1],
        var_name=row[2],
        value=row[3],
        cycle_id=row[4],
        created_at=parse_ts(row[5]),
    )


# -- job state ------------------------------------------------------------------------


def job_state_from_row(row: Row) -> JobState:
    return JobState(
        job_name=row[0],
        last_success=_opt_ts(row[1]),
        last_failure=_opt_ts(row[2]),
        last_status=None if row[3] is None else _STATUSES[row[3]],
        next_run=_opt_ts(row[4]),
        lock_pid=row[5],
    )
