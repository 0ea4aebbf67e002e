"""`api.base_path` (api.md §1): the TCP door serves the API below a prefix.

A request must start with the prefix; it is moved from `path` into `root_path`
(the ASGI way to mount an app below a prefix, so routing, RBAC and the OpenAPI
page all see the stripped path). Any other path is answered 404 `not found`.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send

from husky.api.asgi import app_path, reply_json


def strip_base_path(base: str, path: str) -> str | None:
    """`path` below `base`, or None when it is not below it.

    The prefix must end at a segment boundary (`/husky` matches `/husky/api/…` but not
    `/huskyx`); `/husky` itself is the root `/`. An empty `base` strips nothing.
    """
    base = base.rstrip("/")
    if not base:
        return path
    if path == base:
        return "/"
    if path.startswith(base + "/"):
        return path[len(base) :]
    return None


class BasePathMiddleware:
    def __init__(self, app: ASGIApp, base: str) -> None:
        self.app = app
        self.base = base.rstrip("/")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        stripped = strip_base_path(self.base, app_path(scope))
        if stripped is None:
            await reply_json(scope, send, 404, {"error": "not found"})
            return
        root = scope.get("root_path", "") + self.base
        await self.app({**scope, "root_path": root, "path": root + stripped}, receive, send)
