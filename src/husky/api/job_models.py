"""OpenAPI descriptions of the jobs, runs and daemon routes' JSON (api.md §5, §6; I22).

As in `data_models.py`, the routes build their JSON with `shapes.py`; these models tell
`/openapi.json` what it is. Optional fields are omitted, never `null`.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from husky.api.data_models import Omitted, Run


class JobSummary(BaseModel):
    name: str
    description: str
    frequency: str = Field(description="as written in husky.yaml")
    timezone: str | Omitted = None
    tags: list[str] | Omitted = None
    next_run: str | Omitted = None
    last_success: str | Omitted = None
    last_failure: str | Omitted = None
    running: bool
    paused: bool | Omitted = Field(default=None, description="present (true) only when paused")


class JobDetail(BaseModel):
    name: str
    job: dict[str, Any] = Field(description="the effective Job (api.md §5), env values as ***")
    runs: list[Run] = Field(description="newest first")


class RunAccepted(BaseModel):
    """`202`: the run was created (it may still wait for a slot)."""

    ok: bool
    run_id: int


class TagPaused(BaseModel):
    ok: bool
    paused: int
    tag: str


class TagResumed(BaseModel):
    ok: bool
    resumed: int
    tag: str


class Skipped(BaseModel):
    ok: bool
    skipped_pending: int = Field(description="PENDING runs of the job that were skipped")


class DaemonStatus(BaseModel):
    ok: bool
    started_at: str
    uptime: str = Field(description="Go duration rounded to seconds, e.g. 1h2m3s")
    version: str
    pid: int


class DaemonInfo(BaseModel):
    ok: bool
    version: str
    pid: int
    config_path: str
    daemon_config_path: str = Field(description='"" when no huskyd.yaml was found')
    db_path: str
    started_at: str
    uptime: str
    active_job_count: int
    paused_job_count: int
    total_job_count: int


class Stopping(BaseModel):
    ok: bool
    message: str


class Outcome(BaseModel):
    """`{"ok": true}` or `{"ok": false, "error": "…"}`."""

    ok: bool
    error: str | Omitted = None


class LogFrame(BaseModel):
    """One line of `/api/runs/{id}/follow` (NDJSON): a `log` frame, then one `end` frame."""

    type: str = Field(description="log | end | error")
    run_id: int | Omitted = None
    seq: int | Omitted = None
    stream: str | Omitted = None
    line: str | Omitted = None
    ts: str | Omitted = None
    status: str | Omitted = None
    error: str | Omitted = None


REASON_BODY: dict[str, Any] = {
    "requestBody": {
        "required": False,
        "content": {
            "application/json": {
                "schema": {
                    "type": "object",
                    "properties": {"reason": {"type": "string", "maxLength": 500}},
                }
            }
        },
    }
}
"""The optional `{"reason": "…"}` body of `POST /api/jobs/{name}/run` (a bad body is ignored)."""
