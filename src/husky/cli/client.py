"""The CLI's HTTP client for the daemon: HTTP/1.1 over `<data>/husky.sock` (I23).

A minimal client on a raw socket (one request per connection, `Connection: close`,
Content-Length or chunked bodies) rather than httpx or http.client: importing httpx
costs ~200 ms and http.client ~17 ms here, and `husky status` has a start-up budget.
"""

from __future__ import annotations

import json
import os
import socket

TYPE_CHECKING = False  # typing costs ~5 ms to import; this module is on `husky status`'s path
if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path
    from typing import Any, BinaryIO


def _daemon_error(message: str, status: int) -> Exception:
    from husky.errors import DaemonError  # imported only when there is an error to raise

    return DaemonError(message, status)


def _not_running(socket_path: str) -> Exception:
    from husky.errors import DaemonNotRunning

    return DaemonNotRunning(socket_path)


class _Response:
    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.file: BinaryIO = sock.makefile("rb")
        status_line = self.file.readline()
        parts = status_line.split(None, 2)
        if len(parts) < 2 or not parts[0].startswith(b"HTTP/"):
            raise _daemon_error(f"bad response from daemon: {status_line[:80]!r}", 0)
        self.status = int(parts[1])
        self.headers: dict[str, str] = {}
        while (line := self.file.readline()) not in (b"\r\n", b"\n", b""):
            name, _, value = line.decode("latin-1").partition(":")
            self.headers[name.strip().lower()] = value.strip()

    def chunks(self) -> Iterator[bytes]:
        """The body as it arrives."""
        if self.headers.get("transfer-encoding", "").lower() == "chunked":
            while True:
                size = int(self.file.readline().split(b";", 1)[0].strip() or b"0", 16)
                if size == 0:
                    return
                data = self.file.read(size)
                self.file.readline()
                yield data
        elif "content-length" in self.headers:
            yield self.file.read(int(self.headers["content-length"]))
        else:
            yield self.file.read()

    def close(self) -> None:
        self.file.close()
        self.sock.close()


class DaemonClient:
    def __init__(self, socket_path: Path | str, *, timeout: float = 10.0) -> None:
        self.socket_path = socket_path
        self.timeout = timeout

    def _send(self, method: str, path: str, body: Any, timeout: float | None) -> _Response:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(self.timeout if timeout is None else timeout)
        payload = b"" if body is None else json.dumps(body).encode()
        head = f"{method} {path} HTTP/1.1\r\nHost: husky\r\nConnection: close\r\n"
        head += f"Content-Length: {len(payload)}\r\n"
        if body is not None:
            head += "Content-Type: application/json\r\n"
        if token := os.environ.get("HUSKY_TOKEN"):
            head += f"Authorization: Bearer {token}\r\n"  # cli.md §1; the socket ignores it
        try:
            sock.connect(str(self.socket_path))
            sock.sendall(head.encode() + b"\r\n" + payload)
            return _Response(sock)
        except (FileNotFoundError, ConnectionRefusedError):
            sock.close()
            raise _not_running(str(self.socket_path)) from None
        except OSError as exc:
            sock.close()
            raise _daemon_error(f"failed to contact daemon: {exc}", 0) from None

    def request(
        self, method: str, path: str, body: Any = None, *, timeout: float | None = None
    ) -> Any:
        """Send one request; return the decoded JSON; raise DaemonError for an error status."""
        response = self._send(method, path, body, timeout)
        try:
            raw = b"".join(response.chunks())
        except OSError as exc:
            raise _daemon_error(f"failed to read the daemon's answer: {exc}", 0) from None
        finally:
            response.close()
        data = json.loads(raw) if raw else None
        if response.status >= 400:
            message = data.get("error") if isinstance(data, dict) else None
            raise _daemon_error(message or f"status {response.status}", response.status)
        return data

    def get(self, path: str) -> Any:
        return self.request("GET", path)

    def post(self, path: str, body: Any = None) -> Any:
        return self.request("POST", path, body)

    def ping(self, timeout: float = 3.0) -> bool:
        from husky.errors import HuskyError

        try:
            self.request("GET", "/api/status", timeout=timeout)
        except HuskyError:
            return False
        return True

    def stream(self, path: str) -> Iterator[dict[str, Any]]:
        """Yield each JSON line of a streaming (NDJSON) response until the server ends it."""
        response = self._send("GET", path, None, None)
        response.sock.settimeout(None)
        try:
            if response.status >= 400:
                data = json.loads(b"".join(response.chunks()) or b"{}")
                raise _daemon_error(
                    data.get("error") or f"status {response.status}", response.status
                )
            pending = b""
            for chunk in response.chunks():
                pending += chunk
                *lines, pending = pending.split(b"\n")
                for line in lines:
                    if line.strip():
                        yield json.loads(line)
        finally:
            response.close()
