"""The StateStore contract for notifications: `alerts` writes (store.md §3, I20) and the two
reads the notifier needs (previous completed run, last log lines). Every backend."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import replace
from typing import Any

from husky.models import (
    Alert,
    AlertStatus,
    LogBatch,
    NewAlert,
    RunResult,
    RunStatus,
    Stream,
)
from husky.store.sqlite import SQLiteStore
from tests.contract.conftest import T0, Backend, at, new_run, run

PAYLOAD = json.dumps({"event": "on_failure", "job": "etl", "message": "boom"})


BASE = NewAlert("etl", 7, "on_failure", "slack:#ops", PAYLOAD, T0)


def new_alert(**overrides: Any) -> NewAlert:
    return replace(BASE, **overrides)


def test_an_alert_is_written_pending_with_no_attempt(store: SQLiteStore) -> None:
    alert_id = run(store.add_alert(new_alert()))
    assert run(store.get_alert(alert_id)) == Alert(
        id=alert_id,
        job_name="etl",
        run_id=7,
        event="on_failure",
        channel="slack:#ops",
        status=AlertStatus.PENDING,
        attempts=0,
        last_attempt_at=None,
        error=None,
        sent_at=T0,
        payload=PAYLOAD,
    )
    assert run(store.get_alert(alert_id + 1)) is None


def test_attempts_then_the_outcome_are_recorded(store: SQLiteStore) -> None:
    alert_id = run(store.add_alert(new_alert(run_id=None, job_name="")))
    run(store.record_attempt(alert_id, attempts=1, at=at(1), error="http status 500"))
    first = run(store.get_alert(alert_id))
    assert first is not None
    assert (first.attempts, first.last_attempt_at, first.error) == (1, at(1), "http status 500")
    assert first.status == AlertStatus.PENDING and first.run_id is None
    run(store.record_attempt(alert_id, attempts=2, at=at(2), error=None))
    run(store.settle_alert(alert_id, AlertStatus.DELIVERED, '{"ok": true}'))
    done = run(store.get_alert(alert_id))
    assert done is not None
    assert (done.status, done.attempts, done.last_attempt_at, done.error, done.payload) == (
        AlertStatus.DELIVERED,
        2,
        at(2),
        None,
        '{"ok": true}',
    )
    assert done.sent_at == T0  # the row's creation, kept


def test_reopen_sets_pending_once(store: SQLiteStore) -> None:
    alert_id = run(store.add_alert(new_alert()))
    assert run(store.reopen_alert(alert_id)) is None  # already pending: nothing changes
    run(store.settle_alert(alert_id, AlertStatus.FAILED, PAYLOAD))
    reopened = run(store.reopen_alert(alert_id))
    assert reopened is not None and reopened.status == AlertStatus.PENDING
    assert reopened.id == alert_id
    assert run(store.reopen_alert(alert_id)) is None  # a second request while pending
    assert run(store.reopen_alert(9999)) is None


def test_pending_alerts_oldest_first(store: SQLiteStore) -> None:
    ids = [run(store.add_alert(new_alert(run_id=n))) for n in (1, 2, 3)]
    run(store.settle_alert(ids[1], AlertStatus.DELIVERED, PAYLOAD))
    assert [a.id for a in run(store.pending_alerts())] == [ids[0], ids[2]]


def test_alerts_are_visible_to_another_connection(store: SQLiteStore, backend: Backend) -> None:
    alert_id = run(store.add_alert(new_alert()))
    with sqlite3.connect(backend.path) as conn:
        row = conn.execute("SELECT status, attempts FROM alerts WHERE id = ?", (alert_id,))
        assert row.fetchone() == ("pending", 0)
    assert backend.reader().get_alert(alert_id) is not None


def test_previous_completed_run_skips_retrying_and_active_rows(store: SQLiteStore) -> None:
    def finished(status: RunStatus, job: str = "etl") -> int:
        created = run(store.create_run(new_run(job)))
        run(store.finish_run(created.id, RunResult(status, at(1), 0)))
        return created.id

    failed = finished(RunStatus.FAILED)
    finished(RunStatus.SUCCESS, job="other")
    retrying = finished(RunStatus.FAILED)
    run(store.schedule_retry(retrying, at(2), at(3)))
    finished(RunStatus.CANCELLED)
    current = run(store.create_run(new_run())).id
    previous = run(store.previous_completed_run("etl", current))
    assert previous is not None and previous.id == failed
    assert run(store.previous_completed_run("etl", failed)) is None
    skipped = finished(RunStatus.SKIPPED)
    later = run(store.previous_completed_run("etl", skipped + 1))
    assert later is not None and later.id == skipped


def test_tail_logs_gives_the_newest_lines_in_order(store: SQLiteStore) -> None:
    run_id = run(store.create_run(new_run())).id

    def batch(first: int, stream: Stream, *lines: str) -> None:
        run(store.append_batch(LogBatch(run_id, first, stream, at(first), list(lines))))

    batch(1, Stream.STDOUT, "a", "b")
    batch(3, Stream.STDERR, "c")
    batch(4, Stream.HEALTHCHECK, "hc")
    batch(5, Stream.STDOUT, "d")
    run(store.flush())
    assert [ln.line for ln in run(store.tail_logs(run_id, 3))] == ["c", "hc", "d"]
    without_hc = run(store.tail_logs(run_id, 3, streams=(Stream.STDOUT, Stream.STDERR)))
    assert [(ln.seq, ln.line) for ln in without_hc] == [(2, "b"), (3, "c"), (5, "d")]
    assert [ln.line for ln in run(store.tail_logs(run_id, 100))] == ["a", "b", "c", "hc", "d"]
    assert run(store.tail_logs(run_id, 0)) == []
