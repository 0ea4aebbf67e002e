"""Query parameters the lenient way api.md §1 asks: an unparsable integer means the default."""

from __future__ import annotations

from husky.errors import DaemonError


def int_param(
    value: str | None, default: int, *, minimum: int = 0, maximum: int | None = None
) -> int:
    try:
        number = int(value) if value is not None else default
    except ValueError:
        return default
    if number < minimum:
        return default
    return min(number, maximum) if maximum is not None else number


def run_id_param(value: str) -> int:
    try:
        run_id = int(value)
    except ValueError:
        raise DaemonError("invalid run id", 400) from None
    if run_id < 1:
        raise DaemonError("invalid run id", 400)
    return run_id


def flag_param(value: str | None) -> bool:
    return (value or "").strip().lower() in ("true", "1")
