"""Shared route helpers."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from husky.daemon.runtime import Runtime


async def runtime(request: Request) -> Runtime:
    """Async on purpose: FastAPI runs a plain `def` dependency in a worker thread."""
    rt: Runtime = request.app.state.runtime
    return rt


RuntimeDep = Annotated[Runtime, Depends(runtime)]
