"""Notifications from the real daemon to real receivers on 127.0.0.1 (notifications.md, I8,
I16, I20, I28, huskyd.yaml `http_client` and `alerts`): payloads, rendered messages,
attached lines and `alerts` rows; retries; a dead endpoint that delays nothing; SLA
breaches while the job runs; SMTP with STARTTLS; secrets; rows re-sent after a crash.

The daemon is driven through `husky` and its API; `alerts` rows are read from the SQLite file.
"""

from __future__ import annotations

import json
import sqlite3
import ssl
from collections.abc import Iterator
from typing import Any

import pytest
import trustme

from husky.daemon.pidfile import pid_alive
from husky.models import Run
from husky.store.sqlite_reader import SQLiteReader
from tests.integration.daemon_helpers import Project, wait_for
from tests.receivers import HttpReceiver, MailReceiver

DAEMON = """
scheduler:
  shutdown_timeout: 2s
http_client:
  timeout: 1s
  max_retries: 2
  retry_backoff: 100ms
"""


@pytest.fixture
def hooks() -> Iterator[HttpReceiver]:
    with HttpReceiver() as receiver:
        yield receiver


def setup(project: Project, text: str, daemon: str = DAEMON) -> int:
    project.write(text)
    project.write(daemon, name="huskyd.yaml")
    return project.start()


def alerts(project: Project) -> list[dict[str, Any]]:
    with sqlite3.connect(project.data / "husky.db") as conn:
        conn.row_factory = sqlite3.Row
        rows = conn.execute("SELECT * FROM alerts ORDER BY id").fetchall()
    return [dict(r) for r in rows]


def settled(project: Project, count: int, timeout: float = 20.0) -> list[dict[str, Any]]:
    """Wait until at least `count` alerts exist and none is pending; return them all."""

    def done() -> list[dict[str, Any]] | None:
        rows = alerts(project)
        if len(rows) >= count and all(r["status"] != "pending" for r in rows):
            return rows
        return None

    found: list[dict[str, Any]] = wait_for(done, timeout=timeout, what=f"{count} settled alerts")
    return found


def by_event(rows: list[dict[str, Any]], job: str, event: str) -> dict[str, Any]:
    [row] = [r for r in rows if r["job_name"] == job and r["event"] == event]
    return row


# -- every HTTP provider, the failure policies, retries ---------------------------------------


def test_hooks_reach_every_http_provider(project: Project, hooks: HttpReceiver) -> None:
    setup(
        project,
        f"""
        version: "1"
        integrations:
          slack:
            webhook_url: {hooks.url("/slack")}
          chat:
            provider: discord
            webhook_url: {hooks.url("/discord")}
          hooks:
            provider: webhook
            webhook_url: {hooks.url("/hook")}
          pd:
            provider: pagerduty
            routing_key: rk-42
            webhook_url: {hooks.url("/pd")}
        jobs:
          fails:
            description: Fails loudly
            frequency: manual
            command: "echo one; echo two; sleep 0.2; echo three >&2; exit 3"
            tags: [etl, nightly]
            notify:
              on_failure:
                channel: slack:#ops
                message: "{{{{ job.name }}}} #{{{{ run.id }}}} {{{{ .run.status }}}} exit={{{{run.exit_code}}}} tags={{{{ job.tags }}}} by={{{{ run.trigger }}}}"
                attach_logs: last_2_lines
          chats:
            description: Chats
            frequency: manual
            command: echo hi
            notify:
              on_success: chat:#general
          hooked:
            description: Hooked
            frequency: manual
            command: echo hooked
            healthcheck:
              command: echo healthy
            notify:
              on_success:
                channel: hooks:ignored
                attach_logs: all
          adhoc:
            description: Ad hoc
            frequency: manual
            command: "true"
            notify:
              on_success: webhook:{hooks.url("/adhoc")}
          paged:
            description: Pages
            frequency: manual
            command: exit 1
            notify:
              on_failure: pd:P1
        """,
    )
    hooks.script("/slack", 500, 500)  # delivered on the third attempt
    ids = {job: project.run_job(job) for job in ("fails", "chats", "hooked", "adhoc", "paged")}
    rows = settled(project, 5)
    [slack] = hooks.wait_for("/slack", 3)[2:]
    message = f"fails #{ids['fails']} FAILED exit=3 tags=[etl nightly] by=manual"
    text = f"{message}\n\nAttached logs:\ntwo\nthree"
    assert slack.body == {"text": text, "channel": "#ops"}
    assert [r.body for r in hooks.to("/slack")] == [slack.body] * 3
    assert hooks.to("/discord")[0].body == {"content": "[on_success] job chats status=SUCCESS"}
    # healthcheck lines are not attached unless the hook says include_healthcheck
    hooked = "[on_success] job hooked status=SUCCESS\n\nAttached logs:\nhooked"
    assert hooks.to("/hook")[0].body == {"message": hooked}
    assert hooks.to("/adhoc")[0].body == {"message": "[on_success] job adhoc status=SUCCESS"}
    assert hooks.to("/pd")[0].body == {
        "routing_key": "rk-42",
        "event_action": "trigger",
        "dedup_key": f"husky-paged-{ids['paged']}",
        "payload": {
            "summary": "[on_failure] job paged status=FAILED",
            "source": "husky",
            "severity": "critical",
        },
    }
    row = by_event(rows, "fails", "on_failure")
    assert (row["run_id"], row["channel"], row["status"], row["attempts"], row["error"]) == (
        ids["fails"],
        "slack:#ops",
        "delivered",
        3,
        None,
    )
    assert row["last_attempt_at"] >= row["sent_at"]
    assert json.loads(row["payload"]) == {
        "event": "on_failure",
        "job": "fails",
        "run_id": ids["fails"],
        "status": "FAILED",
        "channel": "slack:#ops",
        "message": text,
        "ok": True,
    }
    assert by_event(rows, "paged", "on_failure")["channel"] == "pd:P1"
    assert {r["status"] for r in rows} == {"delivered"} and len(rows) == 5


