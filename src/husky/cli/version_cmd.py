"""`husky version` and `husky --version`."""

from __future__ import annotations

import click

from husky import __version__, _build


def version_line() -> str:
    return f"husky {__version__} (commit {_build.COMMIT}, built {_build.BUILT})"


@click.command("version")
def version_command() -> None:
    """Print the version, commit and build date."""
    click.echo(f"husky {__version__}\ncommit:     {_build.COMMIT}\nbuilt:      {_build.BUILT}")
