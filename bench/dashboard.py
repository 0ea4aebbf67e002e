"""Benchmark: the dashboard with 1,000 jobs and 100,000 runs, in headless Chromium.

(a) Jobs view: from navigation start until the list of 1,000 jobs is on screen (the app's
    `husky:jobs-rendered` mark: data fetched, rows in sight rendered; the table is
    windowed), median of `--repeat` fresh page loads. Target < 1 s.
(b) Log viewer: a run that printed 100,000 lines; time until every line is loaded, how
    many rows the DOM holds, then frame times while scrolling through all of it, at a
    wheel's pace (120 px a frame) and in long jumps (3,000 px a frame), after one
    warm-up pass (the first pass pays for JIT compilation and the load's garbage).
    Target: p95 frame <= 33 ms (30 fps) at a wheel's pace, < 200 rows in the DOM.

Needs Debian's chromium and the playwright package (`.ci/run` installs both).

    python bench/dashboard.py [--jobs 1000] [--runs 100000] [--lines 100000] [--repeat 5]
"""

from __future__ import annotations

import argparse
import sqlite3
import statistics
import time
from typing import Any

from _daemon import project, verdict
from idle import jobs_yaml
from playwright.sync_api import Page, sync_playwright
from startup import fill_history

TARGET_JOBS_MS, TARGET_FRAME_P95_MS, TARGET_DOM_ROWS = 1000.0, 33.0, 200
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCROLL = """async ([step, limit]) => {
  const box = document.querySelector('.log');
  box.scrollTop = 0;
  await new Promise((r) => requestAnimationFrame(r));
  const frames = [];
  let last = performance.now();
  while (box.scrollTop + box.clientHeight < box.scrollHeight - 1 && frames.length < limit) {
    box.scrollTop += step;
    await new Promise((r) => requestAnimationFrame(r));
    const now = performance.now();
    frames.push(now - last);
    last = now;
  }
  return frames;
}"""


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q / 100 * len(ordered)))]


def jobs_view_ms(page: Page, url: str, jobs: int) -> float:
    page.goto(f"{url}/#/jobs")
    page.wait_for_selector(f'table.jobs[data-count="{jobs}"]', timeout=60_000)
    mark: Any = page.evaluate(
        "() => performance.getEntriesByName('husky:jobs-rendered')[0]?.startTime ?? null"
    )
    if mark is None:
        raise SystemExit("the jobs view set no husky:jobs-rendered mark")
    return float(mark)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=100_000)
    parser.add_argument("--lines", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    flood = (
        f"  flood:\n    description: prints {args.lines} lines\n"
        f"    frequency: manual\n    command: seq 1 {args.lines}\n"
    )
    with project(jobs_yaml(args.jobs) + flood) as daemon:
        daemon.start()
        daemon.stop()
        names = [f"job{i:04d}" for i in range(args.jobs)]
        with sqlite3.connect(daemon.data / "husky.db") as db:
            db.execute("DELETE FROM job_state")  # next_run rows the first start wrote
        fill_history(str(daemon.data / "husky.db"), names, args.runs)
        daemon.start()
        url = "http://" + (daemon.data / "api.addr").read_text().strip()
        run_id = daemon.client.post("/api/jobs/flood/run")["run_id"]
        deadline = time.monotonic() + 120
        while daemon.client.get(f"/api/runs/{run_id}")["status"] != "SUCCESS":
            if time.monotonic() > deadline:
                raise SystemExit("the flood run did not finish")
            time.sleep(0.1)

        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS
            )
            viewport = {"width": 1280, "height": 900}
            timings = []
            for _ in range(args.repeat):
                page = browser.new_page(viewport=viewport)  # type: ignore[arg-type]
                timings.append(jobs_view_ms(page, url, args.jobs + 1))
                page.close()
            jobs_ms = statistics.median(timings)

            page = browser.new_page(viewport=viewport)  # type: ignore[arg-type]
            started = time.perf_counter()
            page.goto(f"{url}/#/runs/{run_id}")
            page.wait_for_selector(".log-state[data-phase=ended]", timeout=120_000)
            loaded = time.perf_counter() - started
            count = page.inner_text(".log-count")
            rows = page.locator(".log .ln").count()
            page.evaluate(SCROLL, [120, 300])  # warm-up
            wheel: list[float] = page.evaluate(SCROLL, [120, 2000])
            jumps: list[float] = page.evaluate(SCROLL, [3000, 2000])
            browser.close()

    print(f"dashboard (a): jobs view, {args.jobs + 1} jobs, {args.runs:,} runs in history")
    print(
        f"  navigation -> list on screen: median {jobs_ms:.0f} ms"
        f" (min {min(timings):.0f}, max {max(timings):.0f}, {args.repeat} loads)"
        f"  target < {TARGET_JOBS_MS:.0f} ms  -> {verdict(jobs_ms < TARGET_JOBS_MS)}"
    )
    print(f"dashboard (b): log viewer, a run of {args.lines:,} lines")
    print(f"  every line loaded in {loaded:.2f} s (counter shows {count}); {rows} rows in the DOM")
    for name, frames in (("wheel pace, 120 px/frame", wheel), ("jumps, 3000 px/frame", jumps)):
        print(
            f"  scroll, {name}: {len(frames)} frames, p50 {pct(frames, 50):.1f} ms,"
            f" p95 {pct(frames, 95):.1f} ms, max {max(frames):.1f} ms"
        )
    ok = pct(wheel, 95) <= TARGET_FRAME_P95_MS and rows < TARGET_DOM_ROWS
    print(
        f"  target: wheel-pace p95 <= {TARGET_FRAME_P95_MS:.0f} ms and < {TARGET_DOM_ROWS}"
        f" rows in the DOM  -> {verdict(ok)}"
    )


if __name__ == "__main__":
    main()
