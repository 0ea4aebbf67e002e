"""`husky audit` and `husky export` (cli.md §4, I25, I28): real subprocesses reading a
database written by the real store, no daemon."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import os
import sqlite3
import subprocess
import sys
import textwrap
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from husky.models import NewRun, RunResult, RunStatus, Trigger
from husky.store.sqlite import SQLiteStore

T0 = datetime(2026, 3, 8, 7, 30, 0, 123000, tzinfo=UTC)
EXTRA = 5001  # more than `audit` shows (5000) and `export` writes (1000)

CONFIG = """
version: "1"
integrations:
  slack:
    webhook_url: ${env:HOOK}
  mail:
    provider: smtp
    host: smtp.example
    from: husky@example
    username: husky
    password: hunter2
jobs:
  extract:
    description: Extract
    frequency: manual
    command: echo extract
    tags: [etl]
    env:
      TOKEN: ${env:API_TOKEN}
      MODE: fast
  report:
    description: Report
    frequency: manual
    command: echo report
"""


def husky(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """`husky …` in `root`; output decoded as written (no newline translation: CSV has CRLF)."""
    result = subprocess.run(
        [sys.executable, "-m", "husky", *args],
        cwd=root,
        capture_output=True,
        timeout=60,
        env={**os.environ, "HOOK": "https://hooks.example/secret", "API_TOKEN": "tok-123"},
        stdin=subprocess.DEVNULL,
    )
    return subprocess.CompletedProcess(
        result.args, result.returncode, result.stdout.decode(), result.stderr.decode()
    )


def new_run(job: str, trigger: Trigger, reason: str | None, created: datetime) -> NewRun:
    return NewRun(job, trigger, "scheduler", reason, 1, "cycle", created)


async def seed(db: Path) -> dict[str, int]:
    """EXTRA old `bulk` runs, then four named ones a second apart (T0 + 1 … 4 s)."""
    store = await SQLiteStore.open(db)
    try:

        def bulk(conn: sqlite3.Connection) -> None:
            conn.executemany(
                "INSERT INTO job_runs (job_name, status, trigger, triggered_by, created_at)"
                " VALUES ('bulk', 'SUCCESS', 'schedule', 'scheduler', '2020-01-01T00:00:00.000Z')",
                [()] * EXTRA,
            )

        await store.write(bulk)
        named = [
            ("extract", Trigger.SCHEDULE, None, RunStatus.SUCCESS),
            ("extract", Trigger.MANUAL, 'Backfill, "March"\nsecond line', RunStatus.FAILED),
            ("report", Trigger.DEPENDENCY, "after:extract", RunStatus.SUCCESS),
            ("report", Trigger.MANUAL, "nightly BACKFILL", RunStatus.CANCELLED),
        ]
        ids = {}
        for i, (job, trigger, reason, status) in enumerate(named, 1):
            created = T0 + timedelta(seconds=i)
            run = await store.create_run(new_run(job, trigger, reason, created))
            await store.finish_run(
                run.id, RunResult(status, created + timedelta(seconds=1), 0), job_name=job
            )
            ids[f"{job}{i}"] = run.id

        def alert(conn: sqlite3.Connection) -> None:
            conn.execute(
                "INSERT INTO alerts (job_name, run_id, event, channel, status, sent_at)"
                " VALUES ('extract', ?, 'on_failure', 'slack', 'failed', ?)",
                (ids["extract2"], "2026-03-08T07:30:03.000Z"),
            )

        await store.write(alert)
        await store.set_next_run("report", T0 + timedelta(days=1))
        return ids
    finally:
        await store.close()


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, int]]:
    root = tmp_path_factory.mktemp("cli-data")
    (root / "husky.yaml").write_text(textwrap.dedent(CONFIG).lstrip(), encoding="utf-8")
    ids = asyncio.run(seed(root / ".husky" / "husky.db"))
    return root, ids


def table_ids(stdout: str) -> list[int]:
    return [int(line.split()[0]) for line in stdout.splitlines()[1:]]


# -- audit ------------------------------------------------------------------------------


def test_audit_table(project: tuple[Path, dict[str, int]]) -> None:
    root, ids = project
    result = husky(root, "audit", "--job", "report")
    assert result.returncode == 0, result.stderr
    header, *rows = result.stdout.splitlines()
    assert header.split("  ")[:1] == ["RUN ID"]
    assert header.split() == ["RUN", "ID", "JOB", "STATUS", "TRIGGER", "REASON", "CREATED"]
    assert rows[0].split() == [
        str(ids["report4"]), "report", "CANCELLED", "manual", "nightly", "BACKFILL", "Mar", "08",
        "07:30", "UTC",
    ]  # fmt: skip
    assert rows[1].split()[:5] == [
        str(ids["report3"]),
        "report",
        "SUCCESS",
        "dependency",
        "after:extract",
    ]
    assert len(rows) == 2
    extract = husky(root, "audit", "--job", "extract").stdout.splitlines()
    assert len(extract) == 3  # a reason's line break does not break the table
    assert 'Backfill, "March" second line' in extract[1]


def test_audit_shows_the_newest_5000(project: tuple[Path, dict[str, int]]) -> None:
    root, ids = project
    shown = table_ids(husky(root, "audit").stdout)
    assert len(shown) == 5000
    assert shown[:4] == [ids["report4"], ids["report3"], ids["extract2"], ids["extract1"]]
    assert shown == sorted(shown, reverse=True)


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--job", "extract"], ["extract2", "extract1"]),
        (["--trigger", "manual"], ["report4", "extract2"]),
        (["--status", "failed"], ["extract2"]),  # any case
        (["--status", "Success", "--job", "report"], ["report3"]),
        (["--reason", "backfill"], ["report4", "extract2"]),  # case-insensitive substring
        (["--since", "2026-03-08T07:30:03Z"], ["report4", "report3"]),
        (["--since", "2026-03-08T07:30:03.123Z"], ["report4", "report3"]),
        (["--since", "2026-03-08T07:30:03.124Z"], ["report4"]),
        (["--since", "2026-03-08T09:30:03.124+02:00"], ["report4"]),
        (["--tag", "etl"], ["extract2", "extract1"]),  # the local config's tagged jobs
        (["--tag", "etl", "--reason", "backfill"], ["extract2"]),
        (["--tag", "nope"], []),
        (["--job", "nope"], []),
    ],
)
def test_audit_filters(
    project: tuple[Path, dict[str, int]], args: list[str], expected: list[str]
) -> None:
    root, ids = project
    result = husky(root, "audit", *args)
    assert result.returncode == 0, result.stderr
    assert table_ids(result.stdout) == [ids[name] for name in expected]


def test_audit_csv_export(project: tuple[Path, dict[str, int]]) -> None:
    root, ids = project
    result = husky(root, "audit", "--job", "extract", "--export", "csv")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("id,job,status,trigger,reason,created_at\r\n")  # RFC 4180
    assert result.stdout.endswith("Z\r\n")
    rows = list(csv.reader(io.StringIO(result.stdout, newline="")))
    assert rows == [
        ["id", "job", "status", "trigger", "reason", "created_at"],
        [str(ids["extract2"]), "extract", "FAILED", "manual", 'Backfill, "March"\nsecond line',
         "2026-03-08T07:30:02.123Z"],
        [str(ids["extract1"]), "extract", "SUCCESS", "schedule", "", "2026-03-08T07:30:01.123Z"],
    ]  # fmt: skip
    other = husky(root, "audit", "--job", "extract", "--export", "xml")
    assert other.stdout.splitlines()[0].split()[:3] == ["RUN", "ID", "JOB"]  # a table


def test_audit_rejects_a_since_that_is_not_rfc3339(project: tuple[Path, dict[str, int]]) -> None:
    root, _ = project
    for since in ("yesterday", "2026-03-08", "2026-03-08T07:30:00"):
        result = husky(root, "audit", "--since", since)
        assert (result.returncode, result.stdout) == (1, "")
        assert result.stderr.strip() == "Error: --since must be RFC3339"


# -- export -----------------------------------------------------------------------------


def exported(root: Path, *args: str) -> dict[str, Any]:
    result = husky(root, "export", *args)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith('{\n  "config": {\n')  # indented by 2
    document: dict[str, Any] = json.loads(result.stdout)
    return document


def test_export_shape(project: tuple[Path, dict[str, int]]) -> None:
    root, ids = project
    doc = exported(root)
    assert list(doc) == ["config", "job_state", "runs", "alerts"]
    config = doc["config"]
    assert list(config) == ["version", "defaults", "integrations", "jobs"]
    assert set(config["defaults"]) == {
        "timeout", "retries", "retry_delay", "notify_on_failure", "on_failure",
        "default_run_time", "timezone",
    }  # fmt: skip
    assert set(config["integrations"]["mail"]) == {
        "provider", "webhook_url", "routing_key", "host", "port", "username", "password", "from"
    }  # fmt: skip
    extract = config["jobs"]["extract"]
    assert (extract["name"], extract["command"], extract["timeout"]) == (
        "extract",
        "echo extract",
        "30m",
    )
    assert list(extract) == [
        "name", "description", "frequency", "time", "command", "working_dir", "depends_on",
        "timeout", "retries", "retry_delay", "concurrency", "on_failure", "env", "notify",
        "catchup", "sla", "tags", "timezone", "healthcheck", "output",
    ]  # fmt: skip
    assert doc["job_state"] == [
        {
            "job_name": "extract",
            "last_success": "2026-03-08T07:30:02.123Z",
            "last_failure": "2026-03-08T07:30:03.123Z",
            "next_run": None,
            "lock_pid": None,
        },
        {
            "job_name": "report",
            "last_success": "2026-03-08T07:30:04.123Z",
            "last_failure": None,
            "next_run": "2026-03-09T07:30:00.123Z",
            "lock_pid": None,
        },
    ]
    runs = doc["runs"]
    assert len(runs) == 1000  # the newest 1000
    assert [r["id"] for r in runs[:4]] == [
        ids["report4"],
        ids["report3"],
        ids["extract2"],
        ids["extract1"],
    ]
    assert runs[2]["reason"] == 'Backfill, "March"\nsecond line'
    assert set(runs[0]) == {
        "id", "job_name", "status", "attempt", "trigger", "triggered_by", "reason", "finished_at",
        "exit_code", "sla_breached", "created_at",
    }  # fmt: skip
    assert doc["alerts"] == [
        {
            "id": 1,
            "job_name": "extract",
            "run_id": ids["extract2"],
            "event": "on_failure",
            "channel": "slack",
            "status": "failed",
            "attempts": 1,
            "sent_at": "2026-03-08T07:30:03.000Z",
        }
    ]


def test_export_redacts_secrets_unless_asked(project: tuple[Path, dict[str, int]]) -> None:
    root, _ = project
    config = exported(root)["config"]
    assert config["integrations"]["slack"]["webhook_url"] == "***"
    mail = config["integrations"]["mail"]
    assert (mail["username"], mail["password"], mail["host"]) == ("***", "***", "smtp.example")
    assert config["jobs"]["extract"]["env"] == {"TOKEN": "***", "MODE": "fast"}
    assert "tok-123" not in json.dumps(config) and "hunter2" not in json.dumps(config)

    clear = exported(root, "--show-secrets")["config"]
    assert clear["integrations"]["slack"]["webhook_url"] == "https://hooks.example/secret"
    assert (clear["integrations"]["mail"]["password"]) == "hunter2"
    assert clear["jobs"]["extract"]["env"] == {"TOKEN": "tok-123", "MODE": "fast"}


def test_export_format(project: tuple[Path, dict[str, int]]) -> None:
    root, _ = project
    assert exported(root, "--format", "json")["runs"]
    result = husky(root, "export", "--format", "yaml")
    assert (result.returncode, result.stdout) == (1, "")
    assert result.stderr.strip() == 'Error: unsupported format "yaml"'


@pytest.mark.parametrize("command", [("history", "extract"), ("export", "--format=json")])
def test_reading_without_a_daemon_creates_an_owner_only_data_dir(
    tmp_path: Path, command: tuple[str, ...]
) -> None:
    (tmp_path / "husky.yaml").write_text(CONFIG)
    result = husky(tmp_path, *command)
    assert result.returncode == 0, result.stderr
    data = tmp_path / ".husky"
    assert (data.stat().st_mode & 0o777, (data / "husky.db").stat().st_mode & 0o777) == (
        0o700,
        0o600,
    )
