"""The `StateStore` protocol: what the daemon asks of its database.

One backend today (SQLite, `sqlite.py`); the contract suite in `tests/contract/`
is what any backend must pass. Writes are asynchronous and serialised by the
backend (a single writer); reads may run concurrently. No method blocks the event
loop. Methods raise `StoreError` on storage failures and `RunNotFound` for an
unknown run id where noted.
"""

from __future__ import annotations

from collections.abc import Awaitable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Protocol

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
from husky.store.queries import AlertFilter, LogFilter, OutputFilter, RunFilter


class StateStore(Protocol):
    # -- runs -------------------------------------------------------------------------
    async def create_run(self, new: NewRun) -> Run:
        """Insert a run row (PENDING unless `new.status` says otherwise); return it with its id."""

    async def create_runs(self, news: Sequence[NewRun]) -> list[Run]:
        """`create_run` for several rows in one transaction, ids in the order given (the
        runs of one scheduler fire or one fan-out)."""

    async def mark_running(self, run_id: int, started_at: datetime, pgid: int | None) -> None:
        """PENDING → RUNNING when the process is spawned; records its process group."""

    def queue_running(self, run_id: int, started_at: datetime, pgid: int | None) -> Awaitable[None]:
        """`mark_running` queued now, without awaiting (the executor's hot path: it reads the
        child's pipes at once). Writes queued later commit after it; await the result to
        see its error."""

    async def finish_run(
        self, run_id: int, result: RunResult, *, job_name: str | None = None
    ) -> None:
        """Write the terminal status. Every log line appended for the run before this
        call is committed before (or with) the status change (I21). Clears `pgid`.
        With `job_name`, a SUCCESS or FAILED result also goes to job_state in the same
        transaction (as `record_outcome` would)."""

    async def rewrite_status(
        self, run_id: int, status: RunStatus, reason: str | None, finished_at: datetime
    ) -> None:
        """FAILED → RETRYING / SKIPPED, orphans → FAILED: status, reason, finished_at only."""

    async def schedule_retry(self, run_id: int, finished_at: datetime, retry_at: datetime) -> None:
        """FAILED → RETRYING with a retry due at `retry_at` (execution.md §2, I12): status,
        finished_at and retry_at only (status_reason, exit_code kept)."""

    async def set_sla_breached(self, run_id: int) -> None: ...

    async def get_run(self, run_id: int) -> Run | None: ...

    async def list_runs(
        self,
        *,
        job_name: str | None = None,
        statuses: Sequence[RunStatus] = (),
        limit: int = 20,
        offset: int = 0,
    ) -> list[Run]:
        """Newest first (id DESC)."""

    async def active_runs(self) -> list[Run]:
        """Every PENDING or RUNNING row, oldest first (orphan recovery, status)."""

    async def pending_retries(self) -> list[Run]:
        """RETRYING rows with a `retry_at` whose retry never started — no row with the same
        job_name, the same cycle_id and attempt + 1 exists — oldest first (I12)."""

    async def runs_in_cycle(self, cycle_id: str) -> list[Run]:
        """Every row of one cycle, by id ascending (rebuilding a cycle's state)."""

    # -- logs -------------------------------------------------------------------------
    async def append_logs(self, lines: Sequence[LogLine]) -> None:
        """Queue lines for a batched commit. Returns at once unless the backlog is over
        its bound, in which case it waits until the writer catches up (backpressure)."""

    async def append_batch(self, batch: LogBatch) -> None:
        """`append_logs` for one chunk of one stream."""

    def queue_batch(self, batch: LogBatch) -> Awaitable[None] | None:
        """Queue one chunk of one stream now, without awaiting (the executor's hot path).
        Returns an awaitable when the backlog is over its bound: the caller should await it
        before queueing more (backpressure)."""

    async def flush(self) -> None:
        """Wait until everything queued so far is committed."""

    async def get_logs(
        self,
        run_id: int,
        *,
        after_seq: int = 0,
        limit: int | None = None,
        streams: Sequence[Stream] = (),
    ) -> list[LogLine]:
        """Lines of a run by seq; `streams` empty = all."""

    async def get_logs_json(
        self, run_id: int, *, after_seq: int = 0, limit: int | None = None, healthcheck: bool = True
    ) -> str:
        """The lines `get_logs` returns (every stream), then healthcheck ones dropped unless
        `healthcheck`, as the text of a JSON array of api.md §5 LogLine objects (`ts` in
        I25 form): `/api/runs/{id}/logs` sends it as it is."""

    # -- outputs ----------------------------------------------------------------------
    async def add_outputs(self, outputs: Sequence[RunOutput]) -> None: ...

    async def get_outputs(
        self, *, run_id: int | None = None, cycle_id: str | None = None
    ) -> list[RunOutput]: ...

    async def latest_output(self, job_name: str, var_name: str) -> RunOutput | None:
        """The newest (highest id) output `var_name` of `job_name` whose run's status is
        SUCCESS, or None (I5: a cycle lacking the value falls back to it)."""

    # -- retention --------------------------------------------------------------------
    async def vacuum(
        self, now: datetime, *, max_age: timedelta | None, max_runs_per_job: int | None
    ) -> tuple[int, int, int]:
        """Retention (store.md §5) in one write transaction; returns the (runs, logs,
        outputs) deleted. Selected: the union of the age rule — not PENDING/RUNNING,
        non-NULL finished_at < now − max_age — and the cap rule — per job_name, all but
        the `max_runs_per_job` highest ids among runs not PENDING/RUNNING (NULL
        finished_at rows count). Their run_logs and run_outputs go with them; alerts and
        job_state are never touched. A rule that is None or not > 0 is unset; with
        neither set nothing is touched and (0, 0, 0) is returned."""

    # -- job state --------------------------------------------------------------------
    async def record_outcome(self, job_name: str, status: RunStatus, at: datetime) -> None:
        """SUCCESS sets last_success, FAILED sets last_failure; both keep the other column
        (I11) and set last_status."""

    async def set_next_run(self, job_name: str, at: datetime | None) -> None:
        """Write only `next_run` (insert the row if needed)."""

    async def set_next_runs(self, next_runs: Mapping[str, datetime | None]) -> None:
        """`set_next_run` for many jobs in one transaction (start-up, reload)."""

    async def job_states(self) -> dict[str, JobState]: ...

    # -- lifecycle --------------------------------------------------------------------
    async def close(self) -> None:
        """Flush, stop the writer, close connections."""

    # -- data views (api.md §6: /api/audit, /api/db/*; store.md §4) ---------------------
    async def search_runs(self, f: RunFilter, *, limit: int, offset: int = 0) -> list[Run]:
        """Runs matching every filter, newest first (id DESC), then LIMIT/OFFSET."""

    async def search_runs_json(self, f: RunFilter, *, limit: int, offset: int = 0) -> str:
        """`search_runs` as the text of a JSON array of api.md §5 Run objects (timestamps
        in I25 form): `/api/audit` sends it as it is."""

    async def search_logs(self, f: LogFilter, *, limit: int, offset: int = 0) -> list[LogLine]:
        """Log lines matching every filter by run_id DESC, seq ASC, then LIMIT/OFFSET."""

    async def search_outputs(
        self, f: OutputFilter, *, limit: int, offset: int = 0
    ) -> list[RunOutput]:
        """Outputs matching every filter, newest first (id DESC)."""

    async def list_alerts(self, f: AlertFilter, *, limit: int, offset: int = 0) -> list[Alert]:
        """Alert rows matching every filter, newest first (id DESC)."""

    async def clear_lock(self, job_name: str) -> bool:
        """One write transaction: the job's `lock_pid` becomes NULL (no row is fine), unless
        the job has a RUNNING run — then nothing changes and the answer is False."""

    # -- alerts (notifications.md §8, I20) ---------------------------------------------
    async def add_alert(self, alert: NewAlert) -> int:
        """Insert a `pending` row with 0 attempts, before the first delivery attempt; its id."""

    async def record_attempt(
        self, alert_id: int, *, attempts: int, at: datetime, error: str | None
    ) -> None:
        """After one delivery attempt: the attempts so far, `last_attempt_at`, and the
        error of that attempt (NULL when it got through)."""

    async def settle_alert(self, alert_id: int, status: AlertStatus, payload: str) -> None:
        """The final status (`delivered`/`failed`) and the payload with its outcome."""

    async def reopen_alert(self, alert_id: int) -> Alert | None:
        """Set the row `pending` again for a re-send (I20) and return it; None when there is
        no such row or it is already `pending` (nothing changed)."""

    async def get_alert(self, alert_id: int) -> Alert | None: ...

    async def pending_alerts(self) -> list[Alert]:
        """Every `pending` row, oldest first (re-sent when a daemon starts)."""

    async def previous_completed_run(self, job_name: str, before_id: int) -> Run | None:
        """The job's highest-id run below `before_id` whose status is SUCCESS, FAILED or
        SKIPPED (store.md §4, `only_after_failure`), or None."""

    async def tail_logs(
        self, run_id: int, limit: int, *, streams: Sequence[Stream] = ()
    ) -> list[LogLine]:
        """The last `limit` lines of a run (of `streams`; empty = all), by seq."""
