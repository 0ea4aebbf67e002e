"""Pipelines end to end on the real daemon: schedules, `after:` chains and joins, cycles and
outputs, retries, failure policies, concurrency, healthchecks, SLA, catchup, orphans,
pause/skip (scheduling.md §6–§9, execution.md §1, §7–§13, recovery.md §2–§3, I1–I12).

The daemon is driven only through the `husky` command and its HTTP API; assertions read
the SQLite file with `SQLiteReader` (cycle ids live only there).
"""

from __future__ import annotations

import itertools
import sqlite3
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from husky.daemon.pidfile import pid_alive
from husky.models import Run, format_ts
from husky.store.sqlite_reader import SQLiteReader
from tests.integration.daemon_helpers import Project, wait_for

#: Teardown SIGTERMs the daemon; leftover jobs are killed after this instead of 60 s.
FAST_STOP = "scheduler:\n  shutdown_timeout: 2s\n"
FINAL = {"SUCCESS", "FAILED", "CANCELLED", "SKIPPED", "RETRYING"}


# -- helpers ---------------------------------------------------------------------------


def setup(project: Project, jobs: str, daemon: str = FAST_STOP) -> int:
    project.write('version: "1"\njobs:\n' + jobs)
    project.write(daemon, name="huskyd.yaml")
    return project.start()


def reader(project: Project) -> SQLiteReader:
    return SQLiteReader(project.data / "husky.db")


def runs(project: Project, job: str) -> list[Run]:
    """Every row of `job`, oldest first."""
    with reader(project) as db:
        return list(reversed(db.list_runs(job_name=job, limit=1000)))


def run_row(project: Project, run_id: int) -> Run:
    with reader(project) as db:
        run = db.get_run(run_id)
    assert run is not None, f"run {run_id} not in the store"
    return run


def cycle(project: Project, cycle_id: str | None) -> list[Run]:
    assert cycle_id
    with reader(project) as db:
        return db.runs_in_cycle(cycle_id)


def log_lines(project: Project, run_id: int) -> list[str]:
    with reader(project) as db:
        return [line.line for line in db.get_logs(run_id)]


def wait_final(project: Project, job: str, count: int = 1, timeout: float = 20.0) -> list[Run]:
    """Wait until `job` has at least `count` rows, all of them final; return them."""

    def done() -> list[Run] | None:
        rows = runs(project, job)
        if len(rows) >= count and all(str(r.status) in FINAL for r in rows):
            return rows
        return None

    return wait_for(done, timeout=timeout, what=f"{count} final run(s) of {job}")


def stays(check: Callable[[], bool], seconds: float, what: str) -> None:
    """Assert `check` holds for `seconds` (a short confirmation that nothing else happens)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert check(), what
        time.sleep(0.05)


def post(project: Project, path: str, body: Any = None) -> tuple[int, Any]:
    with project.api() as client:
        response = client.post(path, json=body)
    return response.status_code, response.json()


def ms_after_second(at: datetime) -> float:
    return at.microsecond / 1000


# -- 1. schedule ------------------------------------------------------------------------


def test_every_second_job_fires_on_time_once_per_second(project: Project) -> None:
    setup(
        project,
        """
  tick:
    description: every second
    frequency: every:1s
    command: echo tick
""",
    )
    # Fires whose instant fell while the daemon was still starting (its schedule is computed
    # before the API is up) are not a measure of the running scheduler; count from here.
    ready = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=1)

    def four_fires() -> list[Run] | None:
        fired = [
            r for r in runs(project, "tick") if r.trigger == "schedule" and r.created_at >= ready
        ]
        return fired[:4] if len(fired) >= 4 else None

    schedule_runs = wait_for(four_fires, timeout=8, what="4 scheduled runs")
    assert all(r.triggered_by == "scheduler" and r.reason is None for r in schedule_runs)
    created = [r.created_at for r in schedule_runs]
    late = [ms_after_second(at) for at in created]
    assert all(ms < 200 for ms in late), f"fired late (ms after the second): {late}"
    seconds = [at.replace(microsecond=0) for at in created]
    assert len(set(seconds)) == len(seconds), f"a second fired twice: {created}"
    gaps = [(b - a).total_seconds() for a, b in itertools.pairwise(created)]
    assert all(0.7 <= gap <= 1.3 for gap in gaps), f"gaps between fires: {gaps}"
    assert len({r.cycle_id for r in schedule_runs}) == 4, "each fire is a new cycle"
    every = [r.created_at.replace(microsecond=0) for r in runs(project, "tick")]
    assert len(set(every)) == len(every), f"a second fired twice: {every}"


# -- 2./3. after: chains and joins ------------------------------------------------------


def test_after_chain_runs_in_the_roots_cycle(project: Project) -> None:
    setup(
        project,
        """
  a: {description: a, frequency: manual, command: echo a}
  b: {description: b, frequency: "after:a", command: echo b}
  c: {description: c, frequency: "after:b", command: echo c}
