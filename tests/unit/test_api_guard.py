"""husky.api.guard and its middlewares (base path, CORS, auth, RBAC) on a small Starlette app,
driven in process (httpx's ASGI transport; WebSocket handshakes as raw ASGI messages): what
the integration tests cannot reach (WebSockets, bcrypt edge cases, the reload hook)."""

from __future__ import annotations

import asyncio
import base64
import json
import time
from collections.abc import MutableMapping
from pathlib import Path
from typing import Any

import bcrypt
import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route, WebSocketRoute
from starlette.types import ASGIApp
from starlette.websockets import WebSocket

from husky.api.auth import BasicAuth, BearerAuth
from husky.api.base_path import strip_base_path
from husky.api.guard import build_authenticator, guard_tcp
from husky.config.daemon_models import BasicUser, DaemonConfig
from husky.errors import ConfigError

ROLES = ("admin", "operator", "viewer")


async def echo_path(request: Request) -> JSONResponse:
    scope = request.scope
    return JSONResponse({"path": scope["path"], "root_path": scope.get("root_path", "")})


async def ws_hello(websocket: WebSocket) -> None:
    await websocket.accept()
    await websocket.send_json({"hello": True})
    await websocket.close()


def inner_app() -> Starlette:
    return Starlette(
        routes=[
            Route("/", echo_path),
            Route("/api/thing", echo_path, methods=["GET", "POST"]),
            WebSocketRoute("/ws/hello", ws_hello),
        ]
    )


