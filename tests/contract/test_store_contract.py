"""The StateStore contract (store.md, IMPROVEMENTS I2, I5, I11, I12, I21, I25, I26): every backend."""

from __future__ import annotations

import os
import sqlite3
import stat
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta, timezone

import pytest

from husky.errors import StoreError
from husky.models import (
    JobState,
    LogBatch,
    LogLine,
    Run,
    RunOutput,
    RunResult,
    RunStatus,
    Stream,
    Trigger,
)
from husky.store.sqlite import SQLiteStore
from husky.store.sqlite_reader import SQLiteReader
from husky.store.sqlite_schema import MIGRATIONS, SCHEMA_VERSION
from tests.contract.conftest import T0, Backend, at, new_run, run


def lines_for(
    run_id: int, count: int, *, start: int = 1, stream: Stream = Stream.STDOUT
) -> list[LogLine]:
    return [
        LogLine(run_id, seq, stream, f"line {seq}", at(seq / 1000))
        for seq in range(start, start + count)
    ]


# -- runs -------------------------------------------------------------------------------


def test_create_run_returns_the_stored_pending_row(store: SQLiteStore) -> None:
    created = run(store.create_run(new_run(reason="", trigger=Trigger.MANUAL, triggered_by="cli")))
    assert created == Run(
        id=created.id,
        job_name="etl",
        status=RunStatus.PENDING,
        status_reason=None,
        attempt=1,
        trigger=Trigger.MANUAL,
        triggered_by="cli",
        reason=None,  # NULL when empty
        started_at=None,  # I2: NULL while PENDING
        finished_at=None,
        exit_code=None,
        sla_breached=False,
        hc_status=None,
        created_at=T0,
        cycle_id="cycle-1",
        pgid=None,
    )
    assert run(store.get_run(created.id)) == created
    assert run(store.get_run(created.id + 1000)) is None


def test_create_run_with_a_status_and_reason(store: SQLiteStore) -> None:
    skipped = run(
        store.create_run(
            new_run(status=RunStatus.SKIPPED, status_reason="upstream failed", reason="backfill")
        )
    )
    stored = run(store.get_run(skipped.id))
    assert stored is not None
    assert (stored.status, stored.status_reason, stored.reason) == (
        RunStatus.SKIPPED,
        "upstream failed",
        "backfill",
    )


def test_run_ids_increase(store: SQLiteStore) -> None:
    ids = [run(store.create_run(new_run())).id for _ in range(3)]
    assert ids == sorted(ids) and len(set(ids)) == 3


def test_create_runs_inserts_every_row_in_order(store: SQLiteStore) -> None:
    news = [new_run("a"), new_run("b", status=RunStatus.SKIPPED, status_reason="x"), new_run("c")]
    created = run(store.create_runs(news))
    assert [r.job_name for r in created] == ["a", "b", "c"]
    assert [r.id for r in created] == sorted(r.id for r in created)
    assert [r.status for r in created] == [RunStatus.PENDING, RunStatus.SKIPPED, RunStatus.PENDING]
    for row in created:
        assert run(store.get_run(row.id)) == row
    assert run(store.create_runs([])) == []


def test_queue_running_is_written_before_what_is_queued_after_it(store: SQLiteStore) -> None:
    async def scenario() -> Run | None:
        created = await store.create_run(new_run())
        marked = store.queue_running(created.id, at(1), 4242)  # queued now, awaited later
        await store.finish_run(created.id, RunResult(RunStatus.SUCCESS, at(2), 0))
        await marked
        return await store.get_run(created.id)

    final = run(scenario())
    assert final is not None
    assert final.started_at == at(1)  # the RUNNING write landed...
    assert final.status is RunStatus.SUCCESS  # ...before the finish, which clears pgid
    assert final.finished_at == at(2) and final.pgid is None


def test_list_runs_newest_first_with_filters_and_paging(store: SQLiteStore) -> None:
    async def scenario() -> list[int]:
        ids = []
        for job in ["a", "b", "a", "a", "b"]:
            ids.append((await store.create_run(new_run(job))).id)
        await store.finish_run(ids[2], RunResult(RunStatus.FAILED, at(5), 1, "exit 1"))
        await store.finish_run(ids[3], RunResult(RunStatus.SUCCESS, at(6), 0))
        return ids

    a1, b1, a2, a3, b2 = run(scenario())

    def listed(**kwargs: object) -> list[int]:
        return [r.id for r in run(store.list_runs(**kwargs))]  # type: ignore[arg-type]

    assert listed() == [b2, a3, a2, b1, a1]
    assert listed(job_name="a") == [a3, a2, a1]
    assert listed(statuses=[RunStatus.SUCCESS, RunStatus.FAILED]) == [a3, a2]
    assert listed(job_name="a", statuses=[RunStatus.PENDING]) == [a1]
    assert listed(limit=2) == [b2, a3]
    assert listed(limit=2, offset=2) == [a2, b1]
    assert listed(limit=2, offset=4) == [a1]
    assert listed(job_name="a", limit=1, offset=1) == [a2]
    assert listed(job_name="nobody") == []


