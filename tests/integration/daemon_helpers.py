"""Driving a real daemon in a temporary project: the `husky` command and its HTTP API."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import httpx

from husky.daemon.pidfile import pid_alive, read_pid

T = TypeVar("T")
TERMINAL = {"SUCCESS", "FAILED", "CANCELLED", "SKIPPED", "RETRYING"}


def wait_for(
    check: Callable[[], T],
    *,
    timeout: float = 20.0,
    interval: float = 0.05,
    what: str = "condition",
) -> T:
    """Poll `check` until it returns something truthy; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)


@dataclass
class Project:
    """A temp directory with a husky.yaml, where the tests run `husky` as a user would."""

    root: Path
    started_pids: list[int] = field(default_factory=list)

    @property
    def data(self) -> Path:
        return self.root / ".husky"

    def write(self, text: str, name: str = "husky.yaml") -> Path:
        path = self.root / name
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
        return path

    def husky(self, *args: str, timeout: float = 60.0) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "husky", *args],
            cwd=self.root,
            capture_output=True,
            text=True,
            timeout=timeout,
            stdin=subprocess.DEVNULL,
        )

    def start(self) -> int:
        result = self.husky("start")
        assert result.returncode == 0, result.stderr + self.daemon_log()
        assert result.stdout.startswith("daemon started (pid "), result.stdout
        pid = int(result.stdout.split("(pid ", 1)[1].split(")", 1)[0])
        self.started_pids.append(pid)
        wait_for(lambda: (self.data / "api.addr").exists(), what="api.addr")
        return pid

    def daemon_log(self) -> str:
        try:
            return (self.data / "huskyd.log").read_text()
        except OSError:
            return ""

    def pid(self) -> int | None:
        return read_pid(self.data / "husky.pid")

    def api(self) -> httpx.Client:
        addr = (self.data / "api.addr").read_text().strip()
        return httpx.Client(base_url=f"http://{addr}", timeout=10.0)

    def get(self, path: str) -> Any:
        with self.api() as client:
            response = client.get(path)
            response.raise_for_status()
            return response.json()

    def run_job(self, job: str, reason: str | None = None) -> int:
        body = {"reason": reason} if reason else None
        with self.api() as client:
            response = client.post(f"/api/jobs/{job}/run", json=body)
        assert response.status_code == 202, response.text
        return int(response.json()["run_id"])

    def wait_run(
        self, run_id: int, *, timeout: float = 30.0, status: set[str] | None = None
    ) -> dict[str, Any]:
        wanted = status or TERMINAL

        def done() -> dict[str, Any] | None:
            run: dict[str, Any] = self.get(f"/api/runs/{run_id}")
            return run if run["status"] in wanted else None

        return wait_for(done, timeout=timeout, what=f"run {run_id} to reach {sorted(wanted)}")

    def stop_all(self) -> None:
        """Stop every daemon this project started (by pid), then any stray job groups."""
        for pid in self.started_pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + 15
        for pid in self.started_pids:
            while pid_alive(pid) and time.monotonic() < deadline:
                time.sleep(0.05)
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
