"""The real daemon, started as a user would (`husky start` / `husky daemon run`), driven only
through the CLI and the HTTP API."""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
import time

import httpx

from husky.executor.groups import group_alive
from husky.store.sqlite_reader import SQLiteReader
from tests.integration.daemon_helpers import Project, wait_for

JOBS = """
version: "1"
jobs:
  hello:
    description: Say hello
    frequency: manual
    command: echo "hello $WHO"; echo oops >&2
    env:
      WHO: world
  slow:
    description: Sleep with grandchildren, report the group id
    frequency: manual
    command: echo $$ > slow.pgid; sleep 1000 & sleep 1000 & wait
  timeboxed:
    description: Outlive its timeout
    frequency: manual
    timeout: 1s
    command: echo $$ > timeboxed.pgid; sleep 1000 & sleep 1000 & wait
  chatty:
    description: 100,000 lines on each stream
    frequency: manual
    command: python3 -c "import sys; [print(f'out {i}') or print(f'err {i}', file=sys.stderr) for i in range(100000)]"
"""


def pgid_of(project: Project, name: str) -> int:
    return int(
        wait_for(
            lambda: (
                (project.root / name).read_text().strip() if (project.root / name).exists() else ""
            ),
            what=name,
        )
    )


def group_gone(pgid: int) -> bool:
    return wait_for(
        lambda: not group_alive(pgid), timeout=15, what=f"process group {pgid} to be gone"
    )


def test_manual_run_with_reason_lands_in_history(project: Project) -> None:
    project.write(JOBS)
    project.start()
    result = project.husky("run", "hello", "--reason", "testing the docs")
    assert (result.returncode, result.stdout.strip()) == (0, 'job "hello" triggered')
    runs = wait_for(lambda: project.get("/api/jobs/hello")["runs"], what="a run")
    run = project.wait_run(runs[0]["id"])
    assert run["status"] == "SUCCESS" and run["exit_code"] == 0
    assert (run["trigger"], run["triggered_by"], run["reason"]) == (
        "manual",
        "cli: testing the docs",
        "testing the docs",
    )
    history = project.husky("history", "hello")
    assert history.returncode == 0
    header, row = history.stdout.splitlines()[:2]
    assert header.split() == ["RUN", "ID", "STATUS", "DURATION", "TRIGGER", "REASON", "VS", "SLA"]
    assert (
        row.split()[:4] == [str(run["id"]), "SUCCESS", "0s", "manual"] and "testing the docs" in row
    )
    logs = project.husky("logs", "hello")
    assert logs.stdout.splitlines() == ["hello world", "oops"]
    api_logs = project.get(f"/api/runs/{run['id']}/logs")
    assert [(entry["seq"], entry["stream"], entry["line"]) for entry in api_logs] == [
        (1, "stdout", "hello world"),
        (2, "stderr", "oops"),
    ]


def test_every_line_of_a_chatty_job_is_stored_in_order(project: Project) -> None:
    project.write(JOBS)
    project.start()
    run = project.wait_run(project.run_job("chatty"), timeout=120)
    assert run["status"] == "SUCCESS"
    reader = SQLiteReader(project.data / "husky.db")
    lines = reader.get_logs(run["id"])
    reader.close()
    assert len(lines) == 200_000
    assert [line.seq for line in lines] == list(range(1, 200_001))
    out = [line.line for line in lines if line.stream == "stdout"]
    err = [line.line for line in lines if line.stream == "stderr"]
    assert out == [f"out {i}" for i in range(100_000)]
    assert err == [f"err {i}" for i in range(100_000)]


def test_timeout_kills_the_whole_process_group(project: Project) -> None:
    project.write(JOBS)
    project.start()
    run_id = project.run_job("timeboxed")
    pgid = pgid_of(project, "timeboxed.pgid")
    run = project.wait_run(run_id, timeout=30)
    assert (run["status"], run["exit_code"], run["status_reason"]) == (
        "FAILED",
        -1,
        "timed out after 1s",
    )
    assert group_gone(pgid)


