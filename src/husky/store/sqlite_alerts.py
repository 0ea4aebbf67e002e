"""The `alerts` table (store.md §3) for the notifier: its SQL and row mapping in one place.

Writes (insert `pending`, one update per attempt, the final status, re-opening for a
re-send) run on the store's writer thread; reads go through `SQLiteReader`.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from husky.models import Alert, AlertStatus, NewAlert, parse_ts
from husky.store.sqlite_rows import opt_ts_text, ts_text

ALERT_COLUMNS = (
    "id, job_name, run_id, event, channel, status, attempts, last_attempt_at, error, sent_at,"
    " payload"
)
INSERT_ALERT = (
    "INSERT INTO alerts (job_name, run_id, event, channel, status, attempts, sent_at, payload)"
    " VALUES (?, ?, ?, ?, ?, 0, ?, ?)"
)
RECORD_ATTEMPT = "UPDATE alerts SET attempts = ?, last_attempt_at = ?, error = ? WHERE id = ?"
SETTLE_ALERT = "UPDATE alerts SET status = ?, payload = ? WHERE id = ?"
_REOPEN = f"UPDATE alerts SET status = ? WHERE id = ? AND status != ? RETURNING {ALERT_COLUMNS}"


def new_alert_params(new: NewAlert) -> tuple[object, ...]:
    return (
        new.job_name,
        new.run_id,
        new.event,
        new.channel,
        AlertStatus.PENDING.value,
        ts_text(new.created_at),
        new.payload,
    )


def attempt_params(
    alert_id: int, attempts: int, at: datetime | None, error: str | None
) -> tuple[object, ...]:
    return (attempts, opt_ts_text(at), error, alert_id)


def alert_from_row(row: Sequence[Any]) -> Alert:
    return Alert(
        id=row[0],
        job_name=row[1],
        run_id=row[2],
        event=row[3],
        channel=row[4],
        status=AlertStatus(row[5]),
        attempts=row[6],
        last_attempt_at=None if row[7] is None else parse_ts(row[7]),
        error=row[8],
        sent_at=parse_ts(row[9]),
        payload=row[10],
    )


def reopen(conn: sqlite3.Connection, alert_id: int) -> Alert | None:
    """Mark the row `pending` for a re-send unless it already is; None if nothing changed."""
    pending = AlertStatus.PENDING.value
    rows = conn.execute(_REOPEN, (pending, alert_id, pending)).fetchall()
    return alert_from_row(rows[0]) if rows else None
