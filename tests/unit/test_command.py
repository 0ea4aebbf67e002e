"""husky.executor.command: which commands skip the shell, and that skipping it changes nothing
the user sees (exit code, stdout, stderr) — real processes, both ways."""

from __future__ import annotations

import asyncio
import os
import shutil
import sys
from pathlib import Path

import pytest

from husky.clock import SystemClock
from husky.config.load import load_config
from husky.events import EventBus
from husky.executor.command import Launcher, find_program, launch, plain_words
from husky.executor.process import run_process
from husky.executor.runner import Executor, ExecutorSettings
from husky.models import Run, RunStatus, Stream, Trigger
from husky.scheduler.cycle import Request
from husky.store.sqlite import SQLiteStore
from tests.conftest import WriteConfig

SHELL = "/bin/sh"
PATH = os.environ.get("PATH", "/usr/bin:/bin")


@pytest.mark.parametrize(
    ("command", "words"),
    [
        ("sleep 1", ["sleep", "1"]),
        ("ls -la /tmp", ["ls", "-la", "/tmp"]),
        ("/usr/bin/env", ["/usr/bin/env"]),
        ("python3 -m http.server 8000", ["python3", "-m", "http.server", "8000"]),
        (
            "curl -fsS https://example.com/a,b@c:8080/x+y",
            ["curl", "-fsS", "https://example.com/a,b@c:8080/x+y"],
        ),
        ("  rsync\t-a src/ dst/  ", ["rsync", "-a", "src/", "dst/"]),
        ("café --été", ["café", "--été"]),
    ],
)
def test_plain_commands_split_into_words(command: str, words: list[str]) -> None:
    assert plain_words(command) == words


@pytest.mark.parametrize(
    "command",
    [
        "echo 'quoted'",
        'echo "quoted"',
        "ls $HOME",
        "ls `pwd`",
        "ls \\n",
        "a | b",
        "a & b",
        "a; b",
        "a < in",
        "a > out",
        "(a)",
        "ls *.py",
        "ls file?",
        "ls [ab]",
        "ls ~",
        "ls # comment",
        "FOO=1 env",
        "ls {a,b}",
        "kill %1",
        "! grep x",
        "a\nb",
        "a^b",
        "",
        "   ",
    ],
)
def test_shell_syntax_keeps_the_shell(command: str) -> None:
    assert plain_words(command) is None


BUILTIN_COMMANDS = """true|false|echo hi|printf x|cd /tmp|exit 3|test -e /|[ -e / ]|exec sleep 1
|export A|set -e|kill 1|pwd|read x|ulimit -n|umask 22|source f|. f|: nothing|time sleep 1|if|while
|for|wait"""


@pytest.mark.parametrize("command", BUILTIN_COMMANDS.replace("\n", "").split("|"))
def test_builtins_and_keywords_keep_the_shell(command: str) -> None:
    assert plain_words(command) is None


def test_find_program_follows_path_order(tmp_path: Path) -> None:
    first, second = tmp_path / "a", tmp_path / "b"
    for d in (first, second):
        d.mkdir()
        tool = d / "tool"
        tool.write_text("#!/bin/sh\n")
        tool.chmod(0o755)
    (first / "plain").write_text("not executable")
    (second / "plain").write_text("#!/bin/sh\n")
    (second / "plain").chmod(0o755)
    path = f"{first}:{second}"
    assert find_program("tool", path) == str(first / "tool")
    assert find_program("plain", path) == str(second / "plain")  # skips the non-executable
    assert find_program("missing", path) is None
    assert find_program("tool", "") is None


def test_find_program_leaves_cwd_dependent_lookups_to_the_shell(tmp_path: Path) -> None:
    sh_dir = str(Path(shutil.which("sh") or "/bin/sh").parent)
    assert find_program("sh", f"relative/bin:{sh_dir}") is None
    assert find_program("sh", f":{sh_dir}") is None  # "" is the working directory
    assert find_program("./script", PATH) is None
    assert find_program("bin/script", PATH) is None
    assert find_program("/bin/sh", "") == "/bin/sh"
    assert find_program(str(tmp_path), PATH) is None  # a directory is not a program


def test_launch_direct_or_shell(tmp_path: Path) -> None:
    env = {"PATH": PATH, "PWD": "/somewhere/else"}
    direct = launch("sleep 0", SHELL, env, tmp_path)
    assert direct.direct
    assert direct.argv == ["sleep", "0"]  # argv[0] as typed, like the shell
    assert direct.executable == shutil.which("sleep", path=PATH)
    assert direct.env == {"PATH": PATH, "PWD": os.path.realpath(tmp_path)}
    assert env["PWD"] == "/somewhere/else"  # the caller's mapping is not touched
    via_shell = launch("sleep 0; true", SHELL, env, tmp_path)
    assert not via_shell.direct
    assert via_shell.argv == [SHELL, "-c", "sleep 0; true"]
    assert via_shell.env is env
    missing = launch("no-such-program-here --flag", SHELL, env, tmp_path)
    assert missing.argv == [SHELL, "-c", "no-such-program-here --flag"]


# --- both ways give the same result --------------------------------------------------------


Outcome = tuple[int, dict[Stream, list[str]]]


def outcome(
    argv: list[str], env: dict[str, str], cwd: Path, executable: str | None = None
) -> Outcome:
    async def main() -> Outcome:
        lines: dict[Stream, list[str]] = {}

        def sink(stream: Stream, batch: list[str]) -> None:
            lines.setdefault(stream, []).extend(batch)

        result = await run_process(
            argv, cwd=cwd, env=env, sink=sink, timeout=20, grace=0.5, executable=executable
        )
        assert result.spawn_error is None
        return result.exit_code, lines

    return asyncio.run(main())


