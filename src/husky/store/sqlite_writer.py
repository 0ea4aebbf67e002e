"""The single writer: one thread owning one connection, fed by one FIFO queue.

Group commit: whatever is queued when the thread looks - log batches and operations
alike - is committed in one transaction, in queue order, and the results go back to the
event loop in one callback. The thread blocks on the queue, so a lone write commits at
once and a flood commits in large transactions; there is no timer. If anything in a
group fails, the group is rolled back and replayed one operation per transaction (as
without grouping), so a failing write fails alone. Because the queue is FIFO, an
operation queued after some log lines commits after them (I21: `finish_run` follows its
lines).

Producers (on the event-loop thread) wake the thread once per loop iteration, not once
per write: the writes queued while the loop runs its ready callbacks (the spawns of one
fire, say) go in together, after them.

The number of log rows queued but not committed (the backlog) is bounded: a producer
that pushes it over `max_backlog` gets a future to await, resolved when the writer
catches up.
"""

from __future__ import annotations

import contextlib
import logging
import sqlite3
import threading
from asyncio import AbstractEventLoop, Future
from collections import deque
from collections.abc import Callable
from itertools import chain
from typing import Any, NamedTuple

from husky.errors import StoreError
from husky.store.sqlite_rows import INSERT_LOG, LogRow

logger = logging.getLogger("husky.store")

WriteFn = Callable[[sqlite3.Connection], Any]


class _Call(NamedTuple):
    """One operation: `fn` runs inside a write transaction; None = a barrier."""

    fn: WriteFn | None
    loop: AbstractEventLoop
    future: Future[Any]


_STOP = object()
_Item = list[LogRow] | _Call | object
_Outcome = tuple[Future[Any], Any, BaseException | None]


def _settle(outcomes: list[_Outcome]) -> None:
    for future, result, error in outcomes:
        if future.done():  # the awaiting task was cancelled
            continue
        if error is None:
            future.set_result(result)
        else:
            future.set_exception(error)


def _post(loop: AbstractEventLoop, outcomes: list[_Outcome]) -> None:
    with contextlib.suppress(RuntimeError):  # a closed loop: nobody is waiting any more
        loop.call_soon_threadsafe(_settle, outcomes)


