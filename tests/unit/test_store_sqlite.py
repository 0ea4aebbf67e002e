"""SQLite-specific behaviour of the store: pragmas, migrations, group commit, backpressure,
writer error handling, the row mapping's timestamp fast paths, and the retention vacuum's
cost on a large database."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import threading
import time
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from husky.errors import StoreError
from husky.models import LogLine, Run, RunResult, RunStatus, Stream, format_ts
from husky.store.sqlite import SQLiteStore
from husky.store.sqlite_reader import SQLiteReader
from husky.store.sqlite_rows import INSERT_LOG, INSERT_OUTPUT, log_rows, ts_text
from husky.store.sqlite_schema import INDEXES, SCHEMA_VERSION, TABLES, V1_TABLES
from tests.contract.conftest import at, new_run, run


def lines_for(run_id: int, count: int, start: int = 1) -> list[LogLine]:
    return [LogLine(run_id, s, Stream.STDOUT, f"l{s}", at(0)) for s in range(start, start + count)]


def pragma(path: Path, name: str) -> object:
    conn = sqlite3.connect(path)
    try:
        return conn.execute(f"PRAGMA {name}").fetchone()[0]
    finally:
        conn.close()


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "husky.db"


def test_wal_mode_and_user_version(db: Path) -> None:
    run(run(SQLiteStore.open(db)).close())
    assert pragma(db, "journal_mode") == "wal"
    assert pragma(db, "user_version") == SCHEMA_VERSION == 2


def test_schema_has_every_column_and_index(db: Path) -> None:
    SQLiteReader(db).close()
    conn = sqlite3.connect(db)
    try:
        for table, columns in TABLES.items():
            present = [row[1] for row in conn.execute(f"PRAGMA table_info({table})")]
            assert present == [name for name, _ in columns]
        indexes = {
            row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'index'")
        }
    finally:
        conn.close()
    assert len(INDEXES) == 3
    assert {"idx_run_outputs_cycle", "idx_job_runs_job_name", "idx_run_logs_run_seq"} <= indexes
    for name in ("cycle_id", "pgid", "retry_at"):
        assert name in [c for c, _ in TABLES["job_runs"]]
    assert "retry_at" not in [c for c, _ in V1_TABLES["job_runs"]]  # version 2 adds it
    assert "last_status" in [c for c, _ in TABLES["job_state"]]


def test_an_original_database_is_migrated_in_place(db: Path) -> None:
    """user_version 0 with the original columns: missing ones are added, rows kept."""
    conn = sqlite3.connect(db)
    conn.executescript(
        """
        CREATE TABLE job_runs (id INTEGER PRIMARY KEY AUTOINCREMENT, job_name TEXT NOT NULL,
          status TEXT NOT NULL, status_reason TEXT, attempt INTEGER NOT NULL DEFAULT 1,
          trigger TEXT NOT NULL, triggered_by TEXT NOT NULL DEFAULT 'scheduler', reason TEXT,
          started_at TEXT, finished_at TEXT, exit_code INTEGER,
          sla_breached INTEGER NOT NULL DEFAULT 0, hc_status TEXT, created_at TEXT NOT NULL);
        CREATE TABLE job_state (job_name TEXT PRIMARY KEY, last_success TEXT,
          last_failure TEXT, next_run TEXT, lock_pid INTEGER);
        CREATE TABLE alerts (id INTEGER PRIMARY KEY AUTOINCREMENT, job_name TEXT NOT NULL,
          run_id INTEGER, channel TEXT NOT NULL, sent_at TEXT NOT NULL);
        INSERT INTO job_runs (job_name, status, trigger, created_at, started_at, finished_at)
          VALUES ('old', 'SUCCESS', 'schedule', '2025-01-02T03:04:05Z',
                  '2025-01-02T03:04:05Z', '2025-01-02T03:04:06Z');
        INSERT INTO job_state (job_name, last_success) VALUES ('old', '2025-01-02T03:04:06Z');
        """
    )
    conn.close()
    with SQLiteReader(db) as reader:
        (old,) = reader.list_runs()
        assert (old.job_name, old.cycle_id, old.pgid, old.retry_at) == ("old", None, None, None)
        assert old.finished_at == datetime(2025, 1, 2, 3, 4, 6, tzinfo=UTC)
        assert reader.job_states()["old"].last_status is None
    assert pragma(db, "user_version") == SCHEMA_VERSION
    conn = sqlite3.connect(db)
    alert_columns = [row[1] for row in conn.execute("PRAGMA table_info(alerts)")]
    conn.close()
    assert {"event", "status", "attempts", "payload"} <= set(alert_columns)


def test_group_commit_batches_log_lines(db: Path) -> None:
    async def scenario() -> tuple[int, int]:
        store = await SQLiteStore.open(db)
        try:
            rid = (await store.create_run(new_run())).id
            before = store.writer.commits
            for start in range(1, 10_001, 1_000):
                await store.append_logs(lines_for(rid, 1_000, start))
            await store.flush()
            return store.writer.commits - before, store.writer.log_rows
        finally:
            await store.close()

    commits, rows = run(scenario())
    assert rows == 10_000
    assert 1 <= commits <= 10


def test_a_light_load_commits_without_waiting_for_more(db: Path) -> None:
    """One line alone is committed promptly: the writer does not wait to fill a batch."""

    async def scenario() -> int:
        store = await SQLiteStore.open(db)
        try:
            rid = (await store.create_run(new_run())).id
            await store.append_logs(lines_for(rid, 1))
            # finish_run queues behind the line; its completion proves the line committed.
            await store.finish_run(rid, RunResult(RunStatus.SUCCESS, at(1), 0))
            return store.writer.log_rows
        finally:
            await store.close()

    assert run(scenario()) == 1


def test_append_logs_waits_when_the_backlog_is_over_its_bound(db: Path) -> None:
    entered, gate = threading.Event(), threading.Event()

    def blocked(conn: sqlite3.Connection) -> None:
        entered.set()
        gate.wait()

    async def scenario() -> None:
        store = await SQLiteStore.open(db, max_log_backlog=1_000)
        try:
            rid = (await store.create_run(new_run())).id
            writer_busy = asyncio.ensure_future(store.write(blocked))
            await asyncio.to_thread(entered.wait)  # the writer thread is inside `blocked`
            await store.append_logs(lines_for(rid, 600, 1))  # 600 ≤ 1,000: returns at once
            second = asyncio.ensure_future(store.append_logs(lines_for(rid, 600, 601)))
            for _ in range(10):
                await asyncio.sleep(0)
            assert not second.done()  # 1,200 queued: waits for the writer
            assert store.writer.backlog == 1_200
            gate.set()
            await second
            await writer_busy
            await store.flush()
            assert store.writer.backlog == 0
            assert len(await store.get_logs(rid)) == 1_200
        finally:
            gate.set()
            await store.close()

    run(scenario())


def test_the_backlog_stays_bounded_under_a_flood(db: Path) -> None:
    async def scenario() -> int:
        store = await SQLiteStore.open(db, max_log_backlog=2_000, max_log_batch=1_000)
        peak = 0
        try:
            for start in range(1, 50_001, 500):
                await store.append_logs(lines_for(1, 500, start))
                peak = max(peak, store.writer.backlog)
            await store.flush()
        finally:
            await store.close()
        return peak

    assert run(scenario()) <= 2_000 + 500


def test_a_failed_write_raises_store_error_and_the_writer_goes_on(db: Path) -> None:
    def bad(conn: sqlite3.Connection) -> None:
        conn.execute("INSERT INTO job_runs (id, job_name) VALUES (1, 'x')")  # NOT NULL status

    def boom(conn: sqlite3.Connection) -> None:
        conn.execute("DELETE FROM job_state")
        raise ValueError("boom")

    async def scenario() -> None:
        store = await SQLiteStore.open(db)
        try:
            with pytest.raises(StoreError, match="NOT NULL"):
                await store.write(bad)
            await store.set_next_run("kept", at(1))
            with pytest.raises(ValueError, match="boom"):
                await store.write(boom)
            assert "kept" in await store.job_states()  # boom's transaction was rolled back
            assert (await store.create_run(new_run())).id == 1
        finally:
            await store.close()

    run(scenario())


def test_writes_queued_together_commit_in_one_transaction(db: Path) -> None:
    """Group commit of operations: what is queued while the writer is busy goes in together,
    in queue order."""
    entered, gate = threading.Event(), threading.Event()

    def blocked(conn: sqlite3.Connection) -> None:
        entered.set()
        gate.wait()

    async def scenario() -> tuple[int, list[int], Run | None]:
        store = await SQLiteStore.open(db)
        try:
            rid = (await store.create_run(new_run())).id
            busy = asyncio.ensure_future(store.write(blocked))
            await asyncio.to_thread(entered.wait)  # the writer thread is inside `blocked`
            before = store.writer.commits
            writes = [
                asyncio.ensure_future(store.queue_running(rid, at(1), 7)),
                asyncio.ensure_future(store.set_next_run("a", at(2))),
                asyncio.ensure_future(store.append_logs(lines_for(rid, 3))),
                asyncio.ensure_future(
                    store.finish_run(rid, RunResult(RunStatus.SUCCESS, at(3), 0))
                ),
            ]
            for _ in range(5):
                await asyncio.sleep(0)  # every write queued behind `blocked`
            gate.set()
            await busy
            await asyncio.gather(*writes)
            commits = store.writer.commits - before
            logs = [line.seq for line in await store.get_logs(rid)]
            return commits, logs, await store.get_run(rid)
        finally:
            gate.set()
            await store.close()

    commits, seqs, final = run(scenario())
    assert commits == 2  # `blocked`, then the four queued behind it
    assert seqs == [1, 2, 3]
    assert final is not None and final.status is RunStatus.SUCCESS and final.started_at == at(1)


def test_a_failing_write_in_a_group_fails_alone(db: Path) -> None:
    def bad(conn: sqlite3.Connection) -> None:
        conn.execute("INSERT INTO job_runs (id, job_name) VALUES (1, 'x')")  # NOT NULL status

    async def scenario() -> None:
        store = await SQLiteStore.open(db)
        try:
            first = store.set_next_run("before", at(1))
            failing = store.write(bad)
            logs = store.append_logs(lines_for(9, 2))
            after = store.set_next_run("after", at(2))
            results = await asyncio.gather(first, failing, logs, after, return_exceptions=True)
            assert results[0] is None and results[2] is None and results[3] is None
            assert isinstance(results[1], StoreError) and "NOT NULL" in str(results[1])
            assert {"before", "after"} <= set(await store.job_states())
            assert len(await store.get_logs(9)) == 2
            assert await store.list_runs() == []
        finally:
            await store.close()

    run(scenario())


def test_a_failed_log_batch_is_logged_and_raised_by_the_next_flush(
    db: Path, caplog: pytest.LogCaptureFixture
) -> None:
    broken = LogLine(1, 1, Stream.STDOUT, None, at(0))  # type: ignore[arg-type]

    async def scenario() -> None:
        store = await SQLiteStore.open(db)
        try:
            await store.append_logs([broken])
            with pytest.raises(StoreError, match="failed to commit 1 log line"):
                await store.flush()
            await store.flush()  # reported once
            await store.append_logs(lines_for(1, 5))
            await store.flush()
            assert len(await store.get_logs(1)) == 5
        finally:
            await store.close()

    with caplog.at_level(logging.ERROR, logger="husky.store"):
        run(scenario())
    assert any("failed to commit 1 log line" in r.getMessage() for r in caplog.records)


def test_reads_work_while_the_store_writes(db: Path) -> None:
    stop = threading.Event()
    errors: list[BaseException] = []

    def read_loop() -> None:
        with SQLiteReader(db) as reader:
            while not stop.is_set():
                try:
                    reader.get_logs(1, limit=100)
                    reader.list_runs()
                except BaseException as exc:  # pragma: no cover - reported below
                    errors.append(exc)
                    return

    async def scenario() -> None:
        store = await SQLiteStore.open(db, busy_timeout_ms=5000)
        thread = threading.Thread(target=read_loop)
        thread.start()
        try:
            for start in range(1, 50_001, 500):
                await store.append_logs(lines_for(1, 500, start))
                if start % 5_000 == 1:
                    await store.create_run(new_run())
            await store.flush()
        finally:
            stop.set()
            await asyncio.to_thread(thread.join)
            await store.close()

    run(scenario())
    assert errors == []


def test_ts_text_matches_format_ts() -> None:
    samples = [
        datetime(2026, 3, 8, 7, 30, 0, tzinfo=UTC),
        datetime(2026, 3, 8, 7, 30, 0, 999999, tzinfo=UTC),
        datetime(2026, 3, 8, 8, 30, 0, 1500, tzinfo=timezone(timedelta(hours=1))),
        datetime(1999, 12, 31, 23, 59, 59, 5000, tzinfo=timezone(timedelta(hours=-5))),
    ]
    for sample in samples:
        assert ts_text(sample) == format_ts(sample)


def test_log_rows_format_each_timestamp_like_format_ts() -> None:
    base = datetime(2026, 3, 8, 7, 30, 59, 998000, tzinfo=UTC)
    stamps = [base + timedelta(microseconds=us) for us in (0, 500, 1000, 1999, 2000, 70_000_123)]
    stamps.append(base.astimezone(timezone(timedelta(hours=2))))
    stamps.append(stamps[0])
    lines = [LogLine(1, i, Stream.STDERR, "x", ts) for i, ts in enumerate(stamps)]
    rows = log_rows(lines)
    assert [r[4] for r in rows] == [format_ts(ts) for ts in stamps]
    assert rows[0][:4] == (1, 0, "stderr", "x")


# -- retention vacuum -------------------------------------------------------------------

_INSERT_RUN_ROW = (
    "INSERT INTO job_runs (id, job_name, status, attempt, trigger, created_at, finished_at)"
    " VALUES (?, ?, ?, 1, 'schedule', ?, ?)"
)


def test_vacuum_without_rules_opens_no_transaction(db: Path) -> None:
    async def scenario() -> tuple[tuple[int, int, int], int]:
        store = await SQLiteStore.open(db)
        try:
            created = await store.create_run(new_run(finished_at=at(0)))
            await store.finish_run(created.id, RunResult(RunStatus.SUCCESS, at(0), 0))
            commits = store.writer.commits
            result = await store.vacuum(at(10**6), max_age=None, max_runs_per_job=None)
            return result, store.writer.commits - commits
        finally:
            await store.close()

    assert run(scenario()) == ((0, 0, 0), 0)


def test_vacuum_of_ten_thousand_runs_is_quick_and_spares_active_rows(db: Path) -> None:
    """10,000 finished runs × 10 lines (+ an output every 10th run) over 10 jobs, and 40
    PENDING/RUNNING rows older than everything: one vacuum with both rules."""
    total, per_run, active = 10_000, 10, 40

    def seed(conn: sqlite3.Connection) -> None:
        rows: list[tuple[int, str, str, str, str | None]] = []
        for rid in range(1, active + 1):  # ids 1..40: the oldest rows, never finished
            status = RunStatus.PENDING if rid % 2 else RunStatus.RUNNING
            rows.append((rid, "j0", status.value, ts_text(at(-(10**6))), None))
        for i in range(total):  # run i finishes at T0 + i s
            status = RunStatus.SUCCESS if i % 3 else RunStatus.FAILED
            rows.append(
                (active + 1 + i, f"j{i % 10}", status.value, ts_text(at(i)), ts_text(at(i)))
            )
        conn.executemany(_INSERT_RUN_ROW, rows)
        stamp = ts_text(at(0))
        conn.executemany(
            INSERT_LOG,
            (
                (rid, seq, "stdout", f"line {seq}", stamp)
                for rid in range(1, active + total + 1)
                for seq in range(1, per_run + 1)
            ),
        )
        conn.executemany(
            INSERT_OUTPUT,
            ((rid, "j", "v", "x", "c", stamp) for rid in range(1, active + total + 1, 10)),
        )

    async def scenario() -> tuple[tuple[int, int, int], float, list[int], list[int]]:
        store = await SQLiteStore.open(db)
        try:
            await store.write(seed)
            started = time.perf_counter()
            # age: runs finished before T0 + 5,000 s (i < 5,000); cap: 300 per job (i < 7,000)
            result = await store.vacuum(
                at(10_000), max_age=timedelta(seconds=5_000), max_runs_per_job=300
            )
            elapsed = time.perf_counter() - started
            survivors = sorted(r.id for r in await store.list_runs(limit=2 * total))
            active_ids = [r.id for r in await store.active_runs()]
            return result, elapsed, survivors, active_ids
        finally:
            await store.close()

    result, elapsed, survivors, active_ids = run(scenario())
    deleted_outputs = 700  # ids 41, 51, …, 7031: the deleted runs are ids 41..7040
    assert result == (7_000, 7_000 * per_run, deleted_outputs)
    assert elapsed < 5.0, f"vacuum took {elapsed:.2f}s"  # well under 1 s in practice
    assert active_ids == list(range(1, active + 1))  # the old PENDING/RUNNING rows, all kept
    assert survivors == [*range(1, active + 1), *range(active + 7_001, active + total + 1)]
    conn = sqlite3.connect(db)
    try:
        logs_left = conn.execute("SELECT COUNT(DISTINCT run_id), COUNT(*) FROM run_logs").fetchone()
        outputs_left = conn.execute("SELECT COUNT(*) FROM run_outputs").fetchone()[0]
    finally:
        conn.close()
    assert tuple(logs_left) == (len(survivors), len(survivors) * per_run)
    assert outputs_left == (active + total) // 10 - deleted_outputs
