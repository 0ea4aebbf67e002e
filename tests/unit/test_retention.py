"""husky.daemon.recovery.retention_loop: prunes finished runs on its timer, never active ones."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import UTC, datetime, timedelta
from pathlib import Path

from husky.clock import ManualClock
from husky.config.daemon_models import RetentionSection
from husky.daemon.recovery import retention_loop
from husky.models import NewRun, RunResult, RunStatus, Trigger
from husky.store.sqlite import SQLiteStore

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


def test_retention_loop_prunes_old_finished_runs_only(tmp_path: Path) -> None:
    async def main() -> list[tuple[int, RunStatus]]:
        store = await SQLiteStore.open(tmp_path / "husky.db")
        try:
            for age_days, status in (
                (10, RunStatus.SUCCESS),
                (10, RunStatus.RUNNING),
                (1, RunStatus.FAILED),
            ):
                when = NOW - timedelta(days=age_days)
                new = NewRun("job", Trigger.MANUAL, "cli", None, 1, "c", when)
                run = await store.create_run(new)
                if status is RunStatus.RUNNING:
                    await store.mark_running(run.id, when, None)
                else:
                    await store.finish_run(run.id, RunResult(status, when, 0))
            retention = RetentionSection.model_validate({"max_age": "72h"})
            task = asyncio.create_task(
                retention_loop(
                    store,
                    ManualClock(NOW),
                    retention,
                    first=timedelta(0),
                    every=timedelta(hours=24),
                )
            )
            for _ in range(200):  # the first pass runs at once; wait for it by polling
                if len(await store.list_runs(limit=10)) == 2:
                    break
                await asyncio.sleep(0.01)
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            return [(r.id, r.status) for r in await store.list_runs(limit=10)]
        finally:
            await store.close()

    assert asyncio.run(main()) == [(3, RunStatus.FAILED), (2, RunStatus.RUNNING)]


def test_retention_loop_does_nothing_when_unset(tmp_path: Path) -> None:
    async def main() -> None:
        store = await SQLiteStore.open(tmp_path / "husky.db")
        try:
            await asyncio.wait_for(
                retention_loop(store, ManualClock(NOW), RetentionSection(), first=timedelta(0)),
                timeout=5,
            )
        finally:
            await store.close()

    asyncio.run(main())  # returns at once instead of looping forever
