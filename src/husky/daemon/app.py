"""The composition root: `husky daemon run` from start to exit (spec/recovery.md).

Startup follows recovery.md §1 in order; each step that can fail says which one did,
and whatever runtime file this process already wrote is removed before exiting 1.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import os
import signal
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from husky.background import Background
from husky.clock import Clock, SystemClock
from husky.config.daemon import load_daemon_config
from husky.config.daemon_models import DaemonConfig
from husky.config.effective import HuskyConfig
from husky.config.load import load_config
from husky.daemon import logs as daemon_logs
from husky.daemon import pidfile, recovery
from husky.daemon.audit import AuditLog
from husky.daemon.runtime import Reloadable, Runtime
from husky.daemon.server import Door, ListenerError, bind_tcp, bind_unix, bound_addr, tcp_options
from husky.dag import Dag, build_dag
from husky.errors import ConfigError, DaemonError, HuskyError
from husky.events import EventBus, ForcedKill
from husky.executor.runner import Executor, ExecutorSettings
from husky.models import Trigger
from husky.notify.notifier import Notifier
from husky.notify.sender import Sender
from husky.notify.settings import DeliverySettings
from husky.paths import DataDir
from husky.scheduler.cycle import Request
from husky.scheduler.dispatch import Dispatcher
from husky.scheduler.loop import Fire, ScheduleLoop
from husky.store.sqlite import SQLiteStore

log = logging.getLogger("husky.daemon")


@dataclass(frozen=True)
class DaemonOptions:
    config: str
    data: str
    daemon_config: str | None


class StartupError(HuskyError):
    """A startup step failed; the message names the step (recovery.md §1)."""


async def run_daemon(options: DaemonOptions, clock: Clock | None = None) -> None:
    """Run until stopped. Raises StartupError (or HuskyError) when startup fails."""
    clock = clock or SystemClock()
    config_path = Path(options.config)
    data = DataDir(Path(options.data))
    try:
        config = await asyncio.to_thread(load_config, config_path, display=options.config)
    except ConfigError as exc:
        raise StartupError(f"load config {options.config}: {exc}") from None
    explicit = options.daemon_config is not None
    dpath = Path(options.daemon_config) if options.daemon_config else None
    try:
        daemon_config = load_daemon_config(dpath, config.directory, explicit=explicit)
    except ConfigError as exc:
        raise StartupError(f"load daemon config: {exc}") from None
    daemon_logs.configure(daemon_config)
    if daemon_config.path is None:
        log.info("no huskyd.yaml found, using defaults")
    for warning in daemon_config.warnings():
        log.warning(warning)
    try:
        dag = build_dag(config)
    except ConfigError as exc:
        raise StartupError(f"dag validation failed: {exc}") from None
    config = config.without_source()
    data.ensure()
    pidfile.acquire(data.pid_file)
    written: list[Path] = [data.pid_file]
    # A daemon that was SIGKILLed left its address behind: nobody may read it as ours
    # between our socket answering and our TCP door opening.
    data.api_addr.unlink(missing_ok=True)
    try:
        await _serve(options, clock, config_path, data, config, dag, daemon_config, written)
    finally:
        for path in written:
            if path == data.pid_file:
                pidfile.release(path)
            else:
                path.unlink(missing_ok=True)


async def _serve(
    options: DaemonOptions,
    clock: Clock,
    config_path: Path,
    data: DataDir,
    config: HuskyConfig,
    dag: Dag,
    daemon_config: DaemonConfig,
    written: list[Path],
) -> None:
    db_path = daemon_config.db_path(data.root)
    try:
        store = await SQLiteStore.open(
            db_path,
            busy_timeout_ms=int(
                daemon_config.storage.sqlite.busy_timeout_delta.total_seconds() * 1000
            ),
            wal_autocheckpoint=daemon_config.storage.sqlite.wal_autocheckpoint,
        )
    except (HuskyError, OSError) as exc:
        raise StartupError(f"open store {db_path}: {exc}") from None
    async with contextlib.AsyncExitStack() as stack:
        stack.push_async_callback(store.close)
        from husky.api.guard import build_authenticator, guard_tcp

        try:
            authenticator = build_authenticator(daemon_config)
        except ConfigError as exc:
            raise StartupError(f"auth configuration error: {exc}") from None
        bus = EventBus()
        settings = ExecutorSettings(
            shell=daemon_config.executor.shell,
            global_env=dict(daemon_config.executor.global_env),
            working_dir=_working_dir(config.directory, daemon_config.executor.working_dir),
            max_concurrent_jobs=daemon_config.scheduler.max_concurrent_jobs,
            pool_size=daemon_config.executor.pool_size,
        )
        executor = Executor(store, bus, clock, settings)
        stack.callback(executor.close)
        audit_config = daemon_config.log.audit_log
        if audit_config.enabled:
            audit = AuditLog(
                daemon_config.resolve_path(audit_config.path),
                max_size_mb=audit_config.max_size_mb,
                max_backups=audit_config.max_backups,
            )
            stack.callback(audit.close)
            executor.on_finalised = audit.record
        notifier = _notifier(lambda: runtime.config, store, clock, daemon_config)
        stack.push_async_callback(notifier.close)  # before store.close: rows get written
        paused: set[str] = set()
        dispatcher = Dispatcher(
            lambda: runtime.config, store, executor, clock, paused=paused, notifier=notifier
        )
        schedule = ScheduleLoop(
            clock, _on_fire(dispatcher), jitter=daemon_config.scheduler.schedule_jitter_delta
        )
        runtime = Runtime(
            config=config,
            dag=dag,
            daemon_config=daemon_config,
            config_path=config_path,
            config_display=options.config,
            daemon_config_display=options.daemon_config
            or (str(daemon_config.path) if daemon_config.path else ""),
            data=data,
            db_path=db_path,
            store=store,
            executor=executor,
            bus=bus,
            clock=clock,
            started_at=clock.now(),
            dispatcher=dispatcher,
            schedule=schedule,
            paused=paused,
            notifier=notifier,
        )
        if isinstance(authenticator, Reloadable):
            runtime.reloadables.append(authenticator)  # I19: reloads re-read the token file
        _install_signals(runtime)
        # The server stack loads only in the daemon, and before the schedule is computed
        # (importing it takes ~200 ms; a fire due meanwhile would start late).
        from husky.api.app import create_app

        states = await store.job_states()  # read before the schedule overwrites next_run
        schedule.load(config.jobs, clock.now())
        await recovery.recover_orphans(runtime)
        await recovery.rearm_pending_retries(runtime)
        await recovery.catch_up(runtime, states)
        await runtime.persist_schedule()
        await notifier.start(bus)  # re-sends rows a previous daemon left pending
        background = Background()
        retention = recovery.retention_loop(store, clock, daemon_config.storage.retention)
        background.spawn(retention, name="retention")
        loop_task = background.spawn(schedule.run(), name="scheduler")  # before the API: on time

        app = create_app(runtime)
        unix_door = Door(app, bind_unix(data.socket))
        written.append(data.socket)
        try:
            tcp_opts = tcp_options(daemon_config.api, daemon_config.resolve_path)
        except ListenerError as exc:
            raise StartupError(str(exc)) from None
        try:
            tcp_sock = bind_tcp(daemon_config.api.addr)
        except OSError as exc:
            raise StartupError(
                f"bind api listener {daemon_config.api.addr}: {exc.strerror}"
            ) from None
        tcp_door = Door(guard_tcp(app, daemon_config, authenticator), tcp_sock, **tcp_opts)
        await tcp_door.start()
        data.api_addr.write_text(bound_addr(tcp_sock) + "\n", encoding="utf-8")
        written.append(data.api_addr)
        await unix_door.start()  # last: once `husky start` hears us, api.addr is ours
        log.info("daemon started (pid %d, api %s)", runtime.pid, bound_addr(tcp_sock))
        _settle_start_up_objects()

        await runtime.stop_requested.wait()
        schedule.stop()
        await asyncio.wait([loop_task], timeout=5)
        await _graceful_stop(runtime, tcp_door, unix_door)
        data.api_addr.unlink(missing_ok=True)
    log.info("daemon stopped")


def _notifier(
    config: Callable[[], HuskyConfig], store: SQLiteStore, clock: Clock, daemon: DaemonConfig
) -> Notifier:
    try:
        sender = Sender(DeliverySettings.from_daemon_config(daemon))
    except OSError as exc:  # ssl.SSLError is one
        raise StartupError(f"http_client.ca_bundle: {exc}") from None
    return Notifier(config, store, clock, sender, daemon.alerts)


def _settle_start_up_objects() -> None:
    """`husky daemon run` starts with the cyclic GC off (see daemon_cmds): loading 10,000
    jobs made ~1M objects, and each collection on the way walked all of them (a third of
    the start-up time). What start-up built lives as long as the daemon, so it moves to
    the permanent generation, out of every later collection, and the GC comes back on."""
    gc.freeze()
    gc.enable()


def _working_dir(config_dir: Path, configured: str) -> Path:
    """I14: husky.yaml's directory, or `executor.working_dir` resolved against it."""
    base = config_dir.resolve()
    return (base / configured).resolve() if configured else base