def test_mark_running_records_start_and_process_group(store: SQLiteStore) -> None:
    created = run(store.create_run(new_run()))
    run(store.mark_running(created.id, at(1.5), 4242))
    stored = run(store.get_run(created.id))
    assert stored is not None
    assert (stored.status, stored.started_at, stored.pgid) == (RunStatus.RUNNING, at(1.5), 4242)


def test_finish_run_writes_every_field_and_clears_pgid(store: SQLiteStore) -> None:
    created = run(store.create_run(new_run()))
    run(store.mark_running(created.id, at(1), 777))
    result = RunResult(RunStatus.FAILED, at(2.25), 3, status_reason="exit code 3", hc_status="fail")
    run(store.finish_run(created.id, result))
    stored = run(store.get_run(created.id))
    assert stored is not None
    assert (
        stored.status,
        stored.finished_at,
        stored.exit_code,
        stored.status_reason,
        stored.hc_status,
        stored.pgid,
        stored.started_at,
    ) == (RunStatus.FAILED, at(2.25), 3, "exit code 3", "fail", None, at(1))


def test_rewrite_status_touches_status_reason_and_finished_at_only(store: SQLiteStore) -> None:
    created = run(store.create_run(new_run()))
    run(store.mark_running(created.id, at(1), 5))
    run(store.finish_run(created.id, RunResult(RunStatus.FAILED, at(2), 1, "exit code 1")))
    run(store.rewrite_status(created.id, RunStatus.RETRYING, "retry 1/3 in 10s", at(3)))
    stored = run(store.get_run(created.id))
    assert stored is not None
    assert (stored.status, stored.status_reason, stored.finished_at) == (
        RunStatus.RETRYING,
        "retry 1/3 in 10s",
        at(3),
    )
    assert (stored.exit_code, stored.started_at, stored.attempt) == (1, at(1), 1)


def test_set_sla_breached(store: SQLiteStore) -> None:
    created = run(store.create_run(new_run()))
    run(store.set_sla_breached(created.id))
    stored = run(store.get_run(created.id))
    assert stored is not None and stored.sla_breached is True


def test_active_runs_lists_pending_and_running_oldest_first(store: SQLiteStore) -> None:
    async def scenario() -> tuple[int, int]:
        pending = (await store.create_run(new_run("p"))).id
        running = (await store.create_run(new_run("r"))).id
        await store.mark_running(running, at(1), 99)
        done = (await store.create_run(new_run("d"))).id
        await store.finish_run(done, RunResult(RunStatus.SUCCESS, at(2), 0))
        await store.create_run(new_run("s", status=RunStatus.SKIPPED, status_reason="x"))
        return pending, running

    pending, running = run(scenario())
    active = run(store.active_runs())
    assert [(r.id, r.status) for r in active] == [
        (pending, RunStatus.PENDING),
        (running, RunStatus.RUNNING),
    ]
    assert active[1].pgid == 99


# -- logs -------------------------------------------------------------------------------


def test_logs_come_back_by_seq_with_stream_after_seq_and_limit(store: SQLiteStore) -> None:
    rid = run(store.create_run(new_run())).id
    other = run(store.create_run(new_run("other"))).id
    lines = [
        LogLine(rid, 3, Stream.STDOUT, "three", at(3)),
        LogLine(rid, 1, Stream.STDOUT, "one", at(1)),
        LogLine(other, 1, Stream.STDOUT, "elsewhere", at(1)),
        LogLine(rid, 2, Stream.STDERR, "two", at(2)),
        LogLine(rid, 4, Stream.HEALTHCHECK, "hc ok", at(4)),
        LogLine(rid, 5, Stream.STDOUT, "", at(5)),
    ]

    async def scenario() -> None:
        await store.append_logs(lines[:3])
        await store.append_logs(lines[3:])
        await store.flush()

    run(scenario())
    got = run(store.get_logs(rid))
    assert [ln.seq for ln in got] == [1, 2, 3, 4, 5]
    assert got[1] == LogLine(rid, 2, Stream.STDERR, "two", at(2))
    assert got[4].line == ""
    assert [ln.seq for ln in run(store.get_logs(rid, streams=[Stream.STDOUT]))] == [1, 3, 5]
    both = run(store.get_logs(rid, streams=[Stream.STDERR, Stream.HEALTHCHECK]))
    assert [ln.seq for ln in both] == [2, 4]
    assert [ln.seq for ln in run(store.get_logs(rid, after_seq=2))] == [3, 4, 5]
    assert [ln.seq for ln in run(store.get_logs(rid, after_seq=1, limit=2))] == [2, 3]
    assert [ln.line for ln in run(store.get_logs(other))] == ["elsewhere"]
    assert run(store.get_logs(rid + other + 10)) == []


