"""CORS for the TCP door, exactly as api.md §4 says.

Starlette's CORSMiddleware differs in ways the spec pins down: it answers preflights
200 (we: 204 to any `OPTIONS` from a listed origin), sends `*` rather than the
echoed origin for a wildcard list, lists extra safelisted headers, adds
`Access-Control-Max-Age`, and sends the credentials header to unlisted origins. So
this is a small one of our own.

A request whose `Origin` is listed (or the list holds `*`) gets
`Access-Control-Allow-Origin: <origin>` (and `Vary: Origin`, since the answer depends
on it), plus `Access-Control-Allow-Credentials: true` when configured. An `OPTIONS`
from such an origin is answered 204 at once with the allowed methods and headers.
Anything else passes through with no CORS headers.
"""

from __future__ import annotations

from collections.abc import Sequence

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from husky.api.asgi import header

ALLOW_METHODS = b"GET, POST, PUT, DELETE, OPTIONS"
ALLOW_HEADERS = b"Authorization, Content-Type"


class CorsMiddleware:
    def __init__(
        self, app: ASGIApp, allowed_origins: Sequence[str], *, allow_credentials: bool
    ) -> None:
        self.app = app
        self.origins = frozenset(allowed_origins)
        self.any_origin = "*" in self.origins
        self.credentials = allow_credentials

    def allows(self, origin: str) -> bool:
        return self.any_origin or origin in self.origins

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        origin = header(scope, b"origin") if scope["type"] == "http" else None
        if origin is None or not self.allows(origin):
            await self.app(scope, receive, send)
            return
        cors = [(b"access-control-allow-origin", origin.encode("latin-1")), (b"vary", b"Origin")]
        if self.credentials:
            cors.append((b"access-control-allow-credentials", b"true"))
        if scope["method"] == "OPTIONS":
            cors += [
                (b"access-control-allow-methods", ALLOW_METHODS),
                (b"access-control-allow-headers", ALLOW_HEADERS),
            ]
            await send({"type": "http.response.start", "status": 204, "headers": cors})
            await send({"type": "http.response.body", "body": b""})
            return

        async def send_with_cors(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", ()), *cors]
            await send(message)

        await self.app(scope, receive, send_with_cors)