def test_cancel_kills_the_group(project: Project) -> None:
    project.write(JOBS)
    project.start()
    run_id = project.run_job("slow")
    pgid = pgid_of(project, "slow.pgid")
    project.wait_run(run_id, status={"RUNNING"})
    result = project.husky("cancel", "slow")
    assert (result.returncode, result.stdout.strip()) == (0, 'job "slow" cancelled')
    run = project.wait_run(run_id)
    assert (run["status"], run["status_reason"], run["exit_code"]) == (
        "CANCELLED",
        "cancelled by operator",
        -1,
    )
    assert group_gone(pgid)
    again = project.husky("cancel", "slow")
    assert again.returncode == 1
    assert again.stderr.strip() == 'Error: daemon error: job "slow" is not currently running'
    unknown = project.husky("cancel", "nosuch")  # execution.md §13: unknown names too
    assert (unknown.returncode, unknown.stderr.strip()) == (
        1,
        'Error: daemon error: job "nosuch" is not currently running',
    )
    with project.api() as client:
        response = client.post("/api/jobs/nosuch/cancel")
    assert (response.status_code, response.json()) == (
        400,
        {"error": 'job "nosuch" is not currently running'},
    )


def test_daemon_killed_mid_run_leaves_an_orphan_that_restart_cleans_up(project: Project) -> None:
    project.write(JOBS)
    pid = project.start()
    run_id = project.run_job("slow")
    pgid = pgid_of(project, "slow.pgid")
    project.wait_run(run_id, status={"RUNNING"})
    assert project.husky("stop", "--force").stdout.strip() == f"sent SIGKILL to daemon (pid {pid})"
    wait_for(lambda: not _alive(pid), what="daemon to die")
    assert group_alive(pgid), "the job's group outlives a SIGKILLed daemon"
    stale = project.data / "api.addr"
    assert stale.exists(), "a SIGKILLed daemon cannot remove its address"
    stale.write_text("127.0.0.1:9\n")
    project.start()  # returns once the socket answers, maybe before the TCP door opens
    assert not stale.exists() or stale.read_text() != "127.0.0.1:9\n"
    run = project.get(f"/api/runs/{run_id}")
    assert (run["status"], run["status_reason"]) == (
        "FAILED",
        "orphaned: daemon stopped while running",
    )
    assert group_gone(pgid)


def _alive(pid: int) -> bool:
    from husky.daemon.pidfile import pid_alive

    return pid_alive(pid)


def test_stale_pid_file_is_replaced_and_second_start_refuses(project: Project) -> None:
    project.write(JOBS)
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    project.data.mkdir(mode=0o700)
    (project.data / "husky.pid").write_text(f"{dead.pid}\n")
    pid = project.start()
    assert project.pid() == pid
    assert "stale PID file" in project.daemon_log()
    second = project.husky("start")
    assert second.returncode == 1
    assert second.stderr.strip() == f"Error: daemon already running (pid {pid})"
    foreground = project.husky("daemon", "run")
    assert foreground.returncode == 1
    assert f"daemon already running (pid {pid})" in foreground.stderr


def test_reload_with_a_cycle_keeps_the_old_config(project: Project) -> None:
    project.write(JOBS)
    project.start()
    project.write(
        """
        version: "1"
        jobs:
          a: {description: a, frequency: manual, command: "true", depends_on: [b]}
          b: {description: b, frequency: manual, command: "true", depends_on: [a]}
        """
    )
    result = project.husky("reload")
    assert result.returncode == 1
    assert result.stderr.startswith(
        "Error: daemon error: reload: dag validation failed: dag: cycle detected: a -> b -> a"
    )
    assert [job["name"] for job in project.get("/api/jobs")] == [
        "chatty",
        "hello",
        "slow",
        "timeboxed",
    ]
    assert project.wait_run(project.run_job("hello"))["status"] == "SUCCESS"
    project.write(JOBS.replace("hello:", "greet:"))
    ok = project.husky("reload")
    assert (ok.returncode, ok.stdout.strip()) == (0, "config reloaded")
    assert "greet" in [job["name"] for job in project.get("/api/jobs")]


