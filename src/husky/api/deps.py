"""Shared route helpers."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from husky.daemon.runtime import Runtime


def runtime(request: Request) -> Runtime:
    rt: Runtime = request.app.state.runtime
    return rt


RuntimeDep = Annotated[Runtime, Depends(runtime)]
