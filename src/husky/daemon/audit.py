"""`log.audit_log`: one JSON line per run when it is first finalised (execution.md §14).

Lines go through a queue to a listener thread that owns the rotating file, so the
event loop never waits on the disk.
"""

from __future__ import annotations

import json
import logging
import logging.handlers
import queue
from pathlib import Path

from husky.models import Run, RunStatus, format_ts

AUDITED = (RunStatus.SUCCESS, RunStatus.FAILED, RunStatus.CANCELLED)


class AuditLog:
    def __init__(self, path: Path, *, max_size_mb: int, max_backups: int) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        handler = logging.handlers.RotatingFileHandler(
            path, maxBytes=max_size_mb * 1024 * 1024, backupCount=max_backups, encoding="utf-8"
        )
        handler.setFormatter(logging.Formatter("%(message)s"))
        lines: queue.SimpleQueue[logging.LogRecord] = queue.SimpleQueue()
        self._listener = logging.handlers.QueueListener(lines, handler)
        self._handler = handler
        self._logger = logging.Logger("husky.audit")  # not in the logging tree: no propagation
        self._logger.addHandler(logging.handlers.QueueHandler(lines))
        self._listener.start()

    def record(self, run: Run) -> None:
        if run.status not in AUDITED:
            return
        entry: dict[str, object] = {
            "ts": format_ts(run.finished_at or run.created_at),
            "job": run.job_name,
            "run_id": run.id,
            "status": str(run.status),
            "trigger": str(run.trigger),
            "duration_ms": _duration_ms(run),
        }
        if run.reason:
            entry["reason"] = run.reason
        self._logger.info(json.dumps(entry))

    def close(self) -> None:
        self._listener.stop()
        self._handler.close()


def _duration_ms(run: Run) -> int:
    if run.started_at is None or run.finished_at is None:
        return 0
    return round((run.finished_at - run.started_at).total_seconds() * 1000)
