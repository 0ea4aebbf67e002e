"""`SQLiteStore`: the embedded StateStore (store.md), WAL, one writer thread, batched logs.

Writes go to `SQLiteWriter` (one thread, one connection, FIFO queue, group commit for
log lines); reads go to `SQLiteReader` connections in worker threads, so the event
loop never blocks on SQLite. The schema and migrations live in `sqlite_schema.py`,
row mapping in `sqlite_rows.py`.

    store = await SQLiteStore.open(data_dir / "husky.db")
    try:
        run = await store.create_run(new_run)
        ...
    finally:
        await store.close()
"""

from __future__ import annotations

import asyncio
import functools
import sqlite3
from collections.abc import Awaitable, Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, TypeVar

from husky.models import (
    Alert,
    AlertStatus,
    JobState,
    LogBatch,
    LogLine,
    NewAlert,
    NewRun,
    Run,
    RunOutput,
    RunResult,
    RunStatus,
    Stream,
)
from husky.store.base import StateStore
from husky.store.queries import AlertFilter, LogFilter, OutputFilter, RunFilter
from husky.store.sqlite_alerts import (
    INSERT_ALERT,
    RECORD_ATTEMPT,
    SETTLE_ALERT,
    attempt_params,
    new_alert_params,
    reopen,
)
from husky.store.sqlite_reader import SQLiteReader
from husky.store.sqlite_rows import (
    INSERT_OUTPUT,
    INSERT_RUN,
    batch_rows,
    log_rows,
    new_run_params,
    opt_ts_text,
    output_params,
    run_from_row,
    ts_text,
)
from husky.store.sqlite_schema import connect
from husky.store.sqlite_views import clear_lock
from husky.store.sqlite_writer import SQLiteWriter

T = TypeVar("T")


#: record_outcome: which column each outcome sets; other statuses leave job_state alone
#: (execution.md §8: cancel, skip command, orphan marking).
_OUTCOME_COLUMN = {RunStatus.SUCCESS: "last_success", RunStatus.FAILED: "last_failure"}


#: Statuses the retention vacuum never prunes (store.md §5).
_ACTIVE = (RunStatus.PENDING.value, RunStatus.RUNNING.value)

#: The vacuum's selection: one temp table on the writer connection (ids, unique).
_SELECTED = "temp.husky_vacuum_runs"


def _vacuum(conn: sqlite3.Connection, cutoff: str | None, keep: int | None) -> tuple[int, int, int]:
    """store.md §5 in the caller's transaction: select the union of the age rule (finished
    before `cutoff`) and the cap rule (all but the `keep` highest ids per job) among
    non-active runs, then delete their logs, outputs and rows. Returns the three counts.

    The selection goes to a temp table, so each DELETE is one statement: run_logs rows
    are found through idx_run_logs_run_seq, run_outputs in one pass over the table.
    """
    conn.execute(f"CREATE TABLE IF NOT EXISTS {_SELECTED} (id INTEGER PRIMARY KEY)")
    conn.execute(f"DELETE FROM {_SELECTED}")
    if cutoff is not None:
        conn.execute(
            f"INSERT OR IGNORE INTO {_SELECTED} (id) SELECT id FROM job_runs"
            " WHERE status NOT IN (?, ?) AND finished_at IS NOT NULL AND finished_at < ?",
            (*_ACTIVE, cutoff),
        )
    if keep is not None:
        conn.execute(
            f"INSERT OR IGNORE INTO {_SELECTED} (id) SELECT id FROM ("
            "SELECT id, ROW_NUMBER() OVER (PARTITION BY job_name ORDER BY id DESC) AS nth"
            " FROM job_runs WHERE status NOT IN (?, ?)) WHERE nth > ?",
            (*_ACTIVE, keep),
        )
    if conn.execute(f"SELECT 1 FROM {_SELECTED} LIMIT 1").fetchone() is None:
        return 0, 0, 0  # nothing to prune: spare the pass over run_outputs
    selected = f"(SELECT id FROM {_SELECTED})"
    logs = conn.execute(f"DELETE FROM run_logs WHERE run_id IN {selected}").rowcount
    outputs = conn.execute(f"DELETE FROM run_outputs WHERE run_id IN {selected}").rowcount
    runs = conn.execute(f"DELETE FROM job_runs WHERE id IN {selected}").rowcount
    conn.execute(f"DELETE FROM {_SELECTED}")
    return runs, logs, outputs


_MARK_RUNNING = "UPDATE job_runs SET status = ?, started_at = ?, pgid = ? WHERE id = ?"

_SET_NEXT_RUN = (
    "INSERT INTO job_state (job_name, next_run) VALUES (?, ?)"
    " ON CONFLICT (job_name) DO UPDATE SET next_run = excluded.next_run"
)


