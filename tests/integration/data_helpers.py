"""Shared by the data-endpoint tests: a husky.yaml and rows seeded straight into the
database (alerts as the notifier writes them, the original Husky's `lock_pid`)."""

from __future__ import annotations

import sqlite3
from typing import Any

from tests.integration.daemon_helpers import Project

JOBS = """
version: "1"
jobs:
  extract:
    description: Print, capture, pass a healthcheck
    frequency: manual
    command: echo "Extracted 12 rows"; echo "WARN disk" >&2
    tags: [etl]
    output:
      rows: regex:Extracted (\\d+) rows
    healthcheck:
      command: echo healthy
  slow:
    description: Outlive its SLA
    frequency: manual
    command: sleep 0.4
    sla: 100ms
    tags: [etl]
  hello:
    description: Say hello
    frequency: manual
    command: echo hello
  sleeper:
    description: Run until cancelled
    frequency: manual
    command: sleep 1000
"""


def db(project: Project) -> sqlite3.Connection:
    return sqlite3.connect(project.data / "husky.db", timeout=10, isolation_level=None)


def insert_alerts(project: Project, rows: list[tuple[Any, ...]]) -> list[int]:
    """Alert rows as the notifier writes them: (job, run_id, event, status, error, payload)."""
    conn = db(project)
    ids = []
    for job, run_id, event, status, error, payload in rows:
        cursor = conn.execute(
            "INSERT INTO alerts (job_name, run_id, event, channel, status, last_attempt_at, error,"
            " sent_at, payload) VALUES (?, ?, ?, 'slack', ?, ?, ?, ?, ?)",
            (
                job,
                run_id,
                event,
                status,
                "2026-03-08T07:30:00.250Z",
                error,
                "2026-03-08T07:30:00.250Z",
                payload,
            ),
        )
        assert cursor.lastrowid is not None
        ids.append(cursor.lastrowid)
    conn.close()
    return ids


def set_lock(project: Project, job: str, pid: int) -> None:
    conn = db(project)
    conn.execute(
        "INSERT INTO job_state (job_name, lock_pid) VALUES (?, ?)"
        " ON CONFLICT (job_name) DO UPDATE SET lock_pid = excluded.lock_pid",
        (job, pid),
    )
    conn.close()
