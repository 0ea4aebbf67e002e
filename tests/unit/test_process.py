"""husky.executor.process: real child processes, no mocks."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from husky.executor.child import spawn
from husky.executor.groups import group_alive, kill_group
from husky.executor.lines import MAX_LINE
from husky.executor.process import Cancel, ProcessResult, run_process
from husky.models import Stream

PATH_ENV = {"PATH": os.environ.get("PATH", "/usr/bin:/bin")}


@dataclass
class Run:
    result: ProcessResult
    lines: dict[Stream, list[str]] = field(default_factory=dict)
    batches: list[int] = field(default_factory=list)
    spawned: list[int] = field(default_factory=list)

    @property
    def out(self) -> list[str]:
        return self.lines.get(Stream.STDOUT, [])

    @property
    def err(self) -> list[str]:
        return self.lines.get(Stream.STDERR, [])


def run(
    argv: Sequence[str],
    *,
    cwd: Path | None = None,
    env: dict[str, str] | None = None,
    timeout: float = 10.0,
    grace: float = 0.5,
    cancel_after: float | None = None,
) -> Run:
    async def main() -> Run:
        lines: dict[Stream, list[str]] = {}
        batches: list[int] = []
        spawned: list[int] = []

        async def sink(stream: Stream, batch: list[str]) -> None:
            lines.setdefault(stream, []).extend(batch)
            batches.append(len(batch))

        async def on_spawn(pid: int, _age: float) -> None:
            spawned.append(pid)

        cancel = Cancel()
        if cancel_after is not None:
            asyncio.get_running_loop().call_later(cancel_after, cancel.set)
        result = await run_process(
            argv,
            cwd=cwd or Path.cwd(),
            env=PATH_ENV if env is None else env,
            sink=sink,
            timeout=timeout,
            cancel=cancel,
            grace=grace,
            on_spawn=on_spawn,
        )
        return Run(result, lines, batches, spawned)

    return asyncio.run(main())


def sh(command: str, **kw: object) -> Run:
    return run(["/bin/sh", "-c", command], **kw)  # type: ignore[arg-type]


def py(code: str, **kw: object) -> Run:
    return run([sys.executable, "-c", code], **kw)  # type: ignore[arg-type]


def wait_group_gone(pgid: int, deadline: float = 5.0) -> None:
    end = time.monotonic() + deadline
    while group_alive(pgid):
        assert time.monotonic() < end, f"process group {pgid} still alive"
        time.sleep(0.02)


# --- exit codes and capture -------------------------------------------------------------


def test_exit_zero_and_streams() -> None:
    r = sh("echo out1; echo err1 >&2; echo out2")
    assert r.result.exit_code == 0
    assert r.result.status_reason is None
    assert r.out == ["out1", "out2"]
    assert r.err == ["err1"]
    assert r.result.pid == r.spawned[0]
    assert not r.result.timed_out and not r.result.cancelled and r.result.signal is None


def test_exit_code_three() -> None:
    r = sh("exit 3")
    assert r.result.exit_code == 3
    assert r.result.status_reason == "exit code 3"


def test_killed_by_foreign_signal() -> None:
    r = sh("kill -9 $$")
    assert r.result.exit_code == -1
    assert r.result.signal == 9
    assert r.result.status_reason == "killed by signal 9"


def test_line_splitting_rules() -> None:
    r = py(r"import sys; sys.stdout.write('a\r\nb\r\r\n\n\nc\rd\nlast')")
    assert r.out == ["a", "b\r", "", "", "c\rd", "last"]


def test_final_fragment_crlf_and_trailing_newline() -> None:
    assert py(r"import sys; sys.stdout.write('x\n')").out == ["x"]
    assert py(r"import sys; sys.stdout.write('x\r')").out == ["x"]
    assert py("pass").lines == {}


def test_long_line_split_into_pieces() -> None:
    r = py("import sys; sys.stdout.write('a' * 100_000 + '\\nnext\\n')")
    assert [len(line) for line in r.out] == [MAX_LINE, 100_000 - MAX_LINE, 4]
    assert r.out[2] == "next"


def test_line_up_to_64k_intact() -> None:
    r = py("import sys; sys.stdout.write('b' * 61_440 + '\\n' + 'c' * 65_536 + '\\r\\n')")
    assert r.out == ["b" * 61_440, "c" * 65_536]


def test_split_backs_off_to_utf8_boundary() -> None:
    r = py("import sys; sys.stdout.buffer.write(('a' * 65_535 + 'é' + 'z' * 10 + '\\n').encode())")
    assert r.out == ["a" * 65_535, "é" + "z" * 10]


def test_invalid_utf8_replaced() -> None:
    r = py(r"import sys; sys.stdout.buffer.write(b'ok\xff\xfe\n\xe2\x82')")
    assert r.out == ["ok\ufffd\ufffd", "\ufffd"]


def test_many_lines_both_streams_in_order() -> None:
    n = 200_000
    r = sh(f"seq 1 {n} & seq 1 {n} >&2; wait")
    expected = [str(i) for i in range(1, n + 1)]
    assert r.result.exit_code == 0
    assert r.out == expected
    assert r.err == expected
    assert max(r.batches) > 1
    assert len(r.batches) < n // 10


# --- environment, stdin, cwd -------------------------------------------------------------


def test_env_passed_exactly(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HUSKY_TEST_LEAK", "1")
    r = run(["/usr/bin/env"], env={"ONLY_THIS": "yes"})
    assert r.out == ["ONLY_THIS=yes"]


def test_stdin_is_dev_null() -> None:
    r = sh("cat; echo after", timeout=5)
    assert r.result.exit_code == 0
    assert r.out == ["after"]
    assert r.result.duration < 2


def test_cwd(tmp_path: Path) -> None:
    r = sh("pwd", cwd=tmp_path)
    assert r.out == [str(tmp_path)]


def test_spawn_failure_missing_cwd(tmp_path: Path) -> None:
    missing = tmp_path / "nope"
    r = sh("true", cwd=missing)
    assert r.result.exit_code == -1
    assert r.result.pid is None
    assert r.spawned == [] and r.lines == {}
    assert (
        r.result.spawn_error == f"could not start: [Errno 2] No such file or directory: '{missing}'"
    )
    assert r.result.status_reason == r.result.spawn_error


def test_spawn_failure_missing_shell() -> None:
    r = run(["/nonexistent/sh", "-c", "true"])
    assert r.result.exit_code == -1
    reason = r.result.status_reason
    assert reason is not None and reason.startswith("could not start: ")
    assert "/nonexistent/sh" in reason


# --- timeout, cancel, grace ----------------------------------------------------------------


def test_timeout_kills_grandchildren() -> None:
    r = sh("sleep 1000 & sleep 1000 & wait", timeout=0.3, grace=2)
    assert r.result.timed_out and not r.result.cancelled
    assert r.result.exit_code == -1
    assert r.result.status_reason == "timed out after 300ms"
    assert 0.3 <= r.result.duration < 2.5
    wait_group_gone(r.spawned[0])


def test_term_ignored_then_killed_after_grace() -> None:
    r = sh('trap "" TERM; sleep 1000; echo unreachable', timeout=0.2, grace=0.5)
    assert r.result.timed_out
    assert r.result.signal == 9
    assert r.result.exit_code == -1
    assert 0.7 <= r.result.duration < 3
    assert r.out == []
    wait_group_gone(r.spawned[0])


def test_cancel_event() -> None:
    r = sh("echo started; sleep 1000", timeout=30, cancel_after=0.3)
    assert r.result.cancelled and not r.result.timed_out
    assert r.result.exit_code == -1
    assert r.result.status_reason == "cancelled by operator"
    assert r.out == ["started"]
    assert r.result.duration < 3
    wait_group_gone(r.spawned[0])


def test_grandchild_holding_stdout_bounded_by_timeout() -> None:
    r = sh("(sleep 1000 &) ; echo done", timeout=0.5, grace=1)
    assert r.out == ["done"]
    assert r.result.timed_out
    assert r.result.exit_code == -1
    assert r.result.duration < 3
    wait_group_gone(r.spawned[0])


def test_sink_error_kills_group_and_propagates() -> None:
    pids: list[int] = []

    async def main() -> None:
        async def sink(stream: Stream, lines: list[str]) -> None:
            raise RuntimeError("store is down")

        async def on_spawn(pid: int, _age: float) -> None:
            pids.append(pid)

        await run_process(
            ["/bin/sh", "-c", "echo hi; sleep 1000"],
            cwd=Path.cwd(),
            env=PATH_ENV,
            sink=sink,
            timeout=30,
            grace=0.5,
            on_spawn=on_spawn,
        )

    with pytest.raises(RuntimeError, match="store is down"):
        asyncio.run(main())
    wait_group_gone(pids[0])


def test_status_reason_wording() -> None:
    def res(**kw: object) -> ProcessResult:
        fields: dict[str, object] = {
            "exit_code": -1,
            "signal": None,
            "timed_out": False,
            "cancelled": False,
            "spawn_error": None,
            "pid": 1234,
            "duration": 1.0,
            "timeout": 30.0,
        }
        fields.update(kw)
        return ProcessResult(**fields)  # type: ignore[arg-type]

    assert res(exit_code=0).status_reason is None
    assert res(exit_code=3).status_reason == "exit code 3"
    assert res(timed_out=True).status_reason == "timed out after 30s"
    assert res(timed_out=True, timeout=90.0).status_reason == "timed out after 1m30s"
    assert res(timed_out=True, signal=15).status_reason == "timed out after 30s"
    assert res(signal=9).status_reason == "killed by signal 9"
    assert res(cancelled=True, signal=15).status_reason == "cancelled by operator"
    err = "could not start: [Errno 2] No such file or directory: '/nope'"
    assert res(spawn_error=err, pid=None).status_reason == err


# --- kill_group / group_alive ---------------------------------------------------------------


def test_kill_group_live_group() -> None:
    proc = subprocess.Popen(
        ["/bin/sh", "-c", "sleep 1000 & sleep 1000 & wait"], start_new_session=True
    )
    try:
        assert group_alive(proc.pid)
        assert asyncio.run(kill_group(proc.pid, grace=1.0)) is True
        wait_group_gone(proc.pid)
    finally:
        proc.kill()
        proc.wait()


def test_kill_group_ignoring_term() -> None:
    proc = subprocess.Popen(["/bin/sh", "-c", 'trap "" TERM; sleep 1000'], start_new_session=True)
    try:
        time.sleep(0.1)  # let the shell install its trap
        start = time.monotonic()
        assert asyncio.run(kill_group(proc.pid, grace=0.3)) is True
        assert time.monotonic() - start >= 0.3
        assert not group_alive(proc.pid)
    finally:
        proc.kill()
        proc.wait()


def test_kill_group_dead_pgid() -> None:
    proc = subprocess.Popen(["true"], start_new_session=True)
    proc.wait()
    assert not group_alive(proc.pid)
    assert asyncio.run(kill_group(proc.pid, grace=0.5)) is False


def test_refuses_own_group() -> None:
    with pytest.raises(ValueError):
        group_alive(os.getpgrp())
    with pytest.raises(ValueError):
        group_alive(0)


def test_task_cancellation_kills_group() -> None:
    pids: list[int] = []

    async def main() -> None:
        async def sink(stream: Stream, lines: list[str]) -> None:
            pass

        spawned = asyncio.Event()

        async def on_spawn(pid: int, _age: float) -> None:
            pids.append(pid)
            spawned.set()

        task = asyncio.create_task(
            run_process(
                ["/bin/sh", "-c", "sleep 1000 & wait"],
                cwd=Path.cwd(),
                env=PATH_ENV,
                sink=sink,
                timeout=30,
                grace=0.5,
                on_spawn=on_spawn,
            )
        )
        await spawned.wait()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(main())
    wait_group_gone(pids[0])


# --- spawning in a thread -----------------------------------------------------------------


def test_spawn_in_a_thread_gives_the_same_result() -> None:
    async def main() -> tuple[ProcessResult, list[str], list[int]]:
        lines: list[str] = []
        spawned: list[int] = []

        def sink(stream: Stream, batch: list[str]) -> None:
            lines.extend(f"{stream}:{line}" for line in batch)

        async def on_spawn(pid: int, _age: float) -> None:
            spawned.append(pid)

        with ThreadPoolExecutor(2) as threads:
            result = await run_process(
                ["/bin/sh", "-c", "echo out; echo err >&2; exit 4"],
                cwd=Path.cwd(),
                env=PATH_ENV,
                sink=sink,
                timeout=10,
                on_spawn=on_spawn,
                spawn_in=threads,
            )
        return result, lines, spawned

    result, lines, spawned = asyncio.run(main())
    assert result.exit_code == 4 and result.pid == spawned[0]
    assert sorted(lines) == ["stderr:err", "stdout:out"]


def test_spawn_failure_in_a_thread_is_reported() -> None:
    async def main() -> ProcessResult:
        with ThreadPoolExecutor(1) as threads:
            return await run_process(
                ["/nonexistent/sh", "-c", "true"],
                cwd=Path.cwd(),
                env=PATH_ENV,
                sink=lambda _s, _l: None,
                timeout=10,
                spawn_in=threads,
            )

    result = asyncio.run(main())
    assert result.exit_code == -1 and result.pid is None
    assert result.spawn_error is not None and "/nonexistent/sh" in result.spawn_error


class GatedThreads(Executor):
    """Runs each call in a thread of its own once `gate` is set; keeps the futures."""

    def __init__(self) -> None:
        self.gate = threading.Event()
        self.futures: list[Future[Any]] = []

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        future: Future[Any] = Future()

        def work() -> None:
            self.gate.wait()
            try:
                future.set_result(fn(*args, **kwargs))
            except BaseException as exc:
                future.set_exception(exc)

        threading.Thread(target=work).start()
        self.futures.append(future)
        return future


def test_cancelled_while_the_thread_spawns_the_child_is_killed_and_reaped() -> None:
    threads = GatedThreads()

    async def main() -> int:
        task = asyncio.create_task(
            run_process(
                ["/bin/sh", "-c", "sleep 1000 & sleep 1000"],
                cwd=Path.cwd(),
                env=PATH_ENV,
                sink=lambda _s, _l: None,
                timeout=30,
                spawn_in=threads,
            )
        )
        await asyncio.sleep(0)  # the task runs up to waiting for its spawn
        assert len(threads.futures) == 1
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        threads.gate.set()  # the spawn happens after its caller gave up
        spawned = await asyncio.wrap_future(threads.futures[0])
        proc = spawned.proc
        deadline = time.monotonic() + 5
        while proc.returncode is None:  # reaped by the loop's exit watch
            assert time.monotonic() < deadline, "the abandoned child was never reaped"
            await asyncio.sleep(0.02)
        return proc.pid

    pid = asyncio.run(main())
    wait_group_gone(pid)


def threaded(argv: Sequence[str], timeout: float = 10.0) -> Run:
    """`run` with the child spawned (and briefly watched) in a thread, as the executor does."""

    async def main() -> Run:
        lines: dict[Stream, list[str]] = {}
        batches: list[int] = []
        spawned: list[int] = []

        def sink(stream: Stream, batch: list[str]) -> None:
            lines.setdefault(stream, []).extend(batch)
            batches.append(len(batch))

        async def on_spawn(pid: int, age: float) -> None:
            assert 0 <= age < 5
            spawned.append(pid)

        with ThreadPoolExecutor(2) as threads:
            result = await run_process(
                argv,
                cwd=Path.cwd(),
                env=PATH_ENV,
                sink=sink,
                timeout=timeout,
                grace=0.5,
                on_spawn=on_spawn,
                spawn_in=threads,
            )
        return Run(result, lines, batches, spawned)

    return asyncio.run(main())


def test_a_spawning_thread_watches_a_short_child_to_the_end() -> None:
    started = spawn(
        ["/bin/sh", "-c", "echo hi; echo err >&2; exit 3"], None, Path.cwd(), PATH_ENV, 5.0
    )
    assert started.finished and started.returncode == 3
    assert started.fds == [None, None]  # read to EOF and closed by the thread
    out = b"".join(chunk for index, chunk in started.early if index == 0)
    err = b"".join(chunk for index, chunk in started.early if index == 1)
    assert (out, err) == (b"hi\n", b"err\n")
    assert [chunk for _, chunk in started.early].count(b"") == 2  # both EOFs, in order


def test_the_loop_takes_over_a_child_the_thread_let_go() -> None:
    """What the thread read and what the loop reads join up: a line cut across the handover
    arrives whole, in order, per stream."""
    r = threaded(
        ["/bin/sh", "-c", "printf 'early\\npar'; echo e >&2; sleep 0.3; echo tial; echo f >&2"]
    )
    assert r.result.exit_code == 0
    assert r.out == ["early", "partial"]
    assert r.err == ["e", "f"]


def test_output_past_the_threads_buffer_is_all_delivered_in_order() -> None:
    n = 200_000
    r = threaded(["/bin/sh", "-c", f"seq 1 {n} & seq 1 {n} >&2; wait"])
    expected = [str(i) for i in range(1, n + 1)]
    assert r.result.exit_code == 0
    assert r.out == expected and r.err == expected


def test_a_timeout_shorter_than_the_threads_watch_still_kills() -> None:
    r = threaded(["/bin/sh", "-c", "sleep 1000 & sleep 1000"], timeout=0.005)
    assert r.result.timed_out and r.result.exit_code == -1
    wait_group_gone(r.spawned[0])


def test_on_spawn_failing_after_a_thread_spawn_takes_the_group_down_promptly() -> None:
    pids: list[int] = []

    async def main() -> None:
        async def on_spawn(pid: int, _age: float) -> None:
            pids.append(pid)
            raise RuntimeError("store is down")

        with ThreadPoolExecutor(1) as threads:
            await run_process(
                ["/bin/sh", "-c", "sleep 1000 & sleep 1000"],
                cwd=Path.cwd(),
                env=PATH_ENV,
                sink=lambda _s, _l: None,
                timeout=30,
                grace=0.5,
                on_spawn=on_spawn,
                spawn_in=threads,
            )

    start = time.monotonic()
    with pytest.raises(RuntimeError, match="store is down"):
        asyncio.run(main())
    assert time.monotonic() - start < 2.5  # not REAP + DRAIN (3 s) waited out in vain
    wait_group_gone(pids[0])
