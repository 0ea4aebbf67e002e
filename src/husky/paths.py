"""The data directory (`.husky` by default) and the runtime files in it (spec/cli.md §2)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class DataDir:
    root: Path

    @property
    def socket(self) -> Path:
        return self.root / "husky.sock"

    @property
    def pid_file(self) -> Path:
        return self.root / "husky.pid"

    @property
    def db(self) -> Path:
        return self.root / "husky.db"

    @property
    def api_addr(self) -> Path:
        return self.root / "api.addr"

    @property
    def log(self) -> Path:
        return self.root / "huskyd.log"

    def ensure(self) -> None:
        """Create the directory owner-only (0700, I28); tighten it if it already exists."""
        self.root.mkdir(mode=0o700, parents=True, exist_ok=True)
        os.chmod(self.root, 0o700)

    def read_api_addr(self) -> str | None:
        try:
            return self.api_addr.read_text(encoding="utf-8").strip() or None
        except OSError:
            return None
