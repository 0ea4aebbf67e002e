"""The daemon's own log: `log.level`, `log.format` (text/json) and `log.output` of huskyd.yaml."""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path

from husky.config.daemon_models import DaemonConfig

LEVELS = {
    "debug": logging.DEBUG,
    "info": logging.INFO,
    "warn": logging.WARNING,
    "error": logging.ERROR,
}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        if record.exc_info:
            entry["error"] = self.formatException(record.exc_info)
        return json.dumps(entry)


def configure(config: DaemonConfig) -> None:
    """Route the `husky` loggers as huskyd.yaml says (replacing earlier handlers)."""
    section = config.log
    handler: logging.Handler
    if section.output == "file":
        path = config.resolve_path(section.file.path)
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        handler = logging.FileHandler(path, encoding="utf-8")
    else:
        handler = logging.StreamHandler(sys.stderr if section.output == "stderr" else sys.stdout)
    if section.format == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)-5s %(name)s: %(message)s"))
    root = logging.getLogger("husky")
    for old in list(root.handlers):
        root.removeHandler(old)
        old.close()
    root.addHandler(handler)
    root.setLevel(LEVELS.get(section.level, logging.INFO))
    root.propagate = False
