"""Serving the ASGI app on the Unix socket and on TCP without uvicorn's 10 Hz tick.

uvicorn's `Server.main_loop` wakes ten times a second to refresh the Date header and
check for exit; an idle daemon must not. We bind the sockets ourselves (the Unix
socket owner-only: uvicorn would create it 0666), call `startup()` with them, and
`shutdown()` when the daemon stops. Without the tick the Date header is disabled.

The TCP door also takes `api.tls` (an `ssl.SSLContext` we build: minimum version,
client certificates required when `client_ca` is set) and `api.timeouts`. Of the
timeouts only `idle` has a uvicorn counterpart (`timeout_keep_alive`, whole seconds,
at least 1); uvicorn has no read-header, read or write timeout, so `read_header`,
`read` and `write` are accepted and inert.
"""

from __future__ import annotations

import math
import os
import socket
import ssl
from collections.abc import Callable
from pathlib import Path
from typing import Any

import uvicorn

from husky.config.daemon_models import ApiSection, TlsSection
from husky.errors import HuskyError

TLS_VERSIONS = {"1.2": ssl.TLSVersion.TLSv1_2, "1.3": ssl.TLSVersion.TLSv1_3}


class ListenerError(HuskyError):
    """The TCP listener cannot be set up as configured (e.g. an unreadable certificate)."""


def bind_unix(path: Path) -> socket.socket:
    """A listening Unix socket at `path`, mode 0600; a stale file there is replaced."""
    path.unlink(missing_ok=True)
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    old = os.umask(0o177)
    try:
        sock.bind(str(path))
    finally:
        os.umask(old)
    os.chmod(path, 0o600)
    sock.listen(128)
    sock.setblocking(False)
    return sock


def bind_tcp(addr: str) -> socket.socket:
    """A listening TCP socket for `host:port` (`[::1]:0` style for IPv6)."""
    host, _, port = addr.rpartition(":")
    host = host.strip("[]") or "127.0.0.1"
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # proto must say TCP: asyncio sets TCP_NODELAY on accepted sockets only when it does, and
    # without it a keep-alive response written in two parts waits ~40 ms for a delayed ACK.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # inherited by accepted ones
    sock.bind((host, int(port)))
    sock.listen(512)
    sock.setblocking(False)
    return sock


def tls_context(tls: TlsSection, resolve: Callable[[str], Path]) -> ssl.SSLContext:
    """A server context for `api.tls`; raises ListenerError naming the file that failed."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = TLS_VERSIONS.get(tls.min_version, ssl.TLSVersion.TLSv1_2)
    cert, key = resolve(tls.cert), resolve(tls.key)
    try:
        context.load_cert_chain(cert, key)
    except OSError as exc:  # ssl.SSLError is one
        raise ListenerError(f"load TLS certificate {cert} (key {key}): {_reason(exc)}") from None
    if tls.client_ca:
        ca = resolve(tls.client_ca)
        try:
            context.load_verify_locations(cafile=ca)
        except OSError as exc:
            raise ListenerError(f"load client CA {ca}: {_reason(exc)}") from None
        context.verify_mode = ssl.CERT_REQUIRED
    return context


def _reason(exc: OSError) -> str:
    """`No such file or directory`, `key values mismatch`, … without OpenSSL's decoration."""
    text = str(exc.strerror or exc)
    if isinstance(exc, ssl.SSLError):
        text = text.split("] ", 1)[-1].split(" (_ssl.c", 1)[0]
        if text == "PEM lib":
            return "not a valid PEM certificate and key"
    return text


def tcp_options(api: ApiSection, resolve: Callable[[str], Path]) -> dict[str, Any]:
    """uvicorn options for the TCP door: TLS and the one timeout it has (see above)."""
    idle = api.timeouts.idle_delta.total_seconds()
    options: dict[str, Any] = {"timeout_keep_alive": max(1, math.ceil(idle))}
    if api.tls.enabled:
        context = tls_context(api.tls, resolve)
        options["ssl_context_factory"] = lambda _config, _default: context
    return options


def bound_addr(sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


class Door:
    """One uvicorn server on one already-bound socket, started without its main loop."""

    def __init__(self, app: Any, sock: socket.socket, **options: Any) -> None:
        config = uvicorn.Config(
            app,
            lifespan="off",
            log_config=None,
            access_log=False,
            date_header=False,
            server_header=False,
            ws_per_message_deflate=False,  # compressing every log frame costs more than it saves
            ws_ping_timeout=None,  # a follower's pong can queue behind many frames: never drop it
            **options,
        )
        config.load()
        self.sock = sock
        self.server = uvicorn.Server(config)
        self.server.lifespan = config.lifespan_class(config)

    async def start(self) -> None:
        await self.server.startup(sockets=[self.sock])

    async def stop(self) -> None:
        self.server.should_exit = True
        await self.server.shutdown(sockets=[self.sock])
