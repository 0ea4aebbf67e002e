"""The two template languages in husky.yaml, as patterns and the names they may use.

- `{{ outputs.<job>.<var> }}` in `command` and `env` values (execution.md §11.2).
- `{{ job.<field> }}` / `{{ run.<field> }}` in notification messages (notifications.md §4, I16).
"""

from __future__ import annotations

import re

OUTPUT_REF = re.compile(
    r"\{\{\s*outputs\.([A-Za-z0-9_][A-Za-z0-9_-]*)\.([A-Za-z0-9_][A-Za-z0-9_-]*)\s*\}\}"
)
MESSAGE_REF = re.compile(r"\{\{\s*\.?(\w+)\.(\w+)\s*\}\}")

MESSAGE_VARIABLES: dict[str, tuple[str, ...]] = {
    "job": ("name", "description", "frequency", "retries", "tags", "sla", "timezone"),
    "run": (
        "id",
        "status",
        "attempt",
        "trigger",
        "reason",
        "sla_breached",
        "duration",
        "elapsed",
        "exit_code",
        "started_at",
    ),
}


def unknown_message_variables(message: str) -> list[str]:
    """`scope.name` of every placeholder in a notification message that Husky cannot fill."""
    return [
        f"{scope}.{name}"
        for scope, name in MESSAGE_REF.findall(message)
        if name not in MESSAGE_VARIABLES.get(scope, ())
    ]
