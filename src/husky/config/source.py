"""Reading a YAML file so that every value can be traced back to its line and column.

ruamel.yaml's parser (libyaml in C when `ruamel.yaml.clib` is present) turns the text
into events; `_Composer` builds plain dicts, lists and scalars from them and records
where each key and value starts. Building plain data straight from events keeps a
10,000-job file well under a second, where ruamel's round-trip loader takes ~20 s
(bench/validate_large.py).

Scalars follow the YAML 1.2 core schema (ruamel's default): `yes` is a string,
`0200` the integer 200, `1.0` a float, `~`/`null`/empty are None. Duplicate keys
are errors; anchors, aliases and `<<` merge keys work.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import MarkedYAMLError
from ruamel.yaml.events import (
    AliasEvent,
    DocumentEndEvent,
    DocumentStartEvent,
    Event,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
    StreamEndEvent,
    StreamStartEvent,
)
from ruamel.yaml.reader import ReaderError

from husky.errors import ConfigError, Problem

Key = str | int
Path_ = tuple[Key, ...]
#: (key line, key col, value line, value col), all 1-based.
Marks = tuple[int, int, int, int]

_INT = re.compile(r"[-+]?[0-9]+$")
_INT_OTHER = re.compile(r"0o[0-7]+$|0x[0-9a-fA-F]+$")
_FLOAT = re.compile(r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$")
_SPECIAL_FLOAT = {
    ".inf": float("inf"),
    "+.inf": float("inf"),
    "-.inf": float("-inf"),
    ".nan": float("nan"),
}
_NULLS = frozenset({"", "~", "null", "Null", "NULL"})
_BOOLS = {"true": True, "True": True, "TRUE": True, "false": False, "False": False, "FALSE": False}
_STR_TAG = "tag:yaml.org,2002:str"
#: Deeper nesting is refused with a located error instead of exhausting Python's stack;
#: a husky.yaml needs about six levels.
MAX_DEPTH = 100


@dataclass
class YamlSource:
    """A parsed YAML document: plain `data` plus where each part of it was written."""

    file: str
    text: str
    data: Any
    marks: dict[Path_, Marks] = field(default_factory=dict)
    raws: dict[Path_, str] = field(default_factory=dict)

    def locate(self, path: Sequence[Key], *, key: bool = False) -> tuple[int, int]:
        """1-based (line, col) of the value at `path`, or of its key when `key` is true.

        A path that does not exist (a missing field) resolves to the key of its nearest
        existing parent, so "field is required" points at the job that lacks it.
        """
        full = tuple(path)
        if full in self.marks:
            kl, kc, vl, vc = self.marks[full]
            return (kl, kc) if key else (vl, vc)
        for end in range(len(full) - 1, 0, -1):
            if full[:end] in self.marks:
                kl, kc, _, _ = self.marks[full[:end]]
                return kl, kc
        return 1, 1

    def problem(self, path: Sequence[Key], message: str, *, key: bool = False) -> Problem:
        line, col = self.locate(path, key=key)
        return Problem(self.file, dotted(path), message, line, col)

    def raw_scalar(self, path: Sequence[Key]) -> str:
        """A non-string scalar as written (so `0200` is shown as `0200`, not `200`)."""
        return self.raws.get(tuple(path), "")


def dotted(path: Sequence[Key]) -> str:
    return ".".join(f"[{p}]" if isinstance(p, int) else p for p in path).replace(".[", "[")


class _Composer:
    """Plain data from parser events, recording marks; raises ConfigError on bad structure."""

    def __init__(self, next_event: Callable[[], Event], file: str) -> None:
        self.next_event = next_event
        self.file = file
        self.marks: dict[Path_, Marks] = {}
        self.raws: dict[Path_, str] = {}
        self.anchors: dict[str, Any] = {}

    def document(self) -> Any:
        ev = self.next_event()
        if isinstance(ev, StreamStartEvent):
            ev = self.next_event()
        if isinstance(ev, StreamEndEvent):
            return None
        assert isinstance(ev, DocumentStartEvent)
        data = self.node(self.next_event(), ())
        assert isinstance(self.next_event(), DocumentEndEvent)
        ev = self.next_event()
        if not isinstance(ev, StreamEndEvent):
            raise self.error(ev, "expected a single YAML document, found another after ---")
        return data

    def node(self, ev: Event, path: Path_) -> Any:
        if len(path) >= MAX_DEPTH:
            raise self.error(ev, f"nested more than {MAX_DEPTH} levels deep")
        if isinstance(ev, ScalarEvent):
            value = self.scalar(ev, path)
        elif isinstance(ev, MappingStartEvent):
            value = self.mapping(path)
        elif isinstance(ev, SequenceStartEvent):
            value = self.sequence(path)
        elif isinstance(ev, AliasEvent):
            if ev.anchor not in self.anchors:
                raise self.error(ev, f'unknown alias "*{ev.anchor}"')
            return self.anchors[ev.anchor]
        else:
            raise self.error(ev, f"unexpected {type(ev).__name__}")
        anchor = getattr(ev, "anchor", None)
        if anchor:
            self.anchors[anchor] = value
        return value

    def scalar(self, ev: ScalarEvent, path: Path_) -> Any:
        text: str = ev.value
        tag = ev.tag
        if ev.style or tag in (_STR_TAG, "!"):
            return text
        if tag is not None and tag != "?":
            raise self.error(ev, f'unsupported tag "{tag}"; remove it or quote the value')
        if text in _NULLS:
            return None
        value: Any
        if text in _BOOLS:
            value = _BOOLS[text]
        elif _INT.match(text):
            value = int(text)
        elif _INT_OTHER.match(text):
            value = int(text, 0)
        elif _FLOAT.match(text):
            value = float(text)
        elif text.lower() in _SPECIAL_FLOAT:
            value = _SPECIAL_FLOAT[text.lower()]
        else:
            return text
        self.raws[path] = text
        return value

    def mapping(self, path: Path_) -> dict[str, Any]:
        result: dict[str, Any] = {}
        merged: list[dict[str, Any]] = []
        while not isinstance(ev := self.next_event(), MappingEndEvent):
            if not isinstance(ev, ScalarEvent):
                raise self.error(ev, "a mapping key must be a plain value, not a list or mapping")
            key = ev.value
            value_ev = self.next_event()
            if key == "<<" and not ev.style:
                merged.extend(self.merge_sources(value_ev, path))
                continue
            if key in result:
                raise self.error(
                    ev, f'duplicate key "{key}"; each key may appear once in a mapping'
                )
            child = (*path, key)
            self.marks[child] = (
                ev.start_mark.line + 1,
                ev.start_mark.column + 1,
                value_ev.start_mark.line + 1,
                value_ev.start_mark.column + 1,
            )
            result[key] = self.node(value_ev, child)
        for source in merged:
            for key, value in source.items():
                result.setdefault(key, value)
        return result

    def merge_sources(self, ev: Event, path: Path_) -> list[dict[str, Any]]:
        value = self.node(ev, (*path, "<<"))
        sources = value if isinstance(value, list) else [value]
        if not all(isinstance(s, dict) for s in sources):
            raise self.error(ev, "a << merge key needs a mapping or a list of mappings")
        return sources

    def sequence(self, path: Path_) -> list[Any]:
        items: list[Any] = []
        while not isinstance(ev := self.next_event(), SequenceEndEvent):
            child = (*path, len(items))
            line, col = ev.start_mark.line + 1, ev.start_mark.column + 1
            self.marks[child] = (line, col, line, col)
            items.append(self.node(ev, child))
        return items

    def error(self, ev: Event, message: str) -> ConfigError:
        mark = ev.start_mark
        problem = Problem(self.file, "", message, mark.line + 1, mark.column + 1)
        return ConfigError(self.file, [problem], title=f"yaml parse error in {self.file}:")


def load_yaml(path: Path, display: str, text: str | None = None) -> YamlSource:
    """Parse `path` (or `text`, shown as `display`) into a `YamlSource`.

    Raises ConfigError with one located problem for unreadable files, syntax errors,
    duplicate keys and documents that are empty or hold only comments.
    """
    if text is None:
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise ConfigError(display, [], title=f"reading {display}: {exc.strerror}") from None
        except UnicodeDecodeError as exc:
            raise ConfigError(
                display, [], title=f"reading {display}: not UTF-8 ({exc.reason})"
            ) from None
    try:
        composer = _Composer(_event_source(YAML(typ="safe"), text), display)
        data = composer.document()
    except ReaderError as exc:
        raise _reader_error(exc, text, display) from None
    except MarkedYAMLError:
        # libyaml speaks YAML 1.1 and rejects a few 1.2 forms (`{f: after:x}`); the
        # pure-Python parser accepts them and words its errors for 1.2.
        composer = _Composer(_event_source(YAML(typ="safe", pure=True), text), display)
        try:
            data = composer.document()
        except ReaderError as exc:
            raise _reader_error(exc, text, display) from None
        except MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            line, col = (mark.line + 1, mark.column + 1) if mark is not None else (0, 0)
            what = exc.problem or exc.context or "invalid YAML"
            problem = Problem(display, "", f"yaml parse error: {what}", line, col)
            raise ConfigError(display, [problem], title=f"yaml parse error in {display}:") from None
    if data is None:
        problem = Problem(display, "(document)", "file is empty or contains only comments")
        raise ConfigError(display, [problem]) from None
    return YamlSource(display, text, data, composer.marks, composer.raws)


def _event_source(yaml: YAML, text: str) -> Callable[[], Event]:
    """The parser's own `get_event`: the composer stops at StreamEndEvent, so it never asks
    past the end. (`YAML.parse` wraps the same calls in a generator and a `check_event`
    per event, which cost a third of the time of loading 10,000 jobs.)"""
    _, parser = yaml.get_constructor_parser(text)
    next_event: Callable[[], Event] = parser.get_event
    return next_event


def _reader_error(exc: ReaderError, text: str, display: str) -> ConfigError:
    """A character YAML does not allow (a control character such as NUL), located."""
    pos = exc.position if isinstance(exc.position, int) else 0
    line = text.count("\n", 0, pos) + 1
    col = pos - (text.rfind("\n", 0, pos) + 1) + 1
    char = f" #x{exc.character:04x}" if isinstance(exc.character, int) else ""
    what = f"unacceptable character{char}: {exc.reason}"
    problem = Problem(display, "", f"yaml parse error: {what}", line, col)
    return ConfigError(display, [problem], title=f"yaml parse error in {display}:")
