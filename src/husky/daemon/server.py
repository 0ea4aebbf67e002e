"""Serving the ASGI app on the Unix socket and on TCP without uvicorn's 10 Hz tick.

uvicorn's `Server.main_loop` wakes ten times a second to refresh the Date header and
check for exit; an idle daemon must not. We bind the sockets ourselves (the Unix
socket owner-only: uvicorn would create it 0666), call `startup()` with them, and
`shutdown()` when the daemon stops. Without the tick the Date header is disabled.
"""

from __future__ import annotations

import os
import socket
from pathlib import Path
from typing import Any

import uvicorn


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
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    # TCP_NODELAY, which accepted connections inherit: asyncio sets it only on sockets
    # created with proto=IPPROTO_TCP, and without it a keep-alive client waits ~40 ms
    # per response (Nagle holds the body until the delayed ACK of the headers).
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.bind((host, int(port)))
    sock.listen(512)
    sock.setblocking(False)
    return sock


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
