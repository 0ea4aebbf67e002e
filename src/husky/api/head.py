"""HEAD answered as GET: `curl -I` and uptime monitors get the GET's status and headers.

FastAPI registers API routes for GET alone, so HEAD met 405. The app now sees HEAD as
GET; uvicorn, which still knows the request was HEAD, sends the headers without a body.
The OpenAPI document is unchanged (HEAD is implied by GET in HTTP).
"""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send


class HeadAsGet:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "HEAD":
            scope = {**scope, "method": "GET"}
        await self.app(scope, receive, send)
