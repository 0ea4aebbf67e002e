"""The SQL of the data views (api.md §6 `/api/audit`, `/api/db/*`; store.md §4), once.

Read builders return `(sql, params)` for `SQLiteReader` to run; the two operator
write (`clear_lock`) take the writer's connection inside its
transaction. Every filter is in the WHERE clause, before LIMIT/OFFSET.

Timestamps compare as text: the store writes fixed-width `YYYY-MM-DDTHH:MM:SS.mmmZ`
(I25), so a bound is normalised to that form first. A bound with a sub-millisecond
part cannot equal a stored value, so `since` then becomes a strict `>` on its
millisecond floor (rows at that millisecond are earlier than it).

Case-insensitive substrings (`reason`, log `q`): an ASCII needle uses SQLite's
`lower()` and `instr()` (C speed, ASCII folding); any other needle goes through
`husky_icontains`, a Python function with full Unicode case folding.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime
from typing import Any

from husky.models import RunStatus, parse_ts
from husky.store.queries import AlertFilter, LogFilter, OutputFilter, RunFilter
from husky.store.sqlite_rows import LOG_COLUMNS, OUTPUT_COLUMNS, RUN_COLUMNS, ts_text

Query = tuple[str, list[Any]]

ALERT_COLUMNS = (
    "id, job_name, run_id, event, channel, status, attempts, last_attempt_at, error, sent_at,"
    " payload"
)
PENDING = "pending"


def icontains(haystack: str | None, needle: str | None) -> bool:
    """`husky_icontains(hay, needle)`: Unicode case-insensitive substring test."""
    if haystack is None or needle is None:
        return False
    return needle.casefold() in haystack.casefold()


def install_functions(conn: sqlite3.Connection) -> None:
    """Register the SQL functions the views use on a (reading) connection."""
    conn.create_function("husky_icontains", 2, icontains, deterministic=True)


class _Where:
    """A WHERE clause built one condition at a time."""

    def __init__(self) -> None:
        self.conditions: list[str] = []
        self.params: list[Any] = []

    def add(self, condition: str, *params: Any) -> None:
        self.conditions.append(condition)
        self.params.extend(params)

    def equal(self, column: str, value: object | None) -> None:
        if value is not None:
            self.add(f"{column} = ?", value)

    def icontains(self, column: str, needle: str | None) -> None:
        if needle is None or needle == "":
            return
        if needle.isascii():
            self.add(f"instr(lower({column}), ?) > 0", needle.lower())
        else:
            self.add(f"husky_icontains({column}, ?)", needle)

    def since(self, column: str, bound: datetime | None) -> None:
        if bound is not None:
            exact = bound.microsecond % 1000 == 0
            self.add(f"{column} {'>=' if exact else '>'} ?", ts_text(bound))

    def until(self, column: str, bound: datetime | None) -> None:
        if bound is not None:
            self.add(f"{column} <= ?", ts_text(bound))

    def sql(self) -> str:
        return f" WHERE {' AND '.join(self.conditions)}" if self.conditions else ""


def runs_query(f: RunFilter, limit: int, offset: int) -> Query:
    """job_runs newest first (id DESC)."""
    w = _Where()
    w.equal("job_name", f.job)
    w.equal("trigger", f.trigger)
    w.equal("status", f.status_value)
    w.since("created_at", f.since)
    w.until("created_at", f.until)
    w.icontains("reason", f.reason)
    if f.job_names is not None:
        w.add("job_name IN (SELECT value FROM json_each(?))", json.dumps(sorted(f.job_names)))
    if f.sla_breached:
        w.add("sla_breached = 1")
    sql = f"SELECT {RUN_COLUMNS} FROM job_runs{w.sql()} ORDER BY id DESC LIMIT ? OFFSET ?"
    return sql, [*w.params, limit, offset]


def logs_query(f: LogFilter, limit: int, offset: int) -> Query:
    """run_logs by run_id DESC, then seq (the index gives run_id order; SQLite sorts only
    within each run, and stops at LIMIT)."""
    w = _Where()
    w.equal("run_id", f.run_id)
    if f.job is not None:
        w.add("run_id IN (SELECT id FROM job_runs WHERE job_name = ?)", f.job)
    w.equal("stream", f.stream)
    w.icontains("line", f.q)
    sql = (
        f"SELECT {LOG_COLUMNS} FROM run_logs{w.sql()}"
        " ORDER BY run_id DESC, seq, id LIMIT ? OFFSET ?"
    )
    return sql, [*w.params, limit, offset]


def outputs_query(f: OutputFilter, limit: int, offset: int) -> Query:
    """run_outputs newest first (id DESC)."""
    w = _Where()
    w.equal("job_name", f.job)
    w.equal("cycle_id", f.cycle_id)
    w.equal("run_id", f.run_id)
    sql = f"SELECT {OUTPUT_COLUMNS} FROM run_outputs{w.sql()} ORDER BY id DESC LIMIT ? OFFSET ?"
    return sql, [*w.params, limit, offset]


def alerts_query(f: AlertFilter, limit: int, offset: int) -> Query:
    """alerts newest first (id DESC)."""
    w = _Where()
    w.equal("job_name", f.job)
    w.equal("status", f.status)
    sql = f"SELECT {ALERT_COLUMNS} FROM alerts{w.sql()} ORDER BY id DESC LIMIT ? OFFSET ?"
    return sql, [*w.params, limit, offset]


def _opt_ts(text: str | None) -> datetime | None:
    return None if text is None else parse_ts(text)


# -- operator writes (on the writer's connection, inside its transaction) ---------------


def clear_lock(conn: sqlite3.Connection, job_name: str) -> bool:
    """Set the job's `lock_pid` to NULL; False (nothing changed) while it has a RUNNING run."""
    running = conn.execute(
        "SELECT 1 FROM job_runs WHERE job_name = ? AND status = ? LIMIT 1",
        (job_name, RunStatus.RUNNING.value),
    ).fetchone()
    if running is not None:
        return False
    conn.execute("UPDATE job_state SET lock_pid = NULL WHERE job_name = ?", (job_name,))
    return True
