"""Shared fixtures: writing husky.yaml files into a temporary project directory."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

WriteConfig = Callable[..., Path]


@pytest.fixture
def write_config(tmp_path: Path) -> WriteConfig:
    """Write a (dedented) husky.yaml, plus optional extra files, and return its path."""

    def write(text: str, name: str = "husky.yaml", **files: str) -> Path:
        path = tmp_path / name
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
        for fname, content in files.items():
            (tmp_path / fname.replace("__", ".")).write_text(
                textwrap.dedent(content), encoding="utf-8"
            )
        return path

    return write
