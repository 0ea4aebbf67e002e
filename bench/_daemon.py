"""Shared by the daemon benchmarks: a temp project, `husky start`/`husky stop`, /proc readings.

    with project(yaml_text) as daemon:
        pid = daemon.start()
        run_id = daemon.client.post("/api/jobs/x/run")["run_id"]

Leaving the block runs `husky stop`, then SIGKILLs every daemon pid this project started
that is still alive, then deletes the directory: nothing is left running.
"""

from __future__ import annotations

import contextlib
import math
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

from husky.cli.client import DaemonClient
from husky.daemon.pidfile import pid_alive, read_pid

TERMINAL = {"SUCCESS", "FAILED", "CANCELLED", "SKIPPED"}


class Daemon:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.data = root / ".husky"
        self.started: list[int] = []
        self.client = DaemonClient(self.data / "husky.sock", timeout=30.0)

    def husky(self, *args: str, timeout: float = 120.0) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "husky", *args],
            cwd=self.root,
            capture_output=True,
            text=True,
            timeout=timeout,
            stdin=subprocess.DEVNULL,
            check=False,
        )

    def start(self) -> int:
        """`husky start`; returns the daemon's pid once its socket answers."""
        result = self.husky("start")
        if result.returncode != 0 or not result.stdout.startswith("daemon started (pid "):
            raise RuntimeError(f"husky start failed: {result.stdout}{result.stderr}{self.log()}")
        pid = int(result.stdout.split("(pid ", 1)[1].split(")", 1)[0])
        self.started.append(pid)
        self.wait_ready()
        return pid

    def wait_ready(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while not ((self.data / "api.addr").exists() and self.client.ping(timeout=1.0)):
            if time.monotonic() > deadline:
                raise RuntimeError(f"daemon not ready after {timeout}s\n{self.log()}")
            time.sleep(0.01)

    def stop(self, timeout: float = 30.0) -> None:
        """`husky stop`, then wait for every started pid to exit; SIGKILL what remains."""
        pid = read_pid(self.data / "husky.pid")  # ours even if `husky start` said nothing
        if pid is not None and pid not in self.started and pid_alive(pid):
            self.started.append(pid)
        if any(pid_alive(pid) for pid in self.started):
            self.husky("stop", timeout=timeout)
        deadline = time.monotonic() + timeout
        for pid in self.started:
            while pid_alive(pid) and time.monotonic() < deadline:
                time.sleep(0.02)
            if pid_alive(pid):
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)

    def kill(self) -> None:
        for pid in self.started:
            if pid_alive(pid):
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)

    def log(self) -> str:
        try:
            return (self.data / "huskyd.log").read_text()
        except OSError:
            return ""


@contextlib.contextmanager
def project(
    husky_yaml: str, huskyd_yaml: str | None = None, *, root: Path | None = None
) -> Iterator[Daemon]:
    """A temp project dir holding `husky_yaml` (and `huskyd_yaml` as huskyd.yaml when
    given); its daemon is stopped (or killed) on exit. With `root`, the project lives
    there instead (created if missing) and is kept on exit, its data included."""
    keep = root is not None
    if root is None:
        root = Path(tempfile.mkdtemp(prefix="husky-bench-"))
    else:
        root.mkdir(parents=True, exist_ok=True)
    (root / "husky.yaml").write_text(husky_yaml, encoding="utf-8")
    if huskyd_yaml is not None:
        (root / "huskyd.yaml").write_text(huskyd_yaml, encoding="utf-8")
    daemon = Daemon(root)
    try:
        yield daemon
    finally:
        try:
            daemon.stop()
        finally:
            daemon.kill()
            if not keep:
                shutil.rmtree(root, ignore_errors=True)


# -- the runs table ---------------------------------------------------------------------


def parse_ts(text: str) -> datetime:
    """A stored timestamp (`YYYY-MM-DDTHH:MM:SS.mmmZ`, UTC) as an aware datetime."""
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def open_db(daemon: Daemon) -> sqlite3.Connection:
    """A reading connection to the project's .husky/husky.db (WAL: never blocks the daemon);
    rows are sqlite3.Row. Autocommit, so each query sees the latest commit."""
    conn = sqlite3.connect(daemon.data / "husky.db", timeout=10, isolation_level=None)
    conn.row_factory = sqlite3.Row
    return conn


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100) of a non-empty list."""
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


# -- /proc readings -------------------------------------------------------------------


def byte_compile_husky() -> None:
    """Compile husky's modules as `pip install` does, so start-up figures match an install
    (an editable install under PYTHONDONTWRITEBYTECODE=1 would recompile on every start)."""
    import compileall

    import husky

    compileall.compile_dir(Path(husky.__file__).parent, quiet=1)


def rss_mb(pid: int) -> float:
    """VmRSS of `pid` in MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for {pid}")


def cpu_seconds(pid: int) -> float:
    """utime + stime of the whole process (all threads) from /proc/<pid>/stat."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    fields = stat[stat.rfind(")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def cpu_ns(pid: int) -> int:
    """On-CPU time of every thread in ns (/proc/<pid>/task/*/schedstat): finer than ticks."""
    total = 0
    for task in Path(f"/proc/{pid}/task").iterdir():
        with contextlib.suppress(OSError):
            total += int((task / "schedstat").read_text().split()[0])
    return total


def context_switches(pid: int) -> dict[str, int]:
    """Voluntary + nonvoluntary context switches per thread name (summed over same names)."""
    out: dict[str, int] = {}
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            lines = (task / "status").read_text().splitlines()
        except OSError:
            continue
        fields = dict(line.split(":", 1) for line in lines if ":" in line)
        name = f"{fields['Name'].strip()}[{task.name}]"
        out[name] = int(fields["voluntary_ctxt_switches"]) + int(
            fields["nonvoluntary_ctxt_switches"]
        )
    return out


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"
