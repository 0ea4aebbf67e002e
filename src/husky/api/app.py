"""The ASGI app: one API served on both doors, the Unix socket and TCP (I23).

Errors are always JSON `{"error": "<message>"}` with a 4xx for bad input (api.md §1).
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from husky import __version__
from husky.api import (
    audit_routes,
    catalog_routes,
    config_routes,
    daemon_routes,
    dashboard_routes,
    db_routes,
    jobs_routes,
    runs_routes,
    ws_routes,
)
from husky.api.follow import FrameCache
from husky.api.head import HeadAsGet
from husky.api.job_list import JobList
from husky.daemon.runtime import Runtime
from husky.errors import DaemonError, QueryTooSlow

log = logging.getLogger("husky.api")


def create_app(runtime: Runtime) -> FastAPI:
    app = FastAPI(
        title="Husky",
        version=__version__,
        docs_url="/api/docs",
        redoc_url=None,
        openapi_url="/openapi.json",
    )
    app.state.runtime = runtime
    app.state.frame_cache = FrameCache()
    app.state.job_list = JobList()
    for module in (
        daemon_routes,
        jobs_routes,
        runs_routes,
        ws_routes,
        catalog_routes,
        config_routes,
        audit_routes,
        db_routes,
        dashboard_routes,
    ):
        app.include_router(module.router)
    app.add_exception_handler(DaemonError, _daemon_error)
    app.add_exception_handler(QueryTooSlow, _too_slow)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_middleware(HeadAsGet)
    return app


async def _daemon_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, DaemonError)
    return JSONResponse({"error": str(exc)}, status_code=exc.status)


async def _too_slow(_request: Request, exc: Exception) -> JSONResponse:
    """A search over too much data: the client can narrow it, so it is a 400."""
    return JSONResponse({"error": str(exc)}, status_code=400)


async def _http_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    messages = {404: "not found", 405: "method not allowed"}
    message = messages.get(exc.status_code, str(exc.detail))
    return JSONResponse({"error": message}, status_code=exc.status_code, headers=exc.headers)


async def _validation_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    first = exc.errors()[0] if exc.errors() else {}
    where = ".".join(str(p) for p in first.get("loc", ()) if p not in ("body", "query", "path"))
    message = f"invalid {where}: {first.get('msg', 'bad request')}" if where else "invalid request"
    return JSONResponse({"error": message}, status_code=400)
