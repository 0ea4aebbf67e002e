"""A made-up day of the quickstart pipeline, written into a stopped daemon's database: hourly
cycles with overlapping branches, failures, a retry, an SLA breach, a skipped and a
cancelled run, so that the views have something to show (and the screenshots too)."""

from __future__ import annotations

import sqlite3
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path


def stamp(at: datetime) -> str:
    return at.astimezone(UTC).isoformat(timespec="milliseconds")[:23] + "Z"


@dataclass
class Day:
    now: datetime
    runs: list[tuple[object, ...]] = field(default_factory=list)
    last: dict[tuple[str, str], datetime] = field(default_factory=dict)

    def run(
        self,
        job: str,
        start: datetime,
        seconds: float,
        *,
        status: str = "SUCCESS",
        reason: str = "",
        attempt: int = 1,
        trigger: str = "schedule",
        cycle: str = "",
        sla_breached: bool = False,
        status_reason: str | None = None,
    ) -> datetime:
        end = start + timedelta(seconds=seconds)
        exit_code = {"SUCCESS": 0, "FAILED": 1, "RETRYING": 1}.get(status)
        by = {"schedule": "scheduler", "manual": "cli", "dependency": "dependency"}[trigger]
        self.runs.append(
            (
                job,
                status,
                status_reason or ({"FAILED": "exit code 1", "RETRYING": "exit code 1"}.get(status)),
                attempt,
                trigger,
                f"{by}: {reason}" if reason and trigger == "manual" else by,
                reason or None,
                stamp(start),
                stamp(end),
                exit_code,
                int(sla_breached),
                stamp(start - timedelta(milliseconds=4)),
                cycle or str(uuid.uuid4()),
            )
        )
        if status in ("SUCCESS", "FAILED"):
            self.last[(job, status)] = max(end, self.last.get((job, status), end))
        return end


def busy_day(now: datetime) -> Day:
    day = Day(now)
    first = now - timedelta(hours=23)
    for hour in range(0, 23, 2):
        start = first + timedelta(hours=hour)
        cycle = str(uuid.uuid4())
        if hour == 6:  # a failed attempt, retried 30 s later
            failed = day.run("extract", start, 40, status="RETRYING", cycle=cycle)
            start = failed + timedelta(seconds=30)
            end = day.run("extract", start, 150, attempt=2, cycle=cycle)
        elif hour == 12:  # slower than its 10m SLA
            end = day.run("extract", start, 780, cycle=cycle, sla_breached=True)
        else:
            end = day.run("extract", start, 120 + hour * 7, cycle=cycle)
        dep = {"trigger": "dependency", "cycle": cycle}
        orders = day.run("clean_orders", end, 240, reason="after:extract", **dep)
        if hour == 22:
            day.run("clean_customers", end, 90, status="FAILED", reason="after:extract", **dep)
            continue
        customers = day.run("clean_customers", end, 300, reason="after:extract", **dep)
        report = day.run(
            "build_report", max(orders, customers), 200, reason="after:clean_orders", **dep
        )
        day.run("publish", report, 30, reason="after:build_report", **dep)
    for quarter in range(0, 23 * 4, 3):
        status = "FAILED" if quarter in (18, 57) else "SUCCESS"
        day.run("heartbeat", first + timedelta(minutes=15 * quarter), 1.5, status=status)
    day.run(
        "cleanup", first + timedelta(hours=3), 0, status="SKIPPED", status_reason="job is paused"
    )
    day.run(
        "cleanup",
        first + timedelta(hours=9),
        400,
        trigger="manual",
        reason="disk nearly full",
        status="CANCELLED",
        status_reason="cancelled by operator",
    )
    day.run("weekly_digest", first + timedelta(hours=20), 8, trigger="manual", reason="preview")
    return day


def write_day(db_path: Path, day: Day) -> None:
    """Append the day's runs (two log lines each) and their jobs' last outcomes."""
    with sqlite3.connect(db_path) as db:
        for row in sorted(day.runs, key=lambda r: str(r[11])):
            cursor = db.execute(
                "INSERT INTO job_runs (job_name, status, status_reason, attempt, trigger,"
                " triggered_by, reason, started_at, finished_at, exit_code, sla_breached,"
                " created_at, cycle_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                row,
            )
            run_id = cursor.lastrowid
            db.executemany(
                "INSERT INTO run_logs (run_id, seq, stream, line, ts) VALUES (?, ?, ?, ?, ?)",
                [
                    (run_id, 1, "stdout", f"{row[0]}: starting", row[7]),
                    (
                        run_id,
                        2,
                        "stderr" if row[1] != "SUCCESS" else "stdout",
                        f"{row[0]}: {row[1].lower()}",
                        row[8],
                    ),
                ],
            )
        for (job, status), at in sorted(day.last.items(), key=lambda item: item[1]):
            column = "last_success" if status == "SUCCESS" else "last_failure"
            db.execute(
                f"INSERT INTO job_state (job_name, {column}, last_status) VALUES (?, ?, ?)"
                f" ON CONFLICT(job_name) DO UPDATE SET {column} = excluded.{column},"
                " last_status = excluded.last_status",
                (job, stamp(at), status),
            )
