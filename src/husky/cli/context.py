"""What every command shares: the global flags and loading the config they point at."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import click

from husky.paths import DataDir

if TYPE_CHECKING:
    from husky.cli.client import DaemonClient
    from husky.config.effective import HuskyConfig

CONTEXT_SETTINGS = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


@dataclass(frozen=True)
class Settings:
    """The global flags, paths exactly as given (relative to the current directory)."""

    config: str
    data: str
    daemon_config: str | None

    def load(self) -> HuskyConfig:
        from husky.config.load import load_config

        return load_config(Path(self.config), display=self.config)

    @property
    def data_dir(self) -> DataDir:
        return DataDir(Path(self.data))

    def client(self) -> DaemonClient:
        from husky.cli.client import DaemonClient

        return DaemonClient(self.data_dir.socket)

    def db_path(self) -> Path:
        """storage.sqlite.path from huskyd.yaml, else `<data>/husky.db` (C6)."""
        from husky.config.daemon import load_daemon_config

        path = Path(self.daemon_config) if self.daemon_config else None
        config_dir = Path(self.config).parent
        daemon = load_daemon_config(path, config_dir, explicit=path is not None)
        return daemon.db_path(self.data_dir.root)


pass_settings = click.make_pass_decorator(Settings)
