"""A husky.yaml text proposed to replace the running one (the dashboard's editor).

`check_candidate` validates it as `husky validate` does, without reading `.env` (the
text is not on disk yet, and checking must not change the daemon's environment) but
with the DAG check: an unknown upstream or a cycle would make the reload after a save
fail, so the editor reports it before anything is written. `write_config` replaces the
file atomically, so a reader never sees half a file.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from pathlib import Path

from husky.config.load import load_config
from husky.dag import build_dag
from husky.errors import ConfigError


def check_candidate(path: Path, display: str, text: str) -> ConfigError | None:
    """Every problem `text` would have as the husky.yaml at `path`, or None when it is valid.

    `display` names the file in the report. Environment variables are expanded from the
    process environment as a reload would, but `.env` is not read.
    """
    try:
        build_dag(load_config(path, display=display, text=text, read_dotenv=False))
    except ConfigError as exc:
        return exc
    return None


def write_config(path: Path, text: str) -> None:
    """Replace the file at `path` with `text` (UTF-8) atomically, keeping its permissions.

    The text goes to a temporary file in the same directory, is flushed to disk, then
    renamed over the target; a symlinked husky.yaml keeps its link and the file it points
    to is replaced. A file that no longer exists is recreated owner-only (it may hold
    secrets). Raises OSError (the original file untouched) when any step fails, and
    UnicodeEncodeError, before touching anything, for text that is not valid Unicode.
    """
    data = text.encode("utf-8")
    target = Path(os.path.realpath(path))
    try:
        mode: int | None = stat.S_IMODE(target.stat().st_mode)
    except FileNotFoundError:
        mode = None
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as tmp:
            tmp.write(data)
            tmp.flush()
            os.fsync(tmp.fileno())
        if mode is not None:
            os.chmod(tmp_name, mode)
        os.replace(tmp_name, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp_name)
        raise
    _fsync_directory(target.parent)


def _fsync_directory(directory: Path) -> None:
    """Make the rename durable; some filesystems refuse to open a directory, which is fine."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        with contextlib.suppress(OSError):
            os.fsync(fd)
    finally:
        os.close(fd)