def test_runtime_files_are_owner_only(project: Project) -> None:
    project.write(JOBS)
    project.start()
    mode = lambda path: stat.S_IMODE(os.stat(path).st_mode)  # noqa: E731
    assert mode(project.data) == 0o700
    assert mode(project.data / "husky.sock") == 0o600
    assert mode(project.data / "husky.db") == 0o600
    addr = (project.data / "api.addr").read_text().strip()
    assert addr.startswith("127.0.0.1:")


def test_cli_without_a_daemon_says_so(project: Project) -> None:
    project.write(JOBS)
    result = project.husky("status")
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        "error: daemon is not running (no response on .husky/husky.sock)",
        "Run `husky start` to start the daemon.",
    ]


def test_logs_tail_streams_until_the_run_ends(project: Project) -> None:
    project.write(
        """
        version: "1"
        jobs:
          ticker:
            description: Print slowly
            frequency: manual
            command: for i in 1 2 3 4 5; do echo "tick $i"; sleep 0.2; done
        """
    )
    project.start()
    run_id = project.run_job("ticker")
    project.wait_run(run_id, status={"RUNNING"})
    started = time.monotonic()
    result = project.husky("logs", "ticker", "--tail")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [f"tick {i}" for i in range(1, 6)]
    assert time.monotonic() - started < 10
    assert project.get(f"/api/runs/{run_id}")["status"] == "SUCCESS"


def test_logs_tag_tail_follows_every_run_of_the_tag_until_sigterm(project: Project) -> None:
    project.write(
        """
        version: "1"
        jobs:
          slow:
            description: Running when the tail begins
            frequency: manual
            command: echo s1; sleep 1.5; echo s2
            tags: [etl]
          quick:
            description: Shorter than the tail's one-second look
            frequency: manual
            command: echo q1; echo q2
            tags: [etl]
          other:
            description: Not tagged
            frequency: manual
            command: echo o1
        """
    )
    project.start()
    before = project.wait_run(project.run_job("quick"))  # finished before: not followed
    slow = project.run_job("slow")
    project.wait_run(slow, status={"RUNNING"})
    out, err = project.root / "tail.out", project.root / "tail.err"
    with out.open("w") as sink, err.open("w") as errors:
        tail = subprocess.Popen(
            [sys.executable, "-m", "husky", "logs", "--tag", "etl", "--tail"],
            cwd=project.root,
            stdout=sink,
            stderr=errors,
        )
    try:
        wait_for(lambda: "[slow] s1" in out.read_text(), what="the running run's lines")
        quick = project.wait_run(project.run_job("quick"))
        other = project.wait_run(project.run_job("other"))
        assert before["id"] < slow < quick["id"] < other["id"]
        wait_for(
            lambda: {"[quick] q1", "[quick] q2", "[slow] s2"} <= set(out.read_text().splitlines()),
            what="the lines of both runs",
        )
        tail.send_signal(signal.SIGTERM)
        assert tail.wait(timeout=10) == 0
    finally:
        if tail.poll() is None:
            tail.kill()
            tail.wait()
    assert err.read_text() == ""
    lines = out.read_text().splitlines()
    assert sorted(lines) == ["[quick] q1", "[quick] q2", "[slow] s1", "[slow] s2"], lines
    assert lines.index("[quick] q1") < lines.index("[quick] q2")
    misuse = project.husky("logs", "slow", "--tag", "etl", "--tail")
    assert (misuse.returncode, misuse.stderr) == (
        2,
        "Error: job argument cannot be used with --tag\n",
    )
    assert project.husky("logs", "--tag", "etl").stderr == "Error: --tag requires --tail\n"
    none = project.husky("logs", "--tag", "nosuch", "--tail")
    assert (none.returncode, none.stderr) == (1, 'Error: no jobs found for tag "nosuch"\n')


