"""OpenAPI descriptions of the data views' JSON (api.md §5, §6; I22).

The routes build their JSON with `shapes.py` and return it as is; these models only
tell `/openapi.json` what that JSON is, so schema-driven fuzzing checks the real
shapes. A field the API omits when NULL or empty is optional and never `null`
(`SkipJsonSchema` keeps `null` out of the schema).
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, Field
from pydantic.json_schema import SkipJsonSchema

#: Optional and, when present, never null.
Omitted = SkipJsonSchema[None]


class ErrorBody(BaseModel):
    error: str


class Ok(BaseModel):
    ok: bool


class Run(BaseModel):
    """One attempt of a job (a `job_runs` row)."""

    id: int
    job_name: str
    status: str
    status_reason: str | Omitted = None
    attempt: int
    trigger: str
    triggered_by: str
    reason: Annotated[str, Field(description='`""` when the run has none')]
    started_at: str | Omitted = None
    finished_at: str | Omitted = None
    exit_code: int | Omitted = None
    hc_status: str | Omitted = None
    sla_breached: bool
    created_at: str


class LogLine(BaseModel):
    run_id: int
    seq: int
    stream: str
    line: str
    ts: str


class RunOutput(BaseModel):
    run_id: int
    job_name: str
    var_name: str
    value: str
    cycle_id: str


class Alert(BaseModel):
    """One notification delivery (an `alerts` row)."""

    id: int
    job_name: str
    run_id: int | Omitted = None
    event: str | Omitted = None
    channel: str
    status: str
    attempts: int
    last_attempt_at: str | Omitted = None
    error: str | Omitted = None
    sent_at: str
    payload: Annotated[str | Omitted, Field(description="JSON text")] = None


class JobStateRow(BaseModel):
    """One `job_state` row; NULL columns are omitted."""

    job_name: str
    last_success: str | Omitted = None
    last_failure: str | Omitted = None
    next_run: str | Omitted = None
    lock_pid: int | Omitted = None


def errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    """`responses=` for a route's documented error statuses, each an ErrorBody."""
    return {code: {"model": ErrorBody} for code in codes}
