"""`husky logs --tag T --tail`: the live lines of every run of the tagged jobs.

Every second the command looks in the state database for runs of those jobs to follow
(cli.md §4): those RUNNING when it began, and every run created since, whatever its
status by then, so that a run shorter than a second is not missed. It follows each over
the daemon's feed (backfill, live lines, end) in a thread of its own, printing its lines
as `[<job>] <line>`, until SIGINT or SIGTERM (exit 0).
"""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Collection
from types import FrameType

import click

from husky.cli.context import Settings
from husky.errors import HuskyError
from husky.models import RunStatus
from husky.store.queries import RunFilter

POLL_SECONDS = 1.0
NEWEST = 200  # runs of the tagged jobs looked at each time, newest first


class _Stop(Exception):
    """SIGTERM, turned into an ordinary way out."""


def tail_tagged(settings: Settings, jobs: Collection[str], include_healthcheck: bool) -> None:
    from husky.store.sqlite_reader import SQLiteReader

    settings.client().get("/api/status")  # IPC: no daemon, no tail (DaemonNotRunning)
    printing = threading.Lock()
    followed: set[int] = set()
    suffix = "?include_healthcheck=true" if include_healthcheck else ""

    def follow(run_id: int, job: str) -> None:
        try:
            for frame in settings.client().stream(f"/api/runs/{run_id}/follow{suffix}"):
                if frame.get("type") == "log":
                    with printing:
                        click.echo(f"[{job}] {frame['line']}")
        except HuskyError as exc:  # the daemon went away: the others say so too
            with printing:
                click.echo(f"[{job}] stream error: {exc}", err=True)

    def stop(_signum: int, _frame: FrameType | None) -> None:
        raise _Stop

    previous = signal.signal(signal.SIGTERM, stop)
    reader = SQLiteReader(settings.db_path())
    search = RunFilter(job_names=frozenset(jobs))
    try:
        newest = reader.search_runs(RunFilter(), limit=1)
        floor = newest[0].id if newest else 0  # runs up to this one: only if RUNNING
        while True:
            recent = reader.search_runs(search, limit=NEWEST)
            for run in reversed(recent):  # oldest first
                wanted = run.id > floor or run.status is RunStatus.RUNNING
                if wanted and run.id not in followed:
                    followed.add(run.id)
                    threading.Thread(
                        target=follow, args=(run.id, run.job_name), daemon=True
                    ).start()
            time.sleep(POLL_SECONDS)
    except (KeyboardInterrupt, _Stop):
        return
    finally:
        reader.close()
        signal.signal(signal.SIGTERM, previous)
