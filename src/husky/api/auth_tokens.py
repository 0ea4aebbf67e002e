"""Credentials as they arrive and as they are configured: pure parsing, no I/O.

- the bearer token file (I18): one `<token> [role]` per line, role `admin` when
  omitted; blank lines and `#` comments skipped;
- `TokenSet`, which finds a presented token's role in constant time;
- the `Authorization` header (`Bearer <token>`, prefix case-sensitive, or
  `Basic <base64 user:password>`) and the `?token=` query parameter (WebSockets).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from collections.abc import Collection, Iterable
from typing import NamedTuple
from urllib.parse import parse_qsl

DEFAULT_ROLE = "admin"
BEARER_PREFIX = "Bearer "


class TokenLine(NamedTuple):
    token: str
    role: str
    line: int


class LineProblem(NamedTuple):
    line: int
    message: str


def parse_token_file(
    text: str, roles: Collection[str]
) -> tuple[list[TokenLine], list[LineProblem]]:
    """The tokens of a token file and every problem in it (by line).

    `roles` are the role names that mean something (lower case); a line naming
    another role is a problem, as is a line with more than two fields or a token
    that repeats an earlier line. Roles are returned lower-cased.
    """
    tokens: list[TokenLine] = []
    problems: list[LineProblem] = []
    seen: dict[str, int] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        fields = line.split()
        if len(fields) > 2:
            problems.append(
                LineProblem(number, f'expected "<token> [role]", found {len(fields)} fields')
            )
            continue
        token, role = fields[0], (fields[1] if len(fields) == 2 else DEFAULT_ROLE).lower()
        if role not in roles:
            expected = ", ".join(sorted(roles))
            problems.append(LineProblem(number, f'unknown role "{fields[1]}"; expected {expected}'))
            continue
        if token in seen:
            problems.append(LineProblem(number, f"the token of line {seen[token]} is repeated"))
            continue
        seen[token] = number
        tokens.append(TokenLine(token, role, number))
    return tokens, problems


def _digest(token: str) -> bytes:
    return hashlib.sha256(token.encode("utf-8", "surrogateescape")).digest()


class TokenSet:
    """The valid bearer tokens and their roles.

    Tokens are kept as SHA-256 digests, so every comparison is between equal-length
    values, and a lookup compares the presented token against every entry: neither
    the time taken nor an early exit tells which token (or which length) matched.
    """

    def __init__(self, entries: Iterable[tuple[str, str]]) -> None:
        self._entries = [(_digest(token), role) for token, role in entries]

    def __len__(self) -> int:
        return len(self._entries)

    def role_of(self, token: str) -> str | None:
        probe = _digest(token)
        found: str | None = None
        for digest, role in self._entries:
            if hmac.compare_digest(digest, probe) and found is None:
                found = role
        return found


def bearer_token(authorization: str | None, query_string: bytes) -> str | None:
    """The presented token: `Authorization: Bearer <t>` first, else `?token=<t>`."""
    if authorization is not None and authorization.startswith(BEARER_PREFIX):
        token = authorization[len(BEARER_PREFIX) :].strip()
        if token:
            return token
    for name, value in parse_qsl(query_string.decode("latin-1")):
        if name == "token" and value:
            return value
    return None


def basic_credentials(authorization: str | None) -> tuple[str, bytes] | None:
    """`(username, password)` of a well-formed `Basic` header, else None.

    The scheme name is case-insensitive (RFC 7617); the password stays bytes, as
    bcrypt checks bytes. A username that is not UTF-8 counts as malformed.
    """
    if authorization is None:
        return None
    scheme, _, encoded = authorization.strip().partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True)
        user, sep, password = decoded.partition(b":")
        username = user.decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    return (username, password) if sep else None