""",
    )
    gated = project.husky("run", "b")  # I3: a never succeeded, so b's gate refuses it
    assert gated.returncode == 1 and 'upstream "a" has not succeeded' in gated.stderr
    (refused,) = runs(project, "b")
    assert (refused.status, refused.status_reason) == ("SKIPPED", 'upstream "a" has not succeeded')
    root = project.run_job("a")
    assert project.wait_run(root)["status"] == "SUCCESS"
    (c_run,) = wait_final(project, "c")
    b_run = wait_final(project, "b", count=2)[-1]
    a_run = run_row(project, root)
    assert (b_run.status, c_run.status) == ("SUCCESS", "SUCCESS")
    assert (b_run.trigger, b_run.triggered_by, b_run.reason) == (
        "dependency",
        "dependency",
        "after:a",
    )
    assert (c_run.trigger, c_run.triggered_by, c_run.reason) == (
        "dependency",
        "dependency",
        "after:b",
    )
    assert a_run.cycle_id and b_run.cycle_id == a_run.cycle_id == c_run.cycle_id
    assert [r.job_name for r in cycle(project, a_run.cycle_id)] == ["a", "b", "c"]
    assert log_lines(project, c_run.id) == ["c"]


@pytest.mark.parametrize(
    ("b_sleep", "c_sleep"),
    [(0.2, 0.7), (0.7, 0.2), (0, 0)],
    ids=["after-target-first", "depends-on-first", "together"],
)
def test_diamond_joins_once_per_cycle(project: Project, b_sleep: float, c_sleep: float) -> None:
    setup(
        project,
        f"""
  a: {{description: a, frequency: manual, command: echo a}}
  b: {{description: b, frequency: "after:a", command: sleep {b_sleep}; echo b}}
  c: {{description: c, frequency: "after:a", command: sleep {c_sleep}; echo c}}
  d: {{description: d, frequency: "after:b", depends_on: [c], command: echo d}}
""",
    )
    root = project.run_job("a")
    (d_run,) = wait_final(project, "d")
    a_run = run_row(project, root)
    (b_run,) = wait_final(project, "b")
    (c_run,) = wait_final(project, "c")
    assert (a_run.status, b_run.status, c_run.status, d_run.status) == ("SUCCESS",) * 4
    assert {a_run.cycle_id, b_run.cycle_id, c_run.cycle_id, d_run.cycle_id} == {a_run.cycle_id}
    assert d_run.trigger == "dependency"
    assert b_run.finished_at and c_run.finished_at and d_run.started_at
    assert d_run.started_at >= max(b_run.finished_at, c_run.finished_at)
    stays(lambda: len(runs(project, "d")) == 1, 0.5, "d ran more than once")
    assert sorted(r.job_name for r in cycle(project, a_run.cycle_id)) == ["a", "b", "c", "d"]


# -- 4. outputs stay in their cycle -----------------------------------------------------


def test_overlapping_cycles_keep_their_outputs_apart(project: Project) -> None:
    setup(
        project,
        """
  src:
    description: print a value unique to this run, then linger
    frequency: manual
    command: echo "v-$$"; sleep 1
    output:
      v: last_line
  dst:
    description: echo the value of its own cycle
    frequency: "after:src"
    command: echo "got {{ outputs.src.v }}"
