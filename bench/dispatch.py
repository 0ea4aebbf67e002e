"""Benchmark: dispatch overhead of manual runs of a `true` job, two in flight.

Two client threads each loop: POST /api/jobs/noop/run on the Unix socket, then wait
until the run is terminal (`--wait follow`, the default: read /api/runs/{id}/follow,
which ends at the terminal status; `--wait poll`: GET /api/runs/{id} every
`--interval` s). Baseline in the same run: the same number of bare `sh -c true`
spawns through subprocess, two threads.

Target: per-run overhead = husky wall/run - baseline wall/run < 3 ms.
Also printed: median created_at -> started_at of the runs (dispatch latency).

    python bench/dispatch.py [--runs 1000] [--wait follow|poll] [--interval 0.001]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import threading
import time
from collections.abc import Callable
from datetime import datetime

from _daemon import TERMINAL, Daemon, project, verdict

TARGET_MS = 3.0
YAML = """\
version: "1"
jobs:
  noop:
    description: does nothing
    frequency: manual
    command: "true"
"""


def two_threads(total: int, one: Callable[[], object]) -> float:
    """Wall seconds for `total` calls of `one`, split over two threads."""

    def loop(n: int) -> None:
        for _ in range(n):
            one()

    threads = [threading.Thread(target=loop, args=(n,)) for n in (total // 2, total - total // 2)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return time.perf_counter() - start


def husky_run(daemon: Daemon, wait: str, interval: float, ids: list[int]) -> None:
    run_id = daemon.client.post("/api/jobs/noop/run")["run_id"]
    ids.append(run_id)
    if wait == "follow":
        frames = list(daemon.client.stream(f"/api/runs/{run_id}/follow"))
        if frames[-1].get("status") not in TERMINAL:
            raise RuntimeError(f"run {run_id}: follow ended with {frames[-1]}")
        return
    while daemon.client.get(f"/api/runs/{run_id}")["status"] not in TERMINAL:
        time.sleep(interval)


def ms_between(a: str, b: str) -> float:
    return (datetime.fromisoformat(b) - datetime.fromisoformat(a)).total_seconds() * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1000)
    parser.add_argument("--wait", choices=["follow", "poll"], default="follow")
    parser.add_argument("--interval", type=float, default=0.001, help="poll interval (s)")
    args = parser.parse_args()

    base = two_threads(args.runs, lambda: subprocess.run(["sh", "-c", "true"], check=True))
    with project(YAML) as daemon:
        daemon.start()
        two_threads(20, lambda: husky_run(daemon, args.wait, args.interval, []))  # warm-up
        ids: list[int] = []
        wall = two_threads(args.runs, lambda: husky_run(daemon, args.wait, args.interval, ids))
        runs = [daemon.client.get(f"/api/runs/{i}") for i in ids]
    if len(runs) != args.runs:
        raise SystemExit(f"only {len(runs)} of {args.runs} runs were submitted")
    failed = [r for r in runs if r["status"] != "SUCCESS"]
    if failed:
        raise SystemExit(f"{len(failed)} run(s) did not succeed, e.g. {failed[0]}")

    husky_ms, base_ms = wall / args.runs * 1000, base / args.runs * 1000
    overhead = husky_ms - base_ms
    dispatch = statistics.median(ms_between(r["created_at"], r["started_at"]) for r in runs)
    execute = statistics.median(ms_between(r["started_at"], r["finished_at"]) for r in runs)
    print(f"dispatch: {args.runs} runs of `true`, 2 in flight, wait={args.wait}")
    print(f"  husky     {wall:7.2f} s  = {husky_ms:6.2f} ms/run ({args.runs / wall:.0f} runs/s)")
    print(f"  baseline  {base:7.2f} s  = {base_ms:6.2f} ms/run (bare `sh -c true`, 2 threads)")
    print(f"  median created->started {dispatch:.1f} ms, started->finished {execute:.1f} ms")
    print(
        f"  overhead  {overhead:6.2f} ms/run  target < {TARGET_MS:.0f} ms"
        f"  -> {verdict(overhead < TARGET_MS)}"
    )


if __name__ == "__main__":
    main()