def test_status_and_graceful_stop(project: Project) -> None:
    project.write(JOBS)
    pid = project.start()
    status = project.husky("status")
    assert status.returncode == 0
    assert status.stdout.splitlines()[0].split() == [
        "NAME",
        "NEXT",
        "RUN",
        "LAST",
        "SUCCESS",
        "LAST",
        "FAILURE",
    ]
    project.wait_run(project.run_job("hello"))
    assert "hello" in project.husky("status").stdout
    stop = project.husky("stop")
    assert (stop.returncode, stop.stdout.strip()) == (0, "✓ daemon shutdown successfully")
    wait_for(lambda: not _alive(pid), what="daemon exit")
    for name in ("husky.pid", "husky.sock", "api.addr"):
        assert not (project.data / name).exists(), name
    assert "daemon stopped" in project.daemon_log()


def test_api_answers_bad_input_with_json_4xx(project: Project) -> None:
    project.write(JOBS)
    project.start()
    with project.api() as client:
        cases = [
            (client.get("/api/runs/abc"), 400, "invalid run id"),
            (client.get("/api/runs/99999999999999999999999"), 400, "invalid run id"),
            (client.get("/api/runs/9223372036854775808/logs"), 400, "invalid run id"),
            (client.get("/api/runs/9223372036854775808/outputs"), 400, "invalid run id"),
            (client.get("/api/runs/9223372036854775807"), 404, "run not found"),
            (client.get("/api/runs/1/logs?offset=99999999999999999999"), 200, None),
            (client.get("/api/audit?offset=99999999999999999999"), 200, None),
            (client.get("/api/db/run_logs?run_id=99999999999999999999"), 200, None),
            (client.get("/api/runs/999999"), 404, "run not found"),
            (client.get("/api/nope"), 404, "not found"),
            (client.delete("/api/status"), 405, "method not allowed"),
            (client.post("/api/jobs/nope/run"), 404, "job not found"),
            (client.get("/api/jobs/nope"), 404, "job not found"),
            (client.post("/api/jobs/hello/run", content=b"{not json"), 202, None),
            (
                client.post("/api/jobs/hello/run", json={"reason": "x" * 501}),
                400,
                "reason exceeds max length of 500 characters",
            ),
        ]
        for response, code, message in cases:
            assert response.status_code == code, (response.request.url, response.text)
            assert response.headers["content-type"].startswith("application/json")
            if message is not None:
                assert response.json() == {"error": message}
        info = client.get("/api/daemon/info").json()
        assert info["total_job_count"] == 4 and info["ok"] is True
        job = client.get("/api/jobs/hello").json()
        assert job["job"]["env"] == {"WHO": "***"}


def test_head_answers_as_get_without_a_body(project: Project) -> None:
    project.write(JOBS)
    project.start()
    with project.api() as client:
        for path in ("/api/status", "/api/jobs", "/api/jobs/hello", "/"):
            got, head = client.get(path), client.head(path)
            assert head.status_code == got.status_code == 200, path
            assert head.content == b""
            assert head.headers["content-type"] == got.headers["content-type"]
            if path != "/api/status":  # its uptime may differ between the two
                assert head.headers["content-length"] == str(len(got.content))
        missing = client.head("/api/jobs/nope")
        assert (missing.status_code, missing.content) == (404, b"")
        assert client.post("/api/status").status_code == 405


