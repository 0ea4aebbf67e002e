"""`husky start | daemon run | stop | reload | status`: the daemon's lifecycle from the CLI."""

from __future__ import annotations

import itertools
import os
import signal
import subprocess
import sys
import time
from dataclasses import replace

import click

from husky.cli.context import Settings, pass_settings
from husky.errors import DaemonError, DaemonNotRunning, HuskyError

START_WAIT = 5.0


_DAEMON_CONFIG = click.option(
    "--daemon-config",
    "daemon_config",
    metavar="PATH",
    help="Path of huskyd.yaml (default: next to husky.yaml); as the global flag.",
)


@click.command("start")
@_DAEMON_CONFIG
@pass_settings
def start_command(settings: Settings, daemon_config: str | None) -> None:
    """Start the daemon in the background (log in <data>/huskyd.log)."""
    if daemon_config:  # cli.md [C10]: also after `start`
        settings = replace(settings, daemon_config=daemon_config)
    from husky.daemon.pidfile import pid_alive, read_pid

    data = settings.data_dir
    pid = read_pid(data.pid_file)
    if pid is not None and pid_alive(pid):
        raise HuskyError(f"daemon already running (pid {pid})")
    data.ensure()
    argv = [sys.executable, "-m", "husky", "daemon", "run"]
    argv += ["--config", settings.config, "--data", settings.data]
    if settings.daemon_config:
        argv += ["--daemon-config", settings.daemon_config]
    with open(data.log, "ab") as log_file:
        os.chmod(data.log, 0o600)
        child = subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=log_file,
            stderr=log_file,
            start_new_session=True,
        )
    client = settings.client()
    deadline = time.monotonic() + START_WAIT
    while time.monotonic() < deadline:
        if child.poll() is not None:
            raise HuskyError(f"daemon exited before becoming ready; see log: {data.log}")
        if client.ping(timeout=0.5):
            click.echo(
                f"daemon started (pid {child.pid})\nlog:    {data.log}\nsocket: {data.socket}"
            )
            return
        time.sleep(0.05)
    click.echo(f"daemon started (pid {child.pid}) but socket not ready yet\nlog:    {data.log}")


@click.group("daemon")
def daemon_group() -> None:
    """Run the daemon in the foreground."""


@daemon_group.command("run")
@click.option("-c", "--config", metavar="PATH", help="Path of husky.yaml; as the global flag.")
@click.option("-d", "--data", metavar="DIR", help="Data directory; as the global flag.")
@_DAEMON_CONFIG
@pass_settings
def daemon_run_command(
    settings: Settings, config: str | None, data: str | None, daemon_config: str | None
) -> None:
    """Run the daemon in the foreground until SIGINT/SIGTERM or `husky stop`."""
    # cli.md §4: `start` spawns `daemon run --config C --data D [--daemon-config P]`.
    settings = replace(
        settings,
        config=config or settings.config,
        data=data or settings.data,
        daemon_config=daemon_config or settings.daemon_config,
    )
    import asyncio
    import gc

    gc.disable()  # until the daemon has started: see daemon.app._settle_start_up_objects

    from husky.daemon.app import DaemonOptions, run_daemon

    options = DaemonOptions(settings.config, settings.data, settings.daemon_config)
    asyncio.run(run_daemon(options))


@click.command("stop")
@click.option("-f", "--force", is_flag=True, help="SIGKILL the daemon (nothing is cleaned up).")
@pass_settings
def stop_command(settings: Settings, force: bool) -> None:
    """Stop the daemon gracefully, waiting for running jobs to finish."""
    if force:
        from husky.daemon.pidfile import read_pid

        pid = read_pid(settings.data_dir.pid_file)
        if pid is None:
            raise HuskyError(f"cannot read PID file {settings.data_dir.pid_file}")
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            raise HuskyError(f"daemon (pid {pid}) is not running") from None
        click.echo(f"sent SIGKILL to daemon (pid {pid})")
        return
    client = settings.client()
    running = _running_jobs(client.get("/api/jobs"))
    try:
        client.post("/api/daemon/stop")
    except DaemonError as exc:
        raise HuskyError(f"failed to contact daemon: {exc}") from None
    if running:
        click.echo(f"Draining {len(running)} in-flight job(s): {', '.join(running)}")
    spinner = itertools.cycle("⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏")
    while True:
        try:
            jobs = client.request("GET", "/api/jobs", timeout=2.0)
        except (DaemonNotRunning, DaemonError):
            break
        names = _running_jobs(jobs)
        if running and sys.stdout.isatty():
            text = (
                f"draining ({len(names)}): {', '.join(names)}"
                if names
                else "waiting for daemon to exit..."
            )
            click.echo(f"\r\033[K{next(spinner)} {text}", nl=False)
        time.sleep(0.25)
    if running and sys.stdout.isatty():
        click.echo("\r\033[K", nl=False)
    click.echo("✓ daemon shutdown successfully")


def _running_jobs(jobs: object) -> list[str]:
    return [j["name"] for j in jobs if j.get("running")] if isinstance(jobs, list) else []


@click.command("reload")
@pass_settings
def reload_command(settings: Settings) -> None:
    """Re-read husky.yaml; an invalid file is refused and the old config keeps running."""
    result = settings.client().post("/api/daemon/reload")
    if not result.get("ok"):
        raise DaemonError(str(result.get("error")))
    click.echo("config reloaded")


@click.command("status")
@click.option("--tag", default=None, help="Only jobs with this tag.")
@pass_settings
def status_command(settings: Settings, tag: str | None) -> None:
    """Each job's next run, last success and last failure."""
    from husky.cli.status_view import print_status

    print_status(settings.client(), tag)