class Client:
    """Synchronous requests to an ASGI app, one event loop each."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    def request(self, method: str, path: str, headers: dict[str, str] | None = None) -> Any:
        async def call() -> httpx.Response:
            transport = httpx.ASGITransport(app=self.app)
            async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
                return await client.request(method, path, headers=headers)

        return asyncio.run(call())

    def get(self, path: str, headers: dict[str, str] | None = None) -> Any:
        return self.request("GET", path, headers)

    def post(self, path: str, headers: dict[str, str] | None = None) -> Any:
        return self.request("POST", path, headers)

    def options(self, path: str, headers: dict[str, str] | None = None) -> Any:
        return self.request("OPTIONS", path, headers)

    def handshake(self, path: str, *, extension: bool = True) -> list[dict[str, Any]]:
        """Open a WebSocket at `path` (query allowed); every ASGI message the app sent."""
        path, _, query = path.partition("?")
        scope = {
            "type": "websocket",
            "asgi": {"version": "3.0"},
            "scheme": "ws",
            "path": path,
            "raw_path": path.encode(),
            "root_path": "",
            "query_string": query.encode(),
            "headers": [(b"host", b"test")],
            "subprotocols": [],
            "extensions": {"websocket.http.response": {}} if extension else {},
        }
        incoming = [{"type": "websocket.connect"}, {"type": "websocket.disconnect", "code": 1000}]
        sent: list[dict[str, Any]] = []

        async def receive() -> dict[str, Any]:
            return incoming.pop(0)

        async def send(message: MutableMapping[str, Any]) -> None:
            sent.append(dict(message))

        asyncio.run(self.app(scope, receive, send))
        return sent


def denial(sent: list[dict[str, Any]]) -> tuple[int, Any]:
    """The status and JSON body of a refused handshake."""
    start, body = sent
    assert start["type"] == "websocket.http.response.start"
    assert body["type"] == "websocket.http.response.body"
    return start["status"], json.loads(body["body"])


def guarded(config: dict[str, Any]) -> Client:
    cfg = DaemonConfig.model_validate(config)
    return Client(guard_tcp(inner_app(), cfg, build_authenticator(cfg)))


def basic(user: str, password: bytes) -> dict[str, str]:
    raw = user.encode() + b":" + password
    return {"Authorization": "Basic " + base64.b64encode(raw).decode()}


# -- base path ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("base", "path", "stripped"),
    [
        ("", "/api/jobs", "/api/jobs"),
        ("/husky", "/husky/api/jobs", "/api/jobs"),
        ("/husky", "/husky/", "/"),
        ("/husky", "/husky", "/"),
        ("/husky/", "/husky/api", "/api"),
        ("/husky", "/huskyx/api", None),
        ("/husky", "/api/jobs", None),
        ("/husky", "/", None),
        ("/a/b", "/a/b/c", "/c"),
        ("/a/b", "/a/c", None),
    ],
)
def test_strip_base_path(base: str, path: str, stripped: str | None) -> None:
    assert strip_base_path(base, path) == stripped


def test_base_path_moves_the_prefix_into_root_path() -> None:
    client = guarded({"api": {"base_path": "/husky"}})
    response = client.get("/husky/api/thing")
    assert response.status_code == 200
    assert response.json() == {"path": "/husky/api/thing", "root_path": "/husky"}
    assert client.get("/husky").json() == {"path": "/husky/", "root_path": "/husky"}
    for outside in ("/api/thing", "/huskyx/api/thing", "/"):
        response = client.get(outside)
        assert (response.status_code, response.json()) == (404, {"error": "not found"})


def test_base_path_applies_to_websockets() -> None:
    client = guarded({"api": {"base_path": "/husky"}})
    assert [m["type"] for m in client.handshake("/husky/ws/hello")] == [
        "websocket.accept",
        "websocket.send",
        "websocket.close",
    ]
    assert denial(client.handshake("/ws/hello")) == (404, {"error": "not found"})


# -- CORS -----------------------------------------------------------------------------------


def test_cors_without_origins_adds_nothing() -> None:
    client = guarded({})
    response = client.get("/api/thing", headers={"Origin": "https://a.example"})
    assert not [h for h in response.headers if h.startswith("access-control-")]


def test_cors_listed_origin_is_echoed_and_preflight_answered_204() -> None:
    client = guarded(
        {"api": {"cors": {"allowed_origins": ["https://a.example"], "allow_credentials": True}}}
    )
    response = client.get("/api/thing", headers={"Origin": "https://a.example"})
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == "https://a.example"
    assert response.headers["access-control-allow-credentials"] == "true"
    assert "access-control-allow-methods" not in response.headers
    preflight = client.options("/api/thing", headers={"Origin": "https://a.example"})
    assert (preflight.status_code, preflight.content) == (204, b"")
    assert preflight.headers["access-control-allow-origin"] == "https://a.example"
    assert preflight.headers["access-control-allow-methods"] == "GET, POST, PUT, DELETE, OPTIONS"
    assert preflight.headers["access-control-allow-headers"] == "Authorization, Content-Type"
    assert preflight.headers["access-control-allow-credentials"] == "true"
    other = client.get("/api/thing", headers={"Origin": "https://evil.example"})
    assert other.status_code == 200
    assert not [h for h in other.headers if h.startswith("access-control-")]


def test_cors_wildcard_echoes_any_origin_without_credentials_header() -> None:
    client = guarded({"api": {"cors": {"allowed_origins": ["*"]}}})
    response = client.get("/api/thing", headers={"Origin": "https://b.example"})
    assert response.headers["access-control-allow-origin"] == "https://b.example"
    assert "access-control-allow-credentials" not in response.headers
    assert not [h for h in client.get("/api/thing").headers if h.startswith("access-control-")]


# -- auth on WebSocket handshakes --------------------------------------------------------------


def test_websocket_handshake_needs_a_token_and_accepts_the_query_token() -> None:
    client = guarded({"auth": {"type": "bearer", "bearer": {"token": "s3cret"}}})
    assert denial(client.handshake("/ws/hello")) == (401, {"error": "authorization required"})
    assert denial(client.handshake("/ws/hello?token=wrong")) == (401, {"error": "invalid token"})
    accepted = client.handshake("/ws/hello?token=s3cret")
    assert accepted[0]["type"] == "websocket.accept"
    assert json.loads(accepted[1]["text"]) == {"hello": True}


def test_websocket_refusal_without_the_response_extension_closes_the_handshake() -> None:
    client = guarded({"auth": {"type": "bearer", "bearer": {"token": "s3cret"}}})
    sent = client.handshake("/ws/hello", extension=False)
    assert sent == [{"type": "websocket.close", "code": 1008}]


def test_websocket_handshake_is_subject_to_rbac_as_a_get() -> None:
    rbac = [{"role": "admin", "methods": ["GET"], "paths": ["/api/*"]}]
    client = guarded({"auth": {"type": "bearer", "bearer": {"token": "s3cret"}, "rbac": rbac}})
    assert denial(client.handshake("/ws/hello?token=s3cret")) == (
        403,
        {"error": "forbidden", "role": "admin", "method": "GET", "path": "/ws/hello"},
    )


# -- basic auth edge cases -------------------------------------------------------------------


def basic_client(password: bytes, rounds: int = 4) -> Client:
    hashed = bcrypt.hashpw(password, bcrypt.gensalt(rounds=rounds)).decode()
    users = [
        {"username": "bob", "password_hash": hashed, "role": "viewer"},
        {"username": "bob", "password_hash": hashed.replace("$2b$", "$2a$"), "role": "admin"},
    ]
    return guarded({"auth": {"type": "basic", "basic": {"users": users}}})


def test_basic_password_over_72_bytes_is_refused_not_an_error() -> None:
    client = basic_client(b"x" * 72)
    assert client.get("/api/thing", headers=basic("bob", b"x" * 72)).status_code == 200
    response = client.get("/api/thing", headers=basic("bob", b"x" * 73))
    assert (response.status_code, response.json()) == (401, {"error": "invalid credentials"})
    response = client.get("/api/thing", headers=basic("nobody", b"y" * 100))
    assert (response.status_code, response.json()) == (401, {"error": "invalid credentials"})


def test_basic_first_entry_for_a_name_decides_the_role() -> None:
    client = basic_client(b"pw")
    response = client.post("/api/thing", headers=basic("bob", b"pw"))
    assert response.status_code == 403 and response.json()["role"] == "viewer"


def test_basic_verified_credentials_are_not_rehashed_each_request() -> None:
    client = basic_client(b"pw", rounds=12)
    started = time.perf_counter()
    assert client.get("/api/thing", headers=basic("bob", b"pw")).status_code == 200
    first = time.perf_counter() - started
    started = time.perf_counter()
    assert client.get("/api/thing", headers=basic("bob", b"pw")).status_code == 200
    again = time.perf_counter() - started
    assert again < first / 4, (first, again)
    response = client.get("/api/thing", headers=basic("bob", b"pw2"))
    assert response.status_code == 401  # a wrong password is still checked


def test_basic_auth_user_cache_keys_on_name_and_password() -> None:
    hashed = bcrypt.hashpw(b"pw", bcrypt.gensalt(rounds=4)).decode()
    auth = BasicAuth([BasicUser(username="bob", password_hash=hashed)])
    client = Client(guard_tcp(inner_app(), DaemonConfig(), auth))
    assert client.get("/", headers=basic("bob", b"pw")).status_code == 200
    assert client.get("/", headers=basic("bo", b"bpw")).status_code == 401


# -- the token file's reload hook -----------------------------------------------------------------


def test_bearer_reload_swaps_tokens_only_on_commit(tmp_path: Path) -> None:
    tokens = tmp_path / "tokens"
    tokens.write_text("first viewer\n", encoding="utf-8")
    auth = BearerAuth(tokens, "", ROLES)
    assert auth.tokens.role_of("first") == "viewer"
    tokens.write_text("second operator\n", encoding="utf-8")
    commit = auth.prepare()
    assert auth.tokens.role_of("first") == "viewer"  # not yet
    commit()
    assert auth.tokens.role_of("first") is None
    assert auth.tokens.role_of("second") == "operator"


def test_bearer_reload_with_a_bad_file_raises_and_keeps_the_old_set(tmp_path: Path) -> None:
    tokens = tmp_path / "tokens"
    tokens.write_text("first\n", encoding="utf-8")
    auth = BearerAuth(tokens, "", ROLES)
    tokens.write_text("first\nsecond boss\n", encoding="utf-8")
    with pytest.raises(ConfigError) as bad:
        auth.prepare()
    assert f"{tokens}:2:1: unknown role" in str(bad.value)
    tokens.write_text("# all gone\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="no bearer token configured"):
        auth.prepare()
    tokens.unlink()
    with pytest.raises(ConfigError, match="cannot read bearer token file"):
        auth.prepare()
    assert auth.tokens.role_of("first") == "admin"


def test_inline_token_is_admin_next_to_the_file(tmp_path: Path) -> None:
    tokens = tmp_path / "tokens"
    tokens.write_text("reader viewer\n", encoding="utf-8")
    auth = BearerAuth(tokens, "inline", ROLES)
    assert (auth.tokens.role_of("inline"), auth.tokens.role_of("reader")) == ("admin", "viewer")
