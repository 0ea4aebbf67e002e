"""Benchmark: daemon start-up, and `husky status` against a big history.

(a) Time from invoking `husky start` until `.husky/api.addr` exists and GET /api/status
    answers over TCP; median of `--starts`. Target <= 1.5 s.
(b) 1,000 jobs and 100,000 runs (1 log line each) written straight into the database
    the daemon created, then the whole CLI process `python -m husky status` timed
    against a bare `python -c pass`, median of `--repeat` each.
    Target <= 300 ms AND <= 5x bare Python.

    python bench/startup.py [--starts 5] [--repeat 10] [--jobs 1000] [--runs 100000]
"""

from __future__ import annotations

import argparse
import http.client
import sqlite3
import statistics
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta

from _daemon import Daemon, byte_compile_husky, project, verdict
from idle import jobs_yaml

TARGET_START, TARGET_STATUS, TARGET_STATUS_RATIO = 1.5, 0.300, 5.0
SMALL = 'version: "1"\njobs:\n  hello:\n    description: says hello\n    frequency: manual\n    command: echo hello\n'


def status_answers(daemon: Daemon) -> bool:
    try:
        host, _, port = (daemon.data / "api.addr").read_text().strip().rpartition(":")
        conn = http.client.HTTPConnection(host.strip("[]"), int(port), timeout=0.5)
        conn.request("GET", "/api/status")
        ok = conn.getresponse().status == 200
        conn.close()
        return ok
    except (OSError, ValueError, http.client.HTTPException):
        return False


def time_start(daemon: Daemon) -> float:
    """Seconds from spawning `husky start` until the TCP API answers /api/status."""
    start = time.perf_counter()
    cli = subprocess.Popen(
        [sys.executable, "-m", "husky", "start"],
        cwd=daemon.root,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    while not status_answers(daemon):
        if cli.poll() is not None and cli.returncode != 0:
            raise RuntimeError(f"husky start failed: {cli.stdout.read()}{daemon.log()}")
        if time.perf_counter() - start > 30:
            raise RuntimeError(f"no answer after 30 s\n{daemon.log()}")
        time.sleep(0.005)
    elapsed = time.perf_counter() - start
    out, _ = cli.communicate(timeout=30)
    daemon.started.append(int(out.split("(pid ", 1)[1].split(")", 1)[0]))
    return elapsed


def fill_history(db_path: str, jobs: list[str], runs: int) -> None:
    """`runs` finished runs round-robin over `jobs`, one log line each, plus job_state."""
    now = datetime.now(UTC)

    def ts(at: datetime) -> str:
        return at.isoformat(timespec="milliseconds")[:23] + "Z"

    run_rows, log_rows = [], []
    for i in range(runs):
        started = now - timedelta(seconds=(runs - i) * 60)
        failed = i % 10 == 0
        run_rows.append(
            (
                jobs[i % len(jobs)],
                "FAILED" if failed else "SUCCESS",
                "exit code 1" if failed else None,
                "schedule" if i % 4 else "manual",
                "scheduler" if i % 4 else "cli",
                ts(started),
                ts(started + timedelta(seconds=2)),
                1 if failed else 0,
                ts(started - timedelta(milliseconds=5)),
                str(uuid.UUID(int=i)),
            )
        )
        log_rows.append((i + 1, 1, "stdout", f"run {i} done", ts(started + timedelta(seconds=1))))
    with sqlite3.connect(db_path) as db:
        db.executemany(
            "INSERT INTO job_runs (job_name, status, status_reason, attempt, trigger,"
            " triggered_by, started_at, finished_at, exit_code, sla_breached, created_at,"
            " cycle_id) VALUES (?, ?, ?, 1, ?, ?, ?, ?, ?, 0, ?, ?)",
            run_rows,
        )
        db.executemany(
            "INSERT INTO run_logs (run_id, seq, stream, line, ts) VALUES (?, ?, ?, ?, ?)",
            log_rows,
        )
        db.executemany(
            "INSERT INTO job_state (job_name, last_success, last_failure, last_status)"
            " VALUES (?, ?, ?, 'SUCCESS') ON CONFLICT (job_name) DO UPDATE SET"
            " last_success = excluded.last_success, last_failure = excluded.last_failure,"
            " last_status = excluded.last_status",  # the daemon wrote each job's next_run
            [(name, ts(now), ts(now - timedelta(days=1))) for name in jobs],
        )


def median_wall(argv: list[str], cwd: str, repeat: int) -> float:
    timings = []
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run(argv, cwd=cwd, check=True, capture_output=True)
        timings.append(time.perf_counter() - start)
    return statistics.median(timings)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--starts", type=int, default=5)
    parser.add_argument("--repeat", type=int, default=10)
    parser.add_argument("--jobs", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=100_000)
    args = parser.parse_args()
    byte_compile_husky()

    starts = []
    with project(SMALL) as daemon:
        for _ in range(args.starts):
            starts.append(time_start(daemon))
            daemon.stop()
    start = statistics.median(starts)
    print(f"startup (a): `husky start` -> TCP /api/status answers, {args.starts} starts")
    print(
        f"  median {start:.3f} s (min {min(starts):.3f}, max {max(starts):.3f})"
        f"  target <= {TARGET_START} s  -> {verdict(start <= TARGET_START)}"
    )

    with project(jobs_yaml(args.jobs)) as daemon:
        daemon.start()
        daemon.stop()
        names = [f"job{i:04d}" for i in range(args.jobs)]
        fill_history(str(daemon.data / "husky.db"), names, args.runs)
        daemon.start()
        rows = daemon.husky("status").stdout.count("\n") - 1
        if rows != args.jobs:
            raise SystemExit(f"`husky status` listed {rows} jobs, expected {args.jobs}")
        root = str(daemon.root)
        status = median_wall([sys.executable, "-m", "husky", "status"], root, args.repeat)
        bare = median_wall([sys.executable, "-c", "pass"], root, args.repeat)
    ratio = status / bare
    ok = status <= TARGET_STATUS and ratio <= TARGET_STATUS_RATIO
    print(f"startup (b): `husky status`, {args.jobs} jobs, {args.runs:,} runs in history")
    print(f"  bare `python -c pass` median {bare * 1000:.0f} ms")
    print(
        f"  `husky status` median {status * 1000:.0f} ms = {ratio:.1f}x bare"
        f"  target <= {TARGET_STATUS * 1000:.0f} ms and <= {TARGET_STATUS_RATIO:.0f}x  -> {verdict(ok)}"
    )


if __name__ == "__main__":
    main()
