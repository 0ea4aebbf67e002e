"""`/api/runs/{id}`: one run and its log lines."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse

from husky.api import data_models as m
from husky.api import job_models as jm
from husky.api.deps import RuntimeDep
from husky.api.follow import RunFeed, end_frame
from husky.api.params import flag_param, int_param, run_id_param
from husky.api.shapes import output_json, run_json
from husky.errors import DaemonError

router = APIRouter(tags=["runs"])


@router.get("/api/runs/{run_id}", response_model=m.Run, responses=m.errors(400, 404))
async def get_run(run_id: str, rt: RuntimeDep) -> JSONResponse:
    rid = run_id_param(run_id)
    active = rt.executor.active.get(rid)
    run = active.run if active is not None else await rt.store.get_run(rid)
    if run is None:
        raise DaemonError("run not found", 404)
    return JSONResponse(run_json(run))


@router.get("/api/runs/{run_id}/logs", response_model=list[m.LogLine], responses=m.errors(400))
async def get_logs(
    run_id: str,
    rt: RuntimeDep,
    limit: str | None = None,
    offset: str | None = None,
    include_healthcheck: str | None = None,
) -> Response:
    """Paging first (by seq), then healthcheck lines removed unless asked for (api.md §6).
    The store builds the JSON text (no Python object per line)."""
    body = await rt.store.get_logs_json(
        run_id_param(run_id),
        after_seq=int_param(offset, 0),
        limit=int_param(limit, 500, minimum=1, maximum=100_000),
        healthcheck=flag_param(include_healthcheck),
    )
    return Response(body, media_type="application/json")


@router.get("/api/runs/{run_id}/outputs", response_model=list[m.RunOutput], responses=m.errors(400))
async def get_outputs(run_id: str, rt: RuntimeDep) -> list[dict[str, Any]]:
    """The values the run captured, in insertion order."""
    return [output_json(o) for o in await rt.store.get_outputs(run_id=run_id_param(run_id))]


@router.get(
    "/api/runs/{run_id}/follow",
    response_class=StreamingResponse,
    responses={
        200: {
            "description": "NDJSON: one LogFrame per line",
            "content": {"application/x-ndjson": {"schema": jm.LogFrame.model_json_schema()}},
        },
        **m.errors(400, 404),
    },
)
async def follow(
    run_id: str, request: Request, rt: RuntimeDep, include_healthcheck: str | None = None
) -> StreamingResponse:
    """The run's log as NDJSON: backfill, live lines, then an `end` frame (I24)."""
    rid = run_id_param(run_id)
    if rid not in rt.executor.active and await rt.store.get_run(rid) is None:
        raise DaemonError("run not found", 404)
    feed = RunFeed(
        rt,
        rid,
        include_healthcheck=flag_param(include_healthcheck),
        cache=request.app.state.frame_cache,
    )

    async def body() -> AsyncIterator[bytes]:
        async for chunk in feed.chunks():
            yield "".join(frame + "\n" for frame in chunk).encode()
        if feed.status is None:  # deleted meanwhile (retention)
            yield json.dumps({"type": "error", "error": "run not found"}).encode() + b"\n"
        else:
            yield end_frame(rid, feed.status).encode() + b"\n"

    return StreamingResponse(body(), media_type="application/x-ndjson")
