"""The kept /api/jobs summaries cost what they encode, not orjson's output buffers."""

from __future__ import annotations

import tracemalloc
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import orjson

from husky.api.job_list import JobList
from husky.config.load import load_config

JOBS = 2000


def _runtime(tmp_path: Path) -> Any:
    lines = ['version: "1"', "jobs:"]
    for i in range(JOBS):
        lines += [
            f"  job{i:04d}:",
            f"    description: job {i}",
            "    frequency: manual",
            f"    command: echo {i}",
        ]
    path = tmp_path / "husky.yaml"
    path.write_text("\n".join(lines) + "\n")
    config = load_config(path, read_dotenv=False)
    # Only what JobList.body reads of the daemon's Runtime.
    return SimpleNamespace(
        config=config,
        job_states=SimpleNamespace(version=0),
        next_runs={},
        executor=SimpleNamespace(active={}),
        paused=set(),
    )


def test_kept_summaries_are_sized_to_their_text(tmp_path: Path) -> None:
    rt = _runtime(tmp_path)
    job_list = JobList()
    tracemalloc.start()
    try:
        body = job_list.body(rt, {}, None)
        kept, _peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    summaries = orjson.loads(body)
    assert [s["name"] for s in summaries][:2] == ["job0000", "job0001"]
    assert len(summaries) == JOBS
    per_job = (kept - 2 * len(body)) / JOBS  # the body itself is kept (and returned) too
    assert per_job < 1024, f"{per_job:.0f} bytes kept per job summary"
