"""`/ws/logs/{run_id}`: a run's log over a WebSocket (api.md §7), pushed from the events bus.

Frames are text, one JSON object each: `{"type": "log", …LogLine}` for every line (backfill
first, then live), then `{"type": "end", "status": …}` once the run is terminal, or
`{"type": "end", "reason": "run not found"}`; then the server closes. The feed is the
one `husky logs --tail` uses (`follow.py`), so a follower that falls behind catches up
from the store and never slows the run. Client messages are ignored.
"""

from __future__ import annotations

import json

from fastapi import APIRouter, Request, WebSocket
from fastapi.responses import JSONResponse
from starlette.websockets import WebSocketDisconnect

from husky.api.follow import RunFeed, end_frame
from husky.api.params import flag_param, run_id_param
from husky.errors import DaemonError

router = APIRouter(tags=["logs"])


@router.websocket("/ws/logs/{run_id}")
async def ws_logs(websocket: WebSocket, run_id: str) -> None:
    try:
        rid = run_id_param(run_id)
    except DaemonError as exc:  # refused before the upgrade, as a plain HTTP 400
        await websocket.send_denial_response(JSONResponse({"error": str(exc)}, exc.status))
        return
    feed = RunFeed(
        websocket.app.state.runtime,
        rid,
        include_healthcheck=flag_param(websocket.query_params.get("include_healthcheck")),
        cache=websocket.app.state.frame_cache,
    )
    await websocket.accept()
    try:
        async for chunk in feed.chunks():
            for frame in chunk:
                await websocket.send_text(frame)
        if feed.status is None:
            await websocket.send_text(json.dumps({"type": "end", "reason": "run not found"}))
        else:
            await websocket.send_text(end_frame(rid, feed.status))
        await websocket.close()
    except (WebSocketDisconnect, OSError):
        return  # the client went away: nothing to tell anyone


@router.api_route(
    "/ws/logs/{run_id}",
    methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
    include_in_schema=False,
)
async def ws_logs_http(run_id: str, request: Request) -> JSONResponse:
    """Plain HTTP on the WebSocket path: 400 for a bad id (§7), 405 for a method other
    than GET, and 426 for a GET that does not ask for the upgrade."""
    run_id_param(run_id)
    if request.method != "GET":
        return JSONResponse({"error": "method not allowed"}, status_code=405)
    return JSONResponse(
        {"error": "websocket upgrade required"}, status_code=426, headers={"Upgrade": "websocket"}
    )
