"""husky.cli.client sends `Authorization: Bearer $HUSKY_TOKEN` when it is set (cli.md §1)."""

from __future__ import annotations

import socket
import threading
from pathlib import Path

import pytest

from husky.cli.client import DaemonClient


def request_head_seen_by_server(socket_path: Path) -> list[bytes]:
    """Serve one request on a Unix socket; the returned list fills with its header lines."""
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(str(socket_path))
    server.listen(1)
    seen: list[bytes] = []

    def serve() -> None:
        conn, _ = server.accept()
        with conn, server:
            data = b""
            while b"\r\n\r\n" not in data:
                data += conn.recv(4096)
            seen.extend(data.split(b"\r\n\r\n", 1)[0].split(b"\r\n")[1:])
            body = b'{"ok":true}'
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body))

    threading.Thread(target=serve, daemon=True).start()
    return seen


def test_token_header_sent_when_husky_token_is_set(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HUSKY_TOKEN", "s3cret")
    seen = request_head_seen_by_server(tmp_path / "husky.sock")
    assert DaemonClient(tmp_path / "husky.sock").get("/api/status") == {"ok": True}
    assert b"Authorization: Bearer s3cret" in seen


def test_no_token_header_without_husky_token(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("HUSKY_TOKEN", raising=False)
    seen = request_head_seen_by_server(tmp_path / "husky.sock")
    assert DaemonClient(tmp_path / "husky.sock").get("/api/status") == {"ok": True}
    assert seen and not [h for h in seen if h.lower().startswith(b"authorization")]
