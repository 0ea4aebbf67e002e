"""`/api/jobs*`: the job list, one job, and the actions on it."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from husky.api import data_models as m
from husky.api import job_models as jm
from husky.api.deps import RuntimeDep
from husky.api.job_list import JobList
from husky.api.params import int_param
from husky.api.shapes import run_json
from husky.daemon.runtime import Runtime
from husky.errors import DaemonError

router = APIRouter(tags=["jobs"])
MAX_REASON = 500


@router.get("/api/jobs", response_model=list[jm.JobSummary])
async def list_jobs(request: Request, rt: RuntimeDep, tag: str | None = None) -> Response:
    """Every job's summary by name (`job_list.py` keeps the encoded body between calls)."""
    states = await rt.job_states.current()
    job_list: JobList = request.app.state.job_list
    return Response(job_list.body(rt, states, tag), media_type="application/json")


@router.post("/api/jobs/pause", response_model=jm.TagPaused, responses=m.errors(400))
async def pause_tag(rt: RuntimeDep, tag: str | None = None) -> dict[str, Any]:
    """Pause every job with the tag (api.md §6; scheduling.md §8)."""
    if not tag:
        raise DaemonError("tag query parameter is required", 400)
    names = rt.tagged(tag)
    if not names:
        raise DaemonError(f'no jobs found for tag "{tag}"', 400)
    rt.pause(names)
    return {"ok": True, "paused": len(names), "tag": tag}


@router.post("/api/jobs/resume", response_model=jm.TagResumed, responses=m.errors(400))
async def resume_tag(rt: RuntimeDep, tag: str | None = None) -> dict[str, Any]:
    if not tag:
        raise DaemonError("tag query parameter is required", 400)
    resumed = rt.resume(rt.tagged(tag))
    if not resumed:
        raise DaemonError(f'no paused jobs found for tag "{tag}"', 400)
    return {"ok": True, "resumed": resumed, "tag": tag}


@router.get("/api/jobs/{name}", response_model=jm.JobDetail, responses=m.errors(404))
async def get_job(name: str, rt: RuntimeDep, runs: str | None = None) -> JSONResponse:
    job = rt.config.jobs.get(name)
    if job is None:
        raise DaemonError("job not found", 404)
    recent = await rt.store.list_runs(job_name=name, limit=int_param(runs, 20, maximum=1000))
    runs_json = [run_json(r) for r in recent]
    return JSONResponse({"name": name, "job": job.to_dict(redact="all"), "runs": runs_json})


async def _reason(request: Request) -> str | None:
    """`{"reason": "…"}`; a missing or unreadable body means no reason (api.md §6)."""
    try:
        body = json.loads(await request.body() or b"{}")
    except ValueError:
        return None
    reason = body.get("reason") if isinstance(body, dict) else None
    if not isinstance(reason, str) or not reason.strip():
        return None
    if len(reason) > MAX_REASON:
        raise DaemonError(f"reason exceeds max length of {MAX_REASON} characters", 400)
    return reason


@router.post(
    "/api/jobs/{name}/run",
    status_code=202,
    response_model=jm.RunAccepted,
    responses=m.errors(400, 404, 409),
    openapi_extra=jm.REASON_BODY,
)
async def run_job(name: str, request: Request, rt: RuntimeDep) -> JSONResponse:
    rt.job_or_404(name)
    reason = await _reason(request)
    triggered_by = f"cli: {reason}" if reason else "cli"
    run = await rt.run_job(name, reason=reason, triggered_by=triggered_by)
    return JSONResponse({"ok": True, "run_id": run.id}, status_code=202)


@router.post("/api/jobs/{name}/cancel", response_model=m.Ok, responses=m.errors(400))
async def cancel_job(name: str, rt: RuntimeDep) -> dict[str, Any]:
    """400 `job "<n>" is not currently running`, for unknown names too (execution.md §13)."""
    rt.cancel_job(name)
    return {"ok": True}


@router.post(
    "/api/jobs/{name}/retry",
    status_code=202,
    response_model=jm.RunAccepted,
    responses=m.errors(404, 409),
)
async def retry_job(name: str, rt: RuntimeDep) -> JSONResponse:
    """Same as run, with reason `manual retry` (execution.md §13)."""
    run = await rt.run_job(name, reason="manual retry", triggered_by="cli: manual retry")
    return JSONResponse({"ok": True, "run_id": run.id}, status_code=202)


def _known(rt: Runtime, name: str) -> None:
    if name not in rt.config.jobs:
        raise DaemonError(f'unknown job "{name}"', 400)


@router.post("/api/jobs/{name}/pause", response_model=m.Ok, responses=m.errors(400))
async def pause_job(name: str, rt: RuntimeDep) -> dict[str, Any]:
    _known(rt, name)
    rt.pause([name])
    return {"ok": True}


@router.post("/api/jobs/{name}/resume", response_model=m.Ok, responses=m.errors(400))
async def resume_job(name: str, rt: RuntimeDep) -> dict[str, Any]:
    _known(rt, name)
    rt.resume([name])
    return {"ok": True}


@router.post("/api/jobs/{name}/skip", response_model=jm.Skipped, responses=m.errors(400))
async def skip_job(name: str, rt: RuntimeDep) -> dict[str, Any]:
    """I7: skip the job's PENDING runs and its next scheduled occurrence."""
    _known(rt, name)
    skipped = await rt.dispatcher.skip(name)
    return {"ok": True, "skipped_pending": skipped}
