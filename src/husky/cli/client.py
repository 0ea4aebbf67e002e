"""The CLI's HTTP client for the daemon: plain HTTP over `<data>/husky.sock` (I23).

Built on the standard library's http.client rather than httpx: importing httpx costs
~200 ms here, which alone would break the `husky status` start-up budget.
"""

from __future__ import annotations

import http.client
import json
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from husky.errors import DaemonError, DaemonNotRunning


class _UnixConnection(http.client.HTTPConnection):
    def __init__(self, path: Path, timeout: float) -> None:
        super().__init__("localhost", timeout=timeout)
        self._path = path

    def connect(self) -> None:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(self.timeout)
        try:
            sock.connect(str(self._path))
        except OSError:
            sock.close()
            raise
        self.sock = sock


class DaemonClient:
    def __init__(self, socket_path: Path, *, timeout: float = 10.0) -> None:
        self.socket_path = socket_path
        self.timeout = timeout

    def _open(
        self, method: str, path: str, body: Any, timeout: float | None
    ) -> tuple[_UnixConnection, http.client.HTTPResponse]:
        conn = _UnixConnection(self.socket_path, self.timeout if timeout is None else timeout)
        payload = None if body is None else json.dumps(body).encode()
        headers = {"Content-Type": "application/json"} if payload is not None else {}
        try:
            conn.request(method, path, body=payload, headers=headers)
            return conn, conn.getresponse()
        except (FileNotFoundError, ConnectionRefusedError, ConnectionResetError):
            conn.close()
            raise DaemonNotRunning(str(self.socket_path)) from None
        except (TimeoutError, OSError) as exc:
            conn.close()
            raise DaemonError(f"failed to contact daemon: {exc}", 0) from None

    def request(
        self, method: str, path: str, body: Any = None, *, timeout: float | None = None
    ) -> Any:
        """Send one request; return the decoded JSON; raise DaemonError for an error status."""
        conn, response = self._open(method, path, body, timeout)
        try:
            raw = response.read()
        finally:
            conn.close()
        data = json.loads(raw) if raw else None
        if response.status >= 400:
            message = data.get("error") if isinstance(data, dict) else None
            raise DaemonError(message or f"status {response.status}", response.status)
        return data

    def get(self, path: str) -> Any:
        return self.request("GET", path)

    def post(self, path: str, body: Any = None) -> Any:
        return self.request("POST", path, body)

    def ping(self, timeout: float = 3.0) -> bool:
        try:
            self.request("GET", "/api/status", timeout=timeout)
        except (DaemonNotRunning, DaemonError):
            return False
        return True

    def stream(self, path: str) -> Iterator[dict[str, Any]]:
        """Yield each JSON line of a streaming (NDJSON) response until the server ends it."""
        conn, response = self._open("GET", path, None, None)
        conn.sock.settimeout(None) if conn.sock is not None else None
        try:
            if response.status >= 400:
                data = json.loads(response.read() or b"{}")
                raise DaemonError(data.get("error") or f"status {response.status}", response.status)
            for raw in response:
                if raw.strip():
                    yield json.loads(raw)
        finally:
            conn.close()
