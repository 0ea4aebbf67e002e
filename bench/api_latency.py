"""Benchmark: API latency under 20 concurrent clients against a big store.

The store is written straight into `.husky/husky.db` before the daemon starts (sqlite3
`executemany`, 1,000,000-row transactions): 1,000 jobs (their job_state rows too),
1,000,000 runs and 10,000,000 log lines — the newest run of each job is chatty (5,005
lines), every other run has 5. Then the real daemon starts on it and, for each
endpoint in turn, wrk keeps 20 keep-alive connections busy (a new request as soon as
a response is read) for a warm-up, then for `--seconds` measured:

    GET /api/jobs                       all 1,000 job summaries
    GET /api/audit?limit=100            the newest 100 runs
    GET /api/runs/{id}/logs?limit=500   500 lines of a random chatty run

Latency is wrk's, from writing a request to reading its whole response. Target, per
endpoint: p99 < 50 ms. Also printed: p50, max, requests/s, the bytes of one body, CPU
per request of the daemon (all its threads, from /proc) and of wrk, and the 1-minute
load average. The same run on GET /api/status (the cheapest route) goes first: the
floor, what the HTTP stack costs before any endpoint does work.

The load generator is wrk (C, one thread, epoll; ~0.05 ms CPU per request) so that
the clients are not the bottleneck on a small machine, as one Python process of
httpx clients (~2 ms CPU per request) was. Install it first: `apt-get install -y wrk`
(Debian/Ubuntu) or `brew install wrk`; the bench stops at once when it is missing.
`api_latency.lua` (next to this file) picks the paths and reports the figures.

    python bench/api_latency.py [--jobs 1000] [--runs 1000000] [--seconds 10]
                                [--warmup 2] [--store DIR]

`--store DIR` keeps the project in DIR and reuses its store on the next run with the
same `--jobs`/`--runs` (writing it takes minutes).
"""

from __future__ import annotations

import argparse
import itertools
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from _daemon import Daemon, cpu_ns, project, verdict

from husky.store.sqlite_schema import connect

TARGET_P99_MS = 50.0
CLIENTS = 20
WRK_TIMEOUT_S = 30  # wrk leaves slower responses out of its latencies: count them instead
LUA_SCRIPT = Path(__file__).with_name("api_latency.lua")
CHATTY_LINES, QUIET_LINES = 5005, 5
BATCH = 1_000_000  # rows per transaction
STATUSES = ("SUCCESS",) * 8 + ("FAILED", "SKIPPED")
TRIGGERS = ("schedule", "schedule", "manual", "dependency")


def jobs_yaml(jobs: int) -> str:
    """Half the jobs manual, half daily 12 h from now (nothing fires during the run)."""
    far = (datetime.now() + timedelta(hours=12)).strftime("%H%M")
    lines = ['version: "1"', "jobs:"]
    for i in range(jobs):
        lines += [
            f"  job{i:04d}:",
            f"    description: benchmark job {i}",
            f"    command: echo {i}",
            f"    tags: [team{i % 10}, bench]",
        ]
        if i % 2:
            lines += ["    frequency: daily", f'    time: "{far}"']
        else:
            lines.append("    frequency: manual")
    return "\n".join(lines) + "\n"


def ts(at: datetime) -> str:
    return at.isoformat(timespec="milliseconds")[:23] + "Z"


def chunks(rows: Iterator[tuple[object, ...]]) -> Iterator[Iterator[tuple[object, ...]]]:
    """`rows` in consecutive chunks of BATCH (one transaction each), never all in memory."""
    while True:
        first = next(rows, None)
        if first is None:
            return
        yield itertools.chain((first,), itertools.islice(rows, BATCH - 1))