""",
    )
    first = project.run_job("src")
    second = project.run_job("src")
    project.wait_run(first, status={"RUNNING"})
    project.wait_run(second, status={"RUNNING"})
    dsts = wait_final(project, "dst", count=2)
    srcs = [run_row(project, first), run_row(project, second)]
    assert [s.status for s in srcs] == ["SUCCESS", "SUCCESS"]
    assert srcs[0].cycle_id != srcs[1].cycle_id
    # the two src runs overlapped in time
    assert srcs[1].started_at and srcs[0].finished_at and srcs[1].started_at < srcs[0].finished_at
    by_cycle = {d.cycle_id: d for d in dsts}
    assert set(by_cycle) == {s.cycle_id for s in srcs}
    values = set()
    for src in srcs:
        (value,) = log_lines(project, src.id)
        values.add(value)
        dst = by_cycle[src.cycle_id]
        assert dst.status == "SUCCESS"
        assert log_lines(project, dst.id) == [f"got {value}"], (src, dst)
    assert len(values) == 2


# -- 5. retries -------------------------------------------------------------------------


def test_retries_run_in_one_cycle_with_the_fixed_delay(project: Project) -> None:
    setup(
        project,
        """
  flaky:
    description: always fails
    frequency: manual
    retries: 2
    retry_delay: fixed:1s
    command: echo trying; exit 3
""",
    )
    project.run_job("flaky")
    attempts = wait_final(project, "flaky", count=3, timeout=15)
    assert [(r.attempt, str(r.status)) for r in attempts] == [
        (1, "RETRYING"),
        (2, "RETRYING"),
        (3, "FAILED"),
    ]
    assert len({r.cycle_id for r in attempts}) == 1 and attempts[0].cycle_id
    assert all(r.exit_code == 3 for r in attempts)
    assert attempts[-1].status_reason == "exit code 3"
    assert all(r.trigger == "manual" for r in attempts)
    for previous, retry in itertools.pairwise(attempts):
        assert previous.finished_at is not None
        gap = (retry.created_at - previous.finished_at).total_seconds()
        assert 0.74 <= gap <= 1.5, f"retry {retry.attempt} came {gap:.3f}s after the failure"
    stays(lambda: len(runs(project, "flaky")) == 3, 0.3, "a fourth attempt ran")


# -- 6. on_failure ----------------------------------------------------------------------

CHAIN = """
  x:
    description: fails
    frequency: manual
    on_failure: {policy}
    command: echo failing; exit 4
  y: {{description: y, frequency: "after:x", command: echo y}}
  z: {{description: z, frequency: "after:y", command: echo z}}
"""


@pytest.mark.parametrize("policy", ["alert", "skip", "ignore"])
def test_on_failure_policy_decides_what_the_successors_do(project: Project, policy: str) -> None:
    setup(project, CHAIN.format(policy=policy))
    root = project.run_job("x")
    # a final `skip` failure is written FAILED, then rewritten SKIPPED
    x = project.wait_run(root, status={"SKIPPED" if policy == "skip" else "FAILED"})
    x_run = run_row(project, root)
    if policy == "alert":
        assert x["status"] == "FAILED" and x["exit_code"] == 4
        stays(
            lambda: runs(project, "y") == [] and runs(project, "z") == [],
            0.5,
            "a successor ran after an alert failure",
        )
    elif policy == "skip":
        assert x["status"] == "SKIPPED" and x["exit_code"] == 4
        (y_run,) = wait_final(project, "y")
        (z_run,) = wait_final(project, "z")
        for row in (y_run, z_run):
            assert (row.status, row.status_reason) == ("SKIPPED", 'upstream "x" skipped')
            assert row.cycle_id == x_run.cycle_id
            assert row.started_at is None and log_lines(project, row.id) == []
    else:
        assert x["status"] == "FAILED" and x["exit_code"] == 4
        (y_run,) = wait_final(project, "y")
        (z_run,) = wait_final(project, "z")
        assert (y_run.status, z_run.status) == ("SUCCESS", "SUCCESS")
        assert y_run.cycle_id == z_run.cycle_id == x_run.cycle_id
        assert log_lines(project, z_run.id) == ["z"]


def test_on_failure_stop_cancels_the_rest_of_the_cycle(project: Project) -> None:
    setup(
        project,
        """
  r: {description: root, frequency: manual, command: echo r}
  x:
    description: fails after its sibling started
    frequency: "after:r"
    on_failure: stop
    command: sleep 0.5; exit 4
  s: {description: slow sibling, frequency: "after:r", command: echo s-started; sleep 5}
  w:
    description: sibling waiting for its retry
    frequency: "after:r"
    retries: 1
    retry_delay: fixed:5s
    command: exit 1
  y: {description: y, frequency: "after:x", command: echo y}
  z: {description: z, frequency: "after:y", command: echo z}
