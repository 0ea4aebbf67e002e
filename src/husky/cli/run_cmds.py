"""`husky run | cancel | logs | history`: runs from the CLI."""

from __future__ import annotations

from datetime import datetime, timedelta
from urllib.parse import quote

import click

from husky.cli.context import Settings, pass_settings
from husky.errors import DaemonError, HuskyError, UsageError

MAX_REASON = 500


def _job_path(job: str, action: str) -> str:
    return f"/api/jobs/{quote(job, safe='')}/{action}"


def _tagged_jobs(settings: Settings, tag: str) -> list[str]:
    names = [name for name, job in settings.load().jobs.items() if tag in job.tags]
    if not names:
        raise UsageError(f'no jobs found for tag "{tag}"')
    return names


@click.command("run")
@click.argument("job", required=False)
@click.option("-r", "--reason", default=None, help="Why this run was started (kept in history).")
@click.option("--tag", default=None, help="Run every job with this tag.")
@pass_settings
def run_command(settings: Settings, job: str | None, reason: str | None, tag: str | None) -> None:
    """Trigger JOB now (or every job with --tag)."""
    if job and tag:
        raise click.UsageError("job argument cannot be combined with --tag")
    if not job and not tag:
        raise click.UsageError("job name is required unless --tag is used")
    if reason is not None and len(reason) > MAX_REASON:
        raise HuskyError(f"--reason exceeds max length of {MAX_REASON} characters")
    body = {"reason": reason} if reason else None
    client = settings.client()
    if job:
        try:
            client.post(_job_path(job, "run"), body)
        except DaemonError as exc:
            if exc.status == 404:
                raise DaemonError(f'unknown job "{job}"', 404) from None
            raise
        click.echo(f'job "{job}" triggered')
        return
    assert tag is not None
    names = _tagged_jobs(settings, tag)
    client.ping() or client.get("/api/status")  # a clear "not running" error before any run
    for name in names:
        try:
            client.post(_job_path(name, "run"), body)
        except DaemonError as exc:
            raise HuskyError(f'daemon error for "{name}": {exc}') from None
    click.echo(f'triggered {len(names)} job(s) with tag "{tag}"')


@click.command("cancel")
@click.argument("job")
@pass_settings
def cancel_command(settings: Settings, job: str) -> None:
    """Cancel the job's running (or waiting) runs: TERM to the process group, then KILL."""
    settings.client().post(_job_path(job, "cancel"))  # unknown: "is not currently running"
    click.echo(f'job "{job}" cancelled')


@click.command("logs")
@click.argument("job", required=False)
@click.option("--run", "run_id", type=int, default=None, help="A run id (default: the newest run).")
@click.option("--tail", is_flag=True, help="Follow the run live until it ends.")
@click.option("--tag", default=None, help="With --tail: follow every run of the tagged jobs.")
@click.option("--include-healthcheck", is_flag=True, help="Also show healthcheck output.")
@pass_settings
def logs_command(
    settings: Settings,
    job: str | None,
    run_id: int | None,
    tail: bool,
    tag: str | None,
    include_healthcheck: bool,
) -> None:
    """Print a run's log lines (the newest run of JOB unless --run is given), or with
    --tag T --tail the lines of every run of T's jobs as they start, until interrupted."""
    if tag is not None:
        if job:
            raise click.UsageError("job argument cannot be used with --tag")
        if not tail:
            raise click.UsageError("--tag requires --tail")
        from husky.cli.tail_tag import tail_tagged

        tail_tagged(settings, _tagged_jobs(settings, tag), include_healthcheck)
        return
    if not job:
        raise click.UsageError("job name is required unless --tag is used")
    from husky.models import Stream
    from husky.store.sqlite_reader import SQLiteReader

    reader = SQLiteReader(settings.db_path())
    if run_id is not None:
        run = reader.get_run(run_id)
        if run is None:
            raise UsageError(f"run {run_id} not found")
        if run.job_name != job:
            raise UsageError(f'run {run_id} belongs to job "{run.job_name}", not "{job}"')
    else:
        runs = reader.list_runs(job_name=job, limit=1)
        if not runs:
            raise UsageError(f'no runs found for job "{job}"')
        run = runs[0]
    if tail:
        reader.close()
        suffix = "?include_healthcheck=true" if include_healthcheck else ""
        for frame in settings.client().stream(f"/api/runs/{run.id}/follow{suffix}"):
            if frame.get("type") == "log":
                click.echo(frame["line"])
            elif frame.get("type") == "error":
                raise HuskyError(f"stream error: {frame.get('error')}")
        return
    streams = () if include_healthcheck else (Stream.STDOUT, Stream.STDERR)
    for line in reader.get_logs(run.id, streams=streams):
        click.echo(line.line)
    reader.close()


