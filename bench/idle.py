"""Benchmark: what an idle daemon with 1,000 jobs costs (CPU, wakeups, memory).

The jobs are a mix of `manual`, `every:1h` and `daily` at a time far from now, so
nothing fires during the window. After start and `--settle` seconds, over `--seconds`:
CPU = utime+stime of the whole process (/proc/<pid>/stat), also shown from the finer
per-thread schedstat; wakeups = increase of voluntary+nonvoluntary context switches
summed over /proc/<pid>/task/*/status; RSS = VmRSS at the end.

Targets: CPU <= 30 ms/min; wakeups <= 1/s; RSS < 100 MB.

    python bench/idle.py [--jobs 1000] [--seconds 20] [--settle 2]
"""

from __future__ import annotations

import argparse
import time
from datetime import datetime, timedelta

from _daemon import context_switches, cpu_ns, cpu_seconds, project, rss_mb, verdict

TARGET_CPU_MS_PER_MIN, TARGET_WAKEUPS, TARGET_RSS_MB = 30.0, 1.0, 100.0


def jobs_yaml(jobs: int) -> str:
    """Every third job manual, every third `every:1h`, every third daily 12 h from now."""
    far = (datetime.now() + timedelta(hours=12)).strftime("%H%M")
    lines = ['version: "1"', "jobs:"]
    for i in range(jobs):
        lines += [f"  job{i:04d}:", f"    description: idle job {i}", f"    command: echo {i}"]
        kind = i % 3
        if kind == 0:
            lines.append("    frequency: manual")
        elif kind == 1:
            lines.append("    frequency: every:1h")
        else:
            lines += ["    frequency: daily", f'    time: "{far}"']
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=1000)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--settle", type=float, default=2.0)
    args = parser.parse_args()

    with project(jobs_yaml(args.jobs)) as daemon:
        pid = daemon.start()
        time.sleep(args.settle)
        cpu0, ns0, cs0 = cpu_seconds(pid), cpu_ns(pid), context_switches(pid)
        start = time.monotonic()
        time.sleep(args.seconds)
        window = time.monotonic() - start
        cpu1, ns1, cs1 = cpu_seconds(pid), cpu_ns(pid), context_switches(pid)
        rss = rss_mb(pid)

    cpu_ms_min = (cpu1 - cpu0) * 1000 * 60 / window
    fine_ms_min = (ns1 - ns0) / 1e6 * 60 / window
    woke = {name: cs1[name] - cs0.get(name, 0) for name in cs1}
    wakeups = sum(woke.values()) / window
    busiest = ", ".join(f"{n} {c}" for n, c in sorted(woke.items(), key=lambda x: -x[1]) if c)
    print(f"idle: {args.jobs} jobs, {len(cs1)} threads, window {window:.1f} s")
    print(
        f"  CPU {cpu_ms_min:.1f} ms/min (schedstat {fine_ms_min:.1f} ms/min)"
        f"  target <= {TARGET_CPU_MS_PER_MIN:.0f} ms/min  -> {verdict(cpu_ms_min <= TARGET_CPU_MS_PER_MIN)}"
    )
    print(
        f"  wakeups {wakeups:.2f}/s ({busiest or 'none'})"
        f"  target <= {TARGET_WAKEUPS:.0f}/s  -> {verdict(wakeups <= TARGET_WAKEUPS)}"
    )
    print(f"  RSS {rss:.1f} MB  target < {TARGET_RSS_MB:.0f} MB  -> {verdict(rss < TARGET_RSS_MB)}")


if __name__ == "__main__":
    main()
