"""The single writer: one thread owning one connection, fed by one FIFO queue.

Every queued operation is one transaction, except log lines: consecutive queued log
batches are coalesced into one `executemany` and one commit (group commit). The
thread blocks on the queue, so a lone line commits at once and a flood commits in
large batches; there is no timer. Because the queue is FIFO, an operation queued
after some log lines commits after them (I21: `finish_run` follows its lines).

Results reach the event loop through `loop.call_soon_threadsafe`. The number of log
rows queued but not committed (the backlog) is bounded: a producer that pushes it
over `max_backlog` gets a future to await, resolved when the writer catches up.
"""

from __future__ import annotations

import contextlib
import logging
import sqlite3
import threading
from asyncio import AbstractEventLoop, Future
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from itertools import chain
from typing import Any

from husky.errors import StoreError
from husky.store.sqlite_rows import INSERT_LOG, LogRow

logger = logging.getLogger("husky.store")

WriteFn = Callable[[sqlite3.Connection], Any]


@dataclass(frozen=True, slots=True)
class _Call:
    """One transaction (`fn` runs inside BEGIN IMMEDIATE … COMMIT); None = a barrier."""

    fn: WriteFn | None
    loop: AbstractEventLoop
    future: Future[Any]


_STOP = object()
_Item = list[LogRow] | _Call | object


def _settle(future: Future[Any], result: Any, error: BaseException | None) -> None:
    if future.done():  # the awaiting task was cancelled
        return
    if error is None:
        future.set_result(result)
    else:
        future.set_exception(error)


def _post(
    loop: AbstractEventLoop, future: Future[Any], result: Any, error: BaseException | None
) -> None:
    with contextlib.suppress(RuntimeError):  # a closed loop: nobody is waiting any more
        loop.call_soon_threadsafe(_settle, future, result, error)


class SQLiteWriter:
    """Owns `conn` from construction until `stop()`; every write goes through here."""

    def __init__(
        self, conn: sqlite3.Connection, *, max_backlog: int = 100_000, max_batch: int = 10_000
    ) -> None:
        self.max_backlog = max_backlog
        self.max_batch = max_batch
        #: Transactions committed (log batches and operations); tests read it.
        self.commits = 0
        #: Log rows committed.
        self.log_rows = 0
        self._conn = conn
        self._queue: deque[_Item] = deque()
        self._cond = threading.Condition()
        self._backlog = 0
        self._waiters: list[tuple[AbstractEventLoop, Future[Any]]] = []
        self._log_error: StoreError | None = None
        self._stopping = False
        self._thread = threading.Thread(target=self._run, name="husky-store-writer", daemon=True)
        self._thread.start()

    @property
    def backlog(self) -> int:
        """Log rows queued and not yet committed."""
        return self._backlog

    # -- producer side (event-loop thread) -------------------------------------------------

    def submit(self, fn: WriteFn | None, loop: AbstractEventLoop) -> Future[Any]:
        """Queue one transaction (or a barrier when `fn` is None); await the returned future."""
        future: Future[Any] = loop.create_future()
        with self._cond:
            self._check_open()
            self._queue.append(_Call(fn, loop, future))
            self._cond.notify()
        return future

    def put_logs(self, rows: list[LogRow], loop: AbstractEventLoop) -> Future[Any] | None:
        """Queue log rows; returns a future to await when the backlog is over its bound."""
        with self._cond:
            self._check_open()
            self._queue.append(rows)
            self._backlog += len(rows)
            self._cond.notify()
            if self._backlog <= self.max_backlog:
                return None
            future: Future[Any] = loop.create_future()
            self._waiters.append((loop, future))
            return future

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

    # -- the writer thread -----------------------------------------------------------------

    def _run(self) -> None:
        queue, cond = self._queue, self._cond
        try:
            while True:
                batches: list[list[LogRow]] = []
                rows = 0
                with cond:
                    while not queue:
                        cond.wait()
                    item = queue.popleft()
                    if isinstance(item, list):
                        batches.append(item)
                        rows = len(item)
                        while queue and rows < self.max_batch and isinstance(queue[0], list):
                            more: list[LogRow] = queue.popleft()  # type: ignore[assignment]
                            batches.append(more)
                            rows += len(more)
                if batches:
                    self._commit_logs(batches, rows)
                elif isinstance(item, _Call):
                    self._transaction(item)
                else:  # _STOP
                    return
        finally:
            self._conn.close()

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
        with self._cond:
            self._backlog -= rows
            if self._backlog > self.max_backlog or not self._waiters:
                return
            waiters, self._waiters = self._waiters, []
        for loop, future in waiters:
            _post(loop, future, None, None)

    def _transaction(self, call: _Call) -> None:
        if call.fn is None:  # barrier: report log batches that failed since the last one
            failed, self._log_error = self._log_error, None
            _post(call.loop, call.future, None, failed)
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
        _post(call.loop, call.future, result, error)

    def _rollback(self) -> None:
        try:
            if self._conn.in_transaction:
                self._conn.execute("ROLLBACK")
        except sqlite3.Error as exc:  # pragma: no cover - the connection is gone
            logger.error("rollback failed: %s", exc)