def test_failure_policies_and_retries(project: Project, hooks: HttpReceiver) -> None:
    """I8: on_failure fires for alert, skip and stop, not ignore; on_retry before the retry."""
    jobs = "\n".join(
        f"""
          {policy}_job:
            description: {policy}
            frequency: manual
            command: exit 2
            on_failure: {policy}
            notify:
              on_failure: slack:#{policy}"""
        for policy in ("alert", "skip", "stop", "ignore")
    )
    setup(
        project,
        f"""
        version: "1"
        integrations:
          slack:
            webhook_url: {hooks.url("/slack")}
        jobs:{jobs}
          retried:
            description: fails twice
            frequency: manual
            command: exit 4
            retries: 1
            retry_delay: fixed:200ms
            notify:
              on_retry:
                channel: slack:#retry
                message: "attempt={{{{ run.attempt }}}} retries={{{{ job.retries }}}} status={{{{ run.status }}}} id={{{{ run.id }}}}"
              on_failure: slack:#retry
        """,
    )
    ids = {p: project.run_job(f"{p}_job") for p in ("alert", "skip", "stop", "ignore")}
    first = project.run_job("retried")
    rows = settled(project, 5)
    channels = sorted(r.body["channel"] for r in hooks.wait_for("/slack", 5))
    assert channels == ["#alert", "#retry", "#retry", "#skip", "#stop"]
    texts = [r.body["text"] for r in hooks.to("/slack") if r.body["channel"] != "#retry"]
    assert sorted(texts) == [
        "[on_failure] job alert_job status=FAILED",
        "[on_failure] job skip_job status=FAILED",
        "[on_failure] job stop_job status=FAILED",
    ]
    assert project.get(f"/api/runs/{ids['skip']}")["status"] == "SKIPPED"
    retry_texts = [r.body["text"] for r in hooks.to("/slack") if r.body["channel"] == "#retry"]
    assert f"attempt=2 retries=1 status=RETRYING id={first}" in retry_texts
    retry_row = by_event(rows, "retried", "on_retry")
    assert (retry_row["run_id"], json.loads(retry_row["payload"])["status"]) == (
        first,
        "RETRYING",
    )
    final = by_event(rows, "retried", "on_failure")
    assert final["run_id"] != first
    assert json.loads(final["payload"])["message"] == "[on_failure] job retried status=FAILED"
    assert not [r for r in rows if r["job_name"] == "ignore_job"]


# -- off the run's path ------------------------------------------------------------------------


