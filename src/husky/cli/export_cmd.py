"""`husky export`: config, job state, runs and alerts as one JSON document (cli.md §4, I28)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import click

from husky.cli.context import Settings, pass_settings
from husky.errors import HuskyError

if TYPE_CHECKING:
    from husky.config.effective import Redaction

#: Newest runs and alerts exported (cli.md §4).
EXPORT_LIMIT = 1000


@click.command("export")
@click.option("--format", "fmt", default="json", show_default=True, help="Only json.")
@click.option("--show-secrets", is_flag=True, help="Do not redact secrets and ${env:…} values.")
@pass_settings
def export_command(settings: Settings, fmt: str, show_secrets: bool) -> None:
    """Print the effective config, job_state and the newest runs and alerts as JSON.

    Integration secrets and values that came from ${env:…} print as *** unless
    --show-secrets is given.
    """
    if fmt != "json":
        raise HuskyError(f'unsupported format "{fmt}"')
    from husky.api.shapes import alert_json, run_json
    from husky.models import format_ts
    from husky.store.queries import AlertFilter, RunFilter
    from husky.store.sqlite_reader import SQLiteReader

    config = settings.load()
    document: dict[str, Any] = {"config": config.to_dict(show_secrets=show_secrets)}
    redact: Redaction = "none" if show_secrets else "env_refs"
    document["config"]["jobs"] = {n: j.to_dict(redact=redact) for n, j in config.jobs.items()}
    with SQLiteReader(settings.db_path()) as reader:
        document["job_state"] = [
            {
                "job_name": s.job_name,
                "last_success": None if s.last_success is None else format_ts(s.last_success),
                "last_failure": None if s.last_failure is None else format_ts(s.last_failure),
                "next_run": None if s.next_run is None else format_ts(s.next_run),
                "lock_pid": s.lock_pid,
            }
            for s in reader.job_states().values()
        ]
        document["runs"] = [
            run_json(r) for r in reader.search_runs(RunFilter(), limit=EXPORT_LIMIT)
        ]
        document["alerts"] = [
            alert_json(a) for a in reader.list_alerts(AlertFilter(), limit=EXPORT_LIMIT)
        ]
    click.echo(json.dumps(document, indent=2))
