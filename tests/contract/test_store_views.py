"""The data views of the StateStore contract (api.md §6 /api/audit, /api/db/*; store.md §4;
I25 range filters): every filter, paging, ordering, and the two operator writes."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest

from husky.errors import QueryTooSlow
from husky.models import Alert, LogLine, RunOutput, RunResult, RunStatus, Stream, Trigger, parse_ts
from husky.store.queries import (
    AlertFilter,
    LogFilter,
    OutputFilter,
    RunFilter,
    parse_rfc3339,
)
from husky.store.sqlite import SQLiteStore
from husky.store.sqlite_reader import SQLiteReader
from husky.store.sqlite_schema import connect
from tests.contract.conftest import T0, Backend, at, new_run, run

# -- runs -------------------------------------------------------------------------------

#: (job, trigger, reason, created second, final status); ids follow this order.
RUNS: list[tuple[str, Trigger, str | None, int, RunStatus]] = [
    ("extract", Trigger.SCHEDULE, None, 0, RunStatus.SUCCESS),
    ("load", Trigger.DEPENDENCY, "after:extract", 10, RunStatus.FAILED),
    ("extract", Trigger.MANUAL, "Backfill March", 20, RunStatus.SUCCESS),
    ("report", Trigger.MANUAL, "Größe prüfen", 30, RunStatus.CANCELLED),
    ("load", Trigger.SCHEDULE, "nightly BACKFILL", 40, RunStatus.RUNNING),
]


@pytest.fixture
def runs(store: SQLiteStore) -> list[int]:
    """The RUNS rows (created T0 + second), finished as listed; the FAILED one breached its SLA."""

    async def seed() -> list[int]:
        ids = []
        for job, trigger, reason, second, status in RUNS:
            created = await store.create_run(
                new_run(job, trigger=trigger, reason=reason, created_at=at(second))
            )
            ids.append(created.id)
            if status is RunStatus.RUNNING:
                await store.mark_running(created.id, at(second + 1), None)
            else:
                await store.finish_run(created.id, RunResult(status, at(second + 2), 0))
        await store.set_sla_breached(ids[1])
        return ids

    return run(seed())


def searched(store: SQLiteStore, limit: int = 100, offset: int = 0, **filters: Any) -> list[int]:
    return [r.id for r in run(store.search_runs(RunFilter(**filters), limit=limit, offset=offset))]


def test_search_runs_newest_first_with_each_filter(store: SQLiteStore, runs: list[int]) -> None:
    e1, l1, e2, r1, l2 = runs
    assert searched(store) == [l2, r1, e2, l1, e1]
    assert searched(store, job="extract") == [e2, e1]
    assert searched(store, trigger="manual") == [r1, e2]
    assert searched(store, status="success") == [e2, e1]  # any case
    assert searched(store, status="Running") == [l2]
    assert searched(store, reason="backfill") == [l2, e2]  # case-insensitive substring
    assert searched(store, reason="GRÖSSE") == [r1]  # Unicode case folding (ß ~ ss)
    assert searched(store, reason="größe") == [r1]
    assert searched(store, reason="%") == []  # no wildcard characters
    assert searched(store, job_names=frozenset({"load", "report"})) == [l2, r1, l1]
    assert searched(store, job_names=frozenset()) == []
    assert searched(store, sla_breached=True) == [l1]
    assert searched(store, job="nobody") == []


def test_search_runs_combines_filters_before_paging(store: SQLiteStore, runs: list[int]) -> None:
    e1, l1, e2, r1, l2 = runs
    assert searched(store, limit=2) == [l2, r1]
    assert searched(store, limit=2, offset=2) == [e2, l1]
    assert searched(store, limit=2, offset=4) == [e1]
    assert searched(store, limit=2, offset=5) == []
    # the filters select first, then the page: the newest extract run is not on page 1 overall
    assert searched(store, limit=1, job="extract") == [e2]
    assert searched(store, limit=1, offset=1, job="extract") == [e1]
    assert searched(store, job="load", status="FAILED", trigger="dependency") == [l1]
    assert searched(store, reason="backfill", job_names=frozenset({"extract"})) == [e2]


@pytest.mark.parametrize(
    ("since", "until", "expected"),
    [
        # whole-second and millisecond forms of the same bounds (created_at = T0 + s, .123)
        ("2026-03-08T07:30:20Z", None, [4, 3, 2]),
        ("2026-03-08T07:30:20.123Z", None, [4, 3, 2]),  # inclusive at the millisecond
        ("2026-03-08T07:30:20.124Z", None, [4, 3]),
        ("2026-03-08T07:30:20.1235Z", None, [4, 3]),  # a finer bound is still after .123
        ("2026-03-08T09:30:20+02:00", None, [4, 3, 2]),  # any offset, compared in UTC
        (None, "2026-03-08T07:30:20Z", [1, 0]),
        (None, "2026-03-08T07:30:20.123Z", [2, 1, 0]),  # inclusive at the millisecond
        (None, "2026-03-08T07:30:20.1239Z", [2, 1, 0]),
        ("2026-03-08T07:30:10Z", "2026-03-08T07:30:30.123Z", [3, 2, 1]),
        ("2026-03-08T07:31:00Z", None, []),
    ],
)
def test_search_runs_time_range_on_created_at(
    store: SQLiteStore, runs: list[int], since: str | None, until: str | None, expected: list[int]
) -> None:
    bounds = {
        "since": None if since is None else parse_rfc3339(since),
        "until": None if until is None else parse_rfc3339(until),
    }
    assert searched(store, **bounds) == [runs[i] for i in expected]


def test_sync_reader_searches_the_same(
    store: SQLiteStore, backend: Backend, runs: list[int]
) -> None:
    reader = backend.reader()
    f = RunFilter(reason="BACKFILL", since=parse_rfc3339("2026-03-08T07:30:00Z"))
    assert [r.id for r in reader.search_runs(f, limit=10)] == [runs[4], runs[2]]
    assert reader.search_runs(f, limit=10) == run(store.search_runs(f, limit=10))


# -- logs -------------------------------------------------------------------------------


@pytest.fixture
def logs(store: SQLiteStore) -> tuple[int, int, int]:
    """Three runs: `a` (2 stdout lines + 1 healthcheck), `b` (stdout, stderr), `a` again."""

    async def seed() -> tuple[int, int, int]:
        a1 = (await store.create_run(new_run("a"))).id
        b1 = (await store.create_run(new_run("b"))).id
        a2 = (await store.create_run(new_run("a"))).id
        await store.append_logs(
            [
                LogLine(a1, 1, Stream.STDOUT, "Starting ETL", at(1)),
                LogLine(a1, 2, Stream.STDOUT, "rows: 12", at(2)),
                LogLine(a1, 3, Stream.HEALTHCHECK, "health OK", at(3)),
                LogLine(b1, 1, Stream.STDOUT, "b says hi", at(4)),
                LogLine(b1, 2, Stream.STDERR, "b WARNING: etl late", at(5)),
                LogLine(a2, 1, Stream.STDOUT, "Starting etl again", at(6)),
            ]
        )
        await store.flush()
        return a1, b1, a2

    return run(seed())


def logged(store: SQLiteStore, limit: int = 100, offset: int = 0, **filters: Any) -> list[str]:
    lines = run(store.search_logs(LogFilter(**filters), limit=limit, offset=offset))
    return [line.line for line in lines]


def test_search_logs_by_run_descending_then_seq(
    store: SQLiteStore, logs: tuple[int, int, int]
) -> None:
    a1, b1, a2 = logs
    everything = run(store.search_logs(LogFilter(), limit=100))
    assert [(ln.run_id, ln.seq) for ln in everything] == [
        (a2, 1),
        (b1, 1),
        (b1, 2),
        (a1, 1),
        (a1, 2),
        (a1, 3),  # healthcheck lines included
    ]
    assert everything[-1] == LogLine(a1, 3, Stream.HEALTHCHECK, "health OK", at(3))


def test_search_logs_filters_and_paging(store: SQLiteStore, logs: tuple[int, int, int]) -> None:
    a1, b1, _ = logs
    assert logged(store, run_id=a1) == ["Starting ETL", "rows: 12", "health OK"]
    assert logged(store, job="a") == ["Starting etl again", "Starting ETL", "rows: 12", "health OK"]
    assert logged(store, stream="stderr") == ["b WARNING: etl late"]
    assert logged(store, stream="healthcheck") == ["health OK"]
    assert logged(store, q="ETL") == ["Starting etl again", "b WARNING: etl late", "Starting ETL"]
    assert logged(store, q="etl", job="b") == ["b WARNING: etl late"]
    assert logged(store, q="etl", run_id=b1, stream="stdout") == []
    assert logged(store, limit=2) == ["Starting etl again", "b says hi"]
    assert logged(store, limit=2, offset=2) == ["b WARNING: etl late", "Starting ETL"]
    assert logged(store, job="a", limit=1, offset=3) == ["health OK"]
    assert logged(store, run_id=999) == []


# -- outputs ----------------------------------------------------------------------------


def test_search_outputs_newest_first_with_filters(store: SQLiteStore) -> None:
    rows = [
        RunOutput(1, "extract", "path", "/tmp/a", "c1", at(1)),
        RunOutput(1, "extract", "rows", "12", "c1", at(1)),
        RunOutput(2, "load", "count", "12", "c1", at(2)),
        RunOutput(3, "extract", "path", "/tmp/b", "c2", at(3)),
    ]
    run(store.add_outputs(rows))

    def found(limit: int = 100, offset: int = 0, **filters: Any) -> list[RunOutput]:
        return run(store.search_outputs(OutputFilter(**filters), limit=limit, offset=offset))

    assert found() == rows[::-1]
    assert found(job="extract") == [rows[3], rows[1], rows[0]]
    assert found(cycle_id="c1") == [rows[2], rows[1], rows[0]]
    assert found(run_id=1) == [rows[1], rows[0]]
    assert found(job="extract", cycle_id="c1", run_id=1, limit=1, offset=1) == [rows[0]]
    assert found(limit=2, offset=1) == [rows[2], rows[1]]
    assert found(job="nobody") == []


# -- alerts -----------------------------------------------------------------------------

#: (job, run_id, event, status, last_attempt_at, error, payload); ids follow this order.
ALERTS: list[tuple[Any, ...]] = [
    ("etl", 1, "on_failure", "delivered", "2026-03-08T07:30:01.000Z", None, '{"a": 1}'),
    ("etl", 2, "on_failure", "failed", "2026-03-08T07:30:02.500Z", "HTTP 500", None),
    ("report", None, "", "pending", None, None, None),
    ("etl", 3, "on_success", "delivered", "2026-03-08T07:30:04Z", None, None),  # original form
]


def seed_alerts(store: SQLiteStore) -> list[int]:
    """Alert rows as the notifier writes them (sent_at = last_attempt_at, or T0)."""

    def insert(conn: sqlite3.Connection) -> list[int]:
        ids = []
        for job, run_id, event, status, last, error, payload in ALERTS:
            cursor = conn.execute(
                "INSERT INTO alerts (job_name, run_id, event, channel, status, last_attempt_at,"
                " error, sent_at, payload) VALUES (?, ?, ?, 'slack', ?, ?, ?, ?, ?)",
                (
                    job,
                    run_id,
                    event,
                    status,
                    last,
                    error,
                    last or "2026-03-08T07:30:00.123Z",
                    payload,
                ),
            )
            assert cursor.lastrowid is not None
            ids.append(cursor.lastrowid)
        return ids

    return run(store.write(insert))


def alert_ids(store: SQLiteStore, limit: int = 100, offset: int = 0, **filters: Any) -> list[int]:
    found = run(store.list_alerts(AlertFilter(**filters), limit=limit, offset=offset))
    return [a.id for a in found]


def test_list_alerts_newest_first_with_filters_and_paging(store: SQLiteStore) -> None:
    a1, a2, a3, a4 = seed_alerts(store)
    assert alert_ids(store) == [a4, a3, a2, a1]
    assert alert_ids(store, job="etl") == [a4, a2, a1]
    assert alert_ids(store, status="delivered") == [a4, a1]
    assert alert_ids(store, job="etl", status="failed") == [a2]
    assert alert_ids(store, limit=2, offset=1) == [a3, a2]
    assert alert_ids(store, job="nobody") == []


def test_alert_rows_map_every_column(store: SQLiteStore) -> None:
    a1, a2, a3, a4 = seed_alerts(store)
    by_id = {a.id: a for a in run(store.list_alerts(AlertFilter(), limit=10))}
    one = parse_ts("2026-03-08T07:30:01Z")
    assert by_id[a1] == Alert(
        a1, "etl", 1, "on_failure", "slack", "delivered", 1, one, None, one, '{"a": 1}'
    )
    assert (by_id[a2].error, by_id[a2].last_attempt_at) == (
        "HTTP 500",
        parse_ts("2026-03-08T07:30:02.5Z"),
    )
    assert by_id[a3] == Alert(a3, "report", None, "", "slack", "pending", 1, None, None, T0, None)
    assert by_id[a4].sent_at == parse_ts("2026-03-08T07:30:04Z")  # whole seconds parse too


def set_lock(store: SQLiteStore, job: str, pid: int) -> None:
    """The original Husky's lock column (this daemon never sets it)."""

    def write(conn: sqlite3.Connection) -> None:
        conn.execute(
            "INSERT INTO job_state (job_name, lock_pid) VALUES (?, ?)"
            " ON CONFLICT (job_name) DO UPDATE SET lock_pid = excluded.lock_pid",
            (job, pid),
        )

    run(store.write(write))


