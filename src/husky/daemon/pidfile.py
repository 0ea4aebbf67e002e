"""`husky.pid`: one live daemon per data directory (recovery.md §1 step 7, C7)."""

from __future__ import annotations

import logging
import os
from pathlib import Path

from husky.errors import HuskyError

log = logging.getLogger("husky.daemon")


def read_pid(path: Path) -> int | None:
    """The PID in `path`, or None when the file is missing or unparsable."""
    try:
        return int(path.read_text(encoding="utf-8").strip())
    except (OSError, ValueError):
        return None


def pid_alive(pid: int) -> bool:
    """Signal-0 probe. A zombie counts as dead."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return True


def acquire(path: Path) -> None:
    """Refuse if a live daemon owns the file; replace a stale one; write our PID."""
    pid = read_pid(path)
    if pid is not None and pid != os.getpid() and pid_alive(pid):
        raise HuskyError(f"daemon already running (pid {pid})")
    if pid is not None:
        log.warning("stale PID file %s (pid %d is not running); replacing it", path, pid)
    tmp = path.with_suffix(".pid.tmp")
    tmp.write_text(f"{os.getpid()}\n", encoding="utf-8")
    os.chmod(tmp, 0o600)
    tmp.replace(path)


def release(path: Path) -> None:
    """Remove the file if it still holds our PID."""
    if read_pid(path) == os.getpid():
        path.unlink(missing_ok=True)