""",
    )
    root = project.run_job("r")
    (x_run,) = wait_final(project, "x")
    (s_run,) = wait_final(project, "s", timeout=10)
    (y_run,) = wait_final(project, "y")
    (z_run,) = wait_final(project, "z")
    r_run = run_row(project, root)
    reason = 'pipeline stopped by "x"'
    assert (x_run.status, x_run.exit_code) == ("FAILED", 4)
    assert (s_run.status, s_run.status_reason) == ("CANCELLED", reason)
    assert s_run.finished_at and x_run.finished_at
    assert (s_run.finished_at - x_run.finished_at).total_seconds() < 3, "s ran to its end"
    for row in (y_run, z_run):
        assert (row.status, row.status_reason) == ("SKIPPED", reason)
    (w_run,) = runs(project, "w")  # its pending retry is dropped with the pipeline
    assert (w_run.status, w_run.status_reason, w_run.exit_code) == ("SKIPPED", reason, 1)
    assert {r.cycle_id for r in (x_run, s_run, w_run, y_run, z_run)} == {r_run.cycle_id}


# -- 7. concurrency ---------------------------------------------------------------------


def test_concurrency_forbid_refuses_and_replace_cancels(project: Project) -> None:
    setup(
        project,
        """
  single:
    description: one at a time
    frequency: manual
    concurrency: forbid
    command: sleep 2
  newest:
    description: the newest wins
    frequency: manual
    concurrency: replace
    command: sleep 1; echo done
""",
    )
    first = project.run_job("single")
    project.wait_run(first, status={"RUNNING"})
    refused = project.husky("run", "single")
    assert refused.returncode == 1, refused.stdout
    assert f"forbid: run {first} still active" in refused.stderr
    skipped = [r for r in runs(project, "single") if r.id != first]
    assert [(r.status, r.status_reason) for r in skipped] == [
        ("SKIPPED", f"forbid: run {first} still active")
    ]
    status, body = post(project, "/api/jobs/single/run")
    assert (status, body) == (409, {"error": f"forbid: run {first} still active"})

    old = project.run_job("newest")
    project.wait_run(old, status={"RUNNING"})
    new = project.run_job("newest")
    replaced = project.wait_run(old)
    assert (replaced["status"], replaced["status_reason"]) == (
        "CANCELLED",
        f"replaced by run {new}",
    )
    assert project.wait_run(new)["status"] == "SUCCESS"
    assert project.wait_run(first)["status"] == "SUCCESS"


# -- 8. healthcheck ---------------------------------------------------------------------


def test_healthcheck_modes_and_hidden_lines(project: Project) -> None:
    setup(
        project,
        """
  hc_fail:
    description: healthcheck fails, mark_failed
    frequency: manual
    command: echo main
    healthcheck:
      command: echo checking; exit 1
  hc_warn:
    description: healthcheck fails, warn_only
    frequency: manual
    command: echo main
    healthcheck:
      command: echo checking; exit 1
      on_fail: warn_only
  hc_pass:
    description: healthcheck passes
    frequency: manual
    command: echo main
    healthcheck:
      command: echo fine
""",
    )
    failed = project.wait_run(project.run_job("hc_fail"))
    warned = project.wait_run(project.run_job("hc_warn"))
    passed = project.wait_run(project.run_job("hc_pass"))
    assert (failed["status"], failed["exit_code"], failed["hc_status"]) == ("FAILED", -2, "fail")
    assert failed["status_reason"].startswith("healthcheck failed"), failed
    assert (warned["status"], warned["exit_code"], warned["hc_status"]) == ("SUCCESS", 0, "warn")
    assert (passed["status"], passed["exit_code"], passed["hc_status"]) == ("SUCCESS", 0, "pass")
    with reader(project) as db:
        stored = [(line.seq, str(line.stream), line.line) for line in db.get_logs(failed["id"])]
    assert stored == [(1, "stdout", "main"), (2, "healthcheck", "checking")]
    hidden = project.husky("logs", "hc_fail")
    assert (hidden.returncode, hidden.stdout.splitlines()) == (0, ["main"])
    shown = project.husky("logs", "hc_fail", "--include-healthcheck")
    assert (shown.returncode, shown.stdout.splitlines()) == (0, ["main", "checking"])
    api = project.get(f"/api/runs/{failed['id']}/logs")
    assert [entry["line"] for entry in api] == ["main"]


# -- 9. SLA -----------------------------------------------------------------------------


def test_sla_breach_is_flagged_while_the_job_runs_on(project: Project) -> None:
    setup(
        project,
        """
  slowpoke:
    description: outlives its SLA
    frequency: manual
    sla: 1s
    command: sleep 2.5; echo finished
