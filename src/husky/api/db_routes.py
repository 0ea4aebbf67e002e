"""`/api/db/*`: the tables as they are (api.md §6), and the two operator fixes on them.

Lists take `limit` (capped at `params.MAX_LIMIT`) and `offset`; every filter applies
in the store before paging. The sub-actions answer 404 `not found` for a wrong method
(api.md §1), not 405.
"""

from __future__ import annotations

from fastapi import APIRouter

from husky.api import data_models as m
from husky.api.deps import RuntimeDep
from husky.api.fastjson import FastJSONResponse
from husky.api.params import (
    AlertIdPath,
    TimeQuery,
    alert_id_param,
    flag_param,
    opt_int_param,
    page_params,
    text_param,
    time_param,
)
from husky.api.shapes import alert_json, log_json, output_json, run_json, state_json
from husky.errors import DaemonError
from husky.store.queries import AlertFilter, LogFilter, OutputFilter, RunFilter

router = APIRouter(tags=["db"])

#: Every method but the sub-action's own; these answer 404 `not found` (api.md §1).
_OTHER_METHODS = ["GET", "HEAD", "PUT", "PATCH", "DELETE", "OPTIONS"]


@router.get("/api/db/job_runs", response_model=list[m.Run], responses=m.errors(400))
async def job_runs(
    rt: RuntimeDep,
    job: str | None = None,
    trigger: str | None = None,
    status: str | None = None,
    since: TimeQuery = "",
    until: TimeQuery = "",
    sla_breached: str | None = None,
    limit: str | None = None,
    offset: str | None = None,
) -> FastJSONResponse:
    """Runs newest first; `since`/`until` bound `created_at` inclusively (RFC 3339);
    `sla_breached=true|1` keeps breached runs only; `limit` 50 (at most 1000), `offset` 0."""
    page_limit, page_offset = page_params(limit, offset, 50)
    runs = await rt.store.search_runs(
        RunFilter(
            job=text_param(job),
            trigger=text_param(trigger),
            status=text_param(status),
            since=time_param(since, "since"),
            until=time_param(until, "until"),
            sla_breached=flag_param(sla_breached),
        ),
        limit=page_limit,
        offset=page_offset,
    )
    return FastJSONResponse([run_json(r) for r in runs])


@router.get("/api/db/run_logs", response_model=list[m.LogLine], responses=m.errors(400))
async def run_logs(
    rt: RuntimeDep,
    run_id: str | None = None,
    job: str | None = None,
    stream: str | None = None,
    q: str | None = None,
    limit: str | None = None,
    offset: str | None = None,
) -> FastJSONResponse:
    """Log lines by run_id descending, then seq; `q` a case-insensitive substring;
    healthcheck lines included; `limit` 200 (at most 1000), `offset` 0."""
    page_limit, page_offset = page_params(limit, offset, 200)
    lines = await rt.store.search_logs(
        LogFilter(
            run_id=opt_int_param(run_id), job=text_param(job), stream=text_param(stream), q=q
        ),
        limit=page_limit,
        offset=page_offset,
    )
    return FastJSONResponse([log_json(line) for line in lines])


@router.get("/api/db/run_outputs", response_model=list[m.RunOutput])
async def run_outputs(
    rt: RuntimeDep,
    job: str | None = None,
    cycle_id: str | None = None,
    run_id: str | None = None,
    limit: str | None = None,
    offset: str | None = None,
) -> FastJSONResponse:
    """Captured outputs newest first; `limit` 100 (at most 1000), `offset` 0."""
    page_limit, page_offset = page_params(limit, offset, 100)
    outputs = await rt.store.search_outputs(
        OutputFilter(
            job=text_param(job), cycle_id=text_param(cycle_id), run_id=opt_int_param(run_id)
        ),
        limit=page_limit,
        offset=page_offset,
    )
    return FastJSONResponse([output_json(o) for o in outputs])


@router.get("/api/db/alerts", response_model=list[m.Alert])
async def alerts(
    rt: RuntimeDep,
    job: str | None = None,
    status: str | None = None,
    limit: str | None = None,
    offset: str | None = None,
) -> FastJSONResponse:
    """Notification deliveries newest first; `status` is `delivered`, `failed` or
    `pending`; `limit` 100 (at most 1000), `offset` 0."""
    page_limit, page_offset = page_params(limit, offset, 100)
    rows = await rt.store.list_alerts(
        AlertFilter(job=text_param(job), status=text_param(status)),
        limit=page_limit,
        offset=page_offset,
    )
    return FastJSONResponse([alert_json(a) for a in rows])


@router.post(
    "/api/db/alerts/{alert_id}/retry", response_model=m.Ok, responses=m.errors(400, 404, 409)
)
async def retry_alert(alert_id: AlertIdPath, rt: RuntimeDep) -> FastJSONResponse:
    """Mark a delivered or failed alert `pending` with one more attempt."""
    await rt.retry_alert(alert_id_param(alert_id))
    return FastJSONResponse({"ok": True})


@router.get("/api/db/state", response_model=list[m.JobStateRow])
async def state(rt: RuntimeDep) -> FastJSONResponse:
    """Every `job_state` row by job name, NULL columns omitted."""
    states = await rt.store.job_states()
    return FastJSONResponse([state_json(s) for s in states.values()])


@router.post("/api/db/job_state/{job}/clear_lock", response_model=m.Ok, responses=m.errors(409))
async def clear_lock(job: str, rt: RuntimeDep) -> FastJSONResponse:
    """Set the job's `lock_pid` to NULL (fine without a row); refused while it runs."""
    await rt.clear_lock(job)
    return FastJSONResponse({"ok": True})


@router.api_route(
    "/api/db/alerts/{alert_id}/retry", methods=_OTHER_METHODS, include_in_schema=False
)
@router.api_route(
    "/api/db/job_state/{job}/clear_lock", methods=_OTHER_METHODS, include_in_schema=False
)
async def wrong_method() -> None:
    raise DaemonError("not found", 404)
