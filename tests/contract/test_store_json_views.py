"""The views read as JSON (`search_runs_json` for /api/audit, `get_logs_json` for a run's
/logs): the same objects, keys and order that `api/shapes.py` makes from the records the
other reads return, so the API can send the text as it is."""

from __future__ import annotations

import json
from typing import Any

import pytest

from husky.api.shapes import log_json, run_json
from husky.models import LogLine, RunResult, RunStatus, Stream, Trigger
from husky.store.queries import RunFilter
from husky.store.sqlite import SQLiteStore
from husky.store.sqlite_schema import connect
from tests.contract.conftest import Backend, at, new_run, run


@pytest.fixture
def runs(store: SQLiteStore) -> list[int]:
    """Runs with every optional field both set and unset: PENDING (no start), RUNNING,
    a success with a healthcheck, a failure with a reason and an SLA breach, a skip with
    an empty status reason, an exit code below zero, and plain successes (the shapes
    `sqlite_views` builds without `json_remove`)."""

    async def seed() -> list[int]:
        ids = []
        pending = await store.create_run(new_run("a", reason="", created_at=at(0)))
        ids.append(pending.id)
        running = await store.create_run(new_run("b", trigger=Trigger.MANUAL, created_at=at(1)))
        await store.mark_running(running.id, at(1.5), 4242)
        ids.append(running.id)
        outcomes = [
            ("a", RunResult(RunStatus.SUCCESS, at(3), 0, None, "warn"), None),
            ("b", RunResult(RunStatus.FAILED, at(4), -2, "healthcheck failed (exit 1)"), "why"),
            ("c", RunResult(RunStatus.SKIPPED, at(5), None, ""), "Größe prüfen"),
            ("a", RunResult(RunStatus.CANCELLED, at(6), -1, "cancelled by operator"), None),
            ("c", RunResult(RunStatus.SUCCESS, at(7), 0), "nightly"),
            ("b", RunResult(RunStatus.SUCCESS, at(8), 0, ""), None),
        ]
        for second, (job, result, reason) in enumerate(outcomes, start=2):
            created = await store.create_run(new_run(job, reason=reason, created_at=at(second)))
            await store.mark_running(created.id, at(second + 0.25), None)
            await store.finish_run(created.id, result)
            ids.append(created.id)
        await store.set_sla_breached(ids[3])
        return ids

    return run(seed())


def same_json(got: Any, want: Any) -> bool:
    """Equal as JSON: types (`false` is not `0`) and key order too."""
    return json.dumps(got) == json.dumps(want)


def as_api(store: SQLiteStore, f: RunFilter, limit: int, offset: int = 0) -> list[dict[str, Any]]:
    return [run_json(r) for r in run(store.search_runs(f, limit=limit, offset=offset))]


@pytest.mark.parametrize(
    ("f", "limit", "offset"),
    [
        (RunFilter(), 100, 0),
        (RunFilter(), 2, 1),
        (RunFilter(job="a"), 100, 0),
        (RunFilter(status="failed", trigger="schedule"), 10, 0),
        (RunFilter(reason="GRÖSSE"), 10, 0),
        (RunFilter(job_names=frozenset({"b", "c"})), 10, 0),
        (RunFilter(since=at(3), until=at(5)), 10, 0),
        (RunFilter(job="nobody"), 10, 0),
    ],
)
def test_search_runs_json_is_the_runs_as_the_api_shows_them(
    store: SQLiteStore, runs: list[int], f: RunFilter, limit: int, offset: int
) -> None:
    got = json.loads(run(store.search_runs_json(f, limit=limit, offset=offset)))
    want = as_api(store, f, limit, offset)
    assert got == want
    assert same_json(got, want)


def test_search_runs_json_covers_every_optional_field(store: SQLiteStore, runs: list[int]) -> None:
    got = {obj["id"]: obj for obj in json.loads(run(store.search_runs_json(RunFilter(), limit=10)))}
    pending, running, success, failed, skipped, cancelled, plain, empty = (got[i] for i in runs)
    assert {"started_at", "finished_at", "exit_code", "hc_status", "status_reason"}.isdisjoint(
        pending
    )
    assert pending["reason"] == "" and pending["sla_breached"] is False
    assert running["started_at"] == "2026-03-08T07:30:01.623Z" and "finished_at" not in running
    assert (success["hc_status"], success["exit_code"]) == ("warn", 0)
    assert failed["sla_breached"] is True and failed["exit_code"] == -2
    assert (failed["reason"], failed["status_reason"]) == ("why", "healthcheck failed (exit 1)")
    assert "status_reason" not in skipped and "exit_code" not in skipped
    assert skipped["reason"] == "Größe prüfen"
    assert cancelled["status_reason"] == "cancelled by operator" and "hc_status" not in cancelled
    for done in (plain, empty):
        assert {"status_reason", "hc_status"}.isdisjoint(done) and done["exit_code"] == 0
    assert plain["reason"] == "nightly" and empty["reason"] == ""


