"""husky.scheduler.dispatch with a real store and executor on a manual clock: pause, refusals,
retry delays. (Pipelines end to end are in tests/integration/test_pipelines.py.)"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from husky.clock import ManualClock
from husky.config.load import load_config
from husky.events import EventBus
from husky.executor.runner import Executor, ExecutorSettings
from husky.models import RunStatus, Trigger
from husky.scheduler.cycle import Refused, Request, retry_delay
from husky.scheduler.dispatch import Dispatcher
from husky.store.sqlite import SQLiteStore
from tests.conftest import WriteConfig

CONFIG = """
version: "1"
jobs:
  tick:
    description: every second
    frequency: every:1s
    command: "true"
  nightly:
    description: nightly
    frequency: daily
    time: "0200"
    command: "true"
    depends_on: [tick]
"""


Body = Callable[[Dispatcher, SQLiteStore, set[str]], Awaitable[None]]


def scenario(write_config: WriteConfig, tmp_path: Path, body: Body) -> None:
    config = load_config(write_config(CONFIG))

    async def main() -> None:
        store = await SQLiteStore.open(tmp_path / "husky.db")
        clock = ManualClock(datetime(2026, 6, 1, 12, 0, tzinfo=UTC))
        executor = Executor(
            store, EventBus(), clock, ExecutorSettings(working_dir=tmp_path, kill_grace=0.5)
        )
        paused: set[str] = set()
        dispatcher = Dispatcher(
            lambda: config, store, executor, clock, paused=paused, rng=random.Random(1)
        )
        try:
            await body(dispatcher, store, paused)
        finally:
            await executor.drain(10)
            executor.close()
            await store.close()

    asyncio.run(main())


def request(job: str, *, scheduled: bool = False) -> Request:
    trigger = Trigger.SCHEDULE if scheduled else Trigger.MANUAL
    return Request(job, trigger, "scheduler" if scheduled else "cli", None, scheduled=scheduled)


def test_paused_job_scheduled_fire_is_silent_manual_run_is_refused(
    write_config: WriteConfig, tmp_path: Path
) -> None:
    async def body(dispatcher: Dispatcher, store: SQLiteStore, paused: set[str]) -> None:
        paused.add("tick")
        assert await dispatcher.dispatch(request("tick", scheduled=True)) is None
        assert await store.list_runs(job_name="tick") == []  # log only, no row (I3)
        with pytest.raises(Refused) as refused:
            await dispatcher.dispatch(request("tick"))
        assert str(refused.value) == "job is paused" and refused.value.status == 409
        [row] = await store.list_runs(job_name="tick")
        assert (row.status, row.status_reason) == (RunStatus.SKIPPED, "job is paused")
        paused.discard("tick")
        run = await dispatcher.dispatch(request("tick"))
        assert run is not None and run.status is RunStatus.PENDING

    scenario(write_config, tmp_path, body)


def test_gate_refuses_until_the_upstream_has_succeeded(
    write_config: WriteConfig, tmp_path: Path
) -> None:
    async def body(dispatcher: Dispatcher, store: SQLiteStore, paused: set[str]) -> None:
        with pytest.raises(Refused, match='upstream "tick" has not succeeded'):
            await dispatcher.dispatch(request("nightly"))
        first = await dispatcher.dispatch(request("tick"))
        assert first is not None
        await dispatcher.executor.drain(10)
        assert (await store.get_run(first.id)).status is RunStatus.SUCCESS  # type: ignore[union-attr]
        assert await dispatcher.dispatch(request("nightly")) is not None

    scenario(write_config, tmp_path, body)


def test_skip_refuses_only_the_next_scheduled_fire(
    write_config: WriteConfig, tmp_path: Path
) -> None:
    async def body(dispatcher: Dispatcher, store: SQLiteStore, paused: set[str]) -> None:
        await dispatcher.skip("tick")
        with pytest.raises(Refused, match="skipped by operator"):
            await dispatcher.dispatch(request("tick", scheduled=True))
        assert await dispatcher.dispatch(request("tick", scheduled=True)) is not None

    scenario(write_config, tmp_path, body)


@pytest.mark.parametrize(
    ("policy", "k", "low", "high"),
    [
        ("exponential", 1, 22.5, 37.5),
        ("exponential", 3, 90, 150),
        ("exponential", 10, 0, 3600),  # I10: capped at 1 h after jitter
        ("fixed:10s", 4, 7.5, 12.5),
        ("fixed:0s", 1, 22.5, 37.5),  # D ≤ 0 means the 30 s default
    ],
)
def test_retry_delay_bounds(policy: str, k: int, low: float, high: float) -> None:
    rng = random.Random(3)
    delays = [retry_delay(policy, k, rng).total_seconds() for _ in range(500)]
    assert all(low <= d <= high for d in delays)
    if k == 10:  # 30 s × 2⁹ ≈ 4.3 h before jitter: always the cap
        assert set(delays) == {timedelta(hours=1).total_seconds()}
    else:  # jitter spreads the delays across most of ±25 %
        assert max(delays) - min(delays) > (high - low) / 2


def test_only_idle_cycles_are_forgotten(
    write_config: WriteConfig, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("husky.scheduler.dispatch.MAX_CYCLES", 3)

    async def body(dispatcher: Dispatcher, store: SQLiteStore, paused: set[str]) -> None:
        busy = dispatcher.cycle("busy")
        busy.in_flight = 1
        for name in ("a", "b", "c", "d", "e"):
            dispatcher.cycle(name)
        assert list(dispatcher.cycles) == ["busy", "d", "e"]

    scenario(write_config, tmp_path, body)


def test_dispatch_many_inserts_the_accepted_rows_together_and_reports_each_refusal(
    write_config: WriteConfig, tmp_path: Path
) -> None:
    async def body(dispatcher: Dispatcher, store: SQLiteStore, paused: set[str]) -> None:
        commits = store.writer.commits
        outcomes = await dispatcher.dispatch_many(
            [request("tick"), request("nightly"), request("tick", scheduled=True)]
        )
        first, refused, second = outcomes
        assert isinstance(refused, Refused)
        assert str(refused) == 'upstream "tick" has not succeeded'
        assert refused.run is not None and refused.run.status is RunStatus.SKIPPED
        assert first is not None and second is not None and not isinstance(first, Refused)
        assert not isinstance(second, Refused)
        assert (first.job_name, second.job_name) == ("tick", "tick")
        assert first.id < second.id  # in request order
        # The refusal's own row, then one transaction for both accepted rows.
        assert store.writer.commits - commits == 2
        await dispatcher.executor.drain(10)
        rows = {r.id: r for r in await store.list_runs(job_name="tick")}
        assert rows[first.id].status is RunStatus.SUCCESS
        assert rows[second.id].trigger is Trigger.SCHEDULE

    scenario(write_config, tmp_path, body)


def test_runs_whose_rows_land_after_the_stop_began_end_skipped(
    write_config: WriteConfig, tmp_path: Path
) -> None:
    """A fire's rows may still be in the writer when the daemon begins to stop: those runs
    must not start, and the drain waits for them too."""

    async def body(dispatcher: Dispatcher, store: SQLiteStore, paused: set[str]) -> None:
        inserting = asyncio.ensure_future(dispatcher.dispatch(request("tick", scheduled=True)))
        await asyncio.sleep(0)  # admitted; its row is being inserted
        dispatcher.executor.stop_accepting()
        run = await inserting
        assert run is not None
        assert await dispatcher.executor.drain(10) == []
        final = await store.get_run(run.id)
        assert final is not None and final.status is RunStatus.SKIPPED
        assert final.status_reason == "daemon stopped before it started"
        assert final.started_at is None

    scenario(write_config, tmp_path, body)
