"""husky.models: the run row's typed copies match `dataclasses.replace`, field for field."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

from husky.models import Run, RunResult, RunStatus, Trigger

T0 = datetime(2026, 3, 8, 7, 30, tzinfo=UTC)
PENDING = Run(
    id=7,
    job_name="etl",
    status=RunStatus.PENDING,
    status_reason=None,
    attempt=2,
    trigger=Trigger.MANUAL,
    triggered_by="cli",
    reason="because",
    started_at=None,
    finished_at=None,
    exit_code=None,
    sla_breached=False,
    hc_status=None,
    created_at=T0,
    cycle_id="c1",
)


def test_running_is_replace_with_status_start_and_group() -> None:
    running = PENDING.running(T0 + timedelta(seconds=1), 4242)
    expected = dataclasses.replace(
        PENDING, status=RunStatus.RUNNING, started_at=T0 + timedelta(seconds=1), pgid=4242
    )
    assert running == expected and type(running) is Run
    assert PENDING.status is RunStatus.PENDING and PENDING.pgid is None  # not changed


def test_finished_writes_the_result_and_clears_the_group() -> None:
    running = PENDING.running(T0, 99)
    result = RunResult(RunStatus.FAILED, T0 + timedelta(seconds=3), 2, "exit code 2", "fail")
    final = running.finished(result)
    assert final == dataclasses.replace(
        running,
        status=RunStatus.FAILED,
        status_reason="exit code 2",
        finished_at=T0 + timedelta(seconds=3),
        exit_code=2,
        hc_status="fail",
        pgid=None,
    )
    assert hash(final) == hash(dataclasses.replace(final))