def _outcome_sql(status: RunStatus) -> str | None:
    """The job_state upsert for a finished attempt, or None for statuses that leave it alone."""
    column = _OUTCOME_COLUMN.get(status)
    if column is None:
        return None
    return (
        f"INSERT INTO job_state (job_name, {column}, last_status) VALUES (?, ?, ?)"
        f" ON CONFLICT (job_name) DO UPDATE SET {column} = excluded.{column},"
        " last_status = excluded.last_status"
    )


class SQLiteStore:
    """StateStore on one SQLite file. Build with `await SQLiteStore.open(path)`."""

    def __init__(self, path: Path, writer: SQLiteWriter, reader: SQLiteReader) -> None:
        self.path = path
        self.writer = writer
        self.reader = reader
        self._closed = False
        # Reads run in one thread, not in the loop's default executor (6 threads here):
        # SQLite calls from one process scale poorly across threads (2 threads served
        # fewer log pages per second than 1), so concurrent API reads queue rather than
        # contend. Searches (the data views, up to SEARCH_BUDGET each) have a thread of
        # their own so that a slow one never holds up the point reads.
        self._reads = ThreadPoolExecutor(1, thread_name_prefix="husky-read")
        self._searches = ThreadPoolExecutor(1, thread_name_prefix="husky-search")

    @classmethod
    async def open(
        cls,
        path: Path,
        *,
        busy_timeout_ms: int = 5000,
        wal_autocheckpoint: int = 1000,
        max_log_backlog: int = 100_000,
        max_log_batch: int = 10_000,
    ) -> SQLiteStore:
        """Open (creating file, mode 0600, and schema if missing) and start the writer.

        `max_log_backlog` bounds log lines queued but not committed (`append_logs`
        waits beyond it); `max_log_batch` caps the rows of one group commit.
        """

        def build() -> tuple[sqlite3.Connection, SQLiteReader]:
            conn = connect(
                path, busy_timeout_ms=busy_timeout_ms, wal_autocheckpoint=wal_autocheckpoint
            )
            try:
                return conn, SQLiteReader(path, busy_timeout_ms=busy_timeout_ms)
            except BaseException:
                conn.close()
                raise

        conn, reader = await asyncio.to_thread(build)
        writer = SQLiteWriter(conn, max_backlog=max_log_backlog, max_batch=max_log_batch)
        return cls(path, writer, reader)

    async def __aenter__(self) -> SQLiteStore:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def write(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        """Run `fn(conn)` on the writer thread inside one transaction; return its result.

        For writes beyond the protocol (alerts, retention). `fn` must not block on the
        event loop. sqlite3 errors arrive as StoreError; the transaction is rolled back.
        """
        future = self.writer.submit(fn, asyncio.get_running_loop())
        result: T = await future
        return result

    # -- runs -----------------------------------------------------------------------------

    async def create_run(self, new: NewRun) -> Run:
        params = new_run_params(new)
        return await self.write(lambda c: run_from_row(c.execute(INSERT_RUN, params).fetchall()[0]))

    async def create_runs(self, news: Sequence[NewRun]) -> list[Run]:
        if not news:
            return []
        params = [new_run_params(new) for new in news]

        def insert(conn: sqlite3.Connection) -> list[Run]:
            return [run_from_row(conn.execute(INSERT_RUN, p).fetchall()[0]) for p in params]

        return await self.write(insert)

    async def mark_running(self, run_id: int, started_at: datetime, pgid: int | None) -> None:
        await self.queue_running(run_id, started_at, pgid)

    def queue_running(self, run_id: int, started_at: datetime, pgid: int | None) -> Awaitable[None]:
        params = (RunStatus.RUNNING.value, ts_text(started_at), pgid, run_id)

        def mark(conn: sqlite3.Connection) -> None:
            conn.execute(_MARK_RUNNING, params)

        return self.writer.submit(mark, asyncio.get_running_loop())

    async def finish_run(
        self, run_id: int, result: RunResult, *, job_name: str | None = None
    ) -> None:
        # Queued behind every log line appended before this call: the FIFO writer commits
        # them first (I21).
        sql = (
            "UPDATE job_runs SET status = ?, finished_at = ?, exit_code = ?, status_reason = ?,"
            " hc_status = ?, pgid = NULL WHERE id = ?"
        )
        finished = ts_text(result.finished_at)
        params = (
            result.status.value,
            finished,
            result.exit_code,
            result.status_reason,
            result.hc_status,
            run_id,
        )
        outcome = _outcome_sql(result.status) if job_name is not None else None

        def finish(conn: sqlite3.Connection) -> None:
            conn.execute(sql, params)
            if outcome is not None:
                conn.execute(outcome, (job_name, finished, result.status.value))

        await self.write(finish)

    async def rewrite_status(
        self, run_id: int, status: RunStatus, reason: str | None, finished_at: datetime
    ) -> None:
        sql = "UPDATE job_runs SET status = ?, status_reason = ?, finished_at = ? WHERE id = ?"
        await self._execute(sql, (status.value, reason, ts_text(finished_at), run_id))

    async def schedule_retry(self, run_id: int, finished_at: datetime, retry_at: datetime) -> None:
        sql = "UPDATE job_runs SET status = ?, finished_at = ?, retry_at = ? WHERE id = ?"
        params = (RunStatus.RETRYING.value, ts_text(finished_at), ts_text(retry_at), run_id)
        await self._execute(sql, params)

    async def set_sla_breached(self, run_id: int) -> None:
        await self._execute("UPDATE job_runs SET sla_breached = 1 WHERE id = ?", (run_id,))

    async def get_run(self, run_id: int) -> Run | None:
        return await self._read(self.reader.get_run, run_id)

    async def list_runs(
        self,
        *,
        job_name: str | None = None,
        statuses: Sequence[RunStatus] = (),
        limit: int = 20,
        offset: int = 0,
    ) -> list[Run]:
        return await self._read(
            self.reader.list_runs, job_name=job_name, statuses=statuses, limit=limit, offset=offset
        )

    async def active_runs(self) -> list[Run]:
        return await self._read(self.reader.active_runs)

    async def pending_retries(self) -> list[Run]:
        return await self._read(self.reader.pending_retries)

    async def runs_in_cycle(self, cycle_id: str) -> list[Run]:
        return await self._read(self.reader.runs_in_cycle, cycle_id)

    # -- logs -----------------------------------------------------------------------------

    async def append_logs(self, lines: Sequence[LogLine]) -> None:
        """Queue lines for a group commit; waits only while the backlog is over its bound."""
        if not lines:
            return
        wait = self.writer.put_logs(log_rows(lines), asyncio.get_running_loop())
        if wait is not None:
            await wait

    async def append_batch(self, batch: LogBatch) -> None:
        wait = self.queue_batch(batch)
        if wait is not None:
            await wait

    def queue_batch(self, batch: LogBatch) -> Awaitable[None] | None:
        """One executor chunk: rows built with no per-line objects."""
        if not batch.lines:
            return None
        return self.writer.put_logs(batch_rows(batch), asyncio.get_running_loop())

    async def flush(self) -> None:
        """Wait until everything queued so far is committed; raises StoreError if a log
        batch failed to commit since the previous flush."""
        await self.writer.submit(None, asyncio.get_running_loop())

    async def get_logs(
        self,
        run_id: int,
        *,
        after_seq: int = 0,
        limit: int | None = None,
        streams: Sequence[Stream] = (),
    ) -> list[LogLine]:
        return await self._read(
            self.reader.get_logs, run_id, after_seq=after_seq, limit=limit, streams=streams
        )

    async def get_logs_json(
        self, run_id: int, *, after_seq: int = 0, limit: int | None = None, healthcheck: bool = True
    ) -> str:
        return await self._read(
            self.reader.get_logs_json,
            run_id,
            after_seq=after_seq,
            limit=limit,
            healthcheck=healthcheck,
        )

    # -- outputs --------------------------------------------------------------------------

    async def add_outputs(self, outputs: Sequence[RunOutput]) -> None:
        if not outputs:
            return
        params = [output_params(o) for o in outputs]

        def insert(conn: sqlite3.Connection) -> None:
            conn.executemany(INSERT_OUTPUT, params)

        await self.write(insert)

    async def get_outputs(
        self, *, run_id: int | None = None, cycle_id: str | None = None
    ) -> list[RunOutput]:
        return await self._read(self.reader.get_outputs, run_id=run_id, cycle_id=cycle_id)

    async def latest_output(self, job_name: str, var_name: str) -> RunOutput | None:
        return await self._read(self.reader.latest_output, job_name, var_name)

    # -- retention ------------------------------------------------------------------------

    async def vacuum(
        self, now: datetime, *, max_age: timedelta | None, max_runs_per_job: int | None
    ) -> tuple[int, int, int]:
        """store.md §5 in one writer transaction; a rule that is None or not > 0 is unset."""
        cutoff = ts_text(now - max_age) if max_age is not None and max_age > timedelta(0) else None
        keep = max_runs_per_job if max_runs_per_job is not None and max_runs_per_job > 0 else None
        if cutoff is None and keep is None:
            return 0, 0, 0
        return await self.write(lambda conn: _vacuum(conn, cutoff, keep))

    # -- job state ------------------------------------------------------------------------

    async def record_outcome(self, job_name: str, status: RunStatus, at: datetime) -> None:
        """SUCCESS sets last_success, FAILED last_failure, both set last_status and keep
        the other timestamp (I11). Any other status changes nothing (execution.md §8)."""
        sql = _outcome_sql(status)
        if sql is not None:
            await self._execute(sql, (job_name, ts_text(at), status.value))

    async def set_next_run(self, job_name: str, at: datetime | None) -> None:
        await self._execute(_SET_NEXT_RUN, (job_name, opt_ts_text(at)))

    async def set_next_runs(self, next_runs: Mapping[str, datetime | None]) -> None:
        params = [(name, opt_ts_text(at)) for name, at in next_runs.items()]

        def upsert(conn: sqlite3.Connection) -> None:
            conn.executemany(_SET_NEXT_RUN, params)

        await self.write(upsert)

    async def job_states(self) -> dict[str, JobState]:
        return await self._read(self.reader.job_states)

    # -- lifecycle ------------------------------------------------------------------------

    async def close(self) -> None:
        """Flush, stop the writer, close every connection. Idempotent. A log batch that
        failed since the last flush is raised after everything is closed."""
        if self._closed:
            return
        self._closed = True
        try:
            await self.flush()
        finally:
            await asyncio.to_thread(self.writer.stop)
            self._reads.shutdown(wait=True)
            self._searches.shutdown(wait=True)
            self.reader.close()

    async def _read(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """`fn(*args, **kwargs)` in a read thread."""
        call = functools.partial(fn, *args, **kwargs)
        return await asyncio.get_running_loop().run_in_executor(self._reads, call)

    async def _search(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """`fn(*args, **kwargs)` in the search thread."""
        call = functools.partial(fn, *args, **kwargs)
        return await asyncio.get_running_loop().run_in_executor(self._searches, call)

    async def _execute(self, sql: str, params: Sequence[Any]) -> None:
        def run(conn: sqlite3.Connection) -> None:
            conn.execute(sql, params)

        await self.write(run)

    # -- data views (sqlite_views.py) -------------------------------------------------------

    async def search_runs(self, f: RunFilter, *, limit: int, offset: int = 0) -> list[Run]:
        return await self._search(self.reader.search_runs, f, limit=limit, offset=offset)

    async def search_runs_json(self, f: RunFilter, *, limit: int, offset: int = 0) -> str:
        return await self._search(self.reader.search_runs_json, f, limit=limit, offset=offset)

    async def search_logs(self, f: LogFilter, *, limit: int, offset: int = 0) -> list[LogLine]:
        return await self._search(self.reader.search_logs, f, limit=limit, offset=offset)

    async def search_outputs(
        self, f: OutputFilter, *, limit: int, offset: int = 0
    ) -> list[RunOutput]:
        return await self._search(self.reader.search_outputs, f, limit=limit, offset=offset)

    async def list_alerts(self, f: AlertFilter, *, limit: int, offset: int = 0) -> list[Alert]:
        return await self._search(self.reader.list_alerts, f, limit=limit, offset=offset)

    async def clear_lock(self, job_name: str) -> bool:
        return await self.write(lambda conn: clear_lock(conn, job_name))

    # -- notifications --------------------------------------------------------------------

    async def add_alert(self, alert: NewAlert) -> int:
        params = new_alert_params(alert)

        def insert(conn: sqlite3.Connection) -> int:
            rowid = conn.execute(INSERT_ALERT, params).lastrowid
            assert rowid is not None
            return rowid

        return await self.write(insert)

    async def record_attempt(
        self, alert_id: int, *, attempts: int, at: datetime, error: str | None
    ) -> None:
        await self._execute(RECORD_ATTEMPT, attempt_params(alert_id, attempts, at, error))

    async def settle_alert(self, alert_id: int, status: AlertStatus, payload: str) -> None:
        await self._execute(SETTLE_ALERT, (status.value, payload, alert_id))

    async def reopen_alert(self, alert_id: int) -> Alert | None:
        return await self.write(lambda conn: reopen(conn, alert_id))

    async def get_alert(self, alert_id: int) -> Alert | None:
        return await self._read(self.reader.get_alert, alert_id)

    async def pending_alerts(self) -> list[Alert]:
        return await self._read(self.reader.pending_alerts)

    async def previous_completed_run(self, job_name: str, before_id: int) -> Run | None:
        return await self._read(self.reader.previous_completed_run, job_name, before_id)

    async def tail_logs(
        self, run_id: int, limit: int, *, streams: Sequence[Stream] = ()
    ) -> list[LogLine]:
        return await self._read(self.reader.tail_logs, run_id, limit, streams=streams)


if TYPE_CHECKING:  # mypy checks SQLiteStore against the protocol here

    def _conforms(store: SQLiteStore) -> StateStore:
        return store