""",
    )
    run_id = project.run_job("slowpoke")
    breached = wait_for(
        lambda: (run := project.get(f"/api/runs/{run_id}"))["sla_breached"] and run,
        timeout=5,
        what="sla_breached while running",
    )
    assert breached["status"] == "RUNNING"
    final = project.wait_run(run_id)
    assert (final["status"], final["sla_breached"]) == ("SUCCESS", True)
    assert run_row(project, run_id).sla_breached is True
    assert "sla breached" in project.daemon_log()


# -- 10. outputs of every mode ----------------------------------------------------------


def test_outputs_of_every_mode_reach_the_successor(project: Project) -> None:
    setup(
        project,
        r"""
  up:
    description: prints values to capture
    frequency: manual
    command: |
      echo "first line"
      echo "id=42 here"
      echo '{"k": 1000000, "o": {"a": 1}, "s": "plain"}'
      echo "id=7 later"
      echo "the end"
      echo ""
    output:
      first: first_line
      last: last_line
      j: json_field:k
      o: json_field:o
      s: json_field:s
      r: 'regex:id=(\d+)'
      code: exit_code
  down:
    description: echoes what up captured
    frequency: "after:up"
    env:
      J: "{{ outputs.up.j }}"
      O: "{{ outputs.up.o }}"
      R: "r={{outputs.up.r}}"
    command: |
      echo 'first={{ outputs.up.first }}'
      echo 'last={{ outputs.up.last }}'
      echo 'j={{ outputs.up.j }}'
      echo 's={{ outputs.up.s }}'
      echo 'r={{ outputs.up.r }}'
      echo 'code={{ outputs.up.code }}'
      printf 'env J=%s\n' "$J"
      printf 'env O=%s\n' "$O"
      printf 'env %s\n' "$R"
""",
    )
    root = project.run_job("up")
    assert project.wait_run(root)["status"] == "SUCCESS"
    (down,) = wait_final(project, "down")
    assert down.status == "SUCCESS", project.daemon_log()
    assert log_lines(project, down.id) == [
        "first=first line",
        "last=the end",
        "j=1000000",
        "s=plain",
        "r=7",
        "code=0",
        "env J=1000000",
        'env O={"a": 1}',
        "env r=7",
    ]
    up_cycle = run_row(project, root).cycle_id
    outputs = project.get(f"/api/runs/{root}/outputs")
    assert {o["var_name"]: o["value"] for o in outputs} == {
        "first": "first line",
        "last": "the end",
        "j": "1000000",
        "o": '{"a": 1}',
        "s": "plain",
        "r": "7",
        "code": "0",
    }
    assert all(
        (o["run_id"], o["job_name"], o["cycle_id"]) == (root, "up", up_cycle) for o in outputs
    )
    assert down.cycle_id == up_cycle


# -- 11. catchup ------------------------------------------------------------------------


def test_catchup_runs_once_inside_the_window_only(project: Project) -> None:
    far = f"{(datetime.now(UTC).hour + 12) % 24:02d}00"  # no real fire during the test
    jobs = f"""
  inside:
    description: missed ten minutes ago
    frequency: daily
    time: "{far}"
    timezone: UTC
    catchup: true
    command: echo caught up
  outside:
    description: missed three days ago
    frequency: daily
    time: "{far}"
    timezone: UTC
    catchup: true
    command: echo too late
