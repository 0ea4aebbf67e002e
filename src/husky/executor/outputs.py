"""Output capture and `{{ outputs.<job>.<var> }}` rendering (execution.md §11, I15).

Pure: no I/O. The runner feeds a job's stdout lines to an `OutputCapture` while the job
runs and asks for `values(exit_code)` once the main command has ended; the dispatcher
uses `references` / `render` to fill templated `command` and `env` values.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Mapping, Sequence

from husky.config.templates import OUTPUT_REF

__all__ = ["OutputCapture", "format_json_value", "references", "render"]

_JSON_FIELD = "json_field:"
_REGEX = "regex:"


def _reject_constant(name: str) -> object:
    """`json.loads` hook: NaN / Infinity / -Infinity are not JSON; such a line does not parse."""
    raise ValueError(f"invalid JSON constant {name}")


def _is_blank(line: str) -> bool:
    return not line.strip()


def format_json_value(value: object) -> str:
    """Render a captured `json_field` value (I15).

    A string is rendered verbatim; anything else as its JSON text: `1000000`, `2.5`,
    `true`, `false`, `null`, `[1, 2]`, `{"a": 1}` (key order kept, non-ASCII kept as is).
    """
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)


class _JsonField:
    """`json_field:K` — the latest line that parses as a JSON object having key K."""

    __slots__ = ("key", "needle", "value")

    def __init__(self, key: str) -> None:
        self.key = key
        # A line can only hold key K if it contains K's JSON spelling, unless it uses
        # escapes (`"\u006b"` is also "k"); lines with a backslash are always parsed.
        self.needle = json.dumps(key, ensure_ascii=False)
        self.value: str | None = None

    def feed(self, lines: Sequence[str]) -> None:
        key, needle = self.key, self.needle
        for line in reversed(lines):
            if needle not in line and "\\" not in line:
                continue
            if not line.lstrip().startswith("{"):
                continue
            try:
                obj = json.loads(line, parse_constant=_reject_constant)
            except ValueError:  # JSONDecodeError, bad constant, too-large int text
                continue
            except RecursionError:
                continue
            if isinstance(obj, dict) and key in obj:
                self.value = format_json_value(obj[key])
                return


class _Regex:
    """`regex:P` — the latest line where P matches (search); group 1 if P has groups."""

    __slots__ = ("pattern", "value")

    def __init__(self, pattern: str) -> None:
        try:
            self.pattern = re.compile(pattern)
        except re.error as exc:
            raise ValueError(f"regex {pattern!r} does not compile: {exc}") from exc
        self.value: str | None = None

    def feed(self, lines: Sequence[str]) -> None:
        search = self.pattern.search
        for line in reversed(lines):
            match = search(line)
            if match is None:
                continue
            if self.pattern.groups:
                group = match.group(1)
                self.value = "" if group is None else group
            else:
                self.value = match.group(0)
            return


class OutputCapture:
    """Evaluates a job's `output:` specs incrementally over its stdout lines.

    Fed chunk by chunk while the job runs (it must not keep all lines: a job may print
    millions), so each mode keeps only what it needs: first_line → the first line;
    last_line → the last non-empty line; json_field:K → the latest line that parses as a
    JSON object having key K (lines last→first semantics == keep the latest match while
    scanning forward); regex:P → the latest line where P matches (search), value = group 1
    if P has a group ("" if group 1 didn't participate) else the whole match.

    A line is "empty" for `last_line` when it is blank (only whitespace); the value kept is
    the line exactly as printed. `first_line` is literal: an empty first line gives "".
    """

    def __init__(self, specs: Mapping[str, str]) -> None:
        """`specs` maps variable name → capture mode, as in husky.yaml (already validated).

        Raises `ValueError` for an unrecognised mode or a regex that does not compile.
        """
        self._specs: dict[str, str] = dict(specs)
        self._want_first = False
        self._want_last = False
        self._first: str | None = None
        self._last: str | None = None
        self._json: dict[str, _JsonField] = {}
        self._regex: dict[str, _Regex] = {}
        for var, mode in self._specs.items():
            if mode == "first_line":
                self._want_first = True
            elif mode == "last_line":
                self._want_last = True
            elif mode == "exit_code":
                pass
            elif mode.startswith(_JSON_FIELD):
                key = mode[len(_JSON_FIELD) :]
                if key not in self._json:
                    self._json[key] = _JsonField(key)
            elif mode.startswith(_REGEX):
                pattern = mode[len(_REGEX) :]
                if pattern not in self._regex:
                    self._regex[pattern] = _Regex(pattern)
            else:
                raise ValueError(f"output {var!r}: unrecognised output capture mode {mode!r}")
        self._line_consumers = bool(
            self._want_first or self._want_last or self._json or self._regex
        )

    @property
    def wanted(self) -> bool:
        """False when there are no specs at all (the runner need not feed anything)."""
        return bool(self._specs)

    def feed(self, lines: Sequence[str]) -> None:
        """Consume the next stdout lines, in order (without line terminators)."""
        if not lines or not self._line_consumers:
            return
        if self._want_first and self._first is None:
            self._first = lines[0]
        if self._want_last:
            for line in reversed(lines):
                if not _is_blank(line):
                    self._last = line
                    break
        for field in self._json.values():
            field.feed(lines)
        for regex in self._regex.values():
            regex.feed(lines)

    def values(self, exit_code: int) -> dict[str, str]:
        """var → value for every spec that produced one (json_field/regex may not).

        `exit_code` → `str(exit_code)`; first_line/last_line → "" when there was no
        (non-empty) line. May be called more than once.
        """
        out: dict[str, str] = {}
        for var, mode in self._specs.items():
            value: str | None
            if mode == "first_line":
                value = self._first if self._first is not None else ""
            elif mode == "last_line":
                value = self._last if self._last is not None else ""
            elif mode == "exit_code":
                value = str(exit_code)
            elif mode.startswith(_JSON_FIELD):
                value = self._json[mode[len(_JSON_FIELD) :]].value
            else:
                value = self._regex[mode[len(_REGEX) :]].value
            if value is not None:
                out[var] = value
        return out


def references(text: str) -> list[tuple[str, str]]:
    """`(job, var)` of every `{{ outputs.job.var }}` in `text`, in order, deduplicated."""
    seen: dict[tuple[str, str], None] = {}
    for match in OUTPUT_REF.finditer(text):
        seen.setdefault((match.group(1), match.group(2)), None)
    return list(seen)


@functools.lru_cache(maxsize=4096)
def references_in(texts: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
    """`references` of several texts (a job's command and env), distinct, in order;
    remembered, since a job's texts are the same at every dispatch."""
    return tuple(dict.fromkeys(ref for text in texts for ref in references(text)))


def render(text: str, values: Mapping[tuple[str, str], str]) -> str:
    """Substitute every `{{ outputs.job.var }}` in `text` with `values[(job, var)]`.

    Substituted values are not scanned again. Raises `ValueError` naming the first
    reference (`outputs.job.var`) that has no value.
    """
    for ref in references(text):
        if ref not in values:
            raise ValueError(f"no value for outputs.{ref[0]}.{ref[1]}")
    return OUTPUT_REF.sub(lambda m: values[(m.group(1), m.group(2))], text)