def _go_seconds(seconds: float) -> str:
    """Rounded to whole seconds, Go style (`0s`, `42s`, `1m5s`, `1h0m0s`)."""
    from husky.config.parse import format_duration

    return format_duration(timedelta(seconds=round(seconds)))


def _duration(started: datetime | None, finished: datetime | None) -> float | None:
    return (finished - started).total_seconds() if started and finished else None


@click.command("history")
@click.argument("job")
@click.option("--last", "last", type=click.IntRange(1), default=20, show_default=True)
@pass_settings
def history_command(settings: Settings, job: str, last: int) -> None:
    """The job's latest runs, newest first, with duration against its SLA."""
    from husky.cli.output import print_table
    from husky.store.sqlite_reader import SQLiteReader

    config = settings.load()
    if job not in config.jobs:
        raise UsageError(f'unknown job "{job}"')
    sla = config.jobs[job].sla
    reader = SQLiteReader(settings.db_path())
    runs = reader.list_runs(job_name=job, limit=last)
    reader.close()
    rows = []
    for run in runs:
        seconds = _duration(run.started_at, run.finished_at)
        vs_sla = "-"
        if sla is not None and seconds is not None:
            excess = seconds - sla.total_seconds()
            vs_sla = "✓" if excess <= 0 else f"⚠ +{_go_seconds(excess)}"
        rows.append(
            [
                str(run.id),
                str(run.status),
                "-" if seconds is None else _go_seconds(seconds),
                str(run.trigger),
                run.reason or "-",
                vs_sla,
            ]
        )
    print_table(["RUN ID", "STATUS", "DURATION", "TRIGGER", "REASON", "VS SLA"], rows)


@click.command("retry")
@click.argument("job")
@pass_settings
def retry_command(settings: Settings, job: str) -> None:
    """Run JOB again now (reason "retry"), whatever its last outcome."""
    try:
        settings.client().post(_job_path(job, "run"), {"reason": "retry"})
    except DaemonError as exc:
        if exc.status == 404:
            raise DaemonError(f'unknown job "{job}"', 404) from None
        raise
    click.echo(f'retry triggered for job "{job}"')


@click.command("skip")
@click.argument("job")
@pass_settings
def skip_command(settings: Settings, job: str) -> None:
    """Skip JOB's waiting runs and its next scheduled run (the one after runs normally)."""
    settings.client().post(_job_path(job, "skip"))
    click.echo(f'job "{job}" skipped')


def _tag_action(settings: Settings, action: str, tag: str | None) -> None:
    if not tag:
        raise click.UsageError("--tag is required")
    try:
        settings.client().post(f"/api/jobs/{action}?tag={quote(tag, safe='')}")
    except DaemonError as exc:
        raise HuskyError(f"{action} request failed: status {exc.status}") from None  # cli.md §4
    click.echo(f'{action}d jobs with tag "{tag}"')


@click.command("pause")
@click.option("--tag", default=None, help="Pause every job with this tag.")
@pass_settings
def pause_command(settings: Settings, tag: str | None) -> None:
    """Pause jobs: their scheduled runs are skipped until resumed."""
    _tag_action(settings, "pause", tag)


@click.command("resume")
@click.option("--tag", default=None, help="Resume every paused job with this tag.")
@pass_settings
def resume_command(settings: Settings, tag: str | None) -> None:
    """Resume paused jobs."""
    _tag_action(settings, "resume", tag)
