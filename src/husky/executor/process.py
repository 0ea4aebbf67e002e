"""Run one child process: spawn it in its own process group, stream its output, enforce a timeout.

Mechanism only: no database, no config. The caller gives argv (and the program file when
it is not argv[0]), the working directory and the environment, and receives output lines
through `sink`.

The child is started with `subprocess.Popen` (vfork + exec, a new session, the shared
/dev/null as stdin, two pipes) and watched with event-loop callbacks, not tasks: a pidfd
says when it exits and the non-blocking pipes are read in 64 KiB chunks as they become
readable. That costs about half of what asyncio's subprocess transports do per spawn.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import os
import signal as signals
import subprocess
import threading
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from husky.config.parse import format_duration
from husky.executor.groups import REAP, kill_group, signal_group
from husky.executor.lines import LineSplitter
from husky.models import Stream

_CHUNK = 65_536
_DRAIN = 1.0  # after killing the group, how long buffered output may still be read

LineSink = Callable[[Stream, list[str]], Awaitable[None] | None]
"""Receives each chunk's complete lines, in order. It may return an awaitable: reading that
pipe pauses until it is done (backpressure). An exception from it ends the run."""


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
    on_spawn: Callable[[int], Awaitable[None]] | None = None,
    stream_names: tuple[Stream, Stream] = (Stream.STDOUT, Stream.STDERR),
    executable: str | None = None,
) -> ProcessResult:
    """Run argv to completion: the main process exited and both pipes hit EOF, within `timeout`.

    On timeout or `cancel`, the process group gets SIGTERM, `grace` seconds, then SIGKILL.
    A spawn failure is reported in the result, never raised. An exception from `sink` or
    `on_spawn` (or cancellation of this coroutine) kills the group the same way, then propagates.
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
        child = _Child(loop, argv, executable, cwd, env, sink, stream_names)
    except (OSError, ValueError, subprocess.SubprocessError) as exc:
        return result(-1, spawn_error=f"could not start: {exc}")
    started = loop.time()
    if cancel is not None:
        cancel.subscribe(child.notify)
    timed_out = cancelled = finished = False
    try:
        if on_spawn is not None:
            await on_spawn(child.pid)

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


@functools.cache
def _devnull() -> int:
    """One /dev/null descriptor for every child's stdin (Popen would open one per spawn)."""
    return os.open(os.devnull, os.O_RDONLY | os.O_CLOEXEC)


