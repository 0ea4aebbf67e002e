"""The `husky` command as a user runs it: a real subprocess, real files, exit codes and output."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from husky.config.load import load_config
from husky.scheduler.triggers import upcoming

ROOT = Path(__file__).resolve().parents[2]
QUICKSTART = ROOT / "examples" / "quickstart"


def husky(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "husky", *args], cwd=cwd, capture_output=True, text=True, timeout=60
    )


TEN_MISTAKES = """\
version: "1"
defaults:
  on_failure: explode
jobs:
  extract:
    description: Extract
    frequency: daily
    time: "0200"
    command: ./extract.sh
    tags: [ETL]
  load:
    description: Load
    frequency: every:25h
    command: ./load.sh
    timeout: 1h
    sla: 2h
  report:
    description: "  "
    frequency: on:[monday, funday]
    command: echo hi
    retry_delay: linear
    concurrency: queue
    timezone: Europe/Berlinn
    output:
      rows: regex:([a-z
"""


def test_validate_reports_ten_located_errors(tmp_path: Path) -> None:
    (tmp_path / "husky.yaml").write_text(TEN_MISTAKES)
    result = husky("validate", cwd=tmp_path)
    assert result.returncode == 1
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert lines[0] == "Error: husky.yaml has 10 validation error(s):"
    bullets = lines[1:]
    assert len(bullets) == 10
    assert all(line.startswith("  • husky.yaml:") for line in bullets)
    assert bullets[0].startswith("  • husky.yaml:3:15: defaults.on_failure: ")
    assert (
        "jobs.report.timezone" in result.stderr and 'did you mean "Europe/Berlin"?' in result.stderr
    )


def test_validate_quickstart_is_clean() -> None:
    result = husky("-c", "examples/quickstart/husky.yaml", "validate", "--strict")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["✓ examples/quickstart/husky.yaml is valid"]
    warnings = result.stderr.splitlines()
    assert "warning: job heartbeat has no notify configuration" in warnings
    assert not [w for w in warnings if "outputs." in w]


def test_validate_cycle_prints_loop(tmp_path: Path) -> None:
    (tmp_path / "husky.yaml").write_text(
        'version: "1"\njobs:\n'
        "  a: {description: a, frequency: after:c, command: x}\n"
        "  b: {description: b, frequency: after:a, command: x}\n"
        "  c: {description: c, frequency: manual, command: x, depends_on: [b]}\n"
    )
    result = husky("validate", cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr.startswith("Error: dag: cycle detected: a -> c -> b -> a (husky.yaml:")


def test_validate_missing_file(tmp_path: Path) -> None:
    result = husky("-c", "nope.yaml", "validate", cwd=tmp_path)
    assert (result.returncode, result.stderr.strip()) == (
        1,
        "Error: reading nope.yaml: No such file or directory",
    )


def test_validate_checks_daemon_config(tmp_path: Path) -> None:
    shutil.copy(QUICKSTART / "husky.yaml", tmp_path / "husky.yaml")
    (tmp_path / "huskyd.yaml").write_text("scheduler:\n  max_concurrent_jobs: 4\n")
    ok = husky("validate", cwd=tmp_path)
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout.splitlines() == ["✓ husky.yaml is valid", "✓ huskyd.yaml is valid"]
    (tmp_path / "huskyd.yaml").write_text("schedular:\n  max_concurrent_jobs: 4\n")
    bad = husky("validate", cwd=tmp_path)
    assert bad.returncode == 1
    assert bad.stdout.splitlines() == ["✓ husky.yaml is valid"]
    assert bad.stderr.startswith("Error: huskyd.yaml: ")
    assert 'did you mean "scheduler"?' in bad.stderr


def test_validate_schema_matches_shipped_file() -> None:
    result = husky("validate", "--schema")
    assert result.returncode == 0
    schema = json.loads(result.stdout)
    shipped = json.loads((ROOT / "src/husky/schema/husky.schema.json").read_text())
    assert schema == shipped, (
        "regenerate: husky validate --schema > src/husky/schema/husky.schema.json"
    )
    assert schema["required"] == ["version", "jobs"]
    job = schema["$defs"]["JobModel"]
    assert job["additionalProperties"] is False
    assert {"description", "frequency", "command"} <= set(job["required"])


def test_next_prints_three_fire_times_per_scheduled_job() -> None:
    start = "2026-03-28T12:00:00Z"
    result = husky(
        "-c", "examples/quickstart/husky.yaml", "next", "-n", "3", "--from", start, "--json"
    )
    assert result.returncode == 0, result.stderr
    rows = json.loads(result.stdout)
    config = load_config(QUICKSTART / "husky.yaml")
    scheduled = sorted(n for n, j in config.jobs.items() if j.frequency.is_auto)
    assert sorted({r["job"] for r in rows}) == scheduled
    instant = datetime.fromisoformat(start)
    for name in scheduled:
        expected = upcoming(config.jobs[name].schedule, instant, 3)
        mine = [r for r in rows if r["job"] == name]
        assert [r["utc"] for r in mine] == [
            o.at.astimezone(UTC).isoformat().replace("+00:00", "Z") for o in expected
        ]
        assert [datetime.fromisoformat(r["local"]) for r in mine] == [o.local for o in expected]
    gap = [r for r in rows if r["job"] == "extract" and r["note"]]
    assert gap and gap[0]["note"].startswith("DST gap: 02:00 does not exist")


def test_next_table_and_errors() -> None:
    table = husky("-c", "examples/quickstart/husky.yaml", "next", "extract", "-n", "2")
    assert table.returncode == 0
    assert table.stdout.splitlines()[0].split() == ["JOB", "#", "TIMEZONE", "LOCAL", "UTC", "NOTE"]
    assert len(table.stdout.splitlines()) == 3
    unknown = husky("-c", "examples/quickstart/husky.yaml", "next", "nope")
    assert (unknown.returncode, unknown.stderr.strip()) == (1, 'Error: unknown job "nope"')
    manual = husky("-c", "examples/quickstart/husky.yaml", "next", "backfill")
    assert manual.returncode == 1 and "not scheduled by time" in manual.stderr


def test_dag_text_and_json() -> None:
    text = husky("-c", "examples/quickstart/husky.yaml", "dag")
    assert text.returncode == 0
    lines = text.stdout.splitlines()
    assert lines.index("extract") < lines.index("clean_customers  ←  [extract]")
    assert "build_report  ←  [clean_customers, clean_orders]" in lines
    nodes = json.loads(husky("-c", "examples/quickstart/husky.yaml", "dag", "--json").stdout)
    assert {"name": "publish", "dependencies": ["build_report"]} in nodes
    assert len(nodes) == len(lines)


def test_config_show_applies_defaults_and_redacts(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLACK_WEBHOOK_URL", "https://hooks.example/very-secret")
    shown = husky("-c", "examples/quickstart/husky.yaml", "config", "show", "--json")
    assert shown.returncode == 0
    data = json.loads(shown.stdout)
    assert data["jobs"]["weekly_digest"]["timezone"] == "America/New_York"
    assert data["jobs"]["cleanup"]["time"] == "0300"
    assert data["jobs"]["heartbeat"]["timeout"] == "20m"
    assert data["integrations"]["slack"]["webhook_url"] == "***"
    assert "very-secret" not in shown.stdout
    yaml_out = husky("-c", "examples/quickstart/husky.yaml", "config", "show", "--show-secrets")
    assert "webhook_url: https://hooks.example/very-secret" in yaml_out.stdout


def test_version_and_usage_exit_codes() -> None:
    version = husky("version")
    assert version.stdout.splitlines()[0].startswith("husky ")
    assert version.stdout.splitlines()[1].startswith("commit:     ")
    assert husky("--version").stdout.startswith("husky ")
    assert husky("no-such-command").returncode == 2
    assert husky("validate", "--bogus-flag").returncode == 2
    assert husky("next", "-n", "zero").returncode == 2
    empty = husky()
    assert empty.returncode == 0 and "Usage:" in empty.stdout
    assert husky("-h").returncode == 0


def test_cli_start_imports_no_server_stack() -> None:
    code = (
        "import sys, husky.cli.main;"
        "heavy = [m for m in ('pydantic', 'ruamel', 'fastapi', 'uvicorn', 'rich') if m in sys.modules];"
        "print(heavy)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"


def test_usage_errors_print_one_line_and_exit_2_other_errors_exit_1(tmp_path: Path) -> None:
    cases = [
        (("run",), 2, "Error: job name is required unless --tag is used"),
        (("--bogus",), 2, "Error: No such option '--bogus'."),
        (("nosuchcommand",), 2, "Error: No such command 'nosuchcommand'."),
        (("run", "x", "-r", "x" * 501), 1, "Error: --reason exceeds max length of 500 characters"),
    ]
    for args, code, line in cases:
        result = husky(*args, cwd=tmp_path)
        assert (result.returncode, result.stderr) == (code, line + "\n"), args  # no usage dump
