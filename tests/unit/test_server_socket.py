"""The API's TCP listener (daemon/server.py): connections are accepted with TCP_NODELAY."""

from __future__ import annotations

import socket

from husky.daemon.server import bind_tcp, bound_addr


def test_accepted_connections_send_without_nagle_delay() -> None:
    listener = bind_tcp("127.0.0.1:0")
    listener.setblocking(True)
    listener.settimeout(5)
    host, _, port = bound_addr(listener).rpartition(":")
    try:
        with socket.create_connection((host, int(port)), timeout=5):
            accepted, _ = listener.accept()
            with accepted:
                assert accepted.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0
    finally:
        listener.close()
