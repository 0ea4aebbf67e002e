"""daemon/job_states.py: job_state's outcomes in memory, read from a real store once and
then kept as `finish_run` keeps the rows."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from husky.daemon.job_states import JobStates
from husky.models import JobState, NewRun, Run, RunResult, RunStatus, Trigger
from husky.store.sqlite import SQLiteStore

T0 = datetime(2026, 3, 8, 7, 30, 0, 123000, tzinfo=UTC)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


async def finished(
    store: SQLiteStore, job: str, status: RunStatus, second: float, *, write: bool = True
) -> Run:
    """A run of `job` ended `status` at `second`; written to job_state as the executor's
    `finish_run` does unless `write` is False."""
    new = NewRun(job, Trigger.MANUAL, "cli", None, 1, "cycle", at(0))
    created = await store.create_run(new)
    if write:
        await store.finish_run(created.id, RunResult(status, at(second), 0), job_name=job)
    return replace(created, status=status, finished_at=at(second))


def test_outcomes_are_kept_as_finish_run_writes_them(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with await SQLiteStore.open(tmp_path / "husky.db") as store:
            await store.set_next_run("etl", at(99))
            states = JobStates(store)
            assert await states.current() == {"etl": JobState("etl", next_run=at(99))}
            for status, second in [
                (RunStatus.SUCCESS, 1),
                (RunStatus.FAILED, 2),
                (RunStatus.CANCELLED, 3),
                (RunStatus.SKIPPED, 4),
                (RunStatus.SUCCESS, 5),
            ]:
                states.record(await finished(store, "etl", status, second))
            states.record(await finished(store, "new", RunStatus.FAILED, 6))
            kept = await states.current()
            assert kept["etl"] == JobState("etl", at(5), at(2), RunStatus.SUCCESS, next_run=at(99))
            assert kept["new"] == JobState("new", None, at(6), RunStatus.FAILED)
            stored = await store.job_states()
            for name in ("etl", "new"):
                assert (kept[name].last_success, kept[name].last_failure) == (
                    stored[name].last_success,
                    stored[name].last_failure,
                )
            assert states.version == 4  # one per SUCCESS or FAILED

    asyncio.run(scenario())


def test_an_outcome_recorded_while_the_first_read_runs_is_not_lost(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with await SQLiteStore.open(tmp_path / "husky.db") as store:
            states = JobStates(store)
            late = await finished(store, "etl", RunStatus.SUCCESS, 7, write=False)
            reading = asyncio.create_task(states.current())
            await asyncio.sleep(0)  # the read is now in its worker thread
            states.record(late)  # the store never saw it: only the record can show it
            assert (await reading)["etl"].last_success == at(7)
            assert (await states.current())["etl"].last_success == at(7)

    asyncio.run(scenario())


def test_outcomes_before_the_first_read_come_from_the_store(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with await SQLiteStore.open(tmp_path / "husky.db") as store:
            states = JobStates(store)
            states.record(await finished(store, "etl", RunStatus.FAILED, 3))
            assert (await states.current())["etl"].last_failure == at(3)

    asyncio.run(scenario())
