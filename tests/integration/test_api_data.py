"""The data endpoints against a real daemon (api.md §6 `/api/audit`, `/api/db/*`; I25):
shapes with their exact field names, every documented error, filters and paging.

One daemon serves every test here (`seeded`); they only read. The writes (alert retry,
clear_lock) are tested in test_api_data_actions.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
import pytest

from husky.models import format_ts, parse_ts
from tests.integration.daemon_helpers import Project
from tests.integration.data_helpers import JOBS, db, insert_alerts, set_lock

RUN_KEYS = {"id", "job_name", "status", "attempt", "trigger", "triggered_by", "reason"}
RUN_KEYS |= {"sla_breached", "created_at", "started_at", "finished_at", "exit_code"}
BULK = 1001  # more rows than the largest page


@dataclass
class Seeded:
    project: Project
    extract: dict[str, Any]
    slow: dict[str, Any]
    hello: dict[str, Any]
    alerts: list[int]

    def get(self, path: str, **params: Any) -> httpx.Response:
        with self.project.api() as client:
            return client.get(path, params=params)

    def ok(self, path: str, **params: Any) -> Any:
        response = self.get(path, **params)
        assert response.status_code == 200, response.text
        assert response.headers["content-type"].startswith("application/json")
        return response.json()


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Seeded]:
    """A daemon with BULK old `bulk` rows (inserted first), then real runs of extract, slow
    (SLA breached) and hello (reason "Nightly BACKFILL"), three alerts and a lock."""
    project = Project(tmp_path_factory.mktemp("data"))
    project.write(JOBS)
    project.start()
    try:
        conn = db(project)
        conn.executemany(
            "INSERT INTO job_runs (job_name, status, trigger, triggered_by, created_at)"
            " VALUES ('bulk', 'SUCCESS', 'schedule', 'scheduler', ?)",
            [(f"2020-01-01T00:00:{i % 60:02d}.000Z",) for i in range(BULK)],
        )
        conn.close()
        extract = project.wait_run(project.run_job("extract"))
        slow = project.wait_run(project.run_job("slow"))
        hello = project.wait_run(project.run_job("hello", reason="Nightly BACKFILL"))
        alerts = insert_alerts(
            project,
            [
                (
                    "extract",
                    extract["id"],
                    "on_failure",
                    "failed",
                    "HTTP 500",
                    '{"job": "extract"}',
                ),
                ("slow", None, "", "delivered", None, None),
                ("extract", extract["id"], "on_success", "delivered", None, None),
            ],
        )
        set_lock(project, "hello", 4242)
        yield Seeded(project, extract, slow, hello, alerts)
    finally:
        project.stop_all()


def ids(rows: list[dict[str, Any]]) -> list[int]:
    return [row["id"] for row in rows]


# -- /api/audit -------------------------------------------------------------------------


def test_audit_returns_runs_newest_first_in_the_run_shape(seeded: Seeded) -> None:
    runs = seeded.ok("/api/audit")
    assert len(runs) == 100  # the default limit
    assert ids(runs[:3]) == [seeded.hello["id"], seeded.slow["id"], seeded.extract["id"]]
    hello = runs[0]
    assert set(hello) == RUN_KEYS
    assert hello == seeded.hello  # the same object as /api/runs/{id}
    assert (hello["reason"], hello["status"], hello["exit_code"]) == (
        "Nightly BACKFILL",
        "SUCCESS",
        0,
    )
    assert hello["created_at"].endswith("Z") and len(hello["created_at"]) == 24  # .mmm (I25)
    bulk = runs[3]
    assert set(bulk) == RUN_KEYS - {"started_at", "finished_at", "exit_code"}  # NULLs omitted
    assert bulk["reason"] == ""


def test_audit_filters(seeded: Seeded) -> None:
    extract, slow, hello = seeded.extract["id"], seeded.slow["id"], seeded.hello["id"]
    assert ids(seeded.ok("/api/audit", job="extract")) == [extract]
    assert ids(seeded.ok("/api/audit", trigger="manual")) == [hello, slow, extract]
    scheduled = seeded.ok("/api/audit", trigger="schedule", limit=1000, offset=1000)
    assert [r["job_name"] for r in scheduled] == ["bulk"] * (BULK - 1000)
    assert ids(seeded.ok("/api/audit", status="success", job="hello")) == [hello]  # any case
    assert ids(seeded.ok("/api/audit", status="Failed")) == []
    assert ids(seeded.ok("/api/audit", reason="backfill")) == [hello]  # case-insensitive
    assert ids(seeded.ok("/api/audit", tag="etl")) == [slow, extract]
    assert seeded.ok("/api/audit", tag="no-such-tag") == []
    assert ids(seeded.ok("/api/audit", tag="etl", reason="nightly")) == []


def test_audit_since_takes_both_timestamp_forms(seeded: Seeded) -> None:
    extract, slow, hello = seeded.extract["id"], seeded.slow["id"], seeded.hello["id"]
    created = parse_ts(seeded.slow["created_at"])
    assert ids(seeded.ok("/api/audit", since=seeded.slow["created_at"])) == [hello, slow]
    after = format_ts(created + timedelta(milliseconds=1))
    assert ids(seeded.ok("/api/audit", since=after)) == [hello]
    whole = created.strftime("%Y-%m-%dT%H:%M:%SZ")  # the second slow was created in
    assert {hello, slow} <= set(ids(seeded.ok("/api/audit", since=whole))) <= {hello, slow, extract}
    offset = (created + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M:%S.%f+02:00")
    assert ids(seeded.ok("/api/audit", since=offset)) == [hello, slow]
    assert len(seeded.ok("/api/audit", since="2020-01-01T00:00:00Z", limit=1000)) == 1000
    assert seeded.ok("/api/audit", since="2999-01-01T00:00:00+02:00") == []
    assert seeded.ok("/api/audit", since="") == seeded.ok("/api/audit")  # empty: no bound


def test_audit_paging_and_lenient_integers(seeded: Seeded) -> None:
    everything = ids(seeded.ok("/api/audit", limit=1000))
    assert len(everything) == 1000  # the cap: BULK + 3 rows exist
    assert ids(seeded.ok("/api/audit", limit=5000)) == everything
    assert ids(seeded.ok("/api/audit", limit=2)) == everything[:2]
    assert ids(seeded.ok("/api/audit", limit=2, offset=2)) == everything[2:4]
    assert ids(seeded.ok("/api/audit", limit="x", offset="y")) == everything[:100]
    assert ids(seeded.ok("/api/audit", limit="-3", offset="-1")) == everything[:100]
    assert seeded.ok("/api/audit", offset=str(10**30)) == []


@pytest.mark.parametrize(
    "since", ["yesterday", "2026-03-08", "2026-03-08 07:30:00Z", "2026-03-08T07:30:00"]
)
def test_audit_rejects_a_since_that_is_not_rfc3339(seeded: Seeded, since: str) -> None:
    response = seeded.get("/api/audit", since=since)
    assert response.status_code == 400
    assert response.json() == {"error": "invalid since; expected RFC3339"}


# -- /api/db/job_runs -------------------------------------------------------------------


def test_db_job_runs_filters_paging_and_errors(seeded: Seeded) -> None:
    extract, slow, hello = seeded.extract, seeded.slow, seeded.hello
    runs = seeded.ok("/api/db/job_runs")
    assert len(runs) == 50  # the default limit
    assert runs[0] == hello and set(runs[0]) == RUN_KEYS
    assert ids(seeded.ok("/api/db/job_runs", sla_breached="true")) == [slow["id"]]
    assert ids(seeded.ok("/api/db/job_runs", sla_breached="1")) == [slow["id"]]
    assert len(seeded.ok("/api/db/job_runs", sla_breached="no")) == 50
    assert seeded.ok("/api/db/job_runs", sla_breached="true")[0]["sla_breached"] is True
    window = {"since": extract["created_at"], "until": slow["created_at"]}  # both inclusive
    assert ids(seeded.ok("/api/db/job_runs", **window)) == [slow["id"], extract["id"]]
    whole = {"since": "2020-01-01T00:00:00Z", "until": "2020-01-01T00:00:09Z"}
    assert len(seeded.ok("/api/db/job_runs", limit=1000, **whole)) == 17 * 10  # :00 … :09
    assert ids(seeded.ok("/api/db/job_runs", job="hello", trigger="manual", status="SUCCESS")) == [
        hello["id"]
    ]
    assert ids(seeded.ok("/api/db/job_runs", limit=1, offset=1)) == [slow["id"]]
    for name in ("since", "until"):
        response = seeded.get("/api/db/job_runs", **{name: "2026-13-01T00:00:00Z"})
        assert response.status_code == 400
        assert response.json() == {"error": f"invalid {name}; expected RFC3339"}


# -- /api/db/run_logs -------------------------------------------------------------------


def test_db_run_logs_order_filters_and_healthcheck(seeded: Seeded) -> None:
    extract, hello = seeded.extract["id"], seeded.hello["id"]
    lines = seeded.ok("/api/db/run_logs")
    assert all(set(line) == {"run_id", "seq", "stream", "line", "ts"} for line in lines)
    assert [(ln["run_id"], ln["seq"], ln["stream"], ln["line"]) for ln in lines] == [
        (hello, 1, "stdout", "hello"),
        (extract, 1, "stdout", "Extracted 12 rows"),
        (extract, 2, "stderr", "WARN disk"),
        (extract, 3, "healthcheck", "healthy"),  # included here
    ]
    assert [ln["line"] for ln in seeded.ok("/api/db/run_logs", run_id=extract)] == [
        "Extracted 12 rows",
        "WARN disk",
        "healthy",
    ]
    assert seeded.ok("/api/db/run_logs", run_id="abc") == lines  # unparsable: no filter
    assert [ln["line"] for ln in seeded.ok("/api/db/run_logs", job="hello")] == ["hello"]
    assert [ln["line"] for ln in seeded.ok("/api/db/run_logs", stream="stderr")] == ["WARN disk"]
    assert [ln["line"] for ln in seeded.ok("/api/db/run_logs", q="warn")] == ["WARN disk"]
    assert [ln["line"] for ln in seeded.ok("/api/db/run_logs", q="E", job="extract")] == [
        "Extracted 12 rows",
        "healthy",
    ]
    page = seeded.ok("/api/db/run_logs", limit=2, offset=1)
    assert [(ln["run_id"], ln["seq"]) for ln in page] == [(extract, 1), (extract, 2)]
    assert seeded.ok("/api/db/run_logs", run_id=10**30) == []


# -- /api/db/run_outputs ----------------------------------------------------------------


def test_db_run_outputs_shape_and_filters(seeded: Seeded) -> None:
    extract = seeded.extract["id"]
    outputs = seeded.ok("/api/db/run_outputs")
    assert len(outputs) == 1
    output = outputs[0]
    assert set(output) == {"run_id", "job_name", "var_name", "value", "cycle_id"}
    assert (output["run_id"], output["job_name"], output["var_name"], output["value"]) == (
        extract,
        "extract",
        "rows",
        "12",
    )
    assert seeded.ok("/api/db/run_outputs", job="extract", run_id=extract) == outputs
    assert seeded.ok("/api/db/run_outputs", cycle_id=output["cycle_id"]) == outputs
    assert seeded.ok("/api/db/run_outputs", job="hello") == []
    assert seeded.ok("/api/db/run_outputs", cycle_id="nope") == []
    assert seeded.ok("/api/db/run_outputs", offset=1) == []


# -- /api/db/alerts ---------------------------------------------------------------------


def test_db_alerts_shape_filters_and_paging(seeded: Seeded) -> None:
    failed, delivered, success = seeded.alerts
    alerts = seeded.ok("/api/db/alerts")
    assert ids(alerts) == [success, delivered, failed]
    by_id = {a["id"]: a for a in alerts}
    assert by_id[failed] == {
        "id": failed,
        "job_name": "extract",
        "run_id": seeded.extract["id"],
        "event": "on_failure",
        "channel": "slack",
        "status": "failed",
        "attempts": 1,
        "last_attempt_at": "2026-03-08T07:30:00.250Z",
        "error": "HTTP 500",
        "sent_at": "2026-03-08T07:30:00.250Z",
        "payload": '{"job": "extract"}',
    }
    assert set(by_id[delivered]) == {  # run_id, event, error, payload omitted
        "id",
        "job_name",
        "channel",
        "status",
        "attempts",
        "last_attempt_at",
        "sent_at",
    }
    assert ids(seeded.ok("/api/db/alerts", job="extract")) == [success, failed]
    assert ids(seeded.ok("/api/db/alerts", status="delivered")) == [success, delivered]
    assert ids(seeded.ok("/api/db/alerts", job="slow", status="failed")) == []
    assert ids(seeded.ok("/api/db/alerts", limit=1, offset=1)) == [delivered]


# -- /api/db/state ---------------------------------------------------------------------


def test_db_state_rows_by_name_with_nulls_omitted(seeded: Seeded) -> None:
    rows = seeded.ok("/api/db/state")
    assert [r["job_name"] for r in rows] == ["extract", "hello", "slow"]
    by_name = {r["job_name"]: r for r in rows}
    assert set(by_name["extract"]) == {"job_name", "last_success"}  # manual jobs: no next_run
    assert by_name["extract"]["last_success"] == seeded.extract["finished_at"]
    assert by_name["hello"]["lock_pid"] == 4242


# -- the OpenAPI document describes what the endpoints return (I22) ---------------------


def test_openapi_describes_the_data_views(seeded: Seeded) -> None:
    doc = seeded.ok("/openapi.json")
    schemas = doc["components"]["schemas"]

    def item_schema(path: str, method: str = "get") -> dict[str, Any]:
        body = doc["paths"][path][method]["responses"]["200"]["content"]["application/json"]
        ref = (
            body["schema"]["items"]["$ref"] if "items" in body["schema"] else body["schema"]["$ref"]
        )
        schema: dict[str, Any] = schemas[ref.rsplit("/", 1)[1]]
        return schema

    run = item_schema("/api/audit")
    assert set(run["properties"]) == RUN_KEYS | {"status_reason", "hc_status"}
    assert set(run["required"]) == RUN_KEYS - {"started_at", "finished_at", "exit_code"}
    assert run["properties"]["exit_code"] == {"type": "integer", "title": "Exit Code"}  # no null
    assert item_schema("/api/db/job_runs") == run
    assert set(item_schema("/api/db/alerts")["required"]) == {
        "id",
        "job_name",
        "channel",
        "status",
        "attempts",
        "sent_at",
    }
    assert set(item_schema("/api/db/state")["required"]) == {"job_name"}
    assert set(item_schema("/api/db/run_logs")["required"]) == {
        "run_id",
        "seq",
        "stream",
        "line",
        "ts",
    }
    errors = doc["paths"]["/api/db/alerts/{alert_id}/retry"]["post"]["responses"]
    assert {"400", "404", "409"} <= set(errors)
    assert errors["409"]["content"]["application/json"]["schema"]["$ref"].endswith("/ErrorBody")
    assert "400" in doc["paths"]["/api/audit"]["get"]["responses"]
    assert set(doc["paths"]["/api/db/alerts/{alert_id}/retry"]) == {"post"}  # 404s undocumented
    params = {p["name"]: p["schema"] for p in doc["paths"]["/api/db/job_runs"]["get"]["parameters"]}
    assert (
        params["since"]["anyOf"]
        == params["until"]["anyOf"]
        == [
            {"format": "date-time"},
            {"maxLength": 0},
        ]
    )
    retry = doc["paths"]["/api/db/alerts/{alert_id}/retry"]["post"]["parameters"][0]["schema"]
    assert (retry["type"], retry["minimum"]) == ("integer", 1)
