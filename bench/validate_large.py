"""Benchmark: load, validate and topologically sort a generated 10,000-job husky.yaml.

The DAG is deep: job i runs `after:` job i-1 inside chains of 100, and every tenth
job also depends on a job of the previous chain, so the longest path crosses every
chain. Target (issue #2): under 2 s on one core for the whole pipeline.

    python bench/validate_large.py [--jobs N] [--repeat R]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from husky.config.load import load_config
from husky.dag import build_dag

TARGET_SECONDS = 2.0
FREQUENCIES = ["daily", "weekdays", "every:15m", "on:[monday, friday]", "hourly", "monthly"]


def generate(jobs: int, chain: int = 100) -> str:
    lines = ['version: "1"', "defaults:", "  timezone: Europe/Berlin", "  retries: 1", "jobs:"]
    for i in range(jobs):
        name = f"job{i:05d}"
        lines += [f"  {name}:", f"    description: generated job {i}", f"    command: echo {i}"]
        if i % chain:
            lines.append(f"    frequency: after:job{i - 1:05d}")
        else:
            frequency = FREQUENCIES[(i // chain) % len(FREQUENCIES)]
            lines.append(f"    frequency: {frequency}")
            if frequency in ("daily", "monthly"):
                lines.append('    time: "0230"')
        if i >= chain and i % 10 == 0:
            lines.append(f"    depends_on: [job{i - chain + 5:05d}]")
        lines += ["    tags: [generated, bench]", "    output:", "      result: last_line"]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "husky.yaml"
        path.write_text(generate(args.jobs), encoding="utf-8")
        size_kib = path.stat().st_size / 1024
        timings = []
        for _ in range(args.repeat):
            start = time.perf_counter()
            config = load_config(path)
            dag = build_dag(config)
            timings.append(time.perf_counter() - start)
        assert len(dag.order) == args.jobs
    best, median = min(timings), statistics.median(timings)
    verdict = "PASS" if median < TARGET_SECONDS else "FAIL"
    print(f"validate_large: {args.jobs} jobs ({size_kib:.0f} KiB), load+validate+toposort")
    print(f"  median {median:.3f} s  best {best:.3f} s  over {args.repeat} runs")
    print(f"  target < {TARGET_SECONDS:.1f} s  -> {verdict}")


if __name__ == "__main__":
    main()
