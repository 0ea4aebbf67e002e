"""`husky dag`, `tags list`, `integrations list|test` and `dash`, run as a user runs them."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from tests.integration.daemon_helpers import Project, wait_for

JOBS = """
version: "1"
integrations:
  slack:
    webhook_url: ${env:HUSKY_TEST_UNSET_HOOK}
  ops:
    provider: pagerduty
    routing_key: rk-123
  mail:
    provider: smtp
    host: smtp.example.com
    from: husky@example.com
jobs:
  extract:
    description: Extract
    frequency: manual
    command: "true"
    tags: [etl, nightly]
  transform:
    description: Transform
    frequency: after:extract
    command: "true"
    tags: [etl]
  report:
    description: Report
    frequency: manual
    depends_on: [transform, extract]
    command: "true"
"""
DAG_TEXT = "extract\ntransform  ←  [extract]\nreport  ←  [extract, transform]\n"


@pytest.fixture(autouse=True)
def _no_hook(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HUSKY_TEST_UNSET_HOOK", raising=False)


def _ok(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_dag_is_the_same_from_the_daemon_and_without_it(project: Project) -> None:
    project.write(JOBS)
    local_text = _ok(project.husky("dag"))
    local_json = _ok(project.husky("dag", "--json"))
    assert local_text == DAG_TEXT
    project.start()
    assert _ok(project.husky("dag")) == local_text
    assert _ok(project.husky("dag", "--json")) == local_json
    # The daemon's graph, not the file's: an edit that was not reloaded does not show.
    project.write(JOBS.replace("depends_on: [transform, extract]", "depends_on: [extract]"))
    assert _ok(project.husky("dag")) == DAG_TEXT
    assert _ok(project.husky("reload")).strip() == "config reloaded"
    reloaded = "extract\nreport  ←  [extract]\ntransform  ←  [extract]\n"
    assert _ok(project.husky("dag")) == reloaded


def test_tags_list(project: Project) -> None:
    project.write(JOBS)
    assert _ok(project.husky("tags", "list")) == "TAG      COUNT\netl      2\nnightly  1\n"


def test_integrations_list(project: Project) -> None:
    project.write(JOBS)
    assert _ok(project.husky("integrations", "list")).splitlines() == [
        "NAME   PROVIDER   CREDENTIALS",
        "mail   smtp       set",
        "ops    pagerduty  set",
        "slack  slack      missing",
    ]


def test_integrations_test(project: Project) -> None:
    project.write(JOBS)
    known = project.husky("integrations", "test", "slack")  # ${env:…} URL unset
    assert (known.returncode, known.stdout) == (1, "")
    assert known.stderr == "Error: missing endpoint URL\n"
    unknown = project.husky("integrations", "test", "nope")
    assert (unknown.returncode, unknown.stderr) == (1, 'Error: integration "nope" not found\n')


def test_dash_without_a_daemon(project: Project) -> None:
    project.write(JOBS)
    result = project.husky("dash")
    assert result.returncode == 1
    assert result.stderr == (
        "Error: daemon is not running (no api.addr in .husky — run `husky start`)\n"
    )


def _dash(project: Project, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "husky", "dash", *args],
        cwd=project.root,
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
        stdin=subprocess.DEVNULL,
    )


def _fake_desktop(project: Project) -> dict[str, str]:
    """A display and an `xdg-open` that records the URL it was asked to open."""
    bin_dir = project.root / "fakebin"
    bin_dir.mkdir()
    opener = bin_dir / "xdg-open"
    opener.write_text(f'#!/bin/sh\necho "$1" > {project.root / "opened"}\n')
    settings = bin_dir / "xdg-settings"
    settings.write_text("#!/bin/sh\nexit 1\n")
    for script in (opener, settings):
        script.chmod(script.stat().st_mode | stat.S_IXUSR)
    env = {k: v for k, v in os.environ.items() if k not in ("BROWSER", "WAYLAND_DISPLAY")}
    return env | {"DISPLAY": ":99", "PATH": f"{bin_dir}{os.pathsep}{env['PATH']}"}


def test_dash_prints_the_address_and_opens_a_browser(project: Project) -> None:
    project.write(JOBS)
    project.start()
    url = f"http://{(project.data / 'api.addr').read_text().strip()}/"
    env = _fake_desktop(project)

    assert _ok(_dash(project, env, "--no-open")) == f"Opening dashboard: {url}\n"
    assert not (project.root / "opened").exists()

    assert _ok(_dash(project, env)) == f"Opening dashboard: {url}\n"
    opened = project.root / "opened"
    wait_for(lambda: opened.exists() and opened.read_text().strip(), what="the browser")
    assert opened.read_text().strip() == url


def test_dash_without_a_browser_still_succeeds(project: Project) -> None:
    project.write(JOBS)
    project.start()
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DISPLAY", "WAYLAND_DISPLAY", "BROWSER", "TERM")
    }
    result = _dash(project, env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("Opening dashboard: http://127.0.0.1:")


def test_dash_never_hands_the_terminal_to_a_console_browser(project: Project) -> None:
    """`$BROWSER` naming a foreground program (it would block until closed) is not run."""
    project.write(JOBS)
    project.start()
    blocker = project.root / "blocker"
    blocker.write_text(f"#!/bin/sh\ntouch {project.root / 'ran'}\nsleep 45\n")
    blocker.chmod(0o755)
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    result = _dash(project, env | {"BROWSER": str(blocker)})
    assert result.returncode == 0, result.stderr
    assert not (project.root / "ran").exists()


def test_dag_without_daemon_needs_no_data_dir(tmp_path: Path) -> None:
    (tmp_path / "husky.yaml").write_text(JOBS)
    result = subprocess.run(
        [sys.executable, "-m", "husky", "-d", "nowhere", "dag"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert (result.returncode, result.stdout) == (0, DAG_TEXT)
    assert not (tmp_path / "nowhere").exists()