SCRIPT = "import os, sys; print(*sys.argv[1:]); print(os.getcwd(), file=sys.stderr); sys.exit(4)"


@pytest.mark.parametrize(
    ("command", "direct"),
    [
        ("ls -d /", True),
        ("cat /nonexistent/file", True),
        ("expr 1 + 2", True),
        ("expr 0", True),
        ("sleep 0", True),
        ("/usr/bin/env", True),
        (f"{sys.executable} script.py a b,c", True),
        ("no-such-program-here --flag", False),
        ("echo 'hi there'; exit 3", False),
    ],
)
def test_direct_exec_matches_the_shell(tmp_path: Path, command: str, direct: bool) -> None:
    (tmp_path / "script.py").write_text(SCRIPT)
    env = {"PATH": PATH, "PWD": "/", "HUSKY_X": "1"}  # an inherited PWD that is not the cwd
    how = launch(command, SHELL, env, tmp_path)
    assert how.direct is direct
    shell_code, shell_lines = outcome([SHELL, "-c", command], env, tmp_path)
    code, lines = outcome(how.argv, dict(how.env), tmp_path, how.executable)
    assert code == shell_code
    if command == "/usr/bin/env":  # same variables, whatever order each way prints them in
        assert sorted(lines[Stream.STDOUT]) == sorted(shell_lines[Stream.STDOUT])
        assert f"PWD={os.path.realpath(tmp_path)}" in lines[Stream.STDOUT]
    else:
        assert lines == shell_lines


# --- through the executor ------------------------------------------------------------------


def run_job(tmp_path: Path, write_config: WriteConfig, command: str) -> tuple[Run, list[str]]:
    """One run of a job whose PATH starts with `tmp_path/bin`, through a real Executor."""
    bin_dir = tmp_path / "bin"
    config = load_config(
        write_config(
            f"""
            version: "1"
            jobs:
              job:
                description: d
                frequency: manual
                command: "{command}"
                env:
                  PATH: "{bin_dir}:{PATH}"
            """
        )
    )
    job = config.jobs["job"]

    async def main() -> tuple[Run, list[str]]:
        store = await SQLiteStore.open(tmp_path / "husky.db")
        clock = SystemClock()
        executor = Executor(store, EventBus(), clock, ExecutorSettings(working_dir=tmp_path))
        try:
            new = Request("job", Trigger.MANUAL, "cli", None).new_run(clock.now())
            run = await executor.submit(job, new)
            await executor.drain(20)
            final = await store.get_run(run.id)
            assert final is not None
            return final, [line.line for line in await store.get_logs(run.id)]
        finally:
            executor.close()
            await store.close()

    return asyncio.run(main())


def test_a_script_without_shebang_still_runs_through_the_shell(
    tmp_path: Path, write_config: WriteConfig
) -> None:
    """Exec'ing it fails (ENOEXEC); the shell runs such a file itself, so the run falls
    back to the shell and ends as it always did."""
    (tmp_path / "bin").mkdir()
    script = tmp_path / "bin" / "noshebang"
    script.write_text('echo "ran with $1"\nexit 5\n')
    script.chmod(0o755)
    assert launch("noshebang x", SHELL, {"PATH": f"{tmp_path / 'bin'}:{PATH}"}, tmp_path).direct
    final, lines = run_job(tmp_path, write_config, "noshebang x")
    assert (final.status, final.exit_code, final.status_reason) == (
        RunStatus.FAILED,
        5,
        "exit code 5",
    )
    assert lines == ["ran with x"]


def test_a_direct_run_records_the_same_as_before(tmp_path: Path, write_config: WriteConfig) -> None:
    (tmp_path / "bin").mkdir()
    final, lines = run_job(tmp_path, write_config, "ls -d /")
    assert (final.status, final.exit_code) == (RunStatus.SUCCESS, 0)
    assert final.started_at is not None and final.created_at <= final.started_at
    assert final.pgid is None and lines == ["/"]


def test_launcher_merges_the_environment_and_resolves_the_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HUSKY_T_DAEMON", "daemon")
    monkeypatch.setenv("HUSKY_T_KEPT", "daemon")
    launcher = Launcher(SHELL, {"HUSKY_T_GLOBAL": "global", "HUSKY_T_KEPT": ""}, tmp_path)
    env = launcher.environment({"HUSKY_T_GLOBAL": "job", "HUSKY_T_EMPTY": ""})
    assert env["HUSKY_T_DAEMON"] == "daemon"
    assert env["HUSKY_T_KEPT"] == "daemon"  # an empty value never overrides
    assert env["HUSKY_T_GLOBAL"] == "job"
    assert "HUSKY_T_EMPTY" not in env
    assert launcher.working_dir("") == tmp_path
    assert launcher.working_dir("sub") == tmp_path / "sub"
    monkeypatch.setenv("HUSKY_T_DAEMON", "changed")
    assert launcher.environment({})["HUSKY_T_DAEMON"] == "daemon"  # merged once...
    launcher.refresh()
    assert launcher.environment({})["HUSKY_T_DAEMON"] == "changed"  # ...until a reload
    how, cwd = launcher.launch("sleep 0", "", {"PATH": PATH})
    assert cwd == tmp_path and how.direct
    assert how.fallback is not None and how.fallback.argv == [SHELL, "-c", "sleep 0"]
    assert how.fallback.fallback is None
