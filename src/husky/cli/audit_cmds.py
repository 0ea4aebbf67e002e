"""`husky audit`: search the run history in the database, no daemon needed (cli.md §4)."""

from __future__ import annotations

import click

from husky.cli.context import Settings, pass_settings
from husky.errors import HuskyError

#: `husky audit` shows at most this many runs, newest first (cli.md §4).
AUDIT_LIMIT = 5000
CSV_HEADER = ("id", "job", "status", "trigger", "reason", "created_at")
TABLE_HEADER = ("RUN ID", "JOB", "STATUS", "TRIGGER", "REASON", "CREATED")


@click.command("audit")
@click.option("--job", default=None, help="Runs of this job only.")
@click.option("--trigger", default=None, help="schedule, manual or dependency.")
@click.option("--status", default=None, help="A run status, in any case (e.g. failed).")
@click.option("--since", default=None, help="Runs created at or after this RFC 3339 time.")
@click.option("--reason", default=None, help="Runs whose reason contains this (any case).")
@click.option("--tag", default=None, help="Runs of the jobs with this tag in husky.yaml.")
@click.option("--export", "export", default=None, help="`csv` prints CSV instead of a table.")
@pass_settings
def audit_command(
    settings: Settings,
    job: str | None,
    trigger: str | None,
    status: str | None,
    since: str | None,
    reason: str | None,
    tag: str | None,
    export: str | None,
) -> None:
    """The newest runs (up to 5000) matching every filter given."""
    from husky.models import format_ts
    from husky.store.queries import RunFilter, parse_rfc3339
    from husky.store.sqlite_reader import SQLiteReader

    try:
        since_at = parse_rfc3339(since) if since else None
    except ValueError:
        raise HuskyError("--since must be RFC3339") from None
    job_names = None
    if tag:
        job_names = frozenset(n for n, j in settings.load().jobs.items() if tag in j.tags)
    search = RunFilter(
        job=job or None,
        trigger=trigger or None,
        status=status or None,
        since=since_at,
        reason=reason or None,
        job_names=job_names,
    )
    with SQLiteReader(settings.db_path()) as reader:
        runs = reader.search_runs(search, limit=AUDIT_LIMIT)
    rows = [
        [
            str(r.id),
            r.job_name,
            str(r.status),
            str(r.trigger),
            r.reason or "",
            format_ts(r.created_at),
        ]
        for r in runs
    ]
    if export == "csv":
        import csv
        import io

        out = io.StringIO()
        writer = csv.writer(out)  # RFC 4180: CRLF, fields quoted when needed
        writer.writerow(CSV_HEADER)
        writer.writerows(rows)
        click.echo(out.getvalue(), nl=False)
        return
    from husky.cli.output import print_table
    from husky.cli.status_view import table_time

    # one line per run: a reason's line breaks and tabs become single spaces in the table
    table = [[*row[:4], " ".join(row[4].split()), table_time(row[5])] for row in rows]
    print_table(TABLE_HEADER, table)
