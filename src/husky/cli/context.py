"""What every command shares: the global flags and loading the config they point at."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
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


pass_settings = click.make_pass_decorator(Settings)
