"""The operator fixes of the data endpoints against a real daemon (api.md §6): alert retry,
clear_lock, and the audit tag filter following a reload. Each test has its own daemon."""

from __future__ import annotations

from typing import Any

from tests.integration.daemon_helpers import Project, wait_for
from tests.integration.data_helpers import JOBS, insert_alerts, set_lock


def ids(rows: list[dict[str, Any]]) -> list[int]:
    return [row["id"] for row in rows]


def test_alert_retry_resends_and_refuses_what_it_cannot(project: Project) -> None:
    """I20: a retry puts the row back to pending and sends it again; rows without a
    stored message end failed saying so (test_notify.py covers real re-deliveries)."""
    project.write(JOBS)
    project.start()
    failed, delivered, pending = insert_alerts(
        project,
        [
            ("retry_me", None, "on_failure", "failed", "timeout", None),
            ("retry_me", None, "on_success", "delivered", None, None),
            ("retry_me", None, "on_failure", "pending", None, None),
        ],
    )

    def row(alert_id: int) -> dict[str, Any]:
        return next(a for a in project.get("/api/db/alerts") if a["id"] == alert_id)

    with project.api() as client:
        for alert_id in (failed, delivered):
            response = client.post(f"/api/db/alerts/{alert_id}/retry")
            assert (response.status_code, response.json()) == (200, {"ok": True})
            resent = wait_for(
                lambda a=alert_id: (r := row(a))["status"] != "pending" and r,
                what=f"alert {alert_id} to be re-sent",
            )
            assert resent["status"] == "failed"
            assert resent["error"] == "the alert has no message to send again"
        cases = [
            (client.post(f"/api/db/alerts/{pending}/retry"), 409, "alert is already pending retry"),
            (client.post("/api/db/alerts/999999/retry"), 404, "alert not found"),
            (client.post("/api/db/alerts/abc/retry"), 400, "invalid alert id"),
            (client.post("/api/db/alerts/0/retry"), 400, "invalid alert id"),
            (client.post(f"/api/db/alerts/{10**30}/retry"), 400, "invalid alert id"),
            (client.get(f"/api/db/alerts/{failed}/retry"), 404, "not found"),  # wrong method
            (client.delete(f"/api/db/alerts/{failed}/retry"), 404, "not found"),
            (client.put(f"/api/db/alerts/{failed}/retry"), 404, "not found"),
        ]
        for response, status, message in cases:
            assert (response.status_code, response.json()) == (status, {"error": message})
    assert row(pending)["status"] == "pending"


def test_clear_lock(project: Project) -> None:
    project.write(JOBS)
    project.start()
    set_lock(project, "hello", 4242)
    set_lock(project, "sleeper", 99)
    with project.api() as client:
        response = client.post("/api/db/job_state/hello/clear_lock")
        assert (response.status_code, response.json()) == (200, {"ok": True})
        state = {r["job_name"]: r for r in client.get("/api/db/state").json()}
        assert "lock_pid" not in state["hello"] and state["sleeper"]["lock_pid"] == 99
        response = client.post("/api/db/job_state/no-row/clear_lock")
        assert (response.status_code, response.json()) == (200, {"ok": True})
        for wrong in (client.get, client.delete, client.put):
            response = wrong("/api/db/job_state/hello/clear_lock")
            assert (response.status_code, response.json()) == (404, {"error": "not found"})

        run_id = project.run_job("sleeper")
        project.wait_run(run_id, status={"RUNNING"})
        response = client.post("/api/db/job_state/sleeper/clear_lock")
        assert response.status_code == 409
        assert response.json() == {
            "error": 'job "sleeper" has a RUNNING execution; stop it before clearing the lock'
        }
        state = {r["job_name"]: r for r in client.get("/api/db/state").json()}
        assert state["sleeper"]["lock_pid"] == 99
        assert client.post("/api/jobs/sleeper/cancel").status_code == 200
        project.wait_run(run_id)
        response = client.post("/api/db/job_state/sleeper/clear_lock")
        assert (response.status_code, response.json()) == (200, {"ok": True})
        state = {r["job_name"]: r for r in client.get("/api/db/state").json()}
        assert "lock_pid" not in state["sleeper"]


def test_audit_tag_follows_the_current_config(project: Project) -> None:
    project.write(JOBS)
    project.start()
    hello = project.wait_run(project.run_job("hello"))
    assert project.get("/api/audit?tag=greetings") == []
    project.write(
        JOBS.replace(
            "    command: echo hello\n", "    command: echo hello\n    tags: [greetings]\n"
        )
    )
    assert project.husky("reload").returncode == 0
    assert ids(project.get("/api/audit?tag=greetings")) == [hello["id"]]
