"""Small pure-ASGI helpers shared by the TCP door's middlewares (base path, CORS, auth).

The middlewares are plain ASGI callables rather than Starlette `BaseHTTPMiddleware`
so that they cover WebSocket handshakes too and add no per-request task.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from starlette.types import Scope, Send

Headers = Sequence[tuple[bytes, bytes]]


def header(scope: Scope, name: bytes) -> str | None:
    """The first value of request header `name` (lower case), decoded as latin-1."""
    for key, value in scope.get("headers", ()):
        if key == name:
            return bytes(value).decode("latin-1")
    return None


def app_path(scope: Scope) -> str:
    """The request path below `root_path`: what routing (and RBAC) sees."""
    path: str = scope["path"]
    root: str = scope.get("root_path", "")
    return path[len(root) :] if root and path.startswith(root) else path


async def reply_json(
    scope: Scope, send: Send, status: int, body: dict[str, Any], headers: Headers = ()
) -> None:
    """Answer with a JSON body instead of the app.

    On a WebSocket handshake the answer is an HTTP response when the server offers
    the `websocket.http.response` extension, else the handshake is refused (close
    before accept, which servers turn into a 403).
    """
    payload = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
    head = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(payload)).encode()),
        *headers,
    ]
    if scope["type"] == "websocket":
        if "websocket.http.response" not in scope.get("extensions", {}):
            await send({"type": "websocket.close", "code": 1008})
            return
        start, body_type = "websocket.http.response.start", "websocket.http.response.body"
    else:
        start, body_type = "http.response.start", "http.response.body"
    await send({"type": start, "status": status, "headers": head})
    await send({"type": body_type, "body": payload})
