"""Benchmark: how late `every:1s` jobs start, and whether any fire is missed or doubled.

A fire's due instant is the whole second it belongs to: floor(created_at) (created_at
is when the dispatcher inserted the row, started_at when the process was spawned).
Lateness = started_at - due, from the schedule-triggered rows of .husky/husky.db.
At the end of the window every job is paused (POST /api/jobs/pause?tag=bench) so the
backlog can drain (up to `--drain` s) before the daemon stops; rows still not started
then count as not started, and their lateness as unbounded (they fail the target).
A row inserted a second or more after its due instant lands in the next second by
this definition, so a dispatcher that falls a second behind shows up as missed fires.
Also printed, for information: created_at - due (the dispatcher's share of lateness)
and, in (a), a floor: how long a bare Python loop takes to Popen as many jobs at once.

(a) light: `--light` jobs (20) of `true`, `every:1s`, for `--seconds` (30) s.
    p50/p99/max lateness; target p99 <= 10 ms. For each job, every second of the window
    (from the first whole second after start + `--settle`, to the last whole second
    before the pause) must hold exactly one scheduled run: none missed, none doubled.
(b) burst: `--burst` jobs (1,000) of `true`, `every:1s`, for `--burst-seconds` (10) s.
    0 missed (a job-second in the window, minus a 2 s grace at both ends, without a
    run) and p99 lateness bounded by `--burst` x bare spawn time, measured in the same
    run as `--burst` sequential `sh -c true`, each spawned as the daemon spawns a job
    (output piped, a new session) and waited for; median of 3.

    python bench/lateness.py [--seconds 30] [--light 20] [--burst 1000] [--burst-seconds 10]
                             [--settle 1] [--drain 60] [--only light|burst] [--pool-size N]
"""

from __future__ import annotations

import argparse
import math
import shutil
import statistics
import subprocess
import time
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from _daemon import (
    Daemon,
    byte_compile_husky,
    open_db,
    parse_ts,
    percentile,
    project,
    verdict,
)

TARGET_P99_MS = 10.0
GRACE = 2
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def jobs_yaml(jobs: int) -> str:
    lines = ['version: "1"', "jobs:"]
    for i in range(jobs):
        lines += [
            f"  tick{i:04d}:",
            f"    description: every-second job {i}",
            "    frequency: every:1s",
            '    command: "true"',
            "    tags: [bench]",
        ]
    return "\n".join(lines) + "\n"


def second_of(at: datetime) -> int:
    return math.floor((at - EPOCH).total_seconds())


@dataclass
class Window:
    jobs: int
    first: int  # first whole second (Unix) counted
    last: int  # last whole second counted
    late_ms: list[float]  # started_at - due of every counted run that started
    created_ms: list[float]  # created_at - due (the dispatcher's part)
    not_started: int  # counted runs with no started_at when the daemon stopped
    missed: int  # job-seconds without a run
    doubled: int  # job-seconds with more than one run
    failed: int  # counted runs not SUCCESS
    runs: int  # counted runs
    drained_s: float  # how long the backlog took to drain after the pause


def observe(
    jobs: int, seconds: float, settle: float, drain: float, grace: int, pool: int | None
) -> Window:
    huskyd = None if pool is None else f"executor:\n  pool_size: {pool}\n"
    with project(jobs_yaml(jobs), huskyd) as daemon:
        daemon.start()
        time.sleep(settle)
        begin = datetime.now(UTC)
        time.sleep(seconds)
        daemon.client.post("/api/jobs/pause?tag=bench")
        end = datetime.now(UTC)
        drained = wait_idle(daemon, drain)
        daemon.stop()
        db = open_db(daemon)
        try:
            rows = db.execute(
                "SELECT job_name, status, created_at, started_at FROM job_runs"
                " WHERE trigger = 'schedule'"
            ).fetchall()
        finally:
            db.close()
    first, last = second_of(begin) + 1 + grace, second_of(end) - 1 - grace
    per_second: Counter[tuple[str, int]] = Counter()
    w = Window(jobs, first, last, [], [], 0, 0, 0, 0, 0, drained)
    for row in rows:
        created = parse_ts(row["created_at"])
        due_s = second_of(created)
        if not first <= due_s <= last:
            continue
        per_second[(row["job_name"], due_s)] += 1
        w.runs += 1
        due = EPOCH + timedelta(seconds=due_s)
        w.created_ms.append((created - due).total_seconds() * 1000)
        if row["started_at"] is None:
            w.not_started += 1
        else:
            w.late_ms.append((parse_ts(row["started_at"]) - due).total_seconds() * 1000)
        if row["status"] != "SUCCESS":
            w.failed += 1
    for i in range(jobs):
        for s in range(first, last + 1):
            n = per_second[(f"tick{i:04d}", s)]
            w.missed += n == 0
            w.doubled += n > 1
    return w


def wait_idle(daemon: Daemon, limit: float) -> float:
    """Seconds until no run is PENDING or RUNNING (gives up after `limit`)."""
    start = time.monotonic()
    db = open_db(daemon)
    try:
        while time.monotonic() - start < limit:
            active = db.execute(
                "SELECT count(*) FROM job_runs WHERE status IN ('PENDING', 'RUNNING')"
            ).fetchone()[0]
            if not active:
                break
            time.sleep(0.1)
    finally:
        db.close()
    return time.monotonic() - start


def spawn_like_a_job() -> subprocess.Popen[bytes]:
    """`sh -c true` started as the daemon starts a job: stdin /dev/null, stdout and stderr
    piped, a session of its own."""
    return subprocess.Popen(
        ["sh", "-c", "true"],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )


