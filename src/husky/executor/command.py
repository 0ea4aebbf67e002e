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

    @property
    def direct(self) -> bool:
        """Exec'd without a shell."""
        return self.executable is not None


def launch(command: str, shell: str, env: Mapping[str, str], cwd: Path) -> Launch:
    """How to start `command` in `cwd` with `env` (whose PATH finds the program).

    Exec'd directly, the program also gets what the shell would have exported: PWD, the
    job's directory without symlinks (what dash and bash set when the inherited PWD, the
    daemon's, is not where they run).
    """
    words = _plain_words(command)
    if words is not None:
        program = find_program(words[0], env.get("PATH"))
        if program is not None:
            return Launch(list(words), {**env, "PWD": os.path.realpath(cwd)}, program)
    return shell_launch(command, shell, env)


def shell_launch(command: str, shell: str, env: Mapping[str, str]) -> Launch:
    """`<shell> -c <command>`: always right, and what a direct exec falls back to when the
    program will not exec (a script without "#!", which the shell runs itself)."""
    return Launch([shell, "-c", command], env)


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
