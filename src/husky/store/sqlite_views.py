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

Two views are read as JSON that SQLite builds (`runs_json_query`, `logs_json_query`):
`/api/audit` and a run's `/logs` pages, the API's busiest reads. The reading thread
then steps one row and makes one Python string, where reading rows made a dozen
objects per run or log line and built the JSON again on the event loop — all while
holding the GIL, which sqlite3 also drops and retakes at every row while the event
loop wants it. The objects are api.md §5's Run and LogLine, key for key, the same
as `api/shapes.py` makes from records (the contract suite compares them).
"""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime
from typing import Any

from husky.models import RunStatus, Stream, parse_ts
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


def i25_text(text: str) -> str:
    """`husky_i25(ts)`: a stored timestamp in the I25 form (`YYYY-MM-DDTHH:MM:SS.mmmZ`).

    All this store writes has that form and is returned as it is. A database upgraded
    from the original Husky may hold other RFC 3339 forms (`…:00Z`, `…:00.5Z`, an
    offset): those are parsed and written out again. Of RFC 3339 texts only the I25
    form is 24 characters long (date, time, three fraction digits, `Z`; an offset takes
    six), so SQL tests the length alone and calls this for the rest."""
    if len(text) == 24:
        return text
    return ts_text(parse_ts(text))


def install_functions(conn: sqlite3.Connection) -> None:
    """Register the SQL functions the views use on a (reading) connection."""
    conn.create_function("husky_icontains", 2, icontains, deterministic=True)
    conn.create_function("husky_i25", 1, i25_text, deterministic=True)


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


# -- views read as JSON ------------------------------------------------------------------


def _i25(column: str) -> str:
    """SQL for `column` in I25 text (NULL stays NULL)."""
    return (
        f"CASE WHEN length({column}) = 24 OR {column} IS NULL THEN {column}"
        f" ELSE husky_i25({column}) END"
    )


#: api.md §5 Run key by key, as `shapes.run_json` makes it: (key, SQL value, when the key
#: is left out or None).
_RUN_FIELDS: tuple[tuple[str, str, str | None], ...] = (
    ("id", "id", None),
    ("job_name", "job_name", None),
    ("status", "status", None),
    ("status_reason", "status_reason", "coalesce(status_reason, '') = ''"),
    ("attempt", "attempt", None),
    ("trigger", "trigger", None),
    ("triggered_by", "triggered_by", None),
    ("reason", "coalesce(reason, '')", None),
    ("started_at", _i25("started_at"), "started_at IS NULL"),
    ("finished_at", _i25("finished_at"), "finished_at IS NULL"),
    ("exit_code", "exit_code", "exit_code IS NULL"),
    ("hc_status", "hc_status", "hc_status IS NULL"),
    ("sla_breached", "json(iif(sla_breached, 'true', 'false'))", None),
    ("created_at", _i25("created_at"), None),
)


def _run_object(without: frozenset[str] = frozenset()) -> str:
    pairs = (f"'{key}', {value}" for key, value, _ in _RUN_FIELDS if key not in without)
    return f"json_object({', '.join(pairs)})"


def _run_json() -> str:
    """SQL for one Run object. `json_object` cannot leave a key out: the two shapes most
    runs have (finished with an exit code, no healthcheck, with or without a status
    reason) get objects of their own; any other run gets every key and loses the left-out
    ones through `json_remove`, which parses the object again (a third of the cost)."""
    # A path to no key where one stays: a NULL path would make the whole object NULL.
    paths = ", ".join(f"iif({when}, '$.{key}', '$.-')" for key, _, when in _RUN_FIELDS if when)
    finished = (
        "started_at IS NOT NULL AND finished_at IS NOT NULL AND exit_code IS NOT NULL"
        " AND hc_status IS NULL"
    )
    plain = _run_object(frozenset({"status_reason", "hc_status"}))
    with_reason = _run_object(frozenset({"hc_status"}))
    return (
        f"CASE WHEN {finished} THEN iif(coalesce(status_reason, '') = '', {plain}, {with_reason})"
        f" ELSE json_remove({_run_object()}, {paths}) END"
    )


_RUN_JSON = _run_json()

#: api.md §5 LogLine, as `shapes.log_json` makes it.
_LOG_JSON = (
    f"json_object('run_id', run_id, 'seq', seq, 'stream', stream, 'line', line, 'ts', {_i25('ts')})"
)


def _in_order(order: str) -> str:
    """From SQLite 3.44 an aggregate takes its own ORDER BY. Before, it sees the rows of
    the LIMITed subquery it reads in that subquery's order (such a subquery is never
    flattened into an aggregate), which is the same order."""
    return f" ORDER BY {order}" if sqlite3.sqlite_version_info >= (3, 44) else ""


def runs_json_query(f: RunFilter, limit: int, offset: int) -> Query:
    """`runs_query` as one row: a JSON array of Run objects (`[]` when none)."""
    sql, params = runs_query(f, limit, offset)
    return f"SELECT json_group_array({_RUN_JSON}{_in_order('id DESC')}) FROM ({sql})", params


def logs_json_query(run_id: int, after_seq: int, limit: int | None, healthcheck: bool) -> Query:
    """A run's lines with seq > `after_seq` by seq, `limit` of them (paging first), then
    healthcheck lines dropped unless `healthcheck`: one row, a JSON array of LogLine
    objects (`[]` when none)."""
    params: list[Any] = [run_id, after_seq, -1 if limit is None else limit]
    keep = ""
    if not healthcheck:
        keep = " WHERE stream != ?"
        params.append(Stream.HEALTHCHECK.value)
    page = (
        f"SELECT id, {LOG_COLUMNS} FROM run_logs WHERE run_id = ? AND seq > ?"
        " ORDER BY seq, id LIMIT ?"
    )
    sql = f"SELECT json_group_array({_LOG_JSON}{_in_order('seq, id')}) FROM ({page}){keep}"
    return sql, params


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
