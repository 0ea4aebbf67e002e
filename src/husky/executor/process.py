"""Run one child process: spawn it in its own process group, stream its output, enforce a timeout.

Mechanism only: no database, no config. The caller builds argv (`[shell, "-c", command]`),
the working directory and the environment, and receives output lines through `sink`.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import os
import signal as signals
import subprocess
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from husky.config.parse import format_duration
from husky.models import Stream

MAX_LINE = 65_536
"""Longest line delivered whole; longer lines arrive as pieces of at most this many bytes."""
_CHUNK = 65_536
_DRAIN = 1.0  # after killing the group, how long buffered output may still be read
_REAP = 2.0  # after SIGKILL, how long to wait for the group to disappear

LineSink = Callable[[Stream, list[str]], Awaitable[None]]


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


async def run_process(
    argv: Sequence[str],
    *,
    cwd: Path,
    env: Mapping[str, str],
    sink: LineSink,
    timeout: float,  # noqa: ASYNC109 - the child's time limit, enforced on the group
    cancel: asyncio.Event | None = None,
    grace: float = 10.0,
    on_spawn: Callable[[int], Awaitable[None]] | None = None,
    stream_names: tuple[Stream, Stream] = (Stream.STDOUT, Stream.STDERR),
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
        proc = await asyncio.create_subprocess_exec(
            *argv,
            cwd=os.fspath(cwd),
            env=env,
            stdin=_devnull(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
    except (OSError, ValueError, subprocess.SubprocessError) as exc:
        return result(-1, spawn_error=f"could not start: {exc}")
    started = loop.time()
    pid = proc.pid
    assert proc.stdout is not None and proc.stderr is not None
    readers: list[asyncio.Future[None]] = [
        asyncio.ensure_future(_pump(proc.stdout, stream_names[0], sink)),
        asyncio.ensure_future(_pump(proc.stderr, stream_names[1], sink)),
    ]
    waiter: asyncio.Future[int] = asyncio.ensure_future(proc.wait())
    cancel_waiter: asyncio.Future[Any] | None = None
    if cancel is not None:
        cancel_waiter = asyncio.ensure_future(cancel.wait())
    timed_out = cancelled = finished = False
    try:
        if on_spawn is not None:
            await on_spawn(pid)
        deadline = started + timeout
        pending: set[asyncio.Future[Any]] = {waiter, *readers}
        while pending:
            watch = pending | {cancel_waiter} if cancel_waiter is not None else pending
            remaining = max(0.0, deadline - loop.time())
            done, _ = await asyncio.wait(watch, timeout=remaining, return_when="FIRST_COMPLETED")
            if cancel_waiter is not None and cancel_waiter in done:
                cancelled = True
                break
            if not done:
                timed_out = True
                break
            for task in done:
                task.result()  # a sink error propagates
            pending -= done
        if timed_out or cancelled:
            await _stop(pid, grace, waiter, readers)
        finished = True
    finally:
        if not finished:  # sink/on_spawn error or we were cancelled: take the group down
            try:
                await _stop(pid, grace, waiter, readers)
            finally:
                if not waiter.done():
                    _signal_group(pid, signals.SIGKILL)
        futures: list[asyncio.Future[Any] | None] = [*readers, waiter, cancel_waiter]
        for fut in futures:
            if fut is not None and not fut.done():
                fut.cancel()
            elif fut is not None and not fut.cancelled():
                fut.exception()  # retrieved: no "exception was never retrieved" noise
        transport = getattr(proc, "_transport", None)  # pipes a stray process may still hold
        if transport is not None:
            transport.close()
    for task in readers:  # a sink error raised while draining after the kill
        if not task.cancelled():
            task.result()
    code = proc.returncode
    sig = -code if code is not None and code < 0 else None
    exit_code = -1 if timed_out or cancelled or code is None or code < 0 else code
    return result(exit_code, sig=sig, timed_out=timed_out, cancelled=cancelled, pid=pid)


@functools.cache
def _devnull() -> int:
    """One /dev/null descriptor for every child's stdin (Popen would open one per spawn)."""
    return os.open(os.devnull, os.O_RDONLY | os.O_CLOEXEC)


