"""One spawned child: started by `spawn` (any thread), then watched by event-loop callbacks.

`spawn` starts it with `subprocess.Popen` (vfork + exec, a new session, the shared
/dev/null as stdin, two pipes). In a spawning thread it may also `watch` the child for a
few milliseconds - read its pipes, wait for its exit - since most jobs are that short:
such a run then costs the event loop no descriptor at all. Whatever is still going on
when the thread lets go is watched by `Child` with loop callbacks, not tasks: a pidfd
says when it exits and the non-blocking pipes are read in 64 KiB chunks as they become
readable.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import os
import select
import subprocess
import threading
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from pathlib import Path

from husky.executor.groups import REAP, kill_group
from husky.executor.lines import LineSplitter
from husky.models import Stream

_CHUNK = 65_536
_EARLY_LIMIT = 4 * _CHUNK  # output a spawning thread reads before it hands the child over
_DRAIN = 1.0  # after killing the group, how long buffered output may still be read

LineSink = Callable[[Stream, list[str]], Awaitable[None] | None]
"""Receives each chunk's complete lines, in order. It may return an awaitable: reading that
pipe pauses until it is done (backpressure). An exception from it ends the run."""


class Started:
    """A child as `spawn` leaves it: running with its two pipes, or - if a spawning thread
    watched it to the end - reaped with both pipes at EOF. `early` holds what that thread
    read meanwhile, in order: (pipe 0 = stdout or 1 = stderr, chunk; b"" at EOF)."""

    def __init__(self, proc: subprocess.Popen[bytes], stdout: int, stderr: int) -> None:
        self.proc = proc
        self.at = time.monotonic()  # just after the exec
        self.fds: list[int | None] = [stdout, stderr]  # None once at EOF (and closed)
        self.early: list[tuple[int, bytes]] = []
        self.returncode: int | None = None

    @property
    def finished(self) -> bool:
        return self.returncode is not None and self.fds == [None, None]

    def watch(self, seconds: float) -> None:
        """Read the pipes and wait for the exit for up to `seconds` after the spawn, or until
        `_EARLY_LIMIT` bytes are buffered. Blocking: only in a spawning thread."""
        try:
            pidfd = os.pidfd_open(self.proc.pid)
        except (AttributeError, OSError):
            return  # no pidfd: the loop watches it all
        try:
            poller = select.poll()
            for fd in (*self.fds, pidfd):
                poller.register(fd, select.POLLIN)  # type: ignore[arg-type]
            buffered = 0
            while not self.finished and buffered <= _EARLY_LIMIT:
                remaining = self.at + seconds - time.monotonic()
                if remaining <= 0:
                    break
                for fd, _ in poller.poll(remaining * 1000):
                    if fd == pidfd:
                        poller.unregister(pidfd)
                        self.returncode = self.proc.poll()
                        continue
                    index = self.fds.index(fd)
                    try:
                        chunk = os.read(fd, _CHUNK)
                    except OSError:
                        chunk = b""  # as the loop's reader does: the pipe is done
                    self.early.append((index, chunk))
                    buffered += len(chunk)
                    if not chunk:
                        poller.unregister(fd)
                        os.close(fd)
                        self.fds[index] = None
        finally:
            os.close(pidfd)

    def close(self) -> None:
        for index, fd in enumerate(self.fds):
            if fd is not None:
                os.close(fd)
                self.fds[index] = None


def spawn(
    argv: Sequence[str],
    executable: str | None,
    cwd: Path,
    env: Mapping[str, str],
    watch: float = 0.0,
) -> Started:
    """Start the child; in a spawning thread, `watch` it for up to that many seconds.
    Raises OSError/SubprocessError when it cannot start."""
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
    started = Started(proc, out_r, err_r)
    if watch > 0:
        try:
            started.watch(watch)
        except BaseException:
            started.close()
            raise
    for fd in started.fds:
        if fd is not None:
            os.set_blocking(fd, False)
    return started


_devnull_fd: list[int] = []
_devnull_lock = threading.Lock()


def _devnull() -> int:
    """One /dev/null descriptor for every child's stdin (Popen would open one per spawn)."""
    with _devnull_lock:  # spawns run in several threads
        if not _devnull_fd:
            _devnull_fd.append(os.open(os.devnull, os.O_RDONLY | os.O_CLOEXEC))
        return _devnull_fd[0]