def test_a_dead_endpoint_delays_no_job(project: Project, hooks: HttpReceiver) -> None:
    hooks.hang("/dead")
    setup(
        project,
        f"""
        version: "1"
        integrations:
          dead:
            provider: webhook
            webhook_url: {hooks.url("/dead")}
        jobs:
          a:
            description: notifies a dead endpoint
            frequency: manual
            command: "true"
            notify:
              on_success: dead:x
              on_failure: dead:x
          b:
            description: after a
            frequency: after:a
            command: "true"
            notify:
              on_success: dead:x
          c:
            description: after b
            frequency: after:b
            command: "true"
        """,
    )
    first = project.run_job("a")
    chain = {job: wait_for(lambda job=job: _succeeded(project, job), what=job) for job in "abc"}
    # successors ran at once, while the deliveries were still pending (1 s timeout x 3)
    a_done, c_done = chain["a"].finished_at, chain["c"].finished_at
    assert a_done and c_done and (c_done - a_done).total_seconds() < 1.0
    early = wait_for(lambda: rows if len(rows := alerts(project)) >= 2 else None, what="rows")
    assert {r["status"] for r in early} == {"pending"}  # 3 attempts take over 3 s
    second = project.run_job("a")  # the next run is not held up either (nor its b)
    assert project.wait_run(second, timeout=5)["status"] == "SUCCESS"
    rows = settled(project, 4, timeout=30)
    row = next(r for r in rows if r["run_id"] == first)
    assert (row["status"], row["attempts"], row["error"]) == ("failed", 3, "timed out after 1s")
    payload = json.loads(row["payload"])
    assert (payload["ok"], payload["error"]) == (False, "timed out after 1s")
    assert len(rows) == 4 and len(hooks.to("/dead")) == 12  # 4 alerts × 3 attempts


def _succeeded(project: Project, job: str) -> Run | None:
    with SQLiteReader(project.data / "husky.db") as db:
        runs = db.list_runs(job_name=job, limit=1)
    return runs[0] if runs and runs[0].status == "SUCCESS" else None


# -- only_after_failure, SLA -------------------------------------------------------------------


def test_only_after_failure_sends_the_first_success_after_a_failure(
    project: Project, hooks: HttpReceiver
) -> None:
    setup(
        project,
        f"""
        version: "1"
        integrations:
          slack:
            webhook_url: {hooks.url("/slack")}
        jobs:
          toggle:
            description: fails while the flag file exists
            frequency: manual
            command: "if [ -e flag ]; then exit 1; fi"
            notify:
              on_success:
                channel: slack:#recovered
                message: "{{{{ job.name }}}} recovered in run {{{{ run.id }}}}"
                only_after_failure: true
        """,
    )
    flag = project.root / "flag"
    statuses = []
    for fail in (False, True, False, False):
        if fail:
            flag.touch()
        else:
            flag.unlink(missing_ok=True)
        run_id = project.run_job("toggle")
        statuses.append((run_id, project.wait_run(run_id)["status"]))
    assert [s for _, s in statuses] == ["SUCCESS", "FAILED", "SUCCESS", "SUCCESS"]
    [row] = settled(project, 1)
    recovered = statuses[2][0]
    assert row["run_id"] == recovered
    assert [r.body for r in hooks.to("/slack")] == [
        {"text": f"toggle recovered in run {recovered}", "channel": "#recovered"}
    ]
    assert len(alerts(project)) == 1


def test_sla_breach_is_sent_while_the_job_runs(project: Project, hooks: HttpReceiver) -> None:
    setup(
        project,
        f"""
        version: "1"
        integrations:
          slack:
            webhook_url: {hooks.url("/slack")}
        jobs:
          own:
            description: has its own SLA hook
            frequency: manual
            command: "echo started; sleep 3"
            sla: 300ms
            notify:
              on_sla_breach:
                channel: slack:#sla
                message: "{{{{ job.name }}}} {{{{ run.status }}}} breached={{{{ run.sla_breached }}}} sla={{{{ job.sla }}}} exit=[{{{{ run.exit_code }}}}]"
                attach_logs: last_5_lines
          fallback:
            description: borrows on_failure
            frequency: manual
            command: sleep 3
            sla: 300ms
            notify:
              on_failure: slack:#fail
        """,
    )
    own, fallback = project.run_job("own"), project.run_job("fallback")
    received = {r.body["channel"]: r for r in hooks.wait_for("/slack", 2, timeout=10)}
    for run_id in (own, fallback):  # sent while the runs are still going
        assert project.get(f"/api/runs/{run_id}")["status"] == "RUNNING"
    assert received["#sla"].body["text"] == (
        "own RUNNING breached=true sla=300ms exit=[]\n\nAttached logs:\nstarted"
    )
    assert received["#fail"].body["text"] == "[on_sla_breach] job fallback status=RUNNING"
    rows = settled(project, 2)
    assert {(r["job_name"], r["event"], r["channel"]) for r in rows} == {
        ("own", "on_sla_breach", "slack:#sla"),
        ("fallback", "on_sla_breach", "slack:#fail"),
    }
    assert json.loads(by_event(rows, "own", "on_sla_breach")["payload"])["status"] == "RUNNING"
    done = project.wait_run(own, timeout=10)
    assert (done["status"], done["sla_breached"]) == ("SUCCESS", True)


