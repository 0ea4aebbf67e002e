"""Synchronous reads of the state database: every SELECT the store makes, once.

`SQLiteReader` is what CLI processes use directly (no event loop) and what
`SQLiteStore` calls from worker threads. It keeps a small pool of connections, one
per concurrent caller, marked `query_only`; WAL lets them read while the daemon
writes. Opening creates the file and schema if missing (store.md §1).
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from husky.errors import QueryTooSlow, StoreError
from husky.models import Alert, AlertStatus, JobState, LogLine, Run, RunOutput, RunStatus, Stream
from husky.store.queries import AlertFilter, LogFilter, OutputFilter, RunFilter
from husky.store.sqlite_alerts import ALERT_COLUMNS, alert_from_row
from husky.store.sqlite_rows import (
    JOB_STATE_COLUMNS,
    LOG_COLUMNS,
    OUTPUT_COLUMNS,
    RUN_COLUMNS,
    job_state_from_row,
    logs_from_rows,
    output_from_row,
    run_from_row,
)
from husky.store.sqlite_schema import connect
from husky.store.sqlite_views import (
    alerts_query,
    install_functions,
    logs_json_query,
    logs_query,
    outputs_query,
    runs_json_query,
    runs_query,
)

_ACTIVE = (RunStatus.PENDING.value, RunStatus.RUNNING.value)

SEARCH_BUDGET = 5.0
"""Seconds a data-view search may run (a substring search scans every log line)."""


def _marks(n: int) -> str:
    return ", ".join("?" * n)


class SQLiteReader:
    """Read-only access to a Husky state database. Thread-safe; `close()` when done."""

    def __init__(self, path: Path, *, busy_timeout_ms: int = 5000) -> None:
        self.path = path
        self._busy_timeout_ms = busy_timeout_ms
        self._lock = threading.Lock()
        self._idle: list[sqlite3.Connection] = []
        self._closed = False
        self._idle.append(self._open())  # fail now, not at the first query

    def __enter__(self) -> SQLiteReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close every pooled connection; connections in use close when returned."""
        with self._lock:
            self._closed = True
            idle, self._idle = self._idle, []
        for conn in idle:
            conn.close()

    # -- runs -----------------------------------------------------------------------------

    def get_run(self, run_id: int) -> Run | None:
        rows = self._query(f"SELECT {RUN_COLUMNS} FROM job_runs WHERE id = ?", (run_id,))
        return run_from_row(rows[0]) if rows else None

    def list_runs(
        self,
        *,
        job_name: str | None = None,
        statuses: Sequence[RunStatus] = (),
        limit: int = 20,
        offset: int = 0,
    ) -> list[Run]:
        """Newest first (id DESC); every filter applies before LIMIT/OFFSET."""
        where: list[str] = []
        params: list[Any] = []
        if job_name is not None:
            where.append("job_name = ?")
            params.append(job_name)
        if statuses:
            where.append(f"status IN ({_marks(len(statuses))})")
            params.extend(RunStatus(s).value for s in statuses)
        clause = f" WHERE {' AND '.join(where)}" if where else ""
        sql = f"SELECT {RUN_COLUMNS} FROM job_runs{clause} ORDER BY id DESC LIMIT ? OFFSET ?"
        return [run_from_row(r) for r in self._query(sql, (*params, limit, offset))]

    def active_runs(self) -> list[Run]:
        """Every PENDING or RUNNING row, oldest first."""
        sql = f"SELECT {RUN_COLUMNS} FROM job_runs WHERE status IN (?, ?) ORDER BY id"
        return [run_from_row(r) for r in self._query(sql, _ACTIVE)]

    def pending_retries(self) -> list[Run]:
        """RETRYING rows with a `retry_at` whose next attempt (same job and cycle, attempt
        + 1) has no row yet, oldest first (I12)."""
        sql = (
            f"SELECT {RUN_COLUMNS} FROM job_runs AS r"
            " WHERE r.status = ? AND r.retry_at IS NOT NULL AND NOT EXISTS ("
            "SELECT 1 FROM job_runs AS n WHERE n.job_name = r.job_name"
            " AND n.cycle_id IS r.cycle_id AND n.attempt = r.attempt + 1)"
            " ORDER BY r.id"
        )
        return [run_from_row(r) for r in self._query(sql, (RunStatus.RETRYING.value,))]

    def runs_in_cycle(self, cycle_id: str) -> list[Run]:
        """Every row of one cycle, by id ascending."""
        sql = f"SELECT {RUN_COLUMNS} FROM job_runs WHERE cycle_id = ? ORDER BY id"
        return [run_from_row(r) for r in self._query(sql, (cycle_id,))]

    # -- logs -----------------------------------------------------------------------------

    def get_logs(
        self,
        run_id: int,
        *,
        after_seq: int = 0,
        limit: int | None = None,
        streams: Sequence[Stream] = (),
    ) -> list[LogLine]:
        """Lines of a run with seq > after_seq, by seq; `streams` empty = all."""
        sql = f"SELECT {LOG_COLUMNS} FROM run_logs WHERE run_id = ? AND seq > ?"
        params: list[Any] = [run_id, after_seq]
        if streams:
            sql += f" AND stream IN ({_marks(len(streams))})"
            params.extend(Stream(s).value for s in streams)
        sql += " ORDER BY seq, id LIMIT ?"
        params.append(-1 if limit is None else limit)
        return logs_from_rows(self._query(sql, params))

    def get_logs_json(
        self, run_id: int, *, after_seq: int = 0, limit: int | None = None, healthcheck: bool = True
    ) -> str:
        """`get_logs` of every stream, then healthcheck lines dropped unless `healthcheck`,
        as the text of a JSON array of api.md §5 LogLine objects (built by SQLite)."""
        return self._json(logs_json_query(run_id, after_seq, limit, healthcheck))

    # -- outputs --------------------------------------------------------------------------

    def get_outputs(
        self, *, run_id: int | None = None, cycle_id: str | None = None
    ) -> list[RunOutput]:
        """Outputs in insertion order, filtered by run and/or cycle (neither = all)."""
        where: list[str] = []
        params: list[Any] = []
        if run_id is not None:
            where.append("run_id = ?")
            params.append(run_id)
        if cycle_id is not None:
            where.append("cycle_id = ?")
            params.append(cycle_id)
        clause = f" WHERE {' AND '.join(where)}" if where else ""
        sql = f"SELECT {OUTPUT_COLUMNS} FROM run_outputs{clause} ORDER BY id"
        return [output_from_row(r) for r in self._query(sql, params)]

    def latest_output(self, job_name: str, var_name: str) -> RunOutput | None:
        """The newest (highest id) output `var_name` of `job_name` captured by a run whose
        status is SUCCESS (I5), or None."""
        sql = (
            f"SELECT {OUTPUT_COLUMNS} FROM run_outputs AS o"
            " WHERE o.job_name = ? AND o.var_name = ? AND EXISTS ("
            "SELECT 1 FROM job_runs AS r WHERE r.id = o.run_id AND r.status = ?)"
            " ORDER BY o.id DESC LIMIT 1"
        )
        rows = self._query(sql, (job_name, var_name, RunStatus.SUCCESS.value))
        return output_from_row(rows[0]) if rows else None

    # -- job state ------------------------------------------------------------------------

    def job_states(self) -> dict[str, JobState]:
        sql = f"SELECT {JOB_STATE_COLUMNS} FROM job_state ORDER BY job_name"
        states = (job_state_from_row(r) for r in self._query(sql, ()))
        return {s.job_name: s for s in states}

    # -- plumbing -------------------------------------------------------------------------

    def _open(self) -> sqlite3.Connection:
        conn = connect(self.path, busy_timeout_ms=self._busy_timeout_ms, wal_autocheckpoint=0)
        conn.execute("PRAGMA query_only = ON")
        install_functions(conn)
        return conn

    @contextmanager
    def _connection(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            if self._closed:
                raise StoreError("state database reader is closed")
            conn = self._idle.pop() if self._idle else None
        if conn is None:
            conn = self._open()
        try:
            yield conn
        finally:
            with self._lock:
                keep = not self._closed
                if keep:
                    self._idle.append(conn)
            if not keep:
                conn.close()

    def _query(self, sql: str, params: Sequence[Any], budget: float | None = None) -> list[Any]:
        """Rows of one query; with a `budget` (seconds) SQLite stops it when time is up."""
        deadline = None if budget is None else time.monotonic() + budget
        try:
            with self._connection() as conn:
                if deadline is not None:
                    conn.set_progress_handler(lambda: time.monotonic() > deadline, 20_000)
                try:
                    return conn.execute(sql, params).fetchall()
                finally:
                    if deadline is not None:
                        conn.set_progress_handler(None, 0)
        except sqlite3.Error as exc:
            if deadline is not None and time.monotonic() > deadline:
                raise QueryTooSlow(
                    f"the search took longer than {budget:g}s and was stopped;"
                    " narrow it (run_id, job, since, …)"
                ) from exc
            raise StoreError(f"state database read failed: {exc}") from exc

    def _json(self, query: tuple[str, list[Any]], budget: float | None = None) -> str:
        """The one value of a `*_json_query`."""
        text: str = self._query(*query, budget=budget)[0][0]
        return text

    # -- data views (sqlite_views.py) -------------------------------------------------------

    def search_runs(self, f: RunFilter, *, limit: int, offset: int = 0) -> list[Run]:
        rows = self._query(*runs_query(f, limit, offset), budget=SEARCH_BUDGET)
        return [run_from_row(r) for r in rows]

    def search_runs_json(self, f: RunFilter, *, limit: int, offset: int = 0) -> str:
        """`search_runs` as the text of a JSON array of api.md §5 Run objects (built by
        SQLite)."""
        return self._json(runs_json_query(f, limit, offset), budget=SEARCH_BUDGET)

    def search_logs(self, f: LogFilter, *, limit: int, offset: int = 0) -> list[LogLine]:
        return logs_from_rows(self._query(*logs_query(f, limit, offset), budget=SEARCH_BUDGET))

    def search_outputs(self, f: OutputFilter, *, limit: int, offset: int = 0) -> list[RunOutput]:
        return [output_from_row(r) for r in self._query(*outputs_query(f, limit, offset))]

    def list_alerts(self, f: AlertFilter, *, limit: int, offset: int = 0) -> list[Alert]:
        return [alert_from_row(r) for r in self._query(*alerts_query(f, limit, offset))]

    # -- notifications --------------------------------------------------------------------

    def get_alert(self, alert_id: int) -> Alert | None:
        rows = self._query(f"SELECT {ALERT_COLUMNS} FROM alerts WHERE id = ?", (alert_id,))
        return alert_from_row(rows[0]) if rows else None

    def pending_alerts(self) -> list[Alert]:
        """Every `pending` alert, oldest first."""
        sql = f"SELECT {ALERT_COLUMNS} FROM alerts WHERE status = ? ORDER BY id"
        return [alert_from_row(r) for r in self._query(sql, (AlertStatus.PENDING.value,))]

    def previous_completed_run(self, job_name: str, before_id: int) -> Run | None:
        """The job's highest-id run below `before_id` that is SUCCESS, FAILED or SKIPPED."""
        sql = (
            f"SELECT {RUN_COLUMNS} FROM job_runs WHERE job_name = ? AND id < ?"
            " AND status IN (?, ?, ?) ORDER BY id DESC LIMIT 1"
        )
        done = (RunStatus.SUCCESS.value, RunStatus.FAILED.value, RunStatus.SKIPPED.value)
        rows = self._query(sql, (job_name, before_id, *done))
        return run_from_row(rows[0]) if rows else None

    def tail_logs(
        self, run_id: int, limit: int, *, streams: Sequence[Stream] = ()
    ) -> list[LogLine]:
        """The last `limit` lines of a run (of `streams`; empty = all), by seq."""
        sql = f"SELECT {LOG_COLUMNS} FROM run_logs WHERE run_id = ?"
        params: list[Any] = [run_id]
        if streams:
            sql += f" AND stream IN ({_marks(len(streams))})"
            params.extend(Stream(s).value for s in streams)
        sql += " ORDER BY seq DESC, id DESC LIMIT ?"
        params.append(max(limit, 0))
        return logs_from_rows(self._query(sql, params)[::-1])