def fill(db_path: Path, jobs: int, runs: int) -> None:
    """Write the history: `runs` runs of `jobs` jobs and their log lines."""
    names = [f"job{i:04d}" for i in range(jobs)]
    start = datetime.now(UTC) - timedelta(seconds=runs * 2)
    chatty_from = runs - jobs + 1  # the newest run of every job

    def run_rows() -> Iterator[tuple[object, ...]]:
        for rid in range(1, runs + 1):
            created = start + timedelta(seconds=rid * 2)
            status = STATUSES[rid % len(STATUSES)]
            yield (
                rid,
                names[rid % jobs],
                status,
                None
                if status == "SUCCESS"
                else ("exit code 1" if status == "FAILED" else "job is paused"),
                TRIGGERS[rid % len(TRIGGERS)],
                "scheduler",
                "nightly backfill" if rid % 97 == 0 else None,
                ts(created + timedelta(milliseconds=3)),
                ts(created + timedelta(seconds=1)),
                1 if status == "FAILED" else 0,
                ts(created),
                str(uuid.UUID(int=rid)),
            )

    def log_rows() -> Iterator[tuple[object, ...]]:
        line = "x" * 40
        for rid in range(1, runs + 1):
            at = ts(start + timedelta(seconds=rid * 2, milliseconds=500))
            count = CHATTY_LINES if rid >= chatty_from else QUIET_LINES
            for seq in range(1, count + 1):
                yield (rid, seq, "stdout" if seq % 7 else "stderr", f"{line} {rid}:{seq}", at)

    conn = connect(db_path)  # Husky's schema, WAL
    conn.execute("PRAGMA synchronous = OFF")
    insert_run = (
        "INSERT INTO job_runs (id, job_name, status, status_reason, attempt, trigger,"
        " triggered_by, reason, started_at, finished_at, exit_code, sla_breached, created_at,"
        " cycle_id) VALUES (?, ?, ?, ?, 1, ?, ?, ?, ?, ?, ?, 0, ?, ?)"
    )
    insert_log = "INSERT INTO run_logs (run_id, seq, stream, line, ts) VALUES (?, ?, ?, ?, ?)"
    for sql, rows in ((insert_run, run_rows()), (insert_log, log_rows())):
        for chunk in chunks(rows):
            conn.execute("BEGIN")
            conn.executemany(sql, chunk)
            conn.execute("COMMIT")
    now = ts(datetime.now(UTC))
    conn.execute("BEGIN")
    conn.executemany(
        "INSERT INTO job_state (job_name, last_success, last_failure, last_status)"
        " VALUES (?, ?, ?, 'SUCCESS')",
        [(name, now, ts(start)) for name in names],
    )
    conn.execute("COMMIT")
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()


@dataclass
class Result:
    requests: int
    seconds: float  # the measured part
    p50_ms: float
    p99_ms: float
    max_ms: float
    size: int  # bytes of one body
    server_ms: float  # daemon CPU (all threads) per request
    client_ms: float  # wrk's CPU per request


def require_wrk() -> str:
    """wrk's path; exits with how to install it when it is not on PATH."""
    found = shutil.which("wrk")
    if found is None:
        sys.exit(
            "api_latency: wrk not found on PATH. It is the load generator (C, one thread,"
            " 20 keep-alive connections); install it first:\n"
            "    Debian/Ubuntu: apt-get install -y wrk\n"
            "    macOS:         brew install wrk"
        )
    return found


