"""Benchmark: what an idle daemon with 1,000 jobs costs (CPU, wakeups, memory).

`--mode mix` (default, 1,000 jobs): a mix of `manual`, `every:1h` and `daily` at a time
far from now, so nothing fires during the window.
`--mode far` (issue 4, 10,000 jobs): every job auto-scheduled far ahead, half `daily`
and half `monthly`, both at a time 12 h from now; the API is up. Also measured: loaded
= time from invoking `husky start` until `.husky/api.addr` exists and GET /api/status
answers over TCP (the daemon has parsed, validated and scheduled every job by then),
median of `--starts` starts; the idle window follows the last one.

After start and `--settle` seconds, over `--seconds`:
CPU = utime+stime of the whole process (/proc/<pid>/stat), also shown from the finer
per-thread schedstat; wakeups = increase of voluntary+nonvoluntary context switches
summed over /proc/<pid>/task/*/status; RSS = VmRSS at the end.

Targets: CPU <= 30 ms/min; wakeups <= 1/s; RSS < 100 MB (mix); loaded <= 2 s (far).

    python bench/idle.py [--mode mix|far] [--jobs 1000|10000] [--seconds 20] [--settle 2] [--starts 3]
"""

from __future__ import annotations

import argparse
import statistics
import time
from datetime import datetime, timedelta

from _daemon import (
    byte_compile_husky,
    context_switches,
    cpu_ns,
    cpu_seconds,
    project,
    rss_mb,
    verdict,
)

TARGET_CPU_MS_PER_MIN, TARGET_WAKEUPS, TARGET_RSS_MB, TARGET_LOADED_S = 30.0, 1.0, 100.0, 2.0
DEFAULT_JOBS = {"mix": 1000, "far": 10_000}


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


def far_jobs_yaml(jobs: int) -> str:
    """Every job auto-scheduled 12 h from now: even ones `daily`, odd ones `monthly`."""
    far = (datetime.now() + timedelta(hours=12)).strftime("%H%M")
    lines = ['version: "1"', "jobs:"]
    for i in range(jobs):
        lines += [
            f"  job{i:05d}:",
            f"    description: far job {i}",
            f"    command: echo {i}",
            f"    frequency: {'monthly' if i % 2 else 'daily'}",
            f'    time: "{far}"',
        ]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mode", choices=["mix", "far"], default="mix")
    parser.add_argument("--jobs", type=int, help="default 1,000 (mix) or 10,000 (far)")
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--settle", type=float, default=2.0)
    parser.add_argument("--starts", type=int, default=3, help="far: median of this many starts")
    args = parser.parse_args()
    jobs = args.jobs if args.jobs is not None else DEFAULT_JOBS[args.mode]
    byte_compile_husky()

    yaml = far_jobs_yaml(jobs) if args.mode == "far" else jobs_yaml(jobs)
    loaded: float | None = None
    starts: list[float] = []
    with project(yaml) as daemon:
        if args.mode == "far":
            from startup import time_start  # `husky start` -> TCP /api/status answers

            for i in range(args.starts):
                if i:
                    daemon.stop()
                starts.append(time_start(daemon))
            loaded = statistics.median(starts)
            pid = daemon.started[-1]
            scheduled = len(daemon.client.get("/api/jobs"))
            if scheduled != jobs:
                raise SystemExit(f"the API lists {scheduled} jobs, expected {jobs}")
        else:
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
    kind = "daily/monthly 12 h ahead" if args.mode == "far" else "manual/every:1h/daily"
    print(f"idle ({args.mode}): {jobs} jobs ({kind}), {len(cs1)} threads, window {window:.1f} s")
    if loaded is not None:
        print(
            f"  loaded {loaded:.2f} s (median of {args.starts}: {', '.join(f'{x:.2f}' for x in starts)};"
            " husky start -> TCP /api/status answers)"
            f"  target <= {TARGET_LOADED_S:.0f} s  -> {verdict(loaded <= TARGET_LOADED_S)}"
        )
    print(
        f"  CPU {cpu_ms_min:.1f} ms/min (schedstat {fine_ms_min:.1f} ms/min)"
        f"  target <= {TARGET_CPU_MS_PER_MIN:.0f} ms/min  -> {verdict(cpu_ms_min <= TARGET_CPU_MS_PER_MIN)}"
    )
    print(
        f"  wakeups {wakeups:.2f}/s ({busiest or 'none'})"
        f"  target <= {TARGET_WAKEUPS:.0f}/s  -> {verdict(wakeups <= TARGET_WAKEUPS)}"
    )
    if args.mode == "far":  # the RSS target is mix's; here the API has listed 10,000 jobs
        print(f"  RSS {rss:.1f} MB  (info, after GET /api/jobs; the < 100 MB target is mix's)")
    else:
        print(
            f"  RSS {rss:.1f} MB  target < {TARGET_RSS_MB:.0f} MB  -> {verdict(rss < TARGET_RSS_MB)}"
        )


if __name__ == "__main__":
    main()
