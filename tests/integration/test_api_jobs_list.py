"""`GET /api/jobs` is kept encoded between requests (api/job_list.py) and job_state's
outcomes are kept in memory (daemon/job_states.py): every change shows at the very next
request. Each test reads the list first, so what it checks is a change to a kept list."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.integration.daemon_helpers import Project, wait_for

JOBS = """
version: "1"
jobs:
  ok:
    description: Succeeds
    frequency: manual
    command: echo fine
    tags: [nightly]
  bad:
    description: Fails
    frequency: manual
    command: exit 3
    tags: [nightly]
  hold:
    description: Runs until released
    frequency: manual
    command: while [ ! -f release ]; do sleep 0.02; done
  daily:
    description: Scheduled
    frequency: daily
    time: "0300"
    timezone: UTC
    command: echo daily
"""


def jobs(project: Project, tag: str | None = None) -> dict[str, dict[str, Any]]:
    listed = project.get("/api/jobs" + (f"?tag={tag}" if tag else ""))
    return {job["name"]: job for job in listed}


def post(project: Project, path: str) -> dict[str, Any]:
    with project.api() as client:
        response = client.post(path)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def state(project: Project, name: str) -> dict[str, Any]:
    """The job's job_state row as the database holds it (`/api/db/state`)."""
    rows = {row["job_name"]: row for row in project.get("/api/db/state")}
    return rows[name]


def test_a_finished_run_shows_at_the_next_request(project: Project) -> None:
    project.write(JOBS)
    project.start()
    before = jobs(project)
    assert "last_success" not in before["ok"] and "last_failure" not in before["bad"]
    assert jobs(project, "nightly").keys() == {"ok", "bad"}

    ok = project.wait_run(project.run_job("ok"))
    listed = jobs(project)["ok"]
    assert ok["status"] == "SUCCESS"
    assert listed["last_success"] == ok["finished_at"] == state(project, "ok")["last_success"]
    assert "last_failure" not in listed

    bad = project.wait_run(project.run_job("bad"))
    assert bad["status"] == "FAILED"
    assert jobs(project)["bad"]["last_failure"] == bad["finished_at"]
    assert jobs(project, "nightly")["bad"]["last_failure"] == bad["finished_at"]
    assert state(project, "bad")["last_failure"] == bad["finished_at"]

    again = project.wait_run(project.run_job("ok"))
    assert again["finished_at"] > ok["finished_at"]
    assert jobs(project)["ok"]["last_success"] == again["finished_at"]


def test_running_shows_while_the_run_executes(project: Project) -> None:
    project.write(JOBS)
    project.start()
    assert jobs(project)["hold"]["running"] is False
    run_id = project.run_job("hold")
    project.wait_run(run_id, status={"RUNNING"})
    assert jobs(project)["hold"]["running"] is True
    (project.root / "release").touch()
    done = project.wait_run(run_id)
    listed = jobs(project)["hold"]
    assert (listed["running"], listed["last_success"]) == (False, done["finished_at"])


def test_pause_and_resume_show_at_the_next_request(project: Project) -> None:
    project.write(JOBS)
    project.start()
    assert "paused" not in jobs(project)["ok"]
    assert "paused" not in jobs(project, "nightly")["bad"]

    post(project, "/api/jobs/ok/pause")
    assert jobs(project)["ok"]["paused"] is True
    assert "paused" not in jobs(project)["bad"]
    post(project, "/api/jobs/pause?tag=nightly")
    assert all(job["paused"] is True for job in jobs(project, "nightly").values())

    post(project, "/api/jobs/resume?tag=nightly")
    assert not any("paused" in job for job in jobs(project).values())
    assert not any("paused" in job for job in jobs(project, "nightly").values())


def test_a_reload_shows_at_the_next_request(project: Project) -> None:
    path: Path = project.write(JOBS)
    project.start()
    assert jobs(project)["daily"]["next_run"].endswith("T03:00:00.000Z")
    assert jobs(project, "nightly").keys() == {"ok", "bad"}
    assert jobs(project, "extra") == {}

    # Only the config changes: no schedule, state, pause or run does.
    path.write_text(
        path.read_text(encoding="utf-8")
        .replace("Succeeds", "Succeeds, reloaded")
        .replace("tags: [nightly]\n  bad:", "tags: [nightly, extra]\n  bad:")
        + "  added:\n    description: New\n    frequency: manual\n    command: echo new\n",
        encoding="utf-8",
    )
    assert post(project, "/api/daemon/reload") == {"ok": True}
    after = jobs(project)
    assert after["ok"]["description"] == "Succeeds, reloaded"
    assert after["ok"]["tags"] == ["nightly", "extra"]
    assert after["added"]["description"] == "New"
    assert jobs(project, "extra").keys() == {"ok"}

    path.write_text(JOBS.lstrip("\n").replace('time: "0300"', 'time: "0430"'), encoding="utf-8")
    assert post(project, "/api/daemon/reload") == {"ok": True}
    after = jobs(project)
    assert "added" not in after
    assert after["daily"]["next_run"].endswith("T04:30:00.000Z")
    assert jobs(project, "extra") == {}


def test_next_run_moves_when_the_scheduler_fires(project: Project) -> None:
    """A paused job: its fires are skipped, so nothing but next_run changes."""
    project.write(
        JOBS
        + "  tick:\n    description: Every second\n    frequency: every:1s\n    command: echo tick\n"
    )
    project.start()
    post(project, "/api/jobs/tick/pause")
    first = jobs(project)["tick"]["next_run"]
    moved = wait_for(
        lambda: jobs(project)["tick"]["next_run"] != first, timeout=10, what="next_run to move"
    )
    assert moved
    assert jobs(project)["tick"]["next_run"] > first


def test_outcomes_recorded_before_the_first_list_are_read_from_the_store(
    project: Project,
) -> None:
    """The daemon reads job_state once, at the first list: runs that finished before
    it (and before a restart) show with their stored times."""
    project.write(JOBS)
    project.start()
    ok = project.wait_run(project.run_job("ok"))
    assert jobs(project)["ok"]["last_success"] == ok["finished_at"]
    assert project.husky("stop").returncode == 0
    wait_for(lambda: not (project.data / "api.addr").exists(), what="daemon stop")
    project.start()
    assert jobs(project)["ok"]["last_success"] == ok["finished_at"]
