"""The executor tells the bus when a run's group needed SIGKILL after SIGTERM and the grace
(huskyd.yaml `alerts.on_forced_kill`), and only then."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

from husky.clock import SystemClock
from husky.config.load import load_config
from husky.events import EventBus, ForcedKill
from husky.executor.runner import Executor, ExecutorSettings
from husky.models import NewRun, RunStatus, Trigger
from husky.store.sqlite import SQLiteStore
from tests.conftest import WriteConfig

CONFIG = """
version: "1"
jobs:
  stubborn:
    description: ignores SIGTERM
    frequency: manual
    command: "trap '' TERM; sleep 5"
    timeout: 300ms
  polite:
    description: dies on SIGTERM
    frequency: manual
    command: "sleep 5"
    timeout: 300ms
"""


def test_only_a_group_that_outlived_sigterm_is_reported(
    write_config: WriteConfig, tmp_path: Path
) -> None:
    config = load_config(write_config(CONFIG))

    async def main() -> tuple[list[tuple[int, str]], dict[str, int]]:
        store = await SQLiteStore.open(tmp_path / "husky.db")
        bus = EventBus()
        kills = bus.follow(kinds=(ForcedKill,))
        settings = ExecutorSettings(working_dir=tmp_path, kill_grace=0.3)
        executor = Executor(store, bus, SystemClock(), settings)
        ids: dict[str, int] = {}
        try:
            for name in ("stubborn", "polite"):
                new = NewRun(name, Trigger.MANUAL, "cli", None, 1, "c", datetime.now(UTC))
                ids[name] = (await executor.submit(config.jobs[name], new)).id
            await executor.drain(10)
            for run_id in ids.values():
                run = await store.get_run(run_id)
                assert run is not None and run.status is RunStatus.FAILED
        finally:
            await store.close()
        seen = []
        while not kills.queue.empty():
            event = kills.queue.get_nowait()
            assert isinstance(event, ForcedKill)
            seen.append((event.run.id, event.why))
        return seen, ids

    seen, ids = asyncio.run(main())
    assert seen == [(ids["stubborn"], "timed out")]
