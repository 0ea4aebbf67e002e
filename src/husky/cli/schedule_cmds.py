"""`husky dag` and `husky next`: the graph (from the daemon when it runs) and the fire times."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import click

from husky.cli.context import Settings, pass_settings


@click.command("dag")
@click.option("--json", "as_json", is_flag=True, help="Print [{name, dependencies}] as JSON.")
@pass_settings
def dag_command(settings: Settings, as_json: bool) -> None:
    """Print the jobs in topological order with their upstreams.

    Asks the running daemon for the graph it runs; without a daemon, builds it from husky.yaml.
    """
    from husky.errors import DaemonNotRunning

    try:
        nodes: list[dict[str, Any]] = settings.client().get("/api/dag")
    except DaemonNotRunning:
        from husky.dag import build_dag

        nodes = build_dag(settings.load()).nodes()
    click.echo(render_dag(nodes, as_json=as_json))


def render_dag(nodes: list[dict[str, Any]], *, as_json: bool = False) -> str:
    """`[DagNode]` as `husky dag` prints it: JSON indented by 2, or one line per job,
    `<name>` or `<name>  ←  [<a>, <b>]` (spec/cli.md `dag`)."""
    if as_json:
        return json.dumps(nodes, indent=2)
    lines = []
    for node in nodes:
        ups = node["dependencies"]
        lines.append(f"{node['name']}  ←  [{', '.join(ups)}]" if ups else node["name"])
    return "\n".join(lines)


def _parse_instant(_ctx: click.Context, _param: click.Parameter, value: str | None) -> datetime:
    if value is None:
        return datetime.now(UTC)
    try:
        instant = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise click.BadParameter("expected RFC 3339, e.g. 2026-03-08T06:55:00Z") from None
    if instant.tzinfo is None:
        raise click.BadParameter("needs a UTC offset, e.g. 2026-03-08T06:55:00Z")
    return instant


@click.command("next")
@click.argument("job", required=False)
@click.option(
    "-n",
    "count",
    default=1,
    show_default=True,
    type=click.IntRange(1, 1000),
    help="How many fire times per job.",
)
@click.option(
    "--from",
    "start",
    callback=_parse_instant,
    metavar="RFC3339",
    help="Compute from this instant instead of now.",
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_settings
def next_command(
    settings: Settings, job: str | None, count: int, start: datetime, as_json: bool
) -> None:
    """Print the next fire times of each scheduled job (or JOB), in its zone and in UTC.

    An occurrence whose wall time fell in a DST gap is marked with how far it moved.
    """
    from husky.config.parse import format_duration
    from husky.errors import UsageError
    from husky.scheduler.triggers import upcoming

    config = settings.load()
    if job is not None and job not in config.jobs:
        raise UsageError(f'unknown job "{job}"')
    names = [job] if job is not None else [n for n, j in config.jobs.items() if j.frequency.is_auto]
    rows: list[dict[str, str]] = []
    for name in names:
        j = config.jobs[name]
        if not j.frequency.is_auto:
            raise UsageError(
                f'job "{name}" is not scheduled by time (frequency "{j.frequency_text}")'
            )
        for i, occ in enumerate(upcoming(j.schedule, start, count), 1):
            note = ""
            if occ.dst_gap and occ.wanted is not None:
                note = (
                    f"DST gap: {occ.wanted:%H:%M} does not exist, "
                    f"moved +{format_duration(occ.dst_gap)}"
                )
            rows.append(
                {
                    "job": name,
                    "n": str(i),
                    "timezone": j.timezone,
                    "local": occ.local.isoformat(),
                    "utc": occ.at.astimezone(UTC).isoformat().replace("+00:00", "Z"),
                    "note": note,
                    "_local": occ.local.strftime("%a %Y-%m-%d %H:%M %Z"),
                    "_utc": occ.at.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC"),
                }
            )
    if as_json:
        click.echo(
            json.dumps(
                [
                    {k: int(v) if k == "n" else v for k, v in r.items() if not k.startswith("_")}
                    for r in rows
                ],
                indent=2,
            )
        )
        return
    from husky.cli.output import print_table

    print_table(
        ["JOB", "#", "TIMEZONE", "LOCAL", "UTC", "NOTE"],
        [[r["job"], r["n"], r["timezone"], r["_local"], r["_utc"], r["note"]] for r in rows],
    )
