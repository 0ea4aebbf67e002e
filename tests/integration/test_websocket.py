"""`/ws/logs/{run_id}` against the real daemon, with a real WebSocket client (api.md §7)."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from tests.integration.daemon_helpers import Project

YAML = """
version: "1"
jobs:
  slow:
    description: prints a line every 0.3 s
    frequency: manual
    command: "for i in 1 2 3 4; do echo line $i; sleep 0.3; done; echo oops >&2"
  checked:
    description: healthcheck output is hidden unless asked for
    frequency: manual
    command: "echo main"
    healthcheck:
      command: "echo probe"
  chatty:
    description: 100,000 lines in bursts of 1,000
    frequency: manual
    command: >-
      python3 -c "import sys, time;
      [(sys.stdout.write(''.join(f'line {b * 1000 + i}\\n' for i in range(1, 1001))),
      sys.stdout.flush(), time.sleep(0.02)) for b in range(100)]"
"""


def ws_url(project: Project, path: str) -> str:
    addr = (project.data / "api.addr").read_text().strip()
    return f"ws://{addr}{path}"


async def frames_of(url: str, on_open: Any = None) -> list[dict[str, Any]]:
    """Every frame until the server closes the connection."""
    out = []
    async with connect(url, max_size=None, ping_interval=None, open_timeout=10) as ws:
        if on_open is not None:
            on_open()
        async for message in ws:
            out.append(json.loads(message))
    return out


def collect(url: str, on_open: Any = None) -> list[dict[str, Any]]:
    return asyncio.run(asyncio.wait_for(frames_of(url, on_open), timeout=60))


@pytest.fixture
def daemon(project: Project) -> Project:
    project.write(YAML)
    project.start()
    return project


def test_a_running_job_is_followed_live_then_ended(daemon: Project) -> None:
    run_id = daemon.run_job("slow")
    arrivals: list[float] = []

    async def follow() -> list[dict[str, Any]]:
        out = []
        async with connect(ws_url(daemon, f"/ws/logs/{run_id}"), ping_interval=None) as ws:
            async for message in ws:
                arrivals.append(time.monotonic())
                out.append(json.loads(message))
        return out

    frames = asyncio.run(asyncio.wait_for(follow(), timeout=30))
    logs = [f for f in frames if f["type"] == "log"]
    assert [f["line"] for f in logs] == ["line 1", "line 2", "line 3", "line 4", "oops"]
    assert [f["stream"] for f in logs] == ["stdout"] * 4 + ["stderr"]
    assert [f["seq"] for f in logs] == [1, 2, 3, 4, 5]
    assert set(logs[0]) == {"type", "run_id", "seq", "stream", "line", "ts"}
    assert all(f["run_id"] == run_id for f in logs)
    datetime.fromisoformat(logs[0]["ts"].replace("Z", "+00:00"))
    assert frames[-1] == {"type": "end", "run_id": run_id, "status": "SUCCESS"}
    # Live, not delivered at the end in one go: the lines arrived spread over the run.
    assert arrivals[3] - arrivals[0] > 0.5


def test_a_finished_run_gives_backfill_then_end_at_once(daemon: Project) -> None:
    run_id = daemon.run_job("slow")
    daemon.wait_run(run_id)
    started = time.monotonic()
    frames = collect(ws_url(daemon, f"/ws/logs/{run_id}"))
    assert time.monotonic() - started < 2.0
    assert [f.get("line") for f in frames[:-1]] == ["line 1", "line 2", "line 3", "line 4", "oops"]
    assert frames[-1] == {"type": "end", "run_id": run_id, "status": "SUCCESS"}


def test_healthcheck_lines_only_when_asked_for(daemon: Project) -> None:
    run_id = daemon.run_job("checked")
    daemon.wait_run(run_id)
    plain = collect(ws_url(daemon, f"/ws/logs/{run_id}"))
    assert [(f["stream"], f["line"]) for f in plain if f["type"] == "log"] == [("stdout", "main")]
    full = collect(ws_url(daemon, f"/ws/logs/{run_id}?include_healthcheck=true"))
    assert [(f["stream"], f["line"]) for f in full if f["type"] == "log"] == [
        ("stdout", "main"),
        ("healthcheck", "probe"),
    ]


def test_unknown_run_ends_with_a_reason(daemon: Project) -> None:
    assert collect(ws_url(daemon, "/ws/logs/999999")) == [
        {"type": "end", "reason": "run not found"}
    ]


@pytest.mark.parametrize("bad", ["abc", "0", "9223372036854775808"])
def test_bad_run_id_is_refused_before_the_upgrade(daemon: Project, bad: str) -> None:
    with pytest.raises(InvalidStatus) as refused:
        collect(ws_url(daemon, f"/ws/logs/{bad}"))
    response = refused.value.response
    assert response.status_code == 400
    assert json.loads(response.body) == {"error": "invalid run id"}


def test_plain_http_on_the_websocket_path(daemon: Project) -> None:
    with daemon.api() as client:
        assert client.post("/ws/logs/1").status_code == 405
        assert client.post("/ws/logs/1").json() == {"error": "method not allowed"}
        assert client.get("/ws/logs/abc").json() == {"error": "invalid run id"}
        assert client.get("/ws/logs/1").status_code == 426
        assert client.get("/ws/nothing").json() == {"error": "not found"}


def wall_time(run: dict[str, Any]) -> float:
    started = datetime.fromisoformat(run["started_at"].replace("Z", "+00:00"))
    finished = datetime.fromisoformat(run["finished_at"].replace("Z", "+00:00"))
    return (finished - started).total_seconds()


def test_twenty_followers_of_a_chatty_run_get_every_line_without_slowing_it(
    daemon: Project,
) -> None:
    alone = wall_time(daemon.wait_run(daemon.run_job("chatty"), timeout=60))

    run_id = daemon.run_job("chatty")
    url = ws_url(daemon, f"/ws/logs/{run_id}")
    crowd = subprocess.run(
        ["nice", "-n", "19", sys.executable, "-m", "tests.integration.ws_crowd", url, "20"],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
        cwd=Path(__file__).parents[2],
    )
    followed = wall_time(daemon.wait_run(run_id))
    summaries = [json.loads(line) for line in crowd.stdout.splitlines()]
    assert len(summaries) == 20
    for summary in summaries:
        assert summary == {
            "lines": 100_000,
            "in_order": True,
            "last_line": "line 100000",
            "end": {"type": "end", "run_id": run_id, "status": "SUCCESS"},
        }
    assert followed < alone * 1.2, f"alone {alone:.2f} s, with 20 followers {followed:.2f} s"