def test_the_sync_reader_returns_the_same_text(
    store: SQLiteStore, backend: Backend, runs: list[int]
) -> None:
    text = run(store.search_runs_json(RunFilter(), limit=10))
    assert backend.reader().search_runs_json(RunFilter(), limit=10) == text


def lines(run_id: int, seqs: list[int]) -> list[LogLine]:
    """Line `seq` is a healthcheck line when seq % 3 == 2, stderr when seq % 3 == 0."""
    streams = {0: Stream.STDERR, 1: Stream.STDOUT, 2: Stream.HEALTHCHECK}
    return [
        LogLine(run_id, seq, streams[seq % 3], f'line {seq}: "quoted"\t\x1b[1mbold', at(seq))
        for seq in seqs
    ]


@pytest.mark.parametrize(
    ("after_seq", "limit"), [(0, None), (0, 4), (2, 3), (5, 1), (9, None), (0, 100)]
)
@pytest.mark.parametrize("healthcheck", [True, False])
def test_get_logs_json_pages_by_seq_then_drops_healthcheck_lines(
    store: SQLiteStore, after_seq: int, limit: int | None, healthcheck: bool
) -> None:
    rid = run(store.create_run(new_run())).id
    other = run(store.create_run(new_run("other"))).id
    run(store.append_logs(lines(rid, list(range(1, 10))) + lines(other, [1, 2])))
    run(store.flush())
    page = run(store.get_logs(rid, after_seq=after_seq, limit=limit))
    want = [log_json(ln) for ln in page if healthcheck or ln.stream is not Stream.HEALTHCHECK]
    text = run(store.get_logs_json(rid, after_seq=after_seq, limit=limit, healthcheck=healthcheck))
    assert json.loads(text) == want
    assert same_json(json.loads(text), want)


def test_get_logs_json_follows_seq_not_the_order_lines_were_written(store: SQLiteStore) -> None:
    rid = run(store.create_run(new_run())).id
    run(store.append_logs(lines(rid, list(range(300, 0, -1)))))
    run(store.flush())
    got = json.loads(run(store.get_logs_json(rid, after_seq=10, limit=250)))
    assert [obj["seq"] for obj in got] == list(range(11, 261))


def test_get_logs_json_of_nothing_is_an_empty_array(store: SQLiteStore) -> None:
    assert run(store.get_logs_json(12345)) == "[]"
    assert run(store.search_runs_json(RunFilter(job="x"), limit=5)) == "[]"


def test_timestamps_an_older_husky_wrote_come_back_in_the_i25_form(
    store: SQLiteStore, backend: Backend
) -> None:
    """A database upgraded from the original Husky holds other RFC 3339 forms."""
    conn = connect(backend.path)
    try:
        conn.execute(
            "INSERT INTO job_runs (id, job_name, status, trigger, started_at, finished_at,"
            " created_at) VALUES (7, 'old', 'SUCCESS', 'schedule', ?, ?, ?)",
            (
                "2026-03-08T08:30:00.5+01:00",
                "2026-03-08T07:31:00.123456789Z",
                "2026-03-08T07:30:00Z",
            ),
        )
        conn.execute(
            "INSERT INTO run_logs (run_id, seq, stream, line, ts) VALUES (7, 1, 'stdout', 'x', ?)",
            ("2026-03-08T07:30:01Z",),
        )
    finally:
        conn.close()
    (old,) = json.loads(run(store.search_runs_json(RunFilter(job="old"), limit=5)))
    assert (old["created_at"], old["started_at"], old["finished_at"]) == (
        "2026-03-08T07:30:00.000Z",
        "2026-03-08T07:30:00.500Z",
        "2026-03-08T07:31:00.123Z",
    )
    assert same_json(old, as_api(store, RunFilter(job="old"), 5)[0])
    (line,) = json.loads(run(store.get_logs_json(7)))
    assert line["ts"] == "2026-03-08T07:30:01.000Z"
