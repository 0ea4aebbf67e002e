"""Real receivers for notification tests, on 127.0.0.1: an HTTP server that records every
request and answers as scripted, and an SMTP server (aiosmtpd) that records every mail.

    with HttpReceiver() as hooks:
        hooks.script("/slack", 500, 500)       # then 200
        hooks.hang("/dead")                    # never answers
        ... hooks.url("/slack") ...
        hooks.wait_for("/slack", 3)
"""

from __future__ import annotations

import json
import logging
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from email import message_from_bytes
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session


def free_port() -> int:
    """A port nobody listens on right now (aiosmtpd cannot bind port 0)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def _wait(check: Callable[[], Any], timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    while not (value := check()):
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(0.02)
    return value


@dataclass(frozen=True)
class Received:
    path: str
    headers: dict[str, str]
    body: Any  # parsed JSON (None if the body was not JSON)
    at: float  # time.monotonic() on arrival


class HttpReceiver:
    """With `tls` (a server-side ssl.SSLContext) it speaks HTTPS."""

    def __init__(self, tls: Any = None) -> None:
        self.requests: list[Received] = []
        self._scripts: dict[str, list[int]] = {}
        self._hanging: set[str] = set()
        self._release = threading.Event()
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                try:
                    body = json.loads(raw)
                except ValueError:
                    body = None
                headers = {k.lower(): v for k, v in self.headers.items()}
                receiver._record(Received(self.path, headers, body, time.monotonic()))
                if self.path in receiver._hanging:
                    receiver._release.wait()
                    return
                status = receiver._next_status(self.path)
                self.send_response(status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, format: str, *args: Any) -> None:
                return None

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._scheme = "http"
        if tls is not None:
            self._server.socket = tls.wrap_socket(self._server.socket, server_side=True)
            self._scheme = "https"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    @property
    def port(self) -> int:
        port: int = self._server.server_address[1]
        return port

    def url(self, path: str) -> str:
        return f"{self._scheme}://127.0.0.1:{self.port}{path}"

    def script(self, path: str, *statuses: int) -> None:
        """Answer the next requests to `path` with these statuses, then 200."""
        with self._lock:
            self._scripts[path] = list(statuses)

    def hang(self, path: str) -> None:
        """Never answer requests to `path` (until the receiver closes)."""
        self._hanging.add(path)

    def unhang(self, path: str) -> None:
        """Answer requests to `path` again (those already waiting stay unanswered)."""
        self._hanging.discard(path)

    def to(self, path: str) -> list[Received]:
        with self._lock:
            return [r for r in self.requests if r.path == path]

    def wait_for(self, path: str, count: int = 1, timeout: float = 20.0) -> list[Received]:
        got: list[Received] = _wait(
            lambda: r if len(r := self.to(path)) >= count else None,
            timeout,
            f"{count} request(s) to {path}",
        )
        return got

    def _record(self, received: Received) -> None:
        with self._lock:
            self.requests.append(received)

    def _next_status(self, path: str) -> int:
        with self._lock:
            queue = self._scripts.get(path)
            return queue.pop(0) if queue else 200

    def close(self) -> None:
        self._release.set()
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> HttpReceiver:
        return self

    def __exit__(
        self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


@dataclass(frozen=True)
class Mail:
    mail_from: str
    rcpt_tos: list[str]
    message: Message
    tls: bool  # the conversation had been upgraded with STARTTLS
    login: str | None  # the user that authenticated, if any

    @property
    def body(self) -> str:
        """The text body, with the wire's CRLF line ends as "\n"."""
        return str(self.message.get_payload()).replace("\r\n", "\n")


class MailReceiver:
    """aiosmtpd on 127.0.0.1. With `tls` (an ssl.SSLContext) it offers STARTTLS; with
    `users`, AUTH PLAIN/LOGIN against them (only after STARTTLS when `tls` is given)."""

    def __init__(self, *, tls: Any = None, users: dict[str, str] | None = None) -> None:
        self.mails: list[Mail] = []
        self.port = free_port()
        logging.getLogger("mail.log").setLevel(logging.ERROR)  # aiosmtpd's own deprecation noise
        receiver = self
        known = users or {}

        class Handler:
            async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
                content = envelope.original_content or b""
                login = session.auth_data.login.decode() if session.auth_data else None
                receiver.mails.append(
                    Mail(
                        str(envelope.mail_from),
                        list(envelope.rcpt_tos),
                        message_from_bytes(content),
                        session.ssl is not None,
                        login,
                    )
                )
                return "250 OK"

        def check(
            server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any
        ) -> AuthResult:
            if isinstance(data, LoginPassword):
                user, password = data.login.decode(), data.password.decode()
                if known.get(user) == password:
                    return AuthResult(success=True, auth_data=data)
            return AuthResult(success=False, handled=False)

        kwargs: dict[str, Any] = {}
        if tls is not None:
            kwargs.update(tls_context=tls, require_starttls=False)
        if users is not None:
            kwargs.update(authenticator=check, auth_require_tls=tls is not None)
        self._controller = Controller(Handler(), hostname="127.0.0.1", port=self.port, **kwargs)
        self._controller.start()

    def wait_for(self, count: int = 1, timeout: float = 20.0) -> list[Mail]:
        got: list[Mail] = _wait(
            lambda: list(self.mails) if len(self.mails) >= count else None,
            timeout,
            f"{count} mail(s)",
        )
        return got

    def close(self) -> None:
        self._controller.stop()

    def __enter__(self) -> MailReceiver:
        return self

    def __exit__(
        self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()
