"""`.env` files that exist but cannot be used (husky/config/environ.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from husky.config.environ import load_dotenv
from husky.errors import ConfigError


def test_undecodable_dotenv_is_a_config_error(tmp_path: Path) -> None:
    (tmp_path / ".env").write_bytes(b"TOKEN=\xff\n")
    environ: dict[str, str] = {}
    with pytest.raises(ConfigError, match=r"reading .*\.env: not UTF-8"):
        load_dotenv(tmp_path, environ)
    assert environ == {}


def test_unreadable_dotenv_is_a_config_error(tmp_path: Path) -> None:
    (tmp_path / ".env").symlink_to(tmp_path / ".env")  # a loop: ELOOP even for root
    with pytest.raises(ConfigError, match=r"reading .*\.env: Too many levels of symbolic links"):
        load_dotenv(tmp_path, {})


def test_missing_dotenv_sets_nothing(tmp_path: Path) -> None:
    environ = {"KEEP": "1"}
    assert load_dotenv(tmp_path, environ) == []
    assert environ == {"KEEP": "1"}