def test_daemon_run_in_foreground_stops_on_sigterm(project: Project) -> None:
    project.write(JOBS)
    (project.root / "conf").mkdir()
    project.write("storage:\n  sqlite:\n    path: alt.db\n", "conf/huskyd.yaml")
    flags = ["--config", "husky.yaml", "--data", ".husky", "--daemon-config", "conf/huskyd.yaml"]
    proc = subprocess.Popen(  # the flags after `daemon run`, as `start` passes them (cli.md §4)
        [sys.executable, "-m", "husky", "daemon", "run", *flags],
        cwd=project.root,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    project.started_pids.append(proc.pid)
    try:
        wait_for(lambda: (project.data / "api.addr").exists(), what="api.addr")
        with httpx.Client(
            transport=httpx.HTTPTransport(uds=str(project.data / "husky.sock"))
        ) as client:
            assert client.get("http://husky/api/status").json()["pid"] == proc.pid
        assert (project.root / "conf" / "alt.db").exists()  # huskyd.yaml's own directory
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=20) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
        output = proc.stdout.read() if proc.stdout else ""
        if proc.stdout:
            proc.stdout.close()
    assert "daemon started" in output and "daemon stopped" in output


def test_start_takes_daemon_config_after_the_command(project: Project) -> None:
    project.write(JOBS)
    (project.root / "conf").mkdir()
    project.write("storage:\n  sqlite:\n    path: alt.db\n", "conf/huskyd.yaml")
    started = project.husky("start", "--daemon-config", "conf/huskyd.yaml")  # [C10]
    assert started.returncode == 0, started.stderr
    project.started_pids.append(int(started.stdout.split("(pid ", 1)[1].split(")", 1)[0]))
    assert (project.root / "conf" / "alt.db").exists()
    assert not (project.data / "husky.db").exists()
    assert project.husky("stop").returncode == 0


def test_stop_drains_running_jobs(project: Project) -> None:
    project.write(
        """
        version: "1"
        jobs:
          nap:
            description: A short nap
            frequency: manual
            command: sleep 1; echo rested
        """
    )
    pid = project.start()
    run_id = project.run_job("nap")
    project.wait_run(run_id, status={"RUNNING"})
    stop = project.husky("stop")
    assert stop.returncode == 0, stop.stderr
    assert stop.stdout.splitlines() == [
        "Draining 1 in-flight job(s): nap",
        "✓ daemon shutdown successfully",
    ]
    wait_for(lambda: not _alive(pid), what="daemon exit")
    reader = SQLiteReader(project.data / "husky.db")
    run = reader.get_run(run_id)
    lines = [line.line for line in reader.get_logs(run_id)]
    reader.close()
    assert run is not None and run.status == "SUCCESS"
    assert lines == ["rested"]


def test_shutdown_timeout_kills_leftover_groups(project: Project) -> None:
    project.write(JOBS)
    project.write("scheduler:\n  shutdown_timeout: 1s\n", name="huskyd.yaml")
    pid = project.start()
    run_id = project.run_job("slow")
    pgid = pgid_of(project, "slow.pgid")
    project.wait_run(run_id, status={"RUNNING"})
    assert project.husky("stop").returncode == 0
    wait_for(lambda: not _alive(pid), what="daemon exit")
    assert group_gone(pgid)
    assert "shutdown_timeout" in project.daemon_log()
    project.start()
    run = project.get(f"/api/runs/{run_id}")
    assert (run["status"], run["status_reason"]) == (
        "FAILED",
        "orphaned: daemon stopped while running",
    )


def test_runs_wait_pending_for_a_slot_and_can_be_cancelled_there(project: Project) -> None:
    project.write(JOBS)
    project.write("scheduler:\n  max_concurrent_jobs: 1\n", name="huskyd.yaml")
    project.start()
    first = project.run_job("slow")
    project.wait_run(first, status={"RUNNING"})
    second = project.run_job("hello")
    waiting = project.get(f"/api/runs/{second}")
    assert waiting["status"] == "PENDING" and "started_at" not in waiting
    jobs = {job["name"]: job for job in project.get("/api/jobs")}
    assert jobs["slow"]["running"] is True and jobs["hello"]["running"] is False
    assert project.husky("cancel", "hello").returncode == 0
    cancelled = project.wait_run(second)
    assert (cancelled["status"], cancelled["status_reason"]) == (
        "CANCELLED",
        "cancelled by operator",
    )
    assert "started_at" not in cancelled
    third = project.run_job("hello")
    assert project.husky("cancel", "slow").returncode == 0
    assert project.wait_run(third)["status"] == "SUCCESS"