def test_a_chatty_run_keeps_every_line_in_order_before_its_status(
    store: SQLiteStore, backend: Backend
) -> None:
    """I21: 200,000 lines, then finish_run: once it returns, every line is committed."""
    total, batch = 200_000, 1_000
    rid = run(store.create_run(new_run())).id
    reader = backend.reader()

    async def scenario() -> tuple[int, RunStatus | None]:
        for start in range(1, total + 1, batch):
            await store.append_logs(lines_for(rid, batch, start=start))
        await store.finish_run(rid, RunResult(RunStatus.SUCCESS, at(500), 0))
        # Straight after finish_run, before any flush: a reader sees all lines.
        stored = reader.get_run(rid)
        return len(reader.get_logs(rid)), None if stored is None else stored.status

    count, status = run(scenario())
    assert (count, status) == (total, RunStatus.SUCCESS)
    got = run(store.get_logs(rid))
    assert [ln.seq for ln in got] == list(range(1, total + 1))
    assert got[-1] == LogLine(rid, total, Stream.STDOUT, f"line {total}", at(total / 1000))


def test_flush_waits_for_queued_lines(store: SQLiteStore, backend: Backend) -> None:
    rid = run(store.create_run(new_run())).id
    reader = backend.reader()

    async def scenario() -> int:
        for start in range(1, 5001, 500):
            await store.append_logs(lines_for(rid, 500, start=start))
        await store.flush()
        return len(reader.get_logs(rid))

    assert run(scenario()) == 5000


# -- outputs ----------------------------------------------------------------------------


def test_outputs_by_run_and_by_cycle(store: SQLiteStore) -> None:
    def out(run_id: int, var: str, cycle: str) -> RunOutput:
        return RunOutput(run_id, f"job{run_id}", var, f"value of {var}", cycle, at(run_id))

    outputs = [out(1, "a", "c1"), out(1, "b", "c1"), out(2, "a", "c1"), out(3, "a", "c2")]
    run(store.add_outputs(outputs[:2]))
    run(store.add_outputs(outputs[2:]))
    run(store.add_outputs([]))
    assert run(store.get_outputs(run_id=1)) == outputs[:2]
    assert run(store.get_outputs(cycle_id="c1")) == outputs[:3]
    assert run(store.get_outputs(cycle_id="c2")) == outputs[3:]
    assert run(store.get_outputs(run_id=2, cycle_id="c1")) == [outputs[2]]
    assert run(store.get_outputs(run_id=2, cycle_id="c2")) == []
    assert run(store.get_outputs()) == outputs  # rows may name missing runs [C9]


# -- job state --------------------------------------------------------------------------


def test_record_outcome_keeps_both_timestamps(store: SQLiteStore) -> None:
    run(store.record_outcome("etl", RunStatus.SUCCESS, at(1)))
    assert run(store.job_states())["etl"] == JobState(
        "etl", last_success=at(1), last_status=RunStatus.SUCCESS
    )
    run(store.record_outcome("etl", RunStatus.FAILED, at(2)))
    assert run(store.job_states())["etl"] == JobState(
        "etl", last_success=at(1), last_failure=at(2), last_status=RunStatus.FAILED
    )
    run(store.record_outcome("etl", RunStatus.SUCCESS, at(3)))
    assert run(store.job_states())["etl"] == JobState(
        "etl", last_success=at(3), last_failure=at(2), last_status=RunStatus.SUCCESS
    )
    # cancel, skip and orphan marking leave job_state alone (execution.md §8)
    run(store.record_outcome("etl", RunStatus.CANCELLED, at(4)))
    run(store.record_outcome("other", RunStatus.SKIPPED, at(4)))
    states = run(store.job_states())
    assert states["etl"].last_status is RunStatus.SUCCESS and "other" not in states


def test_set_next_run_touches_only_next_run(store: SQLiteStore) -> None:
    run(store.set_next_run("fresh", at(60)))
    assert run(store.job_states())["fresh"] == JobState("fresh", next_run=at(60))
    run(store.record_outcome("etl", RunStatus.SUCCESS, at(1)))
    run(store.record_outcome("etl", RunStatus.FAILED, at(2)))
    run(store.set_next_run("etl", at(100)))
    assert run(store.job_states())["etl"] == JobState(
        "etl",
        last_success=at(1),
        last_failure=at(2),
        last_status=RunStatus.FAILED,
        next_run=at(100),
    )
    run(store.set_next_run("etl", None))
    state = run(store.job_states())["etl"]
    assert state.next_run is None and state.last_success == at(1)


def test_job_states_maps_every_job(store: SQLiteStore) -> None:
    assert run(store.job_states()) == {}
    run(store.set_next_run("b", at(1)))
    run(store.record_outcome("a", RunStatus.FAILED, at(2)))
    states = run(store.job_states())
    assert sorted(states) == ["a", "b"]
    assert states["a"].last_failure == at(2) and states["a"].lock_pid is None