class SQLiteWriter:
    """Owns `conn` from construction until `stop()`; every write goes through here."""

    def __init__(
        self, conn: sqlite3.Connection, *, max_backlog: int = 100_000, max_batch: int = 10_000
    ) -> None:
        self.max_backlog = max_backlog
        self.max_batch = max_batch
        #: Transactions committed; tests read it.
        self.commits = 0
        #: Log rows committed.
        self.log_rows = 0
        self._conn = conn
        self._queue: deque[_Item] = deque()
        self._lock = threading.Lock()  # producers take it directly: no Condition wrapper
        self._cond = threading.Condition(self._lock)
        self._backlog = 0
        self._waiters: list[tuple[AbstractEventLoop, Future[Any]]] = []
        self._log_error: StoreError | None = None
        self._stopping = False
        self._wake_soon: AbstractEventLoop | None = None  # the loop a wake-up is scheduled on
        self._thread = threading.Thread(target=self._run, name="husky-store-writer", daemon=True)
        self._thread.start()

    @property
    def backlog(self) -> int:
        """Log rows queued and not yet committed."""
        return self._backlog

    # -- producer side (event-loop thread) -------------------------------------------------

    def submit(self, fn: WriteFn | None, loop: AbstractEventLoop) -> Future[Any]:
        """Queue one operation (or a barrier when `fn` is None); await the returned future.

        `fn` may run twice: when another write of its group fails, the group is replayed.
        It must only touch the database."""
        future: Future[Any] = loop.create_future()
        with self._lock:
            self._check_open()
            self._queue.append(_Call(fn, loop, future))
        if self._wake_soon is not loop:
            self._wake(loop)
        return future

    def put_logs(self, rows: list[LogRow], loop: AbstractEventLoop) -> Future[Any] | None:
        """Queue log rows; returns a future to await when the backlog is over its bound."""
        with self._lock:
            self._check_open()
            self._queue.append(rows)
            self._backlog += len(rows)
            over = self._backlog > self.max_backlog
            if over:
                future: Future[Any] = loop.create_future()
                self._waiters.append((loop, future))
        self._wake(loop)
        return future if over else None

    def stop(self) -> None:
        """Finish everything queued, then close the connection (blocking; idempotent)."""
        with self._cond:
            if not self._stopping:
                self._stopping = True
                self._queue.append(_STOP)
                self._cond.notify()
        self._thread.join()

    def _check_open(self) -> None:
        if self._stopping:
            raise StoreError("state store is closed")

    def _wake(self, loop: AbstractEventLoop) -> None:
        """Wake the thread after the loop's current callbacks: one wake-up for their writes.
        (Per loop: a store outlives the loops of tests that drive it with asyncio.run.)"""
        if self._wake_soon is not loop:
            self._wake_soon = loop
            loop.call_soon(self._notify)

    def _notify(self) -> None:
        self._wake_soon = None
        with self._cond:
            self._cond.notify()

    # -- the writer thread -----------------------------------------------------------------

    def _run(self) -> None:
        try:
            while True:
                with self._cond:
                    while not self._queue:
                        self._cond.wait()
                    group = self._take()
                stop = bool(group) and group[-1] is _STOP
                if stop:
                    group.pop()
                if group:
                    self._commit(group)
                if stop:
                    return
        finally:
            self._conn.close()

    def _take(self) -> list[_Item]:
        """Everything queued, up to `max_batch` log rows (a bigger first batch goes alone)."""
        queue, group, rows = self._queue, [], 0
        while queue:
            item = queue[0]
            if isinstance(item, list):
                if rows and rows + len(item) > self.max_batch:
                    break
                rows += len(item)
            group.append(queue.popleft())
            if item is _STOP:
                break
        return group

    def _commit(self, group: list[_Item]) -> None:
        """The whole group in one transaction; replayed one by one if any of it fails."""
        conn = self._conn
        outcomes: list[tuple[_Call, Any]] = []
        rows = 0
        try:
            conn.execute("BEGIN IMMEDIATE")
            for logs in _runs_of_logs(group):
                if isinstance(logs, _Call):
                    outcomes.append((logs, None if logs.fn is None else logs.fn(conn)))
                else:
                    conn.executemany(INSERT_LOG, logs[0] if len(logs) == 1 else chain(*logs))
                    rows += sum(map(len, logs))
            conn.execute("COMMIT")
        except Exception:
            self._rollback()
            self._replay(group)  # each write alone, so the failing one fails by itself
            return
        self.commits += 1
        self.log_rows += rows
        if rows:
            self._logs_done(rows)
        by_loop: dict[AbstractEventLoop, list[_Outcome]] = {}
        for call, result in outcomes:
            error = None
            if call.fn is None:  # barrier: report log batches that failed before it
                error, self._log_error = self._log_error, None
            by_loop.setdefault(call.loop, []).append((call.future, result, error))
        for loop, settled in by_loop.items():
            _post(loop, settled)

    def _replay(self, group: list[_Item]) -> None:
        for item in _runs_of_logs(group):
            if isinstance(item, _Call):
                self._transaction(item)
            else:
                self._commit_logs(item, sum(map(len, item)))

    def _commit_logs(self, batches: list[list[LogRow]], rows: int) -> None:
        conn = self._conn
        try:
            conn.execute("BEGIN IMMEDIATE")
            conn.executemany(INSERT_LOG, batches[0] if len(batches) == 1 else chain(*batches))
            conn.execute("COMMIT")
            self.commits += 1
            self.log_rows += rows
        except sqlite3.Error as exc:
            self._rollback()
            logger.error("failed to commit %d log line(s): %s", rows, exc)
            if self._log_error is None:
                self._log_error = StoreError(f"failed to commit {rows} log line(s): {exc}")
        self._logs_done(rows)

    def _logs_done(self, rows: int) -> None:
        """`rows` left the backlog: release producers waiting for it to shrink."""
        with self._cond:
            self._backlog -= rows
            if self._backlog > self.max_backlog or not self._waiters:
                return
            waiters, self._waiters = self._waiters, []
        for loop, future in waiters:
            _post(loop, [(future, None, None)])

    def _transaction(self, call: _Call) -> None:
        if call.fn is None:  # barrier: report log batches that failed since the last one
            failed, self._log_error = self._log_error, None
            _post(call.loop, [(call.future, None, failed)])
            return
        conn = self._conn
        result: Any = None
        error: BaseException | None = None
        try:
            conn.execute("BEGIN IMMEDIATE")
            result = call.fn(conn)
            conn.execute("COMMIT")
            self.commits += 1
        except sqlite3.Error as exc:
            self._rollback()
            error = StoreError(f"state database write failed: {exc}")
            error.__cause__ = exc
        except Exception as exc:
            self._rollback()
            error = exc
        _post(call.loop, [(call.future, result, error)])

    def _rollback(self) -> None:
        try:
            if self._conn.in_transaction:
                self._conn.execute("ROLLBACK")
        except sqlite3.Error as exc:  # pragma: no cover - the connection is gone
            logger.error("rollback failed: %s", exc)


def _runs_of_logs(group: list[_Item]) -> list[_Call | list[list[LogRow]]]:
    """The group with consecutive log batches gathered (one executemany each)."""
    out: list[_Call | list[list[LogRow]]] = []
    for item in group:
        if isinstance(item, list):
            last = out[-1] if out else None
            if isinstance(last, list):
                last.append(item)
            else:
                out.append([item])
        else:
            assert isinstance(item, _Call)
            out.append(item)
    return out
