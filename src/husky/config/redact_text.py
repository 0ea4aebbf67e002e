"""Secrets masked in a YAML file's raw text, for showing huskyd.yaml over the API.

`GET /api/config/daemon` returns the file as text (api.md §6), but a viewer-role
client must not read an admin's inline token or the password hashes from it: the
value of every key named in `SECRET_KEYS` becomes `"***"` (a comment after it goes with
it, as quoting makes the two hard to tell apart); every other line stays as it is.
"""

from __future__ import annotations

import re

from husky.config.daemon_models import REDACTED, SECRET_KEYS

_KEY = re.compile(r"^(?P<head>\s*(?:-\s+)?(?P<key>[A-Za-z_][\w-]*)\s*:)(?P<rest>(?:[ \t].*)?)$")


def redact_secrets(text: str) -> str:
    """`token: abc` → `token: "***"`; a value on the lines below (`token: |`) goes too."""
    out: list[str] = []
    block_indent: int | None = None  # inside a redacted block scalar: its key's indent
    for line in text.splitlines(keepends=True):
        if block_indent is not None:
            stripped = line.strip()
            if not stripped or _indent(line) > block_indent:
                continue
            block_indent = None
        match = _KEY.match(line.rstrip("\r\n"))
        if match is None or match["key"] not in SECRET_KEYS:
            out.append(line)
            continue
        value = match["rest"].strip()
        if not value or value[0] in "|>#":  # the value is on the more-indented lines below
            block_indent = match.start("key")  # `- token: |`: the key's column counts
        ending = line[len(line.rstrip("\r\n")) :]
        out.append(f'{match["head"]} "{REDACTED}"{ending}')
    return "".join(out)


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))
