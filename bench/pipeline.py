"""Benchmark: `after:` pipelines of `true` jobs, two executing at once (executor.pool_size 2).

Two DAGs, each in its own daemon:
  chain  j01 (manual) <- j02 after:j01 <- ... <- j50            (50 jobs)
  fan    root (manual) <- m001..m100 after:root <- sink         (102 jobs)
         sink is `after:m001` with depends_on [m002..m100]: Husky's join; it must run
         exactly once per cycle, after every m### finished.
The root is triggered with POST /api/jobs/<root>/run on the Unix socket; the bench then
polls .husky/husky.db until the last job's run of that cycle is terminal. Wall time =
last finished_at of the cycle - the instant just before the POST. ms/job = wall / jobs.

Baseline in the same run: `make -j2` on a generated Makefile with the same DAG (phony
targets, each recipe `sh -c true`), wall time of the whole `make` process.
Each DAG `--repeat` times (fresh cycle each, same daemon), each husky cycle right after
one make run so both see the same machine load; the medians are reported.

Target: husky ms/job <= 3x make's ms/job.

    python bench/pipeline.py [--repeat 3] [--chain 50] [--fan 100] [--poll 0.02] [--timeout 60]
"""

from __future__ import annotations

import argparse
import itertools
import shutil
import sqlite3
import statistics
import subprocess
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from _daemon import TERMINAL, Daemon, byte_compile_husky, open_db, parse_ts, project, verdict

TARGET_RATIO = 3.0
HUSKYD = "executor:\n  pool_size: 2\n"
MAKE = "/usr/bin/make"


@dataclass(frozen=True)
class Dag:
    """A DAG as `name -> (after_target or None, extra depends_on)`, in written order."""

    label: str
    root: str
    last: str
    jobs: dict[str, tuple[str | None, list[str]]]


def chain(n: int) -> Dag:
    names = [f"j{i:02d}" for i in range(1, n + 1)]
    jobs: dict[str, tuple[str | None, list[str]]] = {names[0]: (None, [])}
    for prev, name in itertools.pairwise(names):
        jobs[name] = (prev, [])
    return Dag(f"chain of {n}", names[0], names[-1], jobs)


def fan(n: int) -> Dag:
    mids = [f"m{i:03d}" for i in range(1, n + 1)]
    jobs: dict[str, tuple[str | None, list[str]]] = {"root": (None, [])}
    for name in mids:
        jobs[name] = ("root", [])
    jobs["sink"] = (mids[0], mids[1:])
    return Dag(f"fan 1->{n}->1", "root", "sink", jobs)


def husky_yaml(dag: Dag) -> str:
    lines = ['version: "1"', "jobs:"]
    for name, (after, deps) in dag.jobs.items():
        lines += [f"  {name}:", f"    description: {dag.label} node", '    command: "true"']
        lines.append(f"    frequency: after:{after}" if after else "    frequency: manual")
        if deps:
            lines.append(f"    depends_on: [{', '.join(deps)}]")
    return "\n".join(lines) + "\n"


def makefile(dag: Dag) -> str:
    lines = [f".PHONY: {' '.join(dag.jobs)}", f"all: {dag.last}"]
    for name, (after, deps) in dag.jobs.items():
        prereqs = ([after] if after else []) + deps
        lines += [f"{name}: {' '.join(prereqs)}".rstrip(), "\tsh -c true"]
    return "\n".join(lines) + "\n"


def make_wall(makedir: Path) -> float:
    """Seconds for one whole `make -j2` of the generated Makefile in `makedir`."""
    start = time.perf_counter()
    subprocess.run([MAKE, "-s", "-j2", "-C", str(makedir)], check=True, capture_output=True)
    return time.perf_counter() - start


@dataclass(frozen=True)
class Cycle:
    wall: float  # seconds, trigger -> last finished_at
    problems: list[str]


def run_cycle(
    db: sqlite3.Connection, daemon: Daemon, dag: Dag, poll: float, timeout: float
) -> Cycle:
    """Trigger the root, poll the runs table every `poll` s until the last job is terminal.
    The figure comes from the rows' timestamps, so `poll` only costs CPU, not accuracy."""
    triggered = datetime.now(UTC)
    run_id = daemon.client.post(f"/api/jobs/{dag.root}/run")["run_id"]
    cycle_id = db.execute("SELECT cycle_id FROM job_runs WHERE id = ?", (run_id,)).fetchone()[0]
    deadline = time.monotonic() + timeout
    sql = "SELECT * FROM job_runs WHERE cycle_id = ? ORDER BY id"
    sql_last = "SELECT status FROM job_runs WHERE cycle_id = ? AND job_name = ?"
    while True:
        time.sleep(poll)
        last = db.execute(sql_last, (cycle_id, dag.last)).fetchall()
        if last and all(r["status"] in TERMINAL for r in last):
            time.sleep(0.05)  # a second look: a join may have been recorded twice
            runs = db.execute(sql, (cycle_id,)).fetchall()
            break
        if time.monotonic() > deadline:
            runs = db.execute(sql, (cycle_id,)).fetchall()
            done = sum(r["status"] in TERMINAL for r in runs)
            return Cycle(
                float("nan"), [f"timeout: {done}/{len(runs)} runs terminal, no {dag.last}"]
            )
    problems = check(dag, runs)
    finished = max(parse_ts(r["finished_at"]) for r in runs if r["finished_at"])
    return Cycle((finished - triggered).total_seconds(), problems)


