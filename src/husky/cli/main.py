"""The `husky` command: the root group only assembles the command modules.

Server-side packages (pydantic, ruamel, later FastAPI) are imported inside commands,
never here, so `husky --help` stays fast.
"""

from __future__ import annotations

import sys

import click

from husky.cli.audit_cmds import audit_command
from husky.cli.catalog_cmds import integrations_group, tags_group
from husky.cli.config_cmds import config_group, validate_command
from husky.cli.context import CONTEXT_SETTINGS, Settings
from husky.cli.daemon_cmds import (
    daemon_group,
    reload_command,
    start_command,
    status_command,
    stop_command,
)
from husky.cli.dash_cmd import dash_command
from husky.cli.export_cmd import export_command
from husky.cli.run_cmds import (
    cancel_command,
    history_command,
    logs_command,
    pause_command,
    resume_command,
    retry_command,
    run_command,
    skip_command,
)
from husky.cli.schedule_cmds import dag_command, next_command
from husky.cli.version_cmd import version_command, version_line
from husky.errors import DaemonError, DaemonNotRunning, HuskyError


@click.group(context_settings=CONTEXT_SETTINGS, invoke_without_command=True)
@click.option(
    "-c",
    "--config",
    default="husky.yaml",
    show_default=True,
    help="Path of husky.yaml (relative to the current directory).",
)
@click.option(
    "-d",
    "--data",
    default=".husky",
    show_default=True,
    help="Data directory (socket, PID file, database, logs).",
)
@click.option(
    "--daemon-config",
    default=None,
    metavar="PATH",
    help="Path of huskyd.yaml (default: next to husky.yaml).",
)
@click.version_option(message=version_line(), package_name=None, version="", prog_name="husky")
@click.pass_context
def cli(ctx: click.Context, config: str, data: str, daemon_config: str | None) -> None:
    """Husky: a local-first job scheduler. Jobs live in husky.yaml and run as a DAG."""
    ctx.obj = Settings(config=config, data=data, daemon_config=daemon_config)
    if ctx.invoked_subcommand is None:
        click.echo(ctx.get_help())


for command in (
    validate_command,
    config_group,
    dag_command,
    next_command,
    version_command,
    start_command,
    daemon_group,
    stop_command,
    reload_command,
    status_command,
    run_command,
    cancel_command,
    logs_command,
    history_command,
    retry_command,
    skip_command,
    pause_command,
    resume_command,
    tags_group,
    integrations_group,
    dash_command,
    audit_command,
    export_command,
):
    cli.add_command(command)


def main() -> None:
    """Entry point: HuskyErrors become `Error: <message>` and exit 1; usage errors exit 2."""
    try:
        cli.main(standalone_mode=False, prog_name="husky")
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.ClickException as exc:  # cli.md §1: `Error: <message>`, no usage dump
        click.echo(f"Error: {exc.format_message()}", err=True)
        sys.exit(exc.exit_code)
    except click.exceptions.Abort:
        click.echo("Aborted!", err=True)
        sys.exit(1)
    except DaemonNotRunning as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(1)
    except DaemonError as exc:
        click.echo(f"Error: daemon error: {exc}", err=True)
        sys.exit(1)
    except HuskyError as exc:
        click.echo(f"Error: {exc}", err=True)
        sys.exit(1)
