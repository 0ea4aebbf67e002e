"""One spawned child, watched by event-loop callbacks instead of tasks.

It is started with `subprocess.Popen` (vfork + exec, a new session, the shared /dev/null
as stdin, two pipes); a pidfd says when it exits and the non-blocking pipes are read in
64 KiB chunks as they become readable. That costs about half of what asyncio's subprocess
transports do per spawn.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import os
import subprocess
import threading
from collections.abc import Awaitable, Callable, Mapping, Sequence
from pathlib import Path
from typing import NamedTuple

from husky.executor.groups import REAP, kill_group
from husky.executor.lines import LineSplitter
from husky.models import Stream

_CHUNK = 65_536
_DRAIN = 1.0  # after killing the group, how long buffered output may still be read

LineSink = Callable[[Stream, list[str]], Awaitable[None] | None]
"""Receives each chunk's complete lines, in order. It may return an awaitable: reading that
pipe pauses until it is done (backpressure). An exception from it ends the run."""


class Spawned(NamedTuple):
    proc: subprocess.Popen[bytes]
    stdout: int  # read ends of the pipes, blocking until the loop takes them
    stderr: int


def spawn(
    argv: Sequence[str], executable: str | None, cwd: Path, env: Mapping[str, str]
) -> Spawned:
    """Start the child (any thread): raises OSError/SubprocessError when it cannot start."""
    out_r, out_w = os.pipe()  # both ends close-on-exec; Popen dup2s the write ends
    try:
        err_r, err_w = os.pipe()
    except BaseException:
        os.close(out_r)
        os.close(out_w)
        raise
    try:
        proc = subprocess.Popen(
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
    return Spawned(proc, out_r, err_r)


_devnull_fd: list[int] = []
_devnull_lock = threading.Lock()


def _devnull() -> int:
    """One /dev/null descriptor for every child's stdin (Popen would open one per spawn)."""
    with _devnull_lock:  # spawns run in several threads
        if not _devnull_fd:
            _devnull_fd.append(os.open(os.devnull, os.O_RDONLY | os.O_CLOEXEC))
        return _devnull_fd[0]


class Child:
    """One spawned process, watched by loop callbacks: its exit and its two pipes."""

    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        spawned: Spawned,
        sink: LineSink,
        streams: tuple[Stream, Stream],
    ) -> None:
        self.loop = loop
        self.sink = sink
        self.proc = spawned.proc
        self.pid = spawned.proc.pid
        self.returncode: int | None = None
        self.error: BaseException | None = None
        self._waiter: asyncio.Future[None] | None = None
        self._pipes: dict[int, tuple[Stream, LineSplitter]] = {}
        self._pending: set[asyncio.Future[None]] = set()  # sink calls not finished yet
        for fd, stream in ((spawned.stdout, streams[0]), (spawned.stderr, streams[1])):
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