def check(dag: Dag, runs: list[sqlite3.Row]) -> list[str]:
    """Each job exactly once and SUCCESS; the last job started after all its upstreams ended."""
    problems = []
    by_job: dict[str, list[sqlite3.Row]] = {}
    for r in runs:
        by_job.setdefault(r["job_name"], []).append(r)
    for name in dag.jobs:
        got = by_job.get(name, [])
        if len(got) != 1:
            statuses = ", ".join(f"{r['status']}({r['status_reason'] or ''})" for r in got)
            problems.append(f"{name} ran {len(got)}x [{statuses}]")
        elif got[0]["status"] != "SUCCESS":
            problems.append(f"{name} {got[0]['status']}: {got[0]['status_reason']}")
    last = by_job.get(dag.last, [])
    after, deps = dag.jobs[dag.last]
    ups = [u for u in [after, *deps] if u]
    if len(last) == 1 and last[0]["started_at"]:
        started = parse_ts(last[0]["started_at"])
        early = [
            u
            for u in ups
            if not by_job.get(u)
            or by_job[u][0]["finished_at"] is None
            or parse_ts(by_job[u][0]["finished_at"]) > started
        ]
        if early:
            problems.append(
                f"{dag.last} started before {len(early)} upstream(s) ended: {early[:5]}"
            )
    return problems


def bench(
    dag: Dag, repeat: int, poll: float, timeout: float
) -> tuple[list[float], list[float], list[str]]:
    """`repeat` rounds of (make, then one husky cycle), interleaved so that both see the
    same machine load. Returns husky walls, make walls and the problems found."""
    walls: list[float] = []
    base: list[float] = []
    problems: list[str] = []
    makedir = Path(tempfile.mkdtemp(prefix="husky-bench-make-"))
    try:
        (makedir / "Makefile").write_text(makefile(dag), encoding="utf-8")
        make_wall(makedir)  # warm-up: page cache, make's first start
        with project(husky_yaml(dag), HUSKYD) as daemon:
            daemon.start()
            db = open_db(daemon)
            try:
                for i in range(repeat):
                    base.append(make_wall(makedir))
                    cycle = run_cycle(db, daemon, dag, poll, timeout)
                    walls.append(cycle.wall)
                    problems += [f"rep {i + 1}: {p}" for p in cycle.problems]
            finally:
                db.close()
    finally:
        shutil.rmtree(makedir, ignore_errors=True)
    return walls, base, problems


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--chain", type=int, default=50)
    parser.add_argument("--fan", type=int, default=100)
    parser.add_argument("--poll", type=float, default=0.02, help="DB poll interval (s)")
    parser.add_argument("--timeout", type=float, default=60.0, help="per cycle (s)")
    args = parser.parse_args()
    if not Path(MAKE).exists():
        raise SystemExit(f"{MAKE} not found: the baseline needs GNU make")
    byte_compile_husky()

    for dag in (chain(args.chain), fan(args.fan)):
        n = len(dag.jobs)
        walls, base, problems = bench(dag, args.repeat, args.poll, args.timeout)
        husky_ms = statistics.median(walls) / n * 1000
        make_ms = statistics.median(base) / n * 1000
        ratio = husky_ms / make_ms
        ok = ratio <= TARGET_RATIO and not problems
        print(f"pipeline: {dag.label} ({n} jobs of `true`), pool_size 2, median of {args.repeat}")
        print(
            f"  husky  {statistics.median(walls) * 1000:8.1f} ms = {husky_ms:6.2f} ms/job"
            f"  (runs: {', '.join(f'{w * 1000:.0f}' for w in walls)} ms)"
        )
        print(
            f"  make   {statistics.median(base) * 1000:8.1f} ms = {make_ms:6.2f} ms/job"
            f"  (make -j2, sh -c true; runs: {', '.join(f'{w * 1000:.0f}' for w in base)} ms)"
        )
        for p in problems[:10]:
            print(f"  problem: {p}")
        if len(problems) > 10:
            print(f"  ... {len(problems) - 10} more problem(s)")
        print(
            f"  ratio  {ratio:.2f}x make  target <= {TARGET_RATIO:.0f}x"
            f"{'' if not problems else ' and every job once, SUCCESS'}  -> {verdict(ok)}"
        )


if __name__ == "__main__":
    main()