def test_sighup_reloads_and_run_by_tag(project: Project) -> None:
    project.write(JOBS)
    pid = project.start()
    project.write(
        JOBS
        + """
  tagged_one:
    description: Tagged
    frequency: manual
    command: echo one
    tags: [batch]
  tagged_two:
    description: Tagged too
    frequency: manual
    command: echo two
    tags: [batch]
"""
    )
    os.kill(pid, signal.SIGHUP)
    wait_for(lambda: "tagged_one" in [j["name"] for j in project.get("/api/jobs")], what="reload")
    result = project.husky("run", "--tag", "batch", "--reason", "nightly")
    assert (result.returncode, result.stdout.strip()) == (0, 'triggered 2 job(s) with tag "batch"')
    for name in ("tagged_one", "tagged_two"):
        runs = wait_for(lambda name=name: project.get(f"/api/jobs/{name}")["runs"], what=name)
        assert project.wait_run(runs[0]["id"])["reason"] == "nightly"
    none = project.husky("run", "--tag", "nope")
    assert (none.returncode, none.stderr.strip()) == (1, 'Error: no jobs found for tag "nope"')
    both = project.husky("run", "hello", "--tag", "batch")
    assert both.returncode == 2 and "job argument cannot be combined with --tag" in both.stderr


def test_retry_from_cli_and_api_carry_their_reasons(project: Project) -> None:
    project.write(JOBS)
    project.start()
    result = project.husky("retry", "hello")
    assert (result.returncode, result.stdout.strip()) == (0, 'retry triggered for job "hello"')
    with project.api() as client:
        response = client.post("/api/jobs/hello/retry")
        assert response.status_code == 202
        api_run = project.wait_run(response.json()["run_id"])
        assert client.post("/api/jobs/nope/retry").status_code == 404
    runs = project.get("/api/jobs/hello?runs=5")["runs"]
    by_reason = {run["reason"]: run for run in runs}
    assert by_reason["retry"]["triggered_by"] == "cli: retry"
    assert (api_run["reason"], api_run["triggered_by"]) == ("manual retry", "cli: manual retry")
    unknown = project.husky("retry", "nope")
    assert (unknown.returncode, unknown.stderr.strip()) == (
        1,
        'Error: daemon error: unknown job "nope"',
    )


def test_audit_log_has_one_json_line_per_finished_run(project: Project) -> None:
    import json

    project.write(JOBS)
    project.write(
        "log:\n  audit_log:\n    enabled: true\n    path: audit/runs.jsonl\n", name="huskyd.yaml"
    )
    project.start()
    ok = project.wait_run(project.run_job("hello", reason="audited"))
    slow = project.run_job("slow")
    project.wait_run(slow, status={"RUNNING"})
    assert project.husky("cancel", "slow").returncode == 0
    project.wait_run(slow)
    audit = project.root / "audit" / "runs.jsonl"

    def entries() -> list[dict[str, object]]:
        text = audit.read_text() if audit.exists() else ""
        return [json.loads(line) for line in text.splitlines()]

    lines = wait_for(lambda: entries() if len(entries()) == 2 else None, what="two audit lines")
    first, second = lines
    assert {k: first[k] for k in ("job", "run_id", "status", "trigger", "reason")} == {
        "job": "hello",
        "run_id": ok["id"],
        "status": "SUCCESS",
        "trigger": "manual",
        "reason": "audited",
    }
    assert isinstance(first["duration_ms"], int) and str(first["ts"]).endswith("Z")
    assert (second["job"], second["status"]) == ("slow", "CANCELLED") and "reason" not in second
