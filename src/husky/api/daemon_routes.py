"""`/api/status` and `/api/daemon/*`."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from husky.api import job_models as jm
from husky.api.deps import RuntimeDep
from husky.api.shapes import go_duration, ts
from husky.daemon.runtime import Runtime
from husky.errors import DaemonError

router = APIRouter(tags=["daemon"])


def _uptime(rt: Runtime) -> str:
    return go_duration(rt.clock.now() - rt.started_at)


@router.get("/api/status", response_model=jm.DaemonStatus)
async def status(rt: RuntimeDep) -> dict[str, Any]:
    return {
        "ok": True,
        "started_at": ts(rt.started_at),
        "uptime": _uptime(rt),
        "version": rt.version,
        "pid": rt.pid,
    }


@router.get("/api/daemon/info", response_model=jm.DaemonInfo)
async def info(rt: RuntimeDep) -> dict[str, Any]:
    active = {a.job.name for a in rt.executor.active.values() if a.executing}
    return {
        "ok": True,
        "version": rt.version,
        "pid": rt.pid,
        "config_path": rt.config_display,
        "daemon_config_path": rt.daemon_config_display,
        "db_path": str(rt.db_path),
        "started_at": ts(rt.started_at),
        "uptime": _uptime(rt),
        "active_job_count": len(active),
        "paused_job_count": len(rt.paused & set(rt.config.jobs)),
        "total_job_count": len(rt.config.jobs),
    }


@router.post("/api/daemon/stop", response_model=jm.Stopping)
async def stop(rt: RuntimeDep) -> dict[str, Any]:
    rt.request_stop()
    return {"ok": True, "message": "daemon stopping"}


@router.post("/api/daemon/reload", response_model=jm.Outcome, response_model_exclude_none=True)
async def reload(rt: RuntimeDep) -> dict[str, Any]:
    try:
        await rt.reload()
    except DaemonError as exc:
        return {"ok": False, "error": str(exc)}
    return {"ok": True}