def bare_spawns(n: int, repeat: int = 3) -> float:
    """Median seconds for a bare Python loop to run `n` `sh -c true` one after another,
    each spawned as the daemon spawns a job (stdin /dev/null, stdout and stderr piped and
    read, a new session) and waited for: what `n` runs cost without a scheduler."""
    spans = []
    for _ in range(repeat):
        start = time.perf_counter()
        for _ in range(n):
            spawn_like_a_job().communicate()
        spans.append(time.perf_counter() - start)
    return statistics.median(spans)


def floor_ms(n: int, repeat: int = 5) -> float:
    """Median ms for a bare Python loop to Popen `n` `sh -c true` back to back (pipes, new
    session, as the daemon spawns) - what starting `n` jobs due at once costs at least."""
    spans = []
    for _ in range(repeat):
        start = time.perf_counter()
        procs = [spawn_like_a_job() for _ in range(n)]
        spans.append((time.perf_counter() - start) * 1000)
        for proc in procs:
            proc.communicate()
    return statistics.median(spans)


def shell_floor_ms(n: int, repeat: int = 9) -> float:
    """Median ms for `sh` (C, no Python) to start `n` `true` processes in the background
    and reap them, less what `sh` alone costs: the machine's own floor for `n` spawns."""

    def span(script: str) -> float:
        start = time.perf_counter()
        subprocess.run(["sh", "-c", script], check=True)
        return (time.perf_counter() - start) * 1000

    true = shutil.which("true") or "/bin/true"
    spawns = " ".join(f"{true} &" for _ in range(n)) + " wait"
    return statistics.median(span(spawns) for _ in range(repeat)) - statistics.median(
        span(":") for _ in range(repeat)
    )


def p(values: list[float], q: float) -> float:
    return percentile(values, q) if values else float("nan")


def describe(w: Window) -> str:
    return (
        f"  window {w.last - w.first + 1} s x {w.jobs} jobs = {(w.last - w.first + 1) * w.jobs}"
        f" job-seconds; {w.runs} runs counted, {w.failed} not SUCCESS,"
        f" {w.not_started} never started; backlog drained in {w.drained_s:.1f} s\n"
        f"  created_at - due  p50 {p(w.created_ms, 50):.0f} ms  p99 {p(w.created_ms, 99):.0f} ms"
        f"  max {max(w.created_ms, default=float('nan')):.0f} ms  (dispatcher's share)"
    )


def p99_late(w: Window) -> float:
    """p99 lateness; a never-started run counts as infinitely late."""
    return p(w.late_ms + [math.inf] * w.not_started, 99)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=30.0, help="light window (s)")
    parser.add_argument("--light", type=int, default=20, help="jobs in (a)")
    parser.add_argument("--burst", type=int, default=1000, help="jobs in (b)")
    parser.add_argument("--burst-seconds", type=float, default=10.0, help="burst window (s)")
    parser.add_argument("--settle", type=float, default=1.0)
    parser.add_argument("--drain", type=float, default=60.0, help="max wait for the backlog")
    parser.add_argument("--only", choices=["light", "burst"])
    parser.add_argument("--pool-size", type=int, help="executor.pool_size (default: Husky's)")
    args = parser.parse_args()
    byte_compile_husky()

    if args.only != "burst":
        floor = floor_ms(args.light)
        sh_floor = shell_floor_ms(args.light)
        w = observe(args.light, args.seconds, args.settle, args.drain, 0, args.pool_size)
        late99 = p99_late(w)
        ok_sched = w.missed == 0 and w.doubled == 0
        print(
            f"lateness (a) light: {args.light} jobs every:1s for {args.seconds:.0f} s,"
            f" pool_size {args.pool_size or 'default'}"
        )
        print(describe(w))
        print(
            f"  floor (info): {args.light} back-to-back Popen in bare Python: last spawned"
            f" after {floor:.1f} ms (median of 5); from sh: {args.light} spawned and reaped"
            f" in {sh_floor:.1f} ms (median of 9)"
        )
        print(
            f"  started_at - due  p50 {p(w.late_ms, 50):.0f} ms  p99 {late99:.0f} ms"
            f"  max {max(w.late_ms, default=float('nan')):.0f} ms"
            f"  target p99 <= {TARGET_P99_MS:.0f} ms  -> {verdict(late99 <= TARGET_P99_MS)}"
        )
        print(f"  missed {w.missed}, doubled {w.doubled}  target 0 and 0  -> {verdict(ok_sched)}")

    if args.only != "light":
        bare = bare_spawns(args.burst)
        w = observe(args.burst, args.burst_seconds, args.settle, args.drain, GRACE, args.pool_size)
        late99 = p99_late(w)
        bound_ms = bare * 1000
        print(
            f"lateness (b) burst: {args.burst} jobs every:1s for {args.burst_seconds:.0f} s"
            f" ({GRACE} s grace at both ends), pool_size {args.pool_size or 'default'}"
        )
        print(describe(w))
        print(
            f"  missed {w.missed}, doubled {w.doubled}  target 0 missed  -> {verdict(w.missed == 0)}"
        )
        print(
            f"  started_at - due  p50 {p(w.late_ms, 50):.0f} ms  p99 {late99:.0f} ms"
            f"  max {max(w.late_ms, default=float('nan')):.0f} ms"
        )
        print(
            f"  bound: {args.burst} x bare spawn = {bound_ms:.0f} ms"
            f" ({bound_ms / args.burst:.2f} ms each: sequential, output piped, median of 3)"
            f"  p99 <= bound  -> {verdict(late99 <= bound_ms)}"
        )


if __name__ == "__main__":
    main()