async def _stop(
    pgid: int, grace: float, waiter: asyncio.Future[int], readers: list[asyncio.Future[None]]
) -> None:
    """Kill the group (TERM, grace, KILL), reap the main process, drain what is buffered."""
    await kill_group(pgid, grace)
    await asyncio.wait({waiter}, timeout=_REAP)
    pending = [r for r in readers if not r.done()]
    if pending:
        await asyncio.wait(pending, timeout=_DRAIN)
    for reader in pending:
        reader.cancel()
    await asyncio.gather(*pending, return_exceptions=True)


async def _pump(reader: asyncio.StreamReader, stream: Stream, sink: LineSink) -> None:
    """Read a pipe in chunks; hand each chunk's complete lines to `sink` in one call."""
    buf = b""
    while chunk := await reader.read(_CHUNK):
        data = buf + chunk if buf else chunk
        lines: list[str] = []
        end = data.rfind(b"\n")
        if end >= 0:
            _split_lines(data[:end], lines)
            buf = data[end + 1 :]
        else:
            buf = data
        # Never hold more than one piece (+1 byte for a possible "\r") of a partial line.
        while len(buf) > MAX_LINE + 1:
            cut = _utf8_cut(buf, MAX_LINE)
            lines.append(buf[:cut].decode("utf-8", "replace"))
            buf = buf[cut:]
        if lines:
            await sink(stream, lines)
    if buf:  # final fragment without a newline
        lines = []
        _add_line(buf, lines)
        await sink(stream, lines)


def _split_lines(block: bytes, out: list[str]) -> None:
    """Split newline-separated bytes (no trailing newline) into decoded lines."""
    raws = block.split(b"\n")
    if max(map(len, raws)) <= MAX_LINE:  # fast path: decode once (b"\n" never sits inside UTF-8)
        text = block.decode("utf-8", "replace").split("\n")
        if b"\r" in block:
            text = [line[:-1] if line.endswith("\r") else line for line in text]
        out.extend(text)
        return
    for raw in raws:
        _add_line(raw, out)


def _add_line(raw: bytes, out: list[str]) -> None:
    """Append one line, minus one trailing "\\r", split into pieces of at most MAX_LINE bytes."""
    if raw.endswith(b"\r"):
        raw = raw[:-1]
    while len(raw) > MAX_LINE:
        cut = _utf8_cut(raw, MAX_LINE)
        out.append(raw[:cut].decode("utf-8", "replace"))
        raw = raw[cut:]
    out.append(raw.decode("utf-8", "replace"))


def _utf8_cut(data: bytes, limit: int) -> int:
    """Cut position <= limit that does not split a UTF-8 sequence (limit if data is not UTF-8)."""
    for back in range(4):
        if data[limit - back] & 0xC0 != 0x80:
            return limit - back
    return limit


def _signal_group(pgid: int, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, sig)


def _check_pgid(pgid: int) -> None:
    if pgid <= 1 or pgid == os.getpgrp():
        raise ValueError(f"refusing to signal process group {pgid}")


def group_alive(pgid: int) -> bool:
    """True if any non-zombie process is in group `pgid` (zombies count as gone)."""
    _check_pgid(pgid)
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # someone else's process holds that group: it is alive
    try:
        entries = os.listdir("/proc")
    except OSError:
        return True  # no /proc: killpg(0) succeeded, so something (perhaps a zombie) is there
    for name in entries:
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat", "rb") as f:
                stat = f.read()
        except OSError:
            continue  # exited meanwhile
        # "pid (comm) state ppid pgrp ..." - comm may contain spaces and parentheses
        fields = stat[stat.rfind(b")") + 2 :].split(b" ", 3)
        if len(fields) >= 3 and int(fields[2]) == pgid and fields[0] not in (b"Z", b"X"):
            return True
    return False


async def kill_group(pgid: int, grace: float = 10.0) -> bool:
    """SIGTERM group `pgid`, wait up to `grace` s for it to empty, then SIGKILL it.

    Returns True if any member was alive. Zombies count as gone.
    """
    if not group_alive(pgid):
        return False
    loop = asyncio.get_running_loop()
    _signal_group(pgid, signals.SIGTERM)
    killed = False
    deadline = loop.time() + grace
    delay = 0.005
    while group_alive(pgid):
        now = loop.time()
        if now >= deadline:
            if killed:
                break  # unkillable (e.g. stuck in the kernel): give up waiting
            _signal_group(pgid, signals.SIGKILL)
            killed = True
            deadline = now + _REAP
            delay = 0.005
            continue
        await asyncio.sleep(min(delay, deadline - now))
        delay = min(delay * 2, 0.1)
    return True
