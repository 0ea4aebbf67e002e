"""How a job's `command` is started: exec'd directly when it is a plain program call, else
through the configured shell (`<shell> -c <command>`).

Like GNU make, a command with no shell syntax is split into words and exec'd without a
shell: same result, half the spawn cost. The test is deliberately conservative: any
character outside a plain set (quotes, `$`, backquote, backslash, `|&;<>()`, globs, `~`,
`#`, `=`, braces, `%`, `!`, newline...) or a first word that the shell would treat itself
(a builtin or keyword) keeps the shell. So does a program not found on the job's PATH,
so the user sees the shell's own `not found` and exit code 127, as before.
"""

from __future__ import annotations

import functools
import os
import re
import shlex
import stat
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

#: Every character of a command that may skip the shell: word characters (any script),
#: blanks and a few punctuation marks no POSIX shell or bash gives a meaning to.
_PLAIN = re.compile(r"[\w@+:,./ \t-]*")

#: Words a shell handles itself (POSIX sh, dash and bash builtins and reserved words):
#: exec'ing a program of that name instead could behave differently (`echo -e`, `cd`).
_WORDS = """
    ! . : [ [[ ]] { } alias bg bind break builtin caller case cd chdir command compgen
    complete compopt continue coproc declare dirs disown do done echo elif else enable
    esac eval exec exit export false fc fg fi for function getopts hash help history if
    in jobs kill let local logout mapfile popd printf pushd pwd read readarray readonly
    return select set shift shopt source suspend test then time times trap true type
    typeset ulimit umask unalias unset until wait while
"""
SHELL_WORDS = frozenset(_WORDS.split())


@dataclass(frozen=True)
class Launch:
    """What to spawn: `argv` with `env`, and the program file when it is not `argv[0]`."""

    argv: list[str]
    env: Mapping[str, str]
    executable: str | None = None
    fallback: Launch | None = None  # the shell's way, should the direct exec not start

    @property
    def direct(self) -> bool:
        """Exec'd without a shell."""
        return self.executable is not None


def launch(command: str, shell: str, env: Mapping[str, str], cwd: Path) -> Launch:
    """How to start `command` in `cwd` with `env` (whose PATH finds the program).

    Exec'd directly, the program also gets what the shell would have exported: PWD, the
    job's directory without symlinks (what dash and bash set when the inherited PWD, the
    daemon's, is not where they run). Should that exec fail (a script without "#!", which
    the shell runs itself), `fallback` is the shell's way.
    """
    via_shell = Launch([shell, "-c", command], env)
    words = _plain_words(command)
    if words is not None:
        program = find_program(words[0], env.get("PATH"))
        if program is not None:
            pwd = os.path.realpath(cwd)
            return Launch(list(words), {**env, "PWD": pwd}, program, via_shell)
    return via_shell


class Launcher:
    """What a job's processes start with: the shell, the working directory (I14) and the
    environment: daemon ← `executor.global_env` ← job `env`, empty values never override."""

    def __init__(self, shell: str, global_env: Mapping[str, str], working_dir: Path) -> None:
        self.shell = shell
        self.global_env = global_env
        self.base_dir = working_dir
        self._base_env: dict[str, str] | None = None

    def launch(self, command: str, job_dir: str, job_env: Mapping[str, str]) -> tuple[Launch, Path]:
        """How to start `command` for a job with this `working_dir` and `env`, and where."""
        cwd = self.working_dir(job_dir)
        return launch(command, self.shell, self.environment(job_env), cwd), cwd

    def working_dir(self, job_dir: str) -> Path:
        """The job's `working_dir` against the configured base (husky.yaml's directory)."""
        return self.base_dir / job_dir if job_dir else self.base_dir

    def environment(self, job_env: Mapping[str, str]) -> dict[str, str]:
        """The daemon's and `global_env` are merged once: `.env` is applied before the
        executor exists (`refresh` after a reload)."""
        if self._base_env is None:
            base = dict(os.environ)
            base.update({k: v for k, v in self.global_env.items() if v})
            self._base_env = base
        overrides = {k: v for k, v in job_env.items() if v}
        return {**self._base_env, **overrides} if overrides else self._base_env

    def refresh(self) -> None:
        """Forget the merged base environment (a reload may have read new `.env` keys)."""
        self._base_env = None


def plain_words(command: str) -> list[str] | None:
    """The words of `command` if it has no shell syntax and does not start with a word the
    shell handles itself; None when only a shell can run it."""
    words = _plain_words(command)
    return None if words is None else list(words)


@functools.lru_cache(maxsize=4096)
def _plain_words(command: str) -> tuple[str, ...] | None:
    """`plain_words`, remembered: a job's command is the same text run after run."""
    if not _PLAIN.fullmatch(command):
        return None
    words = tuple(shlex.split(command))
    if not words or words[0] in SHELL_WORDS:
        return None
    return words


def find_program(name: str, path: str | None) -> str | None:
    """The file the shell would exec for `name` with this PATH, or None (not found, or the
    lookup depends on the working directory: a relative PATH entry or a relative name)."""
    if "/" in name:
        return name if name.startswith("/") and _executable(name) else None
    if not path:
        return None
    for entry in path.split(os.pathsep):
        if not entry.startswith("/"):
            return None  # "" or "bin" mean the job's directory: leave it to the shell
        candidate = os.path.join(entry, name)
        if _executable(candidate):
            return candidate
    return None


def _executable(path: str) -> bool:
    try:
        st = os.stat(path)
    except OSError:
        return False
    return stat.S_ISREG(st.st_mode) and os.access(path, os.X_OK)
