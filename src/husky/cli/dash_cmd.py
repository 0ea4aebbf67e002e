"""`husky dash`: open the dashboard of the running daemon in a browser."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from husky.cli.context import Settings, pass_settings

if TYPE_CHECKING:
    import webbrowser


@click.command("dash")
@click.option("--no-open", is_flag=True, help="Only print the address; do not open a browser.")
@pass_settings
def dash_command(settings: Settings, no_open: bool) -> None:
    """Print the dashboard's address and open it in a browser when one is available."""
    from husky.errors import HuskyError

    data = settings.data_dir
    addr = data.read_api_addr()
    if addr is None:
        raise HuskyError(
            f"daemon is not running (no api.addr in {settings.data} — run `husky start`)"
        )
    url = dashboard_url(addr, settings)
    click.echo(f"Opening dashboard: {url}")
    if not no_open:
        open_in_browser(url)


def dashboard_url(addr: str, settings: Settings) -> str:
    """`http(s)://<addr><base_path>/`, the scheme and base path from the resolved huskyd.yaml
    (api.md §1, §3)."""
    from husky.config.daemon import load_daemon_config

    explicit = settings.daemon_config is not None
    path = Path(settings.daemon_config) if settings.daemon_config else None
    api = load_daemon_config(path, Path(settings.config).parent, explicit=explicit).api
    scheme = "https" if api.tls.enabled else "http"
    return f"{scheme}://{addr}{api.base_path.rstrip('/')}/"


def background_browser(controller: webbrowser.BaseBrowser) -> bool:
    """Whether opening a URL with `controller` returns at once.

    Console browsers (lynx, w3m, a bare `$BROWSER` command) run in the foreground and
    would take over the terminal until closed; they are not used.
    """
    import webbrowser

    if isinstance(controller, webbrowser.BackgroundBrowser):
        return True
    if isinstance(controller, webbrowser.UnixBrowser):
        return bool(controller.background)
    return not isinstance(controller, webbrowser.GenericBrowser)


def open_in_browser(url: str) -> None:
    """Open `url` when a graphical browser is available; otherwise do nothing (never fail)."""
    import webbrowser

    try:
        controller = webbrowser.get()
    except webbrowser.Error:
        return
    if background_browser(controller):
        try:
            controller.open(url)
        except (OSError, webbrowser.Error):
            return
