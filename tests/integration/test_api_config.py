"""Tags, DAG, integrations and config endpoints of the real daemon (api.md §6), over TCP."""

from __future__ import annotations

import json
import os
import stat
from typing import Any

import httpx
import pytest

from tests.integration.daemon_helpers import Project

JOBS = """
version: "1"
integrations:
  slack:
    webhook_url: ${env:HUSKY_TEST_UNSET_HOOK}
  pagerduty:
    routing_key: rk-123
  mail:
    provider: smtp
    host: smtp.example.com
    from: husky@example.com
jobs:
  extract:
    description: Extract
    frequency: manual
    command: "true"
    tags: [etl, nightly]
  transform:
    description: Transform
    frequency: after:extract
    command: "true"
    tags: [etl]
  report:
    description: Report
    frequency: manual
    depends_on: [transform, extract]
    command: "true"
"""
NEW_JOB = """
  publish:
    description: Publish
    frequency: after:report
    command: "true"
"""
DAEMON = """
scheduler:
  max_concurrent_jobs: 4
auth:
  oidc:
    client_secret: oidc-s3cret  # inert, but a secret all the same
"""


@pytest.fixture(autouse=True)
def _no_hook(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HUSKY_TEST_UNSET_HOOK", raising=False)


def _started(project: Project, *, daemon: str | None = None) -> httpx.Client:
    project.write(JOBS)
    if daemon is not None:
        project.write(DAEMON, "huskyd.yaml")
    project.start()
    return project.api()


def _json(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    return response.json()


def _job_names(api: httpx.Client) -> list[str]:
    return [j["name"] for j in _json(api.get("/api/jobs"))]


def test_tags_dag_and_integrations(project: Project) -> None:
    with _started(project) as api:
        assert _json(api.get("/api/tags")) == [
            {"tag": "etl", "count": 2},
            {"tag": "nightly", "count": 1},
        ]
        assert _json(api.get("/api/dag")) == [
            {"name": "extract", "dependencies": []},
            {"name": "transform", "dependencies": ["extract"]},
            {"name": "report", "dependencies": ["extract", "transform"]},
        ]
        assert _json(api.get("/api/integrations")) == [
            {"name": "mail", "provider": "smtp", "status": "configured"},
            {"name": "pagerduty", "provider": "pagerduty", "status": "configured"},
            {"name": "slack", "provider": "slack", "status": "missing webhook_url"},
        ]


def test_integration_test_endpoint(project: Project) -> None:
    with _started(project) as api:
        assert _json(api.post("/api/integrations/slack/test")) == {
            "ok": False,
            "error": "missing endpoint URL",  # its ${env:…} webhook_url is unset
        }
        assert _json(api.post("/api/integrations/nope/test"), 404) == {
            "error": "integration not found"
        }
        for method in ("GET", "PUT", "DELETE", "PATCH"):
            response = api.request(method, "/api/integrations/slack/test")
            assert _json(response, 404) == {"error": "not found"}, method
        assert _json(api.put("/api/tags"), 405) == {"error": "method not allowed"}


def test_config_files_as_on_disk(project: Project) -> None:
    with _started(project, daemon=DAEMON) as api:
        body = _json(api.get("/api/config"))
        assert body == {"path": "husky.yaml", "yaml": (project.root / "husky.yaml").read_text()}
        daemon = _json(api.get("/api/config/daemon"))
        on_disk = (project.root / "huskyd.yaml").read_text()
        assert daemon["yaml"] == on_disk.replace(
            "oidc-s3cret  # inert, but a secret all the same", '"***"'
        )
        assert daemon["path"].endswith("huskyd.yaml")


def test_no_daemon_config_is_404(project: Project) -> None:
    with _started(project) as api:
        assert _json(api.get("/api/config/daemon"), 404) == {"error": "no huskyd.yaml found"}


def test_validate_reports_as_husky_validate_prints(project: Project) -> None:
    with _started(project) as api:
        assert _json(api.post("/api/config/validate", json={"yaml": JOBS})) == {"ok": True}
        broken = JOBS.replace("frequency: manual\n    command", "frequency: montly\n    command", 1)
        broken = broken.replace("tags: [etl]", "tags: [ETL]")
        result = _json(api.post("/api/config/validate", json={"yaml": broken}))
        # the CLI's report for the same text, from a directory of its own
        check_dir = project.root / "check"
        check_dir.mkdir()
        (check_dir / "husky.yaml").write_text(broken)
        cli = project.husky("-c", "check/husky.yaml", "validate")
        assert cli.returncode == 1
        assert result["ok"] is False
        assert "Error: " + result["error"].replace("husky.yaml:", "check/husky.yaml:") == (
            cli.stderr.rstrip("\n")
        )
        assert [(p["line"], p["column"], p["path"]) for p in result["problems"]] == [
            (15, 16, "jobs.extract.frequency"),
            (22, 12, "jobs.transform.tags[0]"),
        ]
        assert all(set(p) == {"line", "column", "path", "message"} for p in result["problems"])
        assert "montly" in result["problems"][0]["message"]


def test_validate_includes_the_dag_check(project: Project) -> None:
    with _started(project) as api:
        cyclic = JOBS.replace(
            'frequency: manual\n    command: "true"\n    tags: [etl, nightly]',
            'frequency: after:report\n    command: "true"\n    tags: [etl, nightly]',
        )
        result = _json(api.post("/api/config/validate", json={"yaml": cyclic}))
        assert result["ok"] is False
        assert result["error"].startswith("dag: cycle detected: extract -> report -> extract")
        assert result["problems"][0]["path"] == "jobs.extract.frequency"


@pytest.mark.parametrize("path", ["/api/config/validate", "/api/config/save"])
def test_bad_bodies(project: Project, path: str) -> None:
    with _started(project) as api:
        before = (project.root / "husky.yaml").read_bytes()
        for content in (b"not json", b"[]", b"{}", b'{"yaml": 3}', b'{"yaml": null}', b""):
            response = api.post(path, content=content, headers={"content-type": "application/json"})
            assert _json(response, 400) == {"error": "invalid JSON body"}, content
        big = json.dumps({"yaml": "#" * (1024 * 1024)})
        assert _json(api.post(path, content=big), 413) == {
            "error": "request body too large; the limit is 1 MiB (1048576 bytes)"
        }

        def chunks() -> Any:
            for _ in range(20):
                yield b" " * 65536  # no Content-Length: the limit is counted as it arrives

        assert _json(api.post(path, content=chunks()), 413)["error"].startswith("request body")
        surrogate = b'{"yaml": "a: \\ud800"}'
        assert _json(api.post(path, content=surrogate), 400)["error"].startswith(
            "invalid JSON body"
        )
        assert (project.root / "husky.yaml").read_bytes() == before
        assert _job_names(api) == ["extract", "report", "transform"]


def test_save_of_broken_config_keeps_file_and_running_config(project: Project) -> None:
    with _started(project) as api:
        before = (project.root / "husky.yaml").read_bytes()
        broken = JOBS + NEW_JOB.replace("after:report", "after:nobody")
        result = _json(api.post("/api/config/save", json={"yaml": broken}))
        assert result["ok"] is False
        assert 'runs after unknown job "nobody"' in result["error"]
        assert result["problems"][0]["path"] == "jobs.publish.frequency"
        assert (project.root / "husky.yaml").read_bytes() == before
        assert _job_names(api) == ["extract", "report", "transform"]
        assert [p.name for p in project.root.iterdir() if p.name.endswith(".tmp")] == []


def test_save_writes_and_reloads(project: Project) -> None:
    with _started(project) as api:
        path = project.root / "husky.yaml"
        os.chmod(path, 0o640)
        updated = JOBS + NEW_JOB
        assert _json(api.post("/api/config/save", json={"yaml": updated})) == {"ok": True}
        assert path.read_text() == updated
        assert stat.S_IMODE(path.stat().st_mode) == 0o640
        assert _job_names(api) == ["extract", "publish", "report", "transform"]
        assert _json(api.get("/api/dag"))[-1] == {"name": "publish", "dependencies": ["report"]}
        assert _json(api.get("/api/config"))["yaml"] == updated
        assert sorted(p.name for p in project.root.iterdir() if p.is_file()) == ["husky.yaml"]


def test_save_then_failed_reload_keeps_new_file_and_old_config(project: Project) -> None:
    with _started(project) as api:
        (project.root / ".env").write_bytes(
            b"TOKEN=\xff\n"
        )  # the reload reads .env; this breaks it
        updated = JOBS + NEW_JOB
        result = _json(api.post("/api/config/save", json={"yaml": updated}))
        assert result["ok"] is False
        assert result["error"].startswith("saved but reload failed: reload: config load failed:")
        assert ".env: not UTF-8" in result["error"]
        assert (project.root / "husky.yaml").read_text() == updated
        assert _job_names(api) == ["extract", "report", "transform"]


def test_openapi_describes_these_routes(project: Project) -> None:
    with _started(project) as api:
        spec = _json(api.get("/openapi.json"))
    paths = spec["paths"]
    schemas = spec["components"]["schemas"]

    def ok_schema(path: str, method: str) -> dict[str, Any]:
        content = paths[path][method]["responses"]["200"]["content"]["application/json"]
        return dict(content["schema"])

    assert ok_schema("/api/tags", "get")["items"]["$ref"].endswith("/TagCount")
    assert ok_schema("/api/dag", "get")["items"]["$ref"].endswith("/DagNode")
    assert ok_schema("/api/integrations", "get")["items"]["$ref"].endswith("/IntegrationStatus")
    assert set(schemas["TagCount"]["properties"]) == {"tag", "count"}
    assert set(schemas["ConfigFile"]["required"]) == {"path", "yaml"}
    for path in ("/api/config/validate", "/api/config/save"):
        operation = paths[path]["post"]
        assert ok_schema(path, "post")["$ref"].endswith("/CheckResult")
        body = operation["requestBody"]["content"]["application/json"]["schema"]
        assert body["required"] == ["yaml"]
        for status in ("400", "413"):
            error = operation["responses"][status]["content"]["application/json"]["schema"]
            assert error["$ref"].endswith("/ErrorBody")
    assert list(paths["/api/integrations/{name}/test"]) == ["post"]
    assert "404" in paths["/api/config/daemon"]["get"]["responses"]
