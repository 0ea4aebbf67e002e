"""What the data views ask of a store (api.md §6 `/api/audit`, `/api/db/*`; store.md §4).

Backend-neutral: filter records, the alert record and the outcomes of the two
operator writes (alert retry, lock clearing). Every filter applies in the backend
before LIMIT/OFFSET; lists are newest first unless a view says otherwise.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime

_RFC3339 = re.compile(
    r"\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:[Zz]|[+-]\d{2}:\d{2})", re.ASCII
)


def parse_rfc3339(text: str) -> datetime:
    """An RFC 3339 date-time (`2026-03-08T07:30:00Z`, `…:00.123Z`, `…:00+02:00`) as an aware
    UTC datetime; raises ValueError for anything else (a bare date, no offset, a space).
    An instant beyond Python's range in UTC is clamped to its first or last one."""
    if not _RFC3339.fullmatch(text):
        raise ValueError(f"not an RFC 3339 date-time: {text!r}")
    parsed = datetime.fromisoformat(text.upper().replace("Z", "+00:00"))
    try:
        return parsed.astimezone(UTC)
    except OverflowError:  # 0001-01-01T00:00:00+01:00 lies before datetime.min in UTC
        return (datetime.min if parsed.year == 1 else datetime.max).replace(tzinfo=UTC)


@dataclass(frozen=True)
class RunFilter:
    """A search over job_runs (`/api/audit`, `/api/db/job_runs`, `husky audit`).

    `status` matches in any case; `reason` is a case-insensitive substring; `since`
    and `until` bound `created_at`, both inclusive; `job_names` (the tag filter) keeps
    runs of those jobs only — an empty set matches nothing; `sla_breached` keeps
    breached runs only.
    """

    job: str | None = None
    trigger: str | None = None
    status: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    reason: str | None = None
    job_names: frozenset[str] | None = None
    sla_breached: bool = False

    @property
    def status_value(self) -> str | None:
        return None if self.status is None else self.status.upper()


@dataclass(frozen=True)
class LogFilter:
    """A search over run_logs (`/api/db/run_logs`): ordered by run_id desc, then seq.
    `q` is a case-insensitive substring of the line; healthcheck lines are included."""

    run_id: int | None = None
    job: str | None = None
    stream: str | None = None
    q: str | None = None


@dataclass(frozen=True)
class OutputFilter:
    """A search over run_outputs (`/api/db/run_outputs`), newest first."""

    job: str | None = None
    cycle_id: str | None = None
    run_id: int | None = None


@dataclass(frozen=True)
class AlertFilter:
    """A search over alerts (`/api/db/alerts`), newest first."""

    job: str | None = None
    status: str | None = None