class Child:
    """A started child, watched by loop callbacks from `start()` on: its exit and its pipes."""

    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        started: Started,
        sink: LineSink,
        streams: tuple[Stream, Stream],
    ) -> None:
        self.loop = loop
        self.sink = sink
        self.proc = started.proc
        self.pid = started.proc.pid
        self.returncode = started.returncode
        self.error: BaseException | None = None
        self._started = started
        self._streams = streams
        self._fds = started.fds  # per pipe: its descriptor while it is open
        self._splitters = (LineSplitter(), LineSplitter())
        self._watched: set[int] = set()  # pipes with a loop reader
        self._paused: set[int] = set()  # pipes waiting for the sink (backpressure)
        self._pending: set[asyncio.Future[None]] = set()  # sink calls not finished yet
        self._waiter: asyncio.Future[None] | None = None
        self._pidfd: int | None = None
        self._exit_watched = False
        self._running = False

    def start(self) -> None:
        """Hand over what the spawning thread read, then watch the rest from the loop."""
        self._running = True
        early, self._started.early = self._started.early, []
        for index, chunk in early:
            self._take(index, chunk)
        for index in (0, 1):
            self._resume(index)
        if self.returncode is None:
            self._watch_exit()

    # -- state ------------------------------------------------------------------------

    @property
    def drained(self) -> bool:
        """Both pipes at EOF (or closed) and every line handed to the sink."""
        return self._fds == [None, None] and not self._pending

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
        if ready():
            return True
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
        if not self._running:  # on_spawn failed or was cancelled: watch it all the same
            self.start()
        await kill_group(self.pid, grace)
        await self.until(lambda: self.returncode is not None, REAP)
        await self.until(lambda: self.drained, _DRAIN)

    def close(self) -> None:
        """Stop reading; close the pipes. The exit stays watched until the child is reaped."""
        for index in (0, 1):
            self._close_pipe(index)
        for pending in self._pending:
            pending.cancel()
        self._pending.clear()
        if self.returncode is None:
            self._watch_exit()  # if never started: it is reaped all the same
        else:
            self._close_pidfd()

    # -- exit -------------------------------------------------------------------------

    def _watch_exit(self) -> None:
        if self._exit_watched:
            return
        self._exit_watched = True
        try:
            self._pidfd = os.pidfd_open(self.pid)
        except (AttributeError, OSError):  # no pidfd (not Linux, or Linux < 5.3): a thread waits
            threading.Thread(target=self._wait_in_thread, daemon=True).start()
            return
        self.loop.add_reader(self._pidfd, self._exited)

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

    def _readable(self, index: int) -> None:
        fd = self._fds[index]
        if fd is None:
            return
        try:
            chunk = os.read(fd, _CHUNK)
        except BlockingIOError:
            return
        except OSError:
            chunk = b""
        if not chunk:
            self._close_pipe(index)
        self._take(index, chunk)
        if not chunk:
            self.notify()

    def _take(self, index: int, chunk: bytes) -> None:
        """Split a chunk (b"" = EOF: the last fragment) and hand its lines to the sink."""
        splitter = self._splitters[index]
        lines = splitter.feed(chunk) if chunk else splitter.end()
        if not lines:
            return
        try:
            waiting = self.sink(self._streams[index], lines)
        except Exception as exc:
            self._fail(index, exc)
            return
        if waiting is None:
            return
        pending = asyncio.ensure_future(waiting)
        self._pending.add(pending)
        self._paused.add(index)  # until the sink has taken this chunk
        self._unwatch(index)
        pending.add_done_callback(functools.partial(self._delivered, index))

    def _delivered(self, index: int, pending: asyncio.Future[None]) -> None:
        self._pending.discard(pending)
        if pending.cancelled():
            return
        error = pending.exception()
        if error is not None:
            self._fail(index, error)
            return
        self._paused.discard(index)
        self._resume(index)
        self.notify()

    def _fail(self, index: int, error: BaseException) -> None:
        """The sink failed: that pipe is read no more and the run ends with the error."""
        if self.error is None:
            self.error = error
        self._close_pipe(index)
        self.notify()

    def _resume(self, index: int) -> None:
        fd = self._fds[index]
        if not self._running or fd is None or index in self._paused or index in self._watched:
            return
        self._watched.add(index)
        self.loop.add_reader(fd, self._readable, index)

    def _unwatch(self, index: int) -> None:
        fd = self._fds[index]
        if index in self._watched and fd is not None:
            self._watched.discard(index)
            self.loop.remove_reader(fd)

    def _close_pipe(self, index: int) -> None:
        fd = self._fds[index]
        if fd is not None:
            self._unwatch(index)
            self._fds[index] = None
            os.close(fd)
