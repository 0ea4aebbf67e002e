"""Benchmark: log ingestion of one job printing 1,000,000 lines of ~100 bytes.

Rate = lines / (finished_at - started_at) of the run; afterwards every line must be in
run_logs. Baseline in the same run: plain sqlite3 `executemany` of the same rows into a
fresh WAL database with Husky's schema (synchronous=NORMAL), 1,000 rows a transaction.
The daemon's VmRSS is sampled every 100 ms during the run; growth = max - idle before.

Targets: rate >= 100,000 lines/s AND >= 0.7x baseline; RSS growth < 50 MB.

    python bench/log_ingest.py [--lines 1000000]
"""

from __future__ import annotations

import argparse
import shlex
import sqlite3
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from _daemon import TERMINAL, project, rss_mb, verdict

from husky.store.sqlite_schema import connect

TARGET_RATE, TARGET_RATIO, TARGET_RSS_MB = 100_000, 0.7, 50.0
PAYLOAD = "x" * 96
PRINTER = "import sys; sys.stdout.writelines('%s%%d\\n' %% i for i in range(%d))"


def job_yaml(lines: int) -> str:
    command = shlex.join([sys.executable, "-c", PRINTER % (PAYLOAD, lines)])
    return f"""\
version: "1"
jobs:
  flood:
    description: prints many lines
    frequency: manual
    command: |-
      {command}
"""


def baseline(lines: int, batch: int = 1000) -> float:
    """Lines/s of plain executemany into run_logs, `batch` rows per transaction."""
    with tempfile.TemporaryDirectory() as tmp:
        conn = connect(Path(tmp) / "baseline.db")  # Husky's schema, WAL, synchronous=NORMAL
        ts = datetime.now(UTC).isoformat(timespec="milliseconds")[:23] + "Z"
        insert = "INSERT INTO run_logs (run_id, seq, stream, line, ts) VALUES (?, ?, ?, ?, ?)"
        start = time.perf_counter()
        for first in range(0, lines, batch):
            rows = [(1, i + 1, "stdout", f"{PAYLOAD}{i}", ts) for i in range(first, first + batch)]
            conn.execute("BEGIN IMMEDIATE")
            conn.executemany(insert, rows)
            conn.execute("COMMIT")
        elapsed = time.perf_counter() - start
        conn.close()
    return lines / elapsed


def seconds_between(a: str, b: str) -> float:
    return (datetime.fromisoformat(b) - datetime.fromisoformat(a)).total_seconds()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=1_000_000)
    args = parser.parse_args()

    base_rate = baseline(args.lines)
    with project(job_yaml(args.lines)) as daemon:
        pid = daemon.start()
        time.sleep(1.0)
        idle = rss_mb(pid)
        peak = idle
        start = time.perf_counter()
        run_id = daemon.client.post("/api/jobs/flood/run")["run_id"]
        while (run := daemon.client.get(f"/api/runs/{run_id}"))["status"] not in TERMINAL:
            peak = max(peak, rss_mb(pid))
            time.sleep(0.1)
        client_wall = time.perf_counter() - start
        with sqlite3.connect(daemon.data / "husky.db") as db:
            count = "SELECT count(*) FROM run_logs WHERE run_id = ?"
            stored = db.execute(count, (run_id,)).fetchone()[0]
    if run["status"] != "SUCCESS":
        raise SystemExit(f"run ended {run['status']}: {run.get('status_reason')}")

    elapsed = seconds_between(run["started_at"], run["finished_at"])
    rate = args.lines / elapsed
    ratio = rate / base_rate
    growth = peak - idle
    rate_ok = rate >= TARGET_RATE and ratio >= TARGET_RATIO
    print(f"log_ingest: 1 run printing {args.lines:,} lines of ~{len(PAYLOAD) + 7} bytes")
    print(f"  run  started->finished {elapsed:.2f} s (client saw {client_wall:.2f} s)")
    print(f"  rows in run_logs {stored:,} of {args.lines:,} -> {verdict(stored == args.lines)}")
    print(f"  baseline executemany {base_rate:,.0f} lines/s")
    print(
        f"  husky {rate:,.0f} lines/s = {ratio:.2f}x baseline"
        f"  target >= {TARGET_RATE:,} lines/s and >= {TARGET_RATIO}x  -> {verdict(rate_ok)}"
    )
    print(
        f"  RSS idle {idle:.1f} MB, peak {peak:.1f} MB, growth {growth:.1f} MB"
        f"  target < {TARGET_RSS_MB:.0f} MB  -> {verdict(growth < TARGET_RSS_MB)}"
    )


if __name__ == "__main__":
    main()
