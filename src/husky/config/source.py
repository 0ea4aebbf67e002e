"""Reading a YAML file so that every value can be traced back to its line and column.

ruamel.yaml's round-trip loader keeps positions for every key, value and list item and
rejects duplicate keys; we turn its tree into plain Python for validation and keep the
tree to answer "where is `jobs.etl.time`?".
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError

from husky.errors import ConfigError, Problem

Key = str | int


@dataclass
class YamlSource:
    """A parsed YAML document: plain `data` plus the position-carrying `tree`."""

    file: str
    text: str
    data: Any
    tree: Any

    def locate(self, path: Sequence[Key], *, key: bool = False) -> tuple[int, int]:
        """1-based (line, col) of the value at `path`, or of its key when `key` is true.

        A path that does not exist (a missing field) resolves to the key of its nearest
        existing parent, so "field is required" points at the job that lacks it.
        """
        node, pos, owner = self.tree, (0, 0), (0, 0)
        for i, part in enumerate(path):
            last = i == len(path) - 1
            if isinstance(node, CommentedMap) and part in node:
                owner = node.lc.key(part)
                pos = owner if (key and last) else node.lc.value(part)
                node = node[part]
            elif isinstance(node, CommentedSeq) and isinstance(part, int) and part < len(node):
                pos = owner = node.lc.item(part)
                node = node[part]
            else:
                pos = owner
                break
        return pos[0] + 1, pos[1] + 1

    def problem(self, path: Sequence[Key], message: str, *, key: bool = False) -> Problem:
        line, col = self.locate(path, key=key)
        return Problem(self.file, dotted(path), message, line, col)

    def raw_scalar(self, path: Sequence[Key]) -> str:
        """The scalar at `path` as written in the file (so `0200` is not shown as `200`)."""
        line, col = self.locate(path)
        lines = self.text.splitlines()
        if not 1 <= line <= len(lines):
            return ""
        raw = lines[line - 1][col - 1 :]
        for stop in (" #", ",", "}", "]"):
            raw = raw.split(stop, 1)[0]
        return raw.strip()


def dotted(path: Sequence[Key]) -> str:
    return ".".join(f"[{p}]" if isinstance(p, int) else p for p in path).replace(".[", "[")


def plain(node: Any) -> Any:
    """ruamel's tree as plain dict/list/str/int/float/bool/None (dates become strings)."""
    if isinstance(node, dict):
        return {str(k): plain(v) for k, v in node.items()}
    if isinstance(node, list):
        return [plain(v) for v in node]
    if isinstance(node, bool):
        return bool(node)
    if isinstance(node, int):
        return int(node)
    if isinstance(node, float):
        return float(node)
    if isinstance(node, str):
        return str(node)
    if isinstance(node, dt.date):
        return node  # kept as a date so strict string fields reject an unquoted date
    return node


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
            raise ConfigError(display, [], title=f"reading {display}: not UTF-8 ({exc.reason})") from None
    yaml = YAML(typ="rt")
    try:
        tree = yaml.load(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark is not None else (0, 0)
        what = exc.problem or exc.context or "invalid YAML"
        problem = Problem(display, "", f"yaml parse error: {what}", line, col)
        raise ConfigError(display, [problem], title=f"yaml parse error in {display}:") from None
    if tree is None:
        problem = Problem(display, "(document)", "file is empty or contains only comments")
        raise ConfigError(display, [problem]) from None
    return YamlSource(display, text, plain(tree), tree)
