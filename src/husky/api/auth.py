"""Authentication and RBAC on the TCP door (api.md §2, I18, I19).

`AuthMiddleware` asks an authenticator for the request's role, then the RBAC rules
whether that role may use the method on the (base-path-stripped) path. `OPTIONS`
passes untouched. The Unix socket never gets this middleware: it is owner-only (I23).

- `BearerAuth`: `Authorization: Bearer <t>` or `?token=`; the token file is re-read
  by every reload (`prepare()` is the Runtime's reload hook; a bad file keeps the old
  set and fails the reload).
- `BasicAuth`: bcrypt against the first user with that name. A bcrypt check costs
  ~0.2 s of CPU at cost 10, so it runs in a worker thread, and a credential pair
  that passed is remembered (keyed by an HMAC with a per-process key, never the
  password itself) so that the dashboard's polling does not pay it every time.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import os
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import bcrypt
from starlette.types import ASGIApp, Receive, Scope, Send

from husky.api.asgi import Headers, app_path, header, reply_json
from husky.api.auth_rbac import Rule, is_allowed
from husky.api.auth_tokens import (
    DEFAULT_ROLE,
    TokenSet,
    basic_credentials,
    bearer_token,
    parse_token_file,
)
from husky.config.daemon_models import BasicUser
from husky.errors import ConfigError, Problem

log = logging.getLogger("husky.api")

REQUIRED = "authorization required"
BASIC_CHALLENGE = ((b"www-authenticate", b'Basic realm="husky"'),)
BEARER_CHALLENGE = ((b"www-authenticate", b'Bearer realm="husky"'),)
#: How many verified Basic credential pairs are remembered.
VERIFIED_CACHE_SIZE = 256


@dataclass(frozen=True)
class Denied:
    """A 401: the message for `{"error": …}` and the challenge header to send."""

    message: str
    headers: Headers = ()


class Authenticator(Protocol):
    async def authenticate(self, scope: Scope) -> str | Denied:
        """The role of the request's principal, or why it is refused."""
        ...


class AuthMiddleware:
    def __init__(self, app: ASGIApp, authenticator: Authenticator, rules: Sequence[Rule]) -> None:
        self.app = app
        self.authenticator = authenticator
        self.rules = tuple(rules)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        method = scope.get("method", "GET")  # a WebSocket handshake is a GET
        if method == "OPTIONS":
            await self.app(scope, receive, send)
            return
        outcome = await self.authenticator.authenticate(scope)
        if isinstance(outcome, Denied):
            await reply_json(scope, send, 401, {"error": outcome.message}, outcome.headers)
            return
        path = app_path(scope)
        if not is_allowed(self.rules, outcome, method, path):
            body = {"error": "forbidden", "role": outcome, "method": method, "path": path}
            await reply_json(scope, send, 403, body)
            return
        await self.app(scope, receive, send)


# -- bearer ---------------------------------------------------------------------------


class BearerAuth:
    """Tokens from `auth.bearer.token_file` (`<token> [role]` lines) and the inline
    `auth.bearer.token` (role admin)."""

    def __init__(self, token_file: Path | None, inline: str, roles: Sequence[str]) -> None:
        self.token_file = token_file
        self.inline = inline
        self.roles = tuple(roles)
        self.tokens = self.load()

    def load(self) -> TokenSet:
        """Read the token file; raise ConfigError (file:line problems) when it is bad or
        when there is no token at all."""
        entries: list[tuple[str, str]] = []
        if self.token_file is not None:
            display = str(self.token_file)
            try:
                text = self.token_file.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as exc:
                message = f"cannot read bearer token file {display}: {exc}"
                raise ConfigError(display, [], title=message) from None
            lines, problems = parse_token_file(text, self.roles)
            if problems:
                located = [Problem(display, "", p.message, p.line, 1) for p in problems]
                title = f"bearer token file {display} has {len(problems)} problem(s):"
                raise ConfigError(display, located, title=title)
            entries = [(t.token, t.role) for t in lines]
        if self.inline:
            entries.append((self.inline, DEFAULT_ROLE))
        if not entries:
            where = str(self.token_file) if self.token_file else "auth.bearer"
            raise ConfigError(where, [], title=f"no bearer token configured ({where} is empty)")
        return TokenSet(entries)

    def prepare(self) -> Callable[[], None]:
        """The reload hook: read now (off the loop), swap in when the reload commits."""
        tokens = self.load()

        def commit() -> None:
            self.tokens = tokens
            log.info("bearer tokens reloaded (%d)", len(tokens))

        return commit

    async def authenticate(self, scope: Scope) -> str | Denied:
        token = bearer_token(header(scope, b"authorization"), scope.get("query_string", b""))
        if token is None:
            return Denied(REQUIRED, BEARER_CHALLENGE)
        role = self.tokens.role_of(token)
        return role if role is not None else Denied("invalid token", BEARER_CHALLENGE)


# -- basic ----------------------------------------------------------------------------


def _cost(hashed: bytes) -> int:
    """The work factor of a `$2b$10$…` hash (10 when unreadable)."""
    try:
        return int(hashed[4:6])
    except ValueError:
        return 10


def _checkpw(password: bytes, hashed: bytes) -> bool:
    """bcrypt, with a password bcrypt refuses (over 72 bytes) simply not matching."""
    try:
        return bcrypt.checkpw(password, hashed)
    except ValueError:
        return False


class BasicAuth:
    def __init__(self, users: Sequence[BasicUser]) -> None:
        self.users: dict[str, tuple[bytes, str]] = {}
        for user in users:  # the first entry for a name wins
            self.users.setdefault(user.username, (user.password_hash.encode(), user.role.lower()))
        first = next(iter(self.users.values()), (b"", ""))[0]
        self._decoy_cost = _cost(first)
        self._decoy: bytes | None = None
        self._key = os.urandom(32)
        self._verified: OrderedDict[bytes, str] = OrderedDict()

    def _decoy_hash(self) -> bytes:
        """A hash to check unknown names against, so they take as long as known ones."""
        if self._decoy is None:
            self._decoy = bcrypt.hashpw(b"", bcrypt.gensalt(rounds=self._decoy_cost))
        return self._decoy

    def _verify(self, username: str, password: bytes) -> str | None:
        entry = self.users.get(username)
        if entry is None:
            _checkpw(password, self._decoy_hash())
            return None
        hashed, role = entry
        return role if _checkpw(password, hashed) else None

    async def authenticate(self, scope: Scope) -> str | Denied:
        credentials = basic_credentials(header(scope, b"authorization"))
        if credentials is None or not credentials[0]:
            return Denied(REQUIRED, BASIC_CHALLENGE)
        username, password = credentials
        name = username.encode()
        key = hmac.new(self._key, b"%d:%s%s" % (len(name), name, password), hashlib.sha256)
        fingerprint = key.digest()
        role = self._verified.get(fingerprint)
        if role is None:
            role = await asyncio.to_thread(self._verify, username, password)
            if role is None:
                return Denied("invalid credentials", BASIC_CHALLENGE)
            self._verified[fingerprint] = role
            if len(self._verified) > VERIFIED_CACHE_SIZE:
                self._verified.popitem(last=False)
        self._verified.move_to_end(fingerprint)
        return role