def _install_signals(runtime: Runtime) -> None:
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, runtime.request_stop)
    loop.add_signal_handler(signal.SIGHUP, lambda: asyncio.ensure_future(_reload_on_hup(runtime)))


async def _reload_on_hup(runtime: Runtime) -> None:
    with contextlib.suppress(DaemonError):
        await runtime.reload()


def _on_fire(dispatcher: Dispatcher) -> Callable[[list[Fire]], Coroutine[Any, Any, None]]:
    async def fire(events: list[Fire]) -> None:
        reqs = [
            Request(
                job=event.job,
                trigger=Trigger.SCHEDULE,
                triggered_by="scheduler",
                reason=None,
                scheduled=True,
            )
            for event in events
        ]
        outcomes = await dispatcher.dispatch_many(reqs)
        for req, outcome in zip(reqs, outcomes, strict=True):
            if isinstance(outcome, DaemonError):
                log.info("scheduled run of %s not run: %s", req.job, outcome)

    return fire


async def _graceful_stop(runtime: Runtime, tcp_door: Door, unix_door: Door) -> None:
    """recovery.md §5 (C5): stop starting work, shut HTTP, drain runs up to
    `scheduler.shutdown_timeout` while the socket still answers, then kill leftovers."""
    runtime.stopping = True
    runtime.dispatcher.stop()
    runtime.executor.stop_accepting()
    await tcp_door.stop()
    timeout = runtime.daemon_config.scheduler.shutdown_timeout_delta.total_seconds()
    leftovers = await runtime.executor.drain(timeout)
    if leftovers:
        log.warning("shutdown_timeout %.0fs reached: killing %d run(s)", timeout, len(leftovers))
        tasks = []
        for active in leftovers:
            if active.run.pgid is not None:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(active.run.pgid, signal.SIGKILL)
                runtime.bus.publish(ForcedKill(active.run, "daemon shutdown_timeout reached"))
            if active.task is not None:
                active.task.cancel()  # the row stays RUNNING: an orphan for the next start
                tasks.append(active.task)
        if tasks:
            await asyncio.wait(tasks, timeout=5)
    await unix_door.stop()