def lock_of(store: SQLiteStore, job: str) -> int | None:
    state = run(store.job_states()).get(job)
    return None if state is None else state.lock_pid


def test_clear_lock_nulls_lock_pid_only(store: SQLiteStore) -> None:
    run(store.record_outcome("etl", RunStatus.SUCCESS, at(1)))
    set_lock(store, "etl", 4242)
    set_lock(store, "other", 77)
    assert lock_of(store, "etl") == 4242
    assert run(store.clear_lock("etl")) is True
    assert lock_of(store, "etl") is None
    assert run(store.job_states())["etl"].last_success == at(1)  # the rest of the row stays
    assert lock_of(store, "other") == 77
    assert run(store.clear_lock("no-row")) is True  # nothing to clear is fine
    assert "no-row" not in run(store.job_states())


def test_clear_lock_is_refused_while_the_job_has_a_running_run(store: SQLiteStore) -> None:
    set_lock(store, "etl", 4242)
    running = run(store.create_run(new_run("etl")))
    assert run(store.clear_lock("etl")) is True  # PENDING is not RUNNING
    set_lock(store, "etl", 4242)
    run(store.mark_running(running.id, at(1), None))
    assert run(store.clear_lock("etl")) is False
    assert lock_of(store, "etl") == 4242
    run(store.finish_run(running.id, RunResult(RunStatus.SUCCESS, at(2), 0)))
    assert run(store.clear_lock("etl")) is True
    assert lock_of(store, "etl") is None


def test_a_search_past_its_budget_is_stopped_with_a_clear_error(tmp_path: Path) -> None:
    """A substring search scans every line; the reader stops it when its time is up."""
    conn = connect(tmp_path / "husky.db")
    conn.executemany(
        "INSERT INTO run_logs (run_id, seq, stream, line, ts) VALUES (1, ?, 'stdout', ?, ?)",
        [(i, f"line {i}", "2026-01-01T00:00:00.000Z") for i in range(1, 50_001)],
    )
    conn.commit()
    conn.close()
    with SQLiteReader(tmp_path / "husky.db") as reader:
        sql = "SELECT count(*) FROM run_logs a, run_logs b WHERE a.seq + b.seq < 0"
        with pytest.raises(QueryTooSlow, match=r"longer than 0\.2s"):
            reader._query(sql, (), budget=0.2)
        assert reader._query("SELECT count(*) FROM run_logs", (), budget=0.2)[0][0] == 50_000