"""
    pid = setup(project, jobs)
    assert project.husky("stop").returncode == 0
    wait_for(lambda: not pid_alive(pid), what="daemon exit")
    now = datetime.now(UTC)
    db = sqlite3.connect(project.data / "husky.db")
    try:
        stored = dict(db.execute("SELECT job_name, next_run FROM job_state").fetchall())
        assert stored.keys() >= {"inside", "outside"} and all(stored.values()), stored
        with db:
            for job, missed in (
                ("inside", now - timedelta(minutes=10)),
                ("outside", now - timedelta(days=3)),
            ):
                db.execute(
                    "UPDATE job_state SET next_run = ? WHERE job_name = ?",
                    (format_ts(missed), job),
                )
    finally:
        db.close()
    project.start()
    (caught,) = wait_final(project, "inside")
    assert (caught.status, caught.trigger, caught.triggered_by, caught.reason) == (
        "SUCCESS",
        "schedule",
        "scheduler",
        "catchup",
    )
    assert log_lines(project, caught.id) == ["caught up"]
    stays(
        lambda: len(runs(project, "inside")) == 1 and runs(project, "outside") == [],
        0.5,
        "catchup ran more than once or outside its window",
    )
    log = project.daemon_log()
    assert "outside catchup window" in log and "outside" in log
    with reader(project) as db_reader:
        states = db_reader.job_states()
    assert all(states[j].next_run and states[j].next_run > now for j in ("inside", "outside"))


# -- 12. orphan retry -------------------------------------------------------------------


def test_orphan_is_failed_and_retried_in_a_new_cycle(project: Project) -> None:
    pid = setup(
        project,
        """
  sleeper:
    description: sleeps until killed
    frequency: manual
    retries: 1
    retry_delay: fixed:1s
    command: sleep 1000
""",
    )
    orphan_id = project.run_job("sleeper", reason="long one")
    project.wait_run(orphan_id, status={"RUNNING"})
    forced = project.husky("stop", "--force")
    assert forced.stdout.strip() == f"sent SIGKILL to daemon (pid {pid})"
    wait_for(lambda: not pid_alive(pid), what="daemon to die")
    project.start()
    orphan = run_row(project, orphan_id)
    assert (orphan.status, orphan.status_reason) == (
        "FAILED",
        "orphaned: daemon stopped while running",
    )
    retry = wait_for(
        lambda: next((r for r in runs(project, "sleeper") if r.attempt == 2), None),
        timeout=6,
        what="the orphan's retry",
    )
    assert retry.id != orphan_id
    assert (retry.trigger, retry.reason, retry.triggered_by) == (
        orphan.trigger,
        orphan.reason,
        orphan.triggered_by,
    )
    assert retry.cycle_id and retry.cycle_id != orphan.cycle_id
    assert orphan.finished_at and retry.created_at >= orphan.finished_at + timedelta(seconds=0.7)
    project.wait_run(retry.id, status={"RUNNING"})
    assert project.husky("cancel", "sleeper").returncode == 0
    cancelled = project.wait_run(retry.id)
    assert (cancelled["status"], cancelled["status_reason"]) == (
        "CANCELLED",
        "cancelled by operator",
    )
    assert len(runs(project, "sleeper")) == 2


def test_pending_retry_survives_a_restart(project: Project) -> None:
    """I12: a RETRYING row whose retry never ran is retried after the restart."""
    pid = setup(
        project,
        """
  flaky:
    description: fails once, then succeeds
    frequency: manual
    retries: 1
    retry_delay: fixed:3s
    command: if [ -e failed-once ]; then echo recovered; else touch failed-once; exit 2; fi
""",
    )
    first = project.run_job("flaky")
    project.wait_run(first, status={"RETRYING"})
    assert project.husky("stop").returncode == 0
    wait_for(lambda: not pid_alive(pid), what="daemon exit")
    assert [r.status for r in runs(project, "flaky")] == ["RETRYING"]
    project.start()
    (failed, retry) = wait_final(project, "flaky", count=2, timeout=10)
    assert (retry.status, retry.attempt, retry.cycle_id) == ("SUCCESS", 2, failed.cycle_id)
    assert failed.finished_at and retry.created_at >= failed.finished_at + timedelta(seconds=2.2)
    assert log_lines(project, retry.id) == ["recovered"]


# -- 14. pause, resume, skip ------------------------------------------------------------


def test_paused_job_refuses_runs_until_resumed(project: Project) -> None:
    setup(
        project,
        """
  job:
    description: pausable
    frequency: manual
    tags: [t]
    command: echo hi
