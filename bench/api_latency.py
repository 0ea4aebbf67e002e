"""Benchmark: API latency under 20 concurrent clients against a big store.

The store is written straight into `.husky/husky.db` before the daemon starts (sqlite3
`executemany`, 1,000,000-row transactions): 1,000 jobs (their job_state rows too),
1,000,000 runs and 10,000,000 log lines — the newest run of each job is chatty (5,005
lines), every other run has 5. Then the real daemon starts on it and, for each
endpoint in turn, 20 clients (one httpx AsyncClient each, over TCP, no pause between
requests) send `--requests` requests each after a warm-up:

    GET /api/jobs                       all 1,000 job summaries
    GET /api/audit?limit=100            the newest 100 runs
    GET /api/runs/{id}/logs?limit=500   500 lines of a random chatty run

Latency is measured by the client, from sending to the body read. Target, per
endpoint: p99 < 50 ms. Also printed: p50, max, requests/s, the bytes of one body, and
CPU per request of the daemon (all its threads, from /proc) and of the clients. The
same 20 clients on GET /api/status (the cheapest route) go first: the harness floor,
what the clients and the HTTP stack cost before any endpoint does work.

    python bench/api_latency.py [--jobs 1000] [--runs 1000000] [--requests 50]
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import random
import resource
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from _daemon import Daemon, cpu_ns, percentile, project, verdict

from husky.store.sqlite_schema import connect

TARGET_P99_MS = 50.0
CLIENTS = 20
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


def fill(db_path: Path, jobs: int, runs: int) -> tuple[list[int], int]:
    """Write the history; returns the chatty run ids and the number of log lines."""
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
    lines = (runs - jobs) * QUIET_LINES + jobs * CHATTY_LINES
    return list(range(chatty_from, runs + 1)), lines


@dataclass
class Result:
    latencies: list[float]  # seconds, after warm-up
    wall: float  # seconds for the measured part
    size: int  # bytes of one body
    server_ms: float  # daemon CPU (all threads) per request
    client_ms: float  # this process's CPU per request


async def hammer(base: str, paths: list[str], requests: int, warmup: int, pid: int) -> Result:
    """CLIENTS clients, each `warmup` + `requests` GETs of random `paths`, back to back."""
    latencies: list[float] = []
    size = 0
    ready = asyncio.Event()
    waiting = [CLIENTS]

    async def client(seed: int) -> None:
        nonlocal size
        rng = random.Random(seed)
        limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
        async with httpx.AsyncClient(base_url=base, timeout=30.0, limits=limits) as http:
            for i in range(warmup + requests):
                if i == warmup:  # everybody warm before the clock starts
                    waiting[0] -= 1
                    if waiting[0] == 0:
                        ready.set()
                    await ready.wait()
                t0 = time.perf_counter()
                response = await http.get(rng.choice(paths))
                body = response.content
                elapsed = time.perf_counter() - t0
                if response.status_code != 200:
                    raise RuntimeError(
                        f"{response.request.url}: {response.status_code} {body[:200]!r}"
                    )
                if i >= warmup:
                    latencies.append(elapsed)
                    size = len(body)

    tasks = [asyncio.create_task(client(seed)) for seed in range(CLIENTS)]
    await ready.wait()
    start, server0, client0 = time.perf_counter(), cpu_ns(pid), own_cpu()
    await asyncio.gather(*tasks)
    wall = time.perf_counter() - start
    n = len(latencies)
    server_ms = (cpu_ns(pid) - server0) / n / 1e6
    return Result(latencies, wall, size, server_ms, (own_cpu() - client0) / n * 1000)


def own_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def line(name: str, r: Result) -> str:
    p50, p99 = percentile(r.latencies, 50) * 1000, percentile(r.latencies, 99) * 1000
    return (
        f"  {name:<34} p50 {p50:6.1f} ms  p99 {p99:6.1f} ms  max {max(r.latencies) * 1000:6.1f} ms"
        f"  {len(r.latencies) / r.wall:4.0f} req/s  CPU/req server {r.server_ms:5.2f} ms"
        f" client {r.client_ms:4.2f} ms  {r.size:,} B"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=50, help="per client and endpoint")
    parser.add_argument("--warmup", type=int, default=5, help="per client and endpoint")
    args = parser.parse_args()

    with project(jobs_yaml(args.jobs)) as daemon:
        daemon.data.mkdir(mode=0o700)
        t0 = time.perf_counter()
        chatty, lines = fill(daemon.data / "husky.db", args.jobs, args.runs)
        generated = time.perf_counter() - t0
        size_mb = (daemon.data / "husky.db").stat().st_size / 2**20
        print(
            f"api_latency: {args.jobs:,} jobs, {args.runs:,} runs, {lines:,} log lines"
            f" ({size_mb:,.0f} MB) written in {generated:.1f} s"
        )
        measure(daemon, chatty, args.requests, args.warmup)


def measure(daemon: Daemon, chatty: list[int], requests: int, warmup: int) -> None:
    t0 = time.perf_counter()
    pid = daemon.start()
    print(f"  daemon ready in {time.perf_counter() - t0:.1f} s")
    base = "http://" + (daemon.data / "api.addr").read_text().strip()
    print(f"  {CLIENTS} clients x {requests} requests per endpoint, after {warmup} warm-up each")
    floor = asyncio.run(hammer(base, ["/api/status"], requests, warmup, pid))
    print(line("(harness floor: GET /api/status)", floor))
    endpoints = {
        "GET /api/jobs": ["/api/jobs"],
        "GET /api/audit?limit=100": ["/api/audit?limit=100"],
        "GET /api/runs/{id}/logs?limit=500": [f"/api/runs/{r}/logs?limit=500" for r in chatty],
    }
    for name, paths in endpoints.items():
        result = asyncio.run(hammer(base, paths, requests, warmup, pid))
        ok = percentile(result.latencies, 99) * 1000 < TARGET_P99_MS
        print(f"{line(name, result)}  target p99 < {TARGET_P99_MS:.0f} ms  -> {verdict(ok)}")


if __name__ == "__main__":
    main()
