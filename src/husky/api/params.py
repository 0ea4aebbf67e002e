"""Query parameters the lenient way api.md §1 asks: an unparsable integer means the default."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import Path, Query

from husky.errors import DaemonError
from husky.store.queries import parse_rfc3339

#: SQLite integers are 64-bit: larger query values are capped, never passed through.
INT64_MAX = 2**63 - 1

#: The largest `limit` the data views (`/api/audit`, `/api/db/*`) honour; more is capped.
MAX_LIMIT = 1000

#: A time bound as OpenAPI describes it: RFC 3339 (`date-time`) or empty (no bound).
#: Parsed by `time_param`, so that a bad value gets api.md's message.
TimeQuery = Annotated[
    str, Query(json_schema_extra={"anyOf": [{"format": "date-time"}, {"maxLength": 0}]})
]

#: An alert id as OpenAPI describes it; parsed by `alert_id_param` (400 `invalid alert id`).
AlertIdPath = Annotated[
    str, Path(json_schema_extra={"type": "integer", "minimum": 1, "maximum": INT64_MAX})
]


def int_param(
    value: str | None, default: int, *, minimum: int = 0, maximum: int = INT64_MAX
) -> int:
    """An integer at least `minimum` (else the default), capped at `maximum`."""
    try:
        number = int(value) if value is not None else default
    except ValueError:
        return default
    if number < minimum:
        return default
    return min(number, maximum)


def run_id_param(value: str) -> int:
    try:
        run_id = int(value)
    except ValueError:
        raise DaemonError("invalid run id", 400) from None
    if not 1 <= run_id <= INT64_MAX:  # beyond SQLite's integers no run can exist
        raise DaemonError("invalid run id", 400)
    return run_id


def flag_param(value: str | None) -> bool:
    return (value or "").strip().lower() in ("true", "1")


def text_param(value: str | None) -> str | None:
    """A filter value; empty means no filter."""
    return value or None


def opt_int_param(value: str | None) -> int | None:
    """An integer filter; missing or unparsable means no filter (api.md §1). Out of
    SQLite's range it is capped (and matches nothing)."""
    try:
        number = int(value) if value else None
    except ValueError:
        return None
    return None if number is None else max(-INT64_MAX, min(number, INT64_MAX))


def time_param(value: str | None, name: str) -> datetime | None:
    """An RFC 3339 bound (whole seconds or with a fraction, I25); empty means none."""
    if not value:
        return None
    try:
        return parse_rfc3339(value)
    except ValueError:
        raise DaemonError(f"invalid {name}; expected RFC3339", 400) from None


def alert_id_param(value: str) -> int:
    try:
        alert_id = int(value)
    except ValueError:
        raise DaemonError("invalid alert id", 400) from None
    if not 1 <= alert_id <= INT64_MAX:
        raise DaemonError("invalid alert id", 400)
    return alert_id


def page_params(limit: str | None, offset: str | None, default: int) -> tuple[int, int]:
    """`limit` (default `default`, capped at MAX_LIMIT) and `offset` (default 0)."""
    return (
        int_param(limit, default, minimum=1, maximum=MAX_LIMIT),
        int_param(offset, 0),
    )
