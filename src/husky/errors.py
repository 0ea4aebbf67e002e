"""The Husky error tree.

    HuskyError
    ├── ConfigError        a husky.yaml / huskyd.yaml that cannot be used (carries every problem)
    │   └── DagError       an unknown upstream or a dependency cycle
    ├── UsageError         a command asked for something that does not exist (e.g. unknown job)
    ├── StoreError         the state database failed (I/O, corruption, schema too new)
    ├── DaemonError        the daemon refused or failed a request (carries the HTTP status)
    └── DaemonNotRunning   nothing answers on the data directory's socket

The CLI maps every HuskyError to exit code 1 and prints `Error: <message>`.
"""

from __future__ import annotations

from typing import NamedTuple


class HuskyError(Exception):
    """Base of every error Husky raises on purpose."""


class Problem(NamedTuple):
    """One located configuration problem.

    `path` is the dotted key path (`jobs.etl.time`), `line`/`col` are 1-based
    positions in `file` (0 when the problem has no place in the file).
    """

    file: str
    path: str
    message: str
    line: int = 0
    col: int = 0

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}:{self.col}: " if self.line else f"{self.file}: "
        return f"{where}{self.path}: {self.message}" if self.path else f"{where}{self.message}"


class ConfigError(HuskyError):
    """A configuration file failed to load; `problems` lists all of them, in report order."""

    def __init__(self, file: str, problems: list[Problem], title: str | None = None) -> None:
        self.file = file
        self.problems = problems
        self.title = title
        super().__init__(self.report())

    def report(self) -> str:
        if self.title is not None:
            head = self.title
        else:
            name = self.file.rsplit("/", 1)[-1]
            head = f"{name} has {len(self.problems)} validation error(s):"
        return "\n".join([head, *(f"  • {p}" for p in self.problems)])


class DagError(ConfigError):
    """The dependency graph is unusable: an unknown upstream or a cycle. Messages start `dag:`."""

    def report(self) -> str:
        lines = []
        for p in self.problems:
            where = f"{p.file}:{p.line}:{p.col}" if p.line else p.file
            lines.append(f"dag: {p.message} ({where}: {p.path})")
        return "\n".join(lines)


class UsageError(HuskyError):
    """The user named something that does not exist."""


class StoreError(HuskyError):
    """The state database could not do what was asked."""


class QueryTooSlow(StoreError):
    """A search ran past its time budget and was stopped (the caller should narrow it)."""


class DaemonError(HuskyError):
    """The daemon answered a request with an error."""

    def __init__(self, message: str, status: int = 400) -> None:
        self.status = status
        super().__init__(message)


class DaemonNotRunning(HuskyError):
    """No daemon answers on `<data>/husky.sock`."""

    def __init__(self, socket_path: str) -> None:
        self.socket_path = socket_path
        super().__init__(
            f"daemon is not running (no response on {socket_path})\n"
            "Run `husky start` to start the daemon."
        )