# -- SMTP --------------------------------------------------------------------------------------


def test_a_failure_mailed_over_starttls_with_login(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    authority = trustme.CA()
    bundle = project.root / "ca.pem"
    authority.cert_pem.write_to_path(str(bundle))
    tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    authority.issue_cert("127.0.0.1").configure_cert(tls)
    monkeypatch.setenv("HUSKY_TEST_SMTP_PASSWORD", "mail-pw-7")
    with MailReceiver(tls=tls, users={"husky": "mail-pw-7"}) as server:
        setup(
            project,
            f"""
            version: "1"
            integrations:
              smtp:
                host: 127.0.0.1
                port: {server.port}
                username: husky
                password: ${{env:HUSKY_TEST_SMTP_PASSWORD}}
                from: husky@example.com
            jobs:
              nightly:
                description: Nightly
                frequency: manual
                command: "echo disk full >&2; exit 1"
                notify:
                  on_failure:
                    channel: email:oncall@example.com
                    attach_logs: all
            """,
            DAEMON + "  ca_bundle: ca.pem\n",
        )
        run_id = project.run_job("nightly")
        [mail] = server.wait_for(1)
        [row] = settled(project, 1)
    assert (mail.mail_from, mail.rcpt_tos, mail.tls, mail.login) == (
        "husky@example.com",
        ["oncall@example.com"],
        True,
        "husky",
    )
    assert (mail.message["From"], mail.message["To"], mail.message["Subject"]) == (
        "husky@example.com",
        "oncall@example.com",
        "Husky notification",
    )
    text = "[on_failure] job nightly status=FAILED\n\nAttached logs:\ndisk full"
    assert mail.body == text + "\n"
    assert (row["run_id"], row["channel"], row["status"], row["attempts"]) == (
        run_id,
        "email:oncall@example.com",
        "delivered",
        1,
    )
    assert json.loads(row["payload"])["message"] == text


# -- secrets (I28) -----------------------------------------------------------------------------


def test_secrets_stay_out_of_logs_rows_and_config_show(
    project: Project, hooks: HttpReceiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    secret_path = "/services/T000/B000/s3cr3t-token-value"
    monkeypatch.setenv("HUSKY_TEST_HOOK_URL", hooks.url(secret_path))
    monkeypatch.setenv("HUSKY_TEST_DEAD_URL", "http://127.0.0.1:1/dead-s3cr3t-path")
    monkeypatch.setenv("HUSKY_TEST_ROUTING_KEY", "rk-s3cr3t-routing")
    hooks.script(secret_path, 500, 500, 500)
    project.write(
        """
        version: "1"
        integrations:
          slack:
            webhook_url: ${env:HUSKY_TEST_HOOK_URL}
          dead:
            provider: webhook
            webhook_url: ${env:HUSKY_TEST_DEAD_URL}
          pd:
            provider: pagerduty
            routing_key: ${env:HUSKY_TEST_ROUTING_KEY}
            webhook_url: ${env:HUSKY_TEST_DEAD_URL}
        jobs:
          leaky:
            description: fails
            frequency: manual
            command: exit 1
            notify:
              on_failure: slack:#ops
          deadend:
            description: fails
            frequency: manual
            command: exit 1
            notify:
              on_failure: dead:x
          paged:
            description: fails
            frequency: manual
            command: exit 1
            notify:
              on_failure: pd:p1
        """
    )
    secrets = ("s3cr3t-token-value", "dead-s3cr3t-path", "rk-s3cr3t-routing")
    for args in (("config", "show"), ("config", "show", "--json")):
        shown = project.husky(*args)
        assert shown.returncode == 0, shown.stderr
        assert not [s for s in secrets if s in shown.stdout + shown.stderr], args
    revealed = project.husky("config", "show", "--show-secrets").stdout
    assert all(s in revealed for s in secrets)  # the values are there, only hidden
    project.write(DAEMON + "log:\n  level: debug\n", name="huskyd.yaml")
    project.start()
    for job in ("leaky", "deadend", "paged"):
        project.run_job(job)
    rows = settled(project, 3)
    assert len(hooks.to(secret_path)) == 3
    assert {r["status"] for r in rows} == {"failed"}
    assert {r["error"] for r in rows} >= {"http status 500"}
    stored = json.dumps(rows)
    log = project.daemon_log()
    assert "failed after 3 attempt(s)" in log
    assert not [s for s in secrets if s in stored or s in log]


# -- a crash, the next daemon, and daemon-level alerts ----------------------------------------


def test_pending_alerts_are_sent_by_the_next_daemon(project: Project, hooks: HttpReceiver) -> None:
    hooks.hang("/slack")
    pid = setup(
        project,
        f"""
        version: "1"
        integrations:
          slack:
            webhook_url: {hooks.url("/slack")}
        jobs:
          broken:
            description: fails
            frequency: manual
            command: exit 1
            notify:
              on_failure: slack:#ops
        """,
        DAEMON.replace("timeout: 1s", "timeout: 30s"),
    )
    run_id = project.run_job("broken")
    hooks.wait_for("/slack")
    [pending] = alerts(project)
    assert (pending["status"], pending["attempts"], pending["run_id"]) == ("pending", 0, run_id)
    assert project.husky("stop", "--force").returncode == 0
    wait_for(lambda: not pid_alive(pid), what="the daemon to die")
    hooks.unhang("/slack")
    project.start()
    [row] = settled(project, 1)
    assert (row["id"], row["status"], row["attempts"]) == (pending["id"], "delivered", 1)
    assert hooks.to("/slack")[-1].body == {
        "text": "[on_failure] job broken status=FAILED",
        "channel": "#ops",
    }


def test_daemon_start_and_forced_kill_alerts(project: Project, hooks: HttpReceiver) -> None:
    pid = setup(
        project,
        f"""
        version: "1"
        integrations:
          ops:
            provider: webhook
            webhook_url: {hooks.url("/ops")}
        jobs:
          stubborn:
            description: ignores SIGTERM
            frequency: manual
            command: "trap '' TERM; sleep 60"
        """,
        DAEMON.replace("shutdown_timeout: 2s", "shutdown_timeout: 1s")
        + "alerts:\n  on_daemon_start: [ops:x]\n  on_forced_kill: [ops:x]\n",
    )
    [started] = hooks.wait_for("/ops")
    assert started.body["message"].startswith("[on_daemon_start] husky daemon started on ")
    assert f"(pid {pid}, version " in started.body["message"]
    run_id = project.run_job("stubborn")
    project.wait_run(run_id, status={"RUNNING"})
    assert project.husky("stop").returncode == 0
    wait_for(lambda: not pid_alive(pid), what="the daemon to stop")
    [_, killed] = hooks.wait_for("/ops", 2)
    assert killed.body == {
        "message": f"[on_forced_kill] job stubborn run {run_id}: process group killed with"
        " SIGKILL after SIGTERM and the grace period (daemon shutdown_timeout reached)"
    }
    rows = alerts(project)
    assert [(r["event"], r["job_name"], r["run_id"], r["status"]) for r in rows] == [
        ("on_daemon_start", "", None, "delivered"),
        ("on_forced_kill", "stubborn", run_id, "delivered"),
    ]


# -- `husky integrations test` and its endpoint (§9) --------------------------------------------


def test_integration_test_from_the_cli_and_the_api(project: Project, hooks: HttpReceiver) -> None:
    setup(
        project,
        f"""
        version: "1"
        integrations:
          hooks:
            provider: webhook
            webhook_url: {hooks.url("/hook")}
          pd:
            provider: pagerduty
            routing_key: rk-1
            webhook_url: {hooks.url("/pd")}
          chat:
            provider: discord
            webhook_url: {hooks.url("/down")}
        jobs:
          noop:
            description: nothing
            frequency: manual
            command: "true"
        """,
    )
    result = project.husky("integrations", "test", "hooks")
    assert (result.returncode, result.stdout) == (0, 'integration "hooks" test sent\n')
    assert hooks.to("/hook")[0].body == {"message": "husky integration test: hooks (webhook)"}
    with project.api() as api:
        assert api.post("/api/integrations/pd/test").json() == {"ok": True}
        hooks.script("/down", 500, 500, 500)
        assert api.post("/api/integrations/chat/test").json() == {
            "ok": False,
            "error": "http status 500",
        }
    assert hooks.to("/pd")[0].body["payload"]["severity"] == "warning"
    assert len(hooks.to("/down")) == 3
    assert alerts(project) == []  # tests leave no alert row
    hooks.script("/down", 500, 500, 500, 500)
    failed = project.husky("integrations", "test", "chat")
    assert (failed.returncode, failed.stderr) == (1, "Error: http status 500\n")