# -- time -------------------------------------------------------------------------------


def test_timestamps_round_trip_with_milliseconds(store: SQLiteStore) -> None:
    paris = timezone(timedelta(hours=1))
    created_local = datetime(2026, 3, 8, 8, 30, 0, 987654, tzinfo=paris)
    created = run(store.create_run(new_run(created_at=created_local)))
    assert created.created_at == datetime(2026, 3, 8, 7, 30, 0, 987000, tzinfo=UTC)
    assert created.created_at.tzinfo is not None
    assert created.created_at.utcoffset() == timedelta(0)
    run(store.mark_running(created.id, at(0.001), None))
    stored = run(store.get_run(created.id))
    assert stored is not None and stored.started_at == at(0.001)


def test_stored_timestamp_text_is_fixed_width_and_sorts_by_time(
    store: SQLiteStore, backend: Backend
) -> None:
    instants = [
        datetime(2026, 3, 8, 7, 30, 0, tzinfo=UTC),
        datetime(2026, 3, 8, 7, 30, 0, 5000, tzinfo=UTC),
        datetime(2026, 3, 8, 8, 29, 59, 999000, tzinfo=timezone(timedelta(hours=1))),
        datetime(2026, 3, 8, 7, 30, 0, 100000, tzinfo=UTC),
        datetime(2025, 12, 31, 23, 59, 59, tzinfo=UTC),
    ]

    async def scenario() -> None:
        for instant in instants:
            await store.create_run(new_run(created_at=instant))

    run(scenario())
    with sqlite3.connect(backend.path) as conn:
        texts = [row[0] for row in conn.execute("SELECT created_at FROM job_runs ORDER BY id")]
    conn.close()
    assert texts[0] == "2026-03-08T07:30:00.000Z"
    assert texts[1] == "2026-03-08T07:30:00.005Z"
    assert {len(t) for t in texts} == {24}
    by_text = [instants[i] for i in sorted(range(len(texts)), key=texts.__getitem__)]
    assert by_text == sorted(instants)


# -- lifecycle --------------------------------------------------------------------------


def test_reopening_keeps_data(backend: Backend) -> None:
    async def first() -> int:
        store = await backend.open()
        rid = (await store.create_run(new_run())).id
        await store.append_logs(lines_for(rid, 3))
        await store.record_outcome("etl", RunStatus.SUCCESS, at(1))
        await store.close()
        return rid

    rid = run(first())

    async def second() -> tuple[Run | None, int, JobState]:
        store = await backend.open()
        try:
            return (
                await store.get_run(rid),
                len(await store.get_logs(rid)),
                (await store.job_states())["etl"],
            )
        finally:
            await store.close()

    stored, lines, state = run(second())
    assert stored is not None and stored.job_name == "etl"
    assert lines == 3 and state.last_success == at(1)


def test_close_is_idempotent_and_later_writes_fail(backend: Backend) -> None:
    async def scenario() -> None:
        store = await backend.open()
        await store.close()
        await store.close()
        with pytest.raises(StoreError, match="closed"):
            await store.create_run(new_run())

    run(scenario())


# -- the SQLite file --------------------------------------------------------------------


def test_a_newer_schema_is_refused(backend: Backend) -> None:
    run(run(backend.open()).close())
    conn = sqlite3.connect(backend.path)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.close()
    message = (
        f"database schema version {SCHEMA_VERSION + 1} is newer than this Husky supports"
        f" ({SCHEMA_VERSION})"
    )
    with pytest.raises(StoreError, match=message.replace("(", r"\(").replace(")", r"\)")):
        run(backend.open())
    with pytest.raises(StoreError, match="newer than this Husky supports"):
        SQLiteReader(backend.path)


def test_database_files_are_private(store: SQLiteStore, backend: Backend) -> None:
    run(store.create_run(new_run()))
    files = [backend.path] + [
        backend.path.with_name(backend.path.name + suffix)
        for suffix in ("-wal", "-shm")
        if os.path.exists(str(backend.path) + suffix)
    ]
    assert len(files) == 3  # WAL mode keeps both side files while open
    for path in files:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path


def test_reader_sees_what_the_store_wrote(store: SQLiteStore, backend: Backend) -> None:
    reader = backend.reader()

    async def scenario() -> Run:
        created = await store.create_run(new_run())
        await store.mark_running(created.id, at(1), 31)
        await store.append_logs(lines_for(created.id, 10))
        await store.add_outputs([RunOutput(created.id, "etl", "v", "1", "cycle-1", at(2))])
        await store.set_next_run("etl", at(3))
        await store.flush()
        return created

    created = run(scenario())
    assert reader.get_run(created.id) == run(store.get_run(created.id))
    assert [r.id for r in reader.list_runs(job_name="etl")] == [created.id]
    assert [r.id for r in reader.active_runs()] == [created.id]
    assert reader.get_logs(created.id, after_seq=8) == lines_for(created.id, 2, start=9)
    assert reader.get_outputs(cycle_id="cycle-1")[0].value == "1"
    assert reader.job_states()["etl"].next_run == at(3)


