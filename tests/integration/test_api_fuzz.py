"""Schema-driven fuzzing of the live API with schemathesis (IMPROVEMENTS I22).

The daemon runs on a small project; schemathesis reads `/openapi.json` and sends a
bounded number of generated requests to every operation. What must hold: no 5xx, every
status code and body as documented, JSON where JSON is declared, no hang (each
request has a timeout). Operations that would end the test (stopping the daemon,
replacing husky.yaml) are left out.
"""

from __future__ import annotations

import subprocess
import sys

from tests.integration.daemon_helpers import Project

YAML = """
version: "1"
defaults:
  timeout: 30s
jobs:
  extract:
    description: first step
    frequency: manual
    command: "echo rows=3"
    tags: [etl]
    output:
      rows: "regex:rows=(\\\\d+)"
  load:
    description: second step
    frequency: after:extract
    command: "echo loaded"
    tags: [etl]
  nightly:
    description: scheduled
    frequency: daily
    time: "0300"
    command: "true"
"""

CHECKS = ",".join(
    (
        "not_a_server_error",
        "status_code_conformance",
        "content_type_conformance",
        "response_schema_conformance",
        "response_headers_conformance",
    )
)


def test_the_api_survives_schema_driven_fuzzing(project: Project) -> None:
    project.write(YAML)
    project.start()
    project.wait_run(project.run_job("extract"))
    addr = (project.data / "api.addr").read_text().strip()
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "schemathesis.cli",
            "run",
            f"http://{addr}/openapi.json",
            "--checks",
            CHECKS,
            "--max-examples",
            "25",
            "--generation-deterministic",
            "--request-timeout",
            "10",
            "--exclude-path",
            "/api/daemon/stop",
            "--exclude-path",
            "/api/config/save",
            "--no-color",
        ],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=project.root,
    )
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
    assert "No issues found" in result.stdout or " passed" in result.stdout, result.stdout
    assert project.get("/api/status")["ok"] is True  # the daemon is still up