class _Child:
    """One spawned process, watched by loop callbacks: its exit and its two pipes."""

    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        argv: Sequence[str],
        executable: str | None,
        cwd: Path,
        env: Mapping[str, str],
        sink: LineSink,
        streams: tuple[Stream, Stream],
    ) -> None:
        self.loop = loop
        self.sink = sink
        self.returncode: int | None = None
        self.error: BaseException | None = None
        self._waiter: asyncio.Future[None] | None = None
        self._pipes: dict[int, tuple[Stream, LineSplitter]] = {}
        self._pending: set[asyncio.Future[None]] = set()  # sink calls not finished yet
        out_r, out_w = os.pipe()  # both ends close-on-exec; Popen dup2s the write ends
        try:
            err_r, err_w = os.pipe()
        except BaseException:
            os.close(out_r)
            os.close(out_w)
            raise
        try:
            self.proc = subprocess.Popen(
                argv,
                executable=executable,
                cwd=os.fspath(cwd),
                env=env,
                stdin=_devnull(),
                stdout=out_w,
                stderr=err_w,
                start_new_session=True,
            )
        except BaseException:
            os.close(out_r)
            os.close(err_r)
            raise
        finally:
            os.close(out_w)
            os.close(err_w)
        self.pid = self.proc.pid
        for fd, stream in ((out_r, streams[0]), (err_r, streams[1])):
            os.set_blocking(fd, False)
            self._pipes[fd] = (stream, LineSplitter())
            loop.add_reader(fd, self._readable, fd)
        self._pidfd = self._watch_exit()

    # -- state ------------------------------------------------------------------------

    @property
    def drained(self) -> bool:
        """Both pipes at EOF (or closed) and every line handed to the sink."""
        return not self._pipes and not self._pending

    @property
    def done(self) -> bool:
        return self.returncode is not None and self.drained

    def check(self) -> None:
        """Raise the sink's error, if it failed."""
        if self.error is not None:
            raise self.error

    def notify(self) -> None:
        """Wake `until` to look again."""
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)

    async def until(self, ready: Callable[[], bool], seconds: float) -> bool:
        """Wait until `ready()` (True) or `seconds` pass (False)."""
        expired = False

        def expire() -> None:
            nonlocal expired
            expired = True
            self.notify()

        handle = self.loop.call_later(max(seconds, 0.0), expire)
        try:
            while not ready():
                if expired:
                    return False
                self._waiter = self.loop.create_future()
                await self._waiter
            return True
        finally:
            handle.cancel()
            self._waiter = None

    async def stop(self, grace: float) -> None:
        """Kill the group (TERM, grace, KILL), wait for the exit, drain what is buffered."""
        await kill_group(self.pid, grace)
        await self.until(lambda: self.returncode is not None, REAP)
        await self.until(lambda: self.drained, _DRAIN)

    def close(self) -> None:
        """Stop reading; close the pipes. The exit stays watched until the child is reaped."""
        for fd in list(self._pipes):
            self._close_pipe(fd)
        for pending in self._pending:
            pending.cancel()
        self._pending.clear()
        if self.returncode is not None:
            self._close_pidfd()

    # -- exit -------------------------------------------------------------------------

    def _watch_exit(self) -> int | None:
        try:
            pidfd = os.pidfd_open(self.pid)
        except (AttributeError, OSError):  # no pidfd (not Linux, or Linux < 5.3): a thread waits
            threading.Thread(target=self._wait_in_thread, daemon=True).start()
            return None
        self.loop.add_reader(pidfd, self._exited)
        return pidfd

    def _wait_in_thread(self) -> None:
        with contextlib.suppress(OSError):  # reaped elsewhere: poll() sees it
            os.waitid(os.P_PID, self.pid, os.WEXITED | os.WNOWAIT)
        with contextlib.suppress(RuntimeError):  # the loop is closed
            self.loop.call_soon_threadsafe(self._exited)

    def _exited(self) -> None:
        if self.proc.poll() is None:
            return
        self.returncode = self.proc.returncode
        self._close_pidfd()
        self.notify()

    def _close_pidfd(self) -> None:
        if self._pidfd is not None:
            self.loop.remove_reader(self._pidfd)
            os.close(self._pidfd)
            self._pidfd = None

    # -- pipes ------------------------------------------------------------------------

    def _readable(self, fd: int) -> None:
        try:
            chunk = os.read(fd, _CHUNK)
        except BlockingIOError:
            return
        except OSError:
            chunk = b""
        stream, splitter = self._pipes[fd]  # a closed pipe's reader is already removed
        if chunk:
            lines = splitter.feed(chunk)
        else:
            lines = splitter.end()
            self._close_pipe(fd)
        if lines:
            self._deliver(fd, stream, lines)
        if not chunk:
            self.notify()

    def _deliver(self, fd: int, stream: Stream, lines: list[str]) -> None:
        try:
            waiting = self.sink(stream, lines)
        except Exception as exc:
            self._fail(fd, exc)
            return
        if waiting is None:
            return
        pending = asyncio.ensure_future(waiting)
        self._pending.add(pending)
        if fd in self._pipes:
            self.loop.remove_reader(fd)  # paused until the sink has taken this chunk
        pending.add_done_callback(functools.partial(self._delivered, fd))

    def _delivered(self, fd: int, pending: asyncio.Future[None]) -> None:
        self._pending.discard(pending)
        if pending.cancelled():
            return
        error = pending.exception()
        if error is not None:
            self._fail(fd, error)
            return
        if fd in self._pipes:
            self.loop.add_reader(fd, self._readable, fd)
        self.notify()

    def _fail(self, fd: int, error: BaseException) -> None:
        """The sink failed: that pipe is read no more and the run ends with the error."""
        if self.error is None:
            self.error = error
        if fd in self._pipes:
            self._close_pipe(fd)
        self.notify()

    def _close_pipe(self, fd: int) -> None:
        del self._pipes[fd]
        self.loop.remove_reader(fd)
        os.close(fd)
