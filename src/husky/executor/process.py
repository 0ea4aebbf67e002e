"""Run one child process: spawn it in its own process group, stream its output, enforce a timeout.

Mechanism only: no database, no config. The caller gives argv (and the program file when
it is not argv[0]), the working directory and the environment, and receives output lines
through `sink`. How the child is started and watched is `child.py`; this module is the
policy around it: the time limit, cancellation, the kill ladder and the result.
"""

from __future__ import annotations

import asyncio
import functools
import signal as signals
import subprocess
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from husky.config.parse import format_duration
from husky.executor.child import Child, LineSink, Started, spawn
from husky.executor.groups import signal_group
from husky.models import Stream

WATCH_IN_THREAD = 0.010  # seconds a spawning thread watches its child before the loop does


@dataclass(frozen=True)
class ProcessResult:
    exit_code: int  # 0-255 on normal exit; -1 for timeout, cancel, spawn failure, foreign signal
    signal: int | None  # the signal that ended the main process, if any
    timed_out: bool
    cancelled: bool
    spawn_error: str | None  # "could not start: <OSError>"
    pid: int | None  # == pgid
    duration: float  # seconds from spawn to completion
    timeout: float = 0.0  # the configured timeout in seconds (for the status reason)

    @property
    def status_reason(self) -> str | None:
        """Human reason for a non-success outcome (IMPROVEMENTS I9); None for exit code 0."""
        if self.spawn_error is not None:
            return self.spawn_error
        if self.cancelled:
            return "cancelled by operator"
        if self.timed_out:
            return f"timed out after {format_duration(timedelta(seconds=self.timeout))}"
        if self.exit_code == -1 and self.signal is not None:
            return f"killed by signal {self.signal}"
        if self.exit_code != 0:
            return f"exit code {self.exit_code}"
        return None


class Cancel:
    """A one-shot cancel request. Unlike asyncio.Event it calls its subscribers back,
    so a run can watch it without a task of its own."""

    __slots__ = ("_callbacks", "_set")

    def __init__(self) -> None:
        self._set = False
        self._callbacks: list[Callable[[], None]] = []

    def set(self) -> None:
        if self._set:
            return
        self._set = True
        callbacks, self._callbacks = self._callbacks, []
        for callback in callbacks:
            callback()

    def is_set(self) -> bool:
        return self._set

    def subscribe(self, callback: Callable[[], None]) -> None:
        self._callbacks.append(callback)

    def unsubscribe(self, callback: Callable[[], None]) -> None:
        if callback in self._callbacks:
            self._callbacks.remove(callback)


async def run_process(
    argv: Sequence[str],
    *,
    cwd: Path,
    env: Mapping[str, str],
    sink: LineSink,
    timeout: float,  # noqa: ASYNC109 - the child's time limit, enforced on the group
    cancel: Cancel | None = None,
    grace: float = 10.0,
    on_spawn: Callable[[int, float], Awaitable[None]] | None = None,
    stream_names: tuple[Stream, Stream] = (Stream.STDOUT, Stream.STDERR),
    executable: str | None = None,
    spawn_in: Executor | None = None,
) -> ProcessResult:
    """Run argv to completion: the main process exited and both pipes hit EOF, within `timeout`.

    On timeout or `cancel`, the process group gets SIGTERM, `grace` seconds, then SIGKILL.
    A spawn failure is reported in the result, never raised. An exception from `sink` or
    `on_spawn` (or cancellation of this coroutine) kills the group the same way, then propagates.

    `on_spawn(pid, age)` is awaited once the child runs, before any of its lines reach `sink`;
    `age` is how many seconds ago it was spawned.

    `spawn_in`: threads to start the child in. Popen waits (without the GIL) until the vfork
    child has exec'd; on a busy machine that wait, not Python, is most of a spawn, so in a
    thread it neither stalls the event loop nor keeps other spawns waiting. The thread then
    watches the child for up to WATCH_IN_THREAD: a job that ends by then costs the loop no
    descriptor. (Cancellation is seen once it lets go.) None: all on the loop's thread.
    """
    loop = asyncio.get_running_loop()
    started = loop.time()

    def result(
        code: int,
        *,
        sig: int | None = None,
        timed_out: bool = False,
        cancelled: bool = False,
        spawn_error: str | None = None,
        pid: int | None = None,
    ) -> ProcessResult:
        duration = loop.time() - started
        return ProcessResult(code, sig, timed_out, cancelled, spawn_error, pid, duration, timeout)

    if cancel is not None and cancel.is_set():
        return result(-1, cancelled=True)
    if not argv:
        return result(-1, spawn_error="could not start: empty command")
    try:
        if spawn_in is None:
            spawned = spawn(argv, executable, cwd, env)
        else:
            watch = min(WATCH_IN_THREAD, timeout)
            spawned = await _spawn_in_thread(loop, spawn_in, argv, executable, cwd, env, watch)
    except (OSError, ValueError, subprocess.SubprocessError) as exc:
        return result(-1, spawn_error=f"could not start: {exc}")
    child = Child(loop, spawned, sink, stream_names)
    age = max(time.monotonic() - spawned.at, 0.0)
    started = loop.time() - age  # the loop's clock is the monotonic one
    if cancel is not None:
        cancel.subscribe(child.notify)
    timed_out = cancelled = finished = False
    try:
        if on_spawn is not None:
            await on_spawn(child.pid, age)
        child.start()

        def settled() -> bool:
            return child.done or child.error is not None or (cancel is not None and cancel.is_set())

        timed_out = not await child.until(settled, started + timeout - loop.time())
        child.check()  # a sink error propagates
        if not child.done:
            cancelled = not timed_out
            await child.stop(grace)
        finished = True
    finally:
        if cancel is not None:
            cancel.unsubscribe(child.notify)
        if not finished:  # sink/on_spawn error or we were cancelled: take the group down
            try:
                await child.stop(grace)
            finally:
                if child.returncode is None:
                    signal_group(child.pid, signals.SIGKILL)
        child.close()
    child.check()  # a sink error raised while draining after the kill
    code = child.returncode
    sig = -code if code is not None and code < 0 else None
    exit_code = -1 if timed_out or cancelled or code is None or code < 0 else code
    return result(exit_code, sig=sig, timed_out=timed_out, cancelled=cancelled, pid=child.pid)


async def _spawn_in_thread(
    loop: asyncio.AbstractEventLoop,
    threads: Executor,
    argv: Sequence[str],
    executable: str | None,
    cwd: Path,
    env: Mapping[str, str],
    watch: float,
) -> Started:
    future = loop.run_in_executor(threads, spawn, argv, executable, cwd, env, watch)
    try:
        return await asyncio.shield(future)
    except asyncio.CancelledError:  # the thread goes on: kill what it starts, reap it later
        future.add_done_callback(functools.partial(_abandon, loop))
        raise


def _abandon(loop: asyncio.AbstractEventLoop, future: asyncio.Future[Started]) -> None:
    if future.cancelled() or future.exception() is not None:
        return
    started = future.result()
    child = Child(loop, started, lambda _stream, _lines: None, (Stream.STDOUT,) * 2)
    if not started.finished:  # running, or gone with something still holding its pipes
        signal_group(child.pid, signals.SIGKILL)
    child.close()