""",
    )
    assert post(project, "/api/jobs/job/pause") == (200, {"ok": True})
    assert post(project, "/api/jobs/job/run") == (409, {"error": "job is paused"})
    (skipped,) = runs(project, "job")
    assert (skipped.status, skipped.status_reason, skipped.trigger) == (
        "SKIPPED",
        "job is paused",
        "manual",
    )
    assert post(project, "/api/jobs/job/resume") == (200, {"ok": True})
    assert project.wait_run(project.run_job("job"))["status"] == "SUCCESS"

    paused = project.husky("pause", "--tag", "t")
    assert (paused.returncode, paused.stdout.strip()) == (0, 'paused jobs with tag "t"')
    refused = project.husky("run", "job")
    assert refused.returncode == 1 and "job is paused" in refused.stderr
    resumed = project.husky("resume", "--tag", "t")
    assert (resumed.returncode, resumed.stdout.strip()) == (0, 'resumed jobs with tag "t"')
    again = project.husky("resume", "--tag", "t")
    assert (again.returncode, again.stderr) == (1, "Error: resume request failed: status 400\n")
    unknown = project.husky("pause", "--tag", "nosuch")
    assert (unknown.returncode, unknown.stderr) == (1, "Error: pause request failed: status 400\n")
    ran = project.husky("run", "job")
    assert (ran.returncode, ran.stdout.strip()) == (0, 'job "job" triggered')
    rows = wait_final(project, "job", count=4)
    assert [(r.status, r.status_reason) for r in rows] == [
        ("SKIPPED", "job is paused"),
        ("SUCCESS", None),
        ("SKIPPED", "job is paused"),
        ("SUCCESS", None),
    ]


def test_skip_skips_only_the_next_scheduled_occurrence(project: Project) -> None:
    setup(
        project,
        """
  tick:
    description: every second
    frequency: every:1s
    command: echo tick
""",
    )
    # right after a fire, so the skip lands on the next one
    first = wait_for(lambda: runs(project, "tick"), timeout=5, what="a first fire")
    before = first[-1].id
    result = project.husky("skip", "tick")
    assert (result.returncode, result.stdout.strip()) == (0, 'job "tick" skipped')

    def skipped_then_normal() -> list[Run] | None:
        rows = [r for r in runs(project, "tick") if r.id > before]
        if not any(r.status == "SKIPPED" for r in rows):
            return None
        last = rows[-1]
        return rows if str(last.status) in FINAL and last.status != "SKIPPED" else None

    later = wait_for(
        skipped_then_normal, timeout=6, what="a skipped occurrence and a normal one after it"
    )
    skipped = [r for r in later if r.status == "SKIPPED"]
    assert len(skipped) == 1
    (skip,) = skipped
    assert (skip.status_reason, skip.trigger) == ("skipped by operator", "schedule")
    index = later.index(skip)
    assert index <= 1, f"the skip waited too long: {later}"
    after = later[index + 1]
    assert (after.status, after.trigger) == ("SUCCESS", "schedule")
    assert 0.7 <= (after.created_at - skip.created_at).total_seconds() <= 1.3

    # a paused job's scheduled fires are skipped in the log only: no row (I3)
    assert post(project, "/api/jobs/tick/pause") == (200, {"ok": True})
    paused_at = datetime.now(UTC)
    wait_for(
        lambda: project.daemon_log().count("tick is paused: scheduled run skipped") >= 2,
        timeout=5,
        what="two paused fires in the log",
    )
    late_rows = [r for r in runs(project, "tick") if r.created_at > paused_at]
    assert late_rows == [], late_rows


# -- 15. templates without a cycle value (I5) -------------------------------------------


def test_manual_templated_run_uses_the_latest_success_or_fails_naming_the_output(
    project: Project,
) -> None:
    setup(
        project,
        """
  producer:
    description: captures a value
    frequency: manual
    command: echo value-$$
    output:
      v: last_line
  consumer:
    description: uses it
    frequency: manual
    command: echo "consumed {{ outputs.producer.v }}"
""",
    )
    missing = project.husky("run", "consumer")
    assert missing.returncode == 1
    assert "missing output outputs.producer.v" in missing.stderr
    (failed,) = runs(project, "consumer")
    assert (failed.status, failed.status_reason) == (
        "FAILED",
        "missing output outputs.producer.v",
    )
    produced = project.wait_run(project.run_job("producer"))
    assert produced["status"] == "SUCCESS"
    (value,) = log_lines(project, produced["id"])
    consumed = project.wait_run(project.run_job("consumer"))
    assert consumed["status"] == "SUCCESS"
    assert log_lines(project, consumed["id"]) == [f"consumed {value}"]
    assert run_row(project, consumed["id"]).cycle_id != run_row(project, produced["id"]).cycle_id