def test_reader_creates_a_missing_database(backend: Backend) -> None:
    assert not backend.path.exists()
    reader = backend.reader()
    assert reader.list_runs() == [] and reader.job_states() == {}
    assert stat.S_IMODE(backend.path.stat().st_mode) == 0o600
    conn = sqlite3.connect(backend.path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    conn.close()


def test_append_batch_stores_consecutive_lines_of_one_stream(store: SQLiteStore) -> None:
    async def scenario() -> list[LogLine]:
        created = await store.create_run(new_run())
        when = at(7.5)
        await store.append_batch(LogBatch(created.id, 1, Stream.STDERR, when, ["a", "", "c"]))
        await store.append_batch(LogBatch(created.id, 4, Stream.STDOUT, when, ["d"]))
        await store.flush()
        return await store.get_logs(created.id)

    got = run(scenario())
    assert got == [
        LogLine(got[0].run_id, 1, Stream.STDERR, "a", at(7.5)),
        LogLine(got[0].run_id, 2, Stream.STDERR, "", at(7.5)),
        LogLine(got[0].run_id, 3, Stream.STDERR, "c", at(7.5)),
        LogLine(got[0].run_id, 4, Stream.STDOUT, "d", at(7.5)),
    ]


def test_finish_run_with_job_name_records_the_outcome(store: SQLiteStore) -> None:
    async def scenario() -> dict[str, JobState]:
        first = await store.create_run(new_run())
        await store.finish_run(first.id, RunResult(RunStatus.SUCCESS, at(1), 0), job_name="etl")
        second = await store.create_run(new_run())
        await store.finish_run(second.id, RunResult(RunStatus.FAILED, at(2), 1), job_name="etl")
        third = await store.create_run(new_run())
        await store.finish_run(third.id, RunResult(RunStatus.CANCELLED, at(3), -1), job_name="etl")
        return await store.job_states()

    state = run(scenario())["etl"]
    assert (state.last_success, state.last_failure, state.last_status) == (
        at(1),
        at(2),
        RunStatus.FAILED,
    )


# -- rows born terminal, retries, cycles -------------------------------------------------


def test_create_run_writes_finished_at_for_rows_born_terminal(
    store: SQLiteStore, backend: Backend
) -> None:
    async def scenario() -> tuple[Run, Run]:
        refused = await store.create_run(
            new_run(
                status=RunStatus.SKIPPED, status_reason="skipped by operator", finished_at=at(9)
            )
        )
        pending = await store.create_run(new_run())
        return refused, pending

    refused, pending = run(scenario())
    assert refused.finished_at == at(9) and refused.retry_at is None
    assert run(store.get_run(refused.id)) == refused
    assert pending.finished_at is None
    with sqlite3.connect(backend.path) as conn:
        texts = [r[0] for r in conn.execute("SELECT finished_at FROM job_runs ORDER BY id")]
    conn.close()
    assert texts == ["2026-03-08T07:30:09.123Z", None]


def test_schedule_retry_rewrites_status_finished_at_and_retry_at(store: SQLiteStore) -> None:
    async def scenario() -> Run | None:
        created = await store.create_run(new_run())
        await store.mark_running(created.id, at(1), 5)
        await store.finish_run(created.id, RunResult(RunStatus.FAILED, at(2), 1, "exit code 1"))
        await store.schedule_retry(created.id, at(3), at(13))
        return await store.get_run(created.id)

    stored = run(scenario())
    assert stored is not None
    assert (stored.status, stored.finished_at, stored.retry_at) == (
        RunStatus.RETRYING,
        at(3),
        at(13),
    )
    assert (stored.exit_code, stored.status_reason, stored.started_at, stored.attempt) == (
        1,
        "exit code 1",
        at(1),
        1,
    )


def test_pending_retries_are_retrying_rows_whose_next_attempt_never_started(
    store: SQLiteStore,
) -> None:
    """I12: after a restart, these are the retries still owed."""

    async def failed(job: str, cycle: str, attempt: int = 1) -> int:
        created = await store.create_run(new_run(job, cycle_id=cycle, attempt=attempt))
        await store.finish_run(created.id, RunResult(RunStatus.FAILED, at(1), 1, "exit code 1"))
        return created.id

    async def scenario() -> dict[str, int]:
        ids: dict[str, int] = {}
        ids["owed"] = await failed("a", "c1")
        await store.schedule_retry(ids["owed"], at(2), at(12))
        ids["started"] = await failed("b", "c1")
        await store.schedule_retry(ids["started"], at(2), at(12))
        await store.create_run(new_run("b", cycle_id="c1", attempt=2))  # the retry row
        ids["other_cycle"] = await failed("c", "c1")
        await store.schedule_retry(ids["other_cycle"], at(2), at(12))
        await store.create_run(new_run("c", cycle_id="c2", attempt=2))  # another cycle's
        ids["other_job"] = await failed("d", "c1")
        await store.schedule_retry(ids["other_job"], at(2), at(12))
        await store.create_run(new_run("e", cycle_id="c1", attempt=2))  # another job's
        ids["wrong_attempt"] = await failed("f", "c1", attempt=2)
        await store.schedule_retry(ids["wrong_attempt"], at(2), at(12))
        await store.create_run(new_run("f", cycle_id="c1", attempt=2))  # same attempt, not +1
        ids["no_retry_at"] = await failed("g", "c1")
        await store.rewrite_status(ids["no_retry_at"], RunStatus.RETRYING, "retry", at(2))
        ids["plain_failure"] = await failed("h", "c1")
        # a second retry: attempt 1 was retried (attempt 2 exists), attempt 2 is owed
        first = await failed("i", "c3")
        await store.schedule_retry(first, at(2), at(12))
        ids["second"] = await failed("i", "c3", attempt=2)
        await store.schedule_retry(ids["second"], at(20), at(40))
        return ids

    ids = run(scenario())
    pending = run(store.pending_retries())
    assert [r.id for r in pending] == [
        ids["owed"],
        ids["other_cycle"],
        ids["other_job"],
        ids["wrong_attempt"],
        ids["second"],
    ]
    assert all(r.status is RunStatus.RETRYING for r in pending)
    assert (pending[0].retry_at, pending[-1].retry_at, pending[-1].attempt) == (at(12), at(40), 2)


def test_pending_retries_survive_reopening(backend: Backend) -> None:
    async def first() -> int:
        store = await backend.open()
        try:
            created = await store.create_run(new_run())
            await store.finish_run(created.id, RunResult(RunStatus.FAILED, at(1), 1, "exit 1"))
            await store.schedule_retry(created.id, at(2), at(62))
            return created.id
        finally:
            await store.close()

    rid = run(first())

    async def second() -> list[Run]:
        store = await backend.open()
        try:
            return await store.pending_retries()
        finally:
            await store.close()

    assert [(r.id, r.retry_at) for r in run(second())] == [(rid, at(62))]


def test_runs_in_cycle_by_id_ascending(store: SQLiteStore) -> None:
    async def scenario() -> list[int]:
        ids = []
        for job, cycle in [("a", "c1"), ("b", "c2"), ("b", "c1"), ("a", "c1")]:
            ids.append((await store.create_run(new_run(job, cycle_id=cycle))).id)
        await store.finish_run(ids[0], RunResult(RunStatus.SUCCESS, at(1), 0))
        return ids

    a1, b2, b1, a1_again = run(scenario())
    in_c1 = run(store.runs_in_cycle("c1"))
    assert [(r.id, r.job_name) for r in in_c1] == [(a1, "a"), (b1, "b"), (a1_again, "a")]
    assert in_c1[0].status is RunStatus.SUCCESS
    assert [r.id for r in run(store.runs_in_cycle("c2"))] == [b2]
    assert run(store.runs_in_cycle("nowhere")) == []


# -- latest output (I5) -----------------------------------------------------------------


def test_latest_output_is_the_newest_captured_by_a_successful_run(store: SQLiteStore) -> None:
    async def finished(job: str, status: RunStatus | None) -> int:
        created = await store.create_run(new_run(job))
        if status is not None:
            await store.finish_run(created.id, RunResult(status, at(1), 0))
        return created.id

    async def scenario() -> tuple[list[RunOutput], int]:
        old_ok = await finished("x", RunStatus.SUCCESS)
        new_ok = await finished("x", RunStatus.SUCCESS)
        failed = await finished("x", RunStatus.FAILED)
        running = await finished("x", None)
        other_job = await finished("y", RunStatus.SUCCESS)
        outputs = [
            RunOutput(new_ok, "x", "v", "from the newer run", "c2", at(2)),
            # inserted later (higher id) though its run is older: the newest row wins
            RunOutput(old_ok, "x", "v", "newest row", "c1", at(1)),
            RunOutput(new_ok, "x", "w", "other var", "c2", at(2)),
            RunOutput(failed, "x", "v", "from a failed run", "c3", at(3)),
            RunOutput(running, "x", "v", "from an unfinished run", "c4", at(4)),
            RunOutput(other_job, "y", "v", "other job", "c5", at(5)),
            RunOutput(99_999, "x", "v", "run row gone", "c6", at(6)),  # [C9]
        ]
        await store.add_outputs(outputs)
        return outputs, failed

    outputs, failed = run(scenario())
    assert run(store.latest_output("x", "v")) == outputs[1]
    assert run(store.latest_output("x", "w")) == outputs[2]
    assert run(store.latest_output("y", "v")) == outputs[5]
    assert run(store.latest_output("x", "missing")) is None
    assert run(store.latest_output("nobody", "v")) is None
    # only successful runs count: once the failed run's output is the only one, nothing
    run(store.add_outputs([RunOutput(failed, "z", "v", "failed only", "c3", at(3))]))
    assert run(store.latest_output("z", "v")) is None


# -- retention vacuum (store.md §5) -----------------------------------------------------

NOW = at(100_000)
DAY = timedelta(days=1)
MS = timedelta(milliseconds=1)


async def _seed(
    store: SQLiteStore, job: str, status: RunStatus, finished: datetime | None, *, logs: int = 2
) -> int:
    """One run (born in `status`, RUNNING via mark_running) with `logs` lines and an output."""
    born = RunStatus.PENDING if status is RunStatus.RUNNING else status
    created = await store.create_run(new_run(job, status=born, finished_at=finished))
    if status is RunStatus.RUNNING:
        await store.mark_running(created.id, at(0), 1)
    await store.append_logs(lines_for(created.id, logs))
    await store.add_outputs([RunOutput(created.id, job, "v", str(created.id), "c", at(0))])
    return created.id


def _surviving(store: SQLiteStore) -> list[int]:
    return sorted(r.id for r in run(store.list_runs(limit=1_000)))


def _counts(backend: Backend) -> tuple[int, int, int, int, int]:
    """Rows in job_runs, run_logs, run_outputs, alerts, job_state."""
    conn = sqlite3.connect(backend.path)
    try:
        runs, logs, outputs, alerts, states = (
            conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
            for table in ("job_runs", "run_logs", "run_outputs", "alerts", "job_state")
        )
    finally:
        conn.close()
    return runs, logs, outputs, alerts, states


def _lines_left(store: SQLiteStore, ids: Sequence[int]) -> dict[int, tuple[int, int]]:
    return {
        rid: (len(run(store.get_logs(rid))), len(run(store.get_outputs(run_id=rid)))) for rid in ids
    }


def test_vacuum_without_rules_touches_nothing(store: SQLiteStore, backend: Backend) -> None:
    async def scenario() -> list[tuple[int, int, int]]:
        await _seed(store, "a", RunStatus.SUCCESS, NOW - 10 * DAY)
        await store.flush()
        return [
            await store.vacuum(NOW, max_age=None, max_runs_per_job=None),
            await store.vacuum(NOW, max_age=timedelta(0), max_runs_per_job=0),  # not > 0: unset
            await store.vacuum(NOW, max_age=-DAY, max_runs_per_job=-1),
        ]

    assert run(scenario()) == [(0, 0, 0)] * 3
    assert _counts(backend)[:3] == (1, 2, 1)


def test_vacuum_age_rule(store: SQLiteStore, backend: Backend) -> None:
    async def scenario() -> dict[str, int]:
        ids = {
            "old_success": await _seed(store, "a", RunStatus.SUCCESS, NOW - 8 * DAY),
            "old_failed": await _seed(store, "b", RunStatus.FAILED, NOW - 7 * DAY - 1 * MS),
            "at_cutoff": await _seed(store, "a", RunStatus.CANCELLED, NOW - 7 * DAY),
            "young": await _seed(store, "a", RunStatus.SUCCESS, NOW - DAY),
            "no_finish": await _seed(store, "a", RunStatus.SKIPPED, None),
            "pending": await _seed(store, "a", RunStatus.PENDING, None),
            "running": await _seed(store, "a", RunStatus.RUNNING, None),
            "old_pending": await _seed(store, "a", RunStatus.PENDING, NOW - 9 * DAY),
        }
        await store.flush()
        return ids

    ids = run(scenario())
    result = run(store.vacuum(NOW, max_age=7 * DAY, max_runs_per_job=None))
    assert result == (2, 4, 2)
    gone = {ids["old_success"], ids["old_failed"]}
    assert _surviving(store) == sorted(set(ids.values()) - gone)
    assert _lines_left(store, sorted(gone)) == {rid: (0, 0) for rid in gone}
    kept = sorted(set(ids.values()) - gone)
    assert _lines_left(store, kept) == {rid: (2, 1) for rid in kept}
    assert run(store.vacuum(NOW, max_age=7 * DAY, max_runs_per_job=None)) == (0, 0, 0)


def test_vacuum_cap_rule_keeps_the_highest_ids_per_job(store: SQLiteStore) -> None:
    async def scenario() -> dict[str, list[int]]:
        a = [
            await _seed(store, "a", RunStatus.SUCCESS, NOW),
            await _seed(store, "a", RunStatus.SKIPPED, None),  # NULL finished_at counts
            await _seed(store, "a", RunStatus.RUNNING, None),  # never counted, never pruned
            await _seed(store, "a", RunStatus.FAILED, NOW),
            await _seed(store, "a", RunStatus.PENDING, None),
            await _seed(store, "a", RunStatus.SKIPPED, None),
            await _seed(store, "a", RunStatus.SUCCESS, NOW),
        ]
        b = [await _seed(store, "b", RunStatus.SUCCESS, NOW) for _ in range(2)]
        await store.flush()
        return {"a": a, "b": b}

    ids = run(scenario())
    a = ids["a"]
    assert run(store.vacuum(NOW, max_age=None, max_runs_per_job=2)) == (3, 6, 3)
    # job a keeps its 2 highest non-active ids (a[5], a[6]) plus RUNNING/PENDING; b is at cap
    assert _surviving(store) == sorted([a[2], a[4], a[5], a[6], *ids["b"]])
    assert run(store.vacuum(NOW, max_age=None, max_runs_per_job=2)) == (0, 0, 0)
    assert run(store.vacuum(NOW, max_age=None, max_runs_per_job=1)) == (2, 4, 2)
    assert _surviving(store) == sorted([a[2], a[4], a[6], ids["b"][1]])


def test_vacuum_deletes_the_union_once_and_spares_alerts_and_job_state(
    store: SQLiteStore, backend: Backend
) -> None:
    async def scenario() -> list[int]:
        ids = [
            await _seed(store, "a", RunStatus.SUCCESS, NOW - 30 * DAY, logs=3),  # both rules
            await _seed(store, "a", RunStatus.SUCCESS, NOW - 2 * DAY, logs=3),  # cap only
            await _seed(store, "a", RunStatus.SUCCESS, NOW - 30 * DAY, logs=0),  # age only
            await _seed(store, "a", RunStatus.FAILED, NOW, logs=3),  # kept
            await _seed(store, "b", RunStatus.FAILED, NOW - 30 * DAY, logs=3),  # age only
        ]
        await store.add_outputs([RunOutput(99_999, "gone", "v", "x", "c", at(0))])  # [C9]
        await store.record_outcome("a", RunStatus.SUCCESS, NOW - 30 * DAY)
        await store.set_next_run("b", NOW + DAY)

        def alerts(conn: sqlite3.Connection) -> None:
            for rid in ids:
                conn.execute(
                    "INSERT INTO alerts (job_name, run_id, channel, sent_at) VALUES (?, ?, ?, ?)",
                    ("a", rid, "slack", "2026-01-01T00:00:00.000Z"),
                )

        await store.write(alerts)
        await store.flush()
        return ids

    ids = run(scenario())
    before = _counts(backend)
    assert before == (5, 12, 6, 5, 2)
    # "a" has 4 finished runs: the cap of 1 selects ids[0..2], age selects ids[0], ids[2], ids[4]
    assert run(store.vacuum(NOW, max_age=7 * DAY, max_runs_per_job=1)) == (4, 9, 4)
    assert _surviving(store) == [ids[3]]
    assert _counts(backend) == (1, 3, 2, 5, 2)  # the orphan output [C9] stays
    states = run(store.job_states())
    assert states["a"].last_success == NOW - 30 * DAY and states["b"].next_run == NOW + DAY


# -- schema migration -------------------------------------------------------------------


def test_a_version_1_database_gains_retry_at_on_open(backend: Backend) -> None:
    conn = sqlite3.connect(backend.path, isolation_level=None)
    MIGRATIONS[0](conn)  # exactly what a version-1 Husky created
    conn.execute("PRAGMA user_version = 1")
    conn.execute(
        "INSERT INTO job_runs (job_name, status, status_reason, trigger, created_at, finished_at,"
        " cycle_id) VALUES ('old', 'FAILED', 'exit code 1', 'schedule',"
        " '2026-03-08T07:30:00.123Z', '2026-03-08T07:31:00.123Z', 'c1')"
    )
    columns = [row[1] for row in conn.execute("PRAGMA table_info(job_runs)")]
    conn.close()
    assert "retry_at" not in columns

    async def scenario() -> tuple[Run | None, Run | None]:
        store = await backend.open()
        try:
            (old,) = await store.list_runs()
            await store.schedule_retry(old.id, at(70), at(130))
            return old, await store.get_run(old.id)
        finally:
            await store.close()

    old, retried = run(scenario())
    assert old is not None and (old.job_name, old.status, old.retry_at) == (
        "old",
        RunStatus.FAILED,
        None,
    )
    assert old.finished_at == at(60)
    assert retried is not None and (retried.status, retried.retry_at) == (
        RunStatus.RETRYING,
        at(130),
    )
    conn = sqlite3.connect(backend.path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 2
    columns = [row[1] for row in conn.execute("PRAGMA table_info(job_runs)")]
    conn.close()
    assert columns[-1] == "retry_at"


def test_set_next_runs_writes_only_next_run(store: SQLiteStore) -> None:
    async def scenario() -> dict[str, JobState]:
        await store.record_outcome("a", RunStatus.SUCCESS, at(1))
        await store.set_next_runs({"a": at(10), "b": at(20), "c": None})
        return await store.job_states()

    states = run(scenario())
    assert (states["a"].next_run, states["a"].last_success) == (at(10), at(1))
    assert states["b"].next_run == at(20) and states["c"].next_run is None
