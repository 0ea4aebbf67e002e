"""`GET /api/audit`: the run history, searchable (api.md §6)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from husky.api import data_models as m
from husky.api.deps import RuntimeDep
from husky.api.params import TimeQuery, page_params, text_param, time_param
from husky.store.queries import RunFilter

router = APIRouter(tags=["audit"])


@router.get("/api/audit", response_model=list[m.Run], responses=m.errors(400))
async def audit(
    rt: RuntimeDep,
    job: str | None = None,
    trigger: str | None = None,
    status: str | None = None,
    since: TimeQuery = "",
    reason: str | None = None,
    tag: str | None = None,
    limit: str | None = None,
    offset: str | None = None,
) -> Response:
    """Runs newest first. `status` in any case, `since` RFC 3339 (on `created_at`), `reason`
    a case-insensitive substring, `tag` = the jobs of the current config with that tag;
    `limit` 100 (at most 1000), `offset` 0. The store builds the JSON text."""
    page_limit, page_offset = page_params(limit, offset, 100)
    search = RunFilter(
        job=text_param(job),
        trigger=text_param(trigger),
        status=text_param(status),
        since=time_param(since, "since"),
        reason=text_param(reason),
        job_names=None if not tag else frozenset(rt.tagged(tag)),
    )
    body = await rt.store.search_runs_json(search, limit=page_limit, offset=page_offset)
    return Response(body, media_type="application/json")