def run_wrk(wrk: str, base: str, paths_file: Path, seconds: float) -> dict[str, int]:
    """One wrk run; its figures (`husky-bench` lines printed by the Lua script)."""
    result = subprocess.run(
        [
            wrk,
            "-t1",
            f"-c{CLIENTS}",
            f"-d{seconds:g}s",
            f"--timeout={WRK_TIMEOUT_S}s",
            "-s",
            str(LUA_SCRIPT),
            base,
            "--",
            str(paths_file),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    figures = {
        key: int(value)
        for _, key, value in (
            line.split() for line in result.stdout.splitlines() if line.startswith("husky-bench ")
        )
    }
    if result.returncode != 0 or "requests" not in figures:
        raise RuntimeError(f"wrk failed ({result.returncode}): {result.stdout}{result.stderr}")
    if figures["not_ok"] or figures["socket_errors"] or figures["timeouts"]:
        raise RuntimeError(
            f"{paths_file.read_text().splitlines()[0]}: {figures['not_ok']} responses other"
            f" than 200, {figures['socket_errors']} socket errors, {figures['timeouts']}"
            f" timeouts (> {WRK_TIMEOUT_S} s)"
        )
    return figures


def measure_paths(
    wrk: str, base: str, paths: list[str], seconds: float, warmup: float, pid: int
) -> Result:
    """`warmup` seconds of wrk (discarded), then `seconds` measured."""
    with tempfile.NamedTemporaryFile("w", suffix=".paths", delete=False) as handle:
        handle.write("\n".join(paths) + "\n")
    paths_file = Path(handle.name)
    try:
        if warmup > 0:
            run_wrk(wrk, base, paths_file, warmup)
        server0, client0 = cpu_ns(pid), children_cpu()
        figures = run_wrk(wrk, base, paths_file, seconds)
        server_ns, client_s = cpu_ns(pid) - server0, children_cpu() - client0
    finally:
        paths_file.unlink()
    n = figures["requests"]
    return Result(
        requests=n,
        seconds=figures["duration_us"] / 1e6,
        p50_ms=figures["p50_us"] / 1000,
        p99_ms=figures["p99_us"] / 1000,
        max_ms=figures["max_us"] / 1000,
        size=figures["body_bytes"],
        server_ms=server_ns / n / 1e6,
        client_ms=client_s / n * 1000,
    )


def children_cpu() -> float:
    """User + system CPU seconds of every finished child (wrk) so far."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def line(name: str, r: Result) -> str:
    load = os.getloadavg()[0]
    return (
        f"  {name:<34} p50 {r.p50_ms:6.1f} ms  p99 {r.p99_ms:6.1f} ms  max {r.max_ms:6.1f} ms"
        f"  {r.requests / r.seconds:5.0f} req/s ({r.requests:,})  CPU/req server"
        f" {r.server_ms:5.2f} ms client {r.client_ms:4.2f} ms  {r.size:,} B  load {load:.2f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=1_000_000)
    parser.add_argument("--seconds", type=float, default=10.0, help="measured, per endpoint")
    parser.add_argument("--warmup", type=float, default=2.0, help="seconds, per endpoint")
    parser.add_argument(
        "--store",
        type=Path,
        help="keep the project (and its big store) in this directory and reuse it on the"
        " next run with the same --jobs and --runs, instead of a temp dir",
    )
    args = parser.parse_args()
    wrk = require_wrk()
    with project(jobs_yaml(args.jobs), root=args.store) as daemon:
        stamp = daemon.root / "bench-store.txt"
        wanted = f"jobs={args.jobs} runs={args.runs}"
        t0 = time.perf_counter()
        reused = stamp.exists() and stamp.read_text() == wanted
        if not reused:
            shutil.rmtree(daemon.data, ignore_errors=True)
            stamp.unlink(missing_ok=True)
            daemon.data.mkdir(mode=0o700)
            fill(daemon.data / "husky.db", args.jobs, args.runs)
            stamp.write_text(wanted)
        generated = time.perf_counter() - t0
        lines = (args.runs - args.jobs) * QUIET_LINES + args.jobs * CHATTY_LINES
        chatty = list(range(args.runs - args.jobs + 1, args.runs + 1))
        size_mb = (daemon.data / "husky.db").stat().st_size / 2**20
        print(
            f"api_latency: {args.jobs:,} jobs, {args.runs:,} runs, {lines:,} log lines"
            f" ({size_mb:,.0f} MB) " + ("reused" if reused else f"written in {generated:.1f} s")
        )
        measure(daemon, wrk, chatty, args.seconds, args.warmup)


def measure(daemon: Daemon, wrk: str, chatty: list[int], seconds: float, warmup: float) -> None:
    t0 = time.perf_counter()
    pid = daemon.start()
    print(f"  daemon ready in {time.perf_counter() - t0:.1f} s")
    base = "http://" + (daemon.data / "api.addr").read_text().strip()
    print(
        f"  wrk, {CLIENTS} connections (one thread), {seconds:g} s per endpoint after"
        f" {warmup:g} s warm-up; load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs"
    )
    floor = measure_paths(wrk, base, ["/api/status"], seconds, warmup, pid)
    print(line("(floor: GET /api/status)", floor))
    endpoints = {
        "GET /api/jobs": ["/api/jobs"],
        "GET /api/audit?limit=100": ["/api/audit?limit=100"],
        "GET /api/runs/{id}/logs?limit=500": [f"/api/runs/{r}/logs?limit=500" for r in chatty],
    }
    for name, paths in endpoints.items():
        result = measure_paths(wrk, base, paths, seconds, warmup, pid)
        ok = result.p99_ms < TARGET_P99_MS
        print(f"{line(name, result)}  target p99 < {TARGET_P99_MS:.0f} ms  -> {verdict(ok)}")


if __name__ == "__main__":
    main()
