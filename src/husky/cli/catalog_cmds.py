"""`husky tags` and `husky integrations`: what husky.yaml offers beside its jobs (no daemon)."""

from __future__ import annotations

import click

from husky.cli.context import Settings, pass_settings
from husky.cli.output import print_table


@click.group("tags")
def tags_group() -> None:
    """Tags used by the jobs of husky.yaml."""


@tags_group.command("list")
@pass_settings
def tags_list(settings: Settings) -> None:
    """Print each tag with the number of jobs that carry it."""
    from husky.config.catalog import tag_counts

    rows = [[tag, str(count)] for tag, count in tag_counts(settings.load())]
    print_table(["TAG", "COUNT"], rows)


@click.group("integrations")
def integrations_group() -> None:
    """Notification integrations of husky.yaml."""


@integrations_group.command("list")
@pass_settings
def integrations_list(settings: Settings) -> None:
    """Print each integration, its provider and whether its required credentials are set."""
    from husky.config.catalog import integration_missing

    rows = [
        [name, i.provider, "missing" if integration_missing(i) else "set"]
        for name, i in settings.load().integrations.items()
    ]
    print_table(["NAME", "PROVIDER", "CREDENTIALS"], rows)


@integrations_group.command("test")
@click.argument("name")
@pass_settings
def integrations_test(settings: Settings, name: str) -> None:
    """Send a test message through integration NAME, from this machine."""
    import asyncio
    from pathlib import Path

    from husky.config.daemon import load_daemon_config
    from husky.errors import UsageError
    from husky.notify.probe import send_test
    from husky.notify.settings import DeliverySettings

    config = settings.load()
    integration = config.integrations.get(name)
    if integration is None:
        raise UsageError(f'integration "{name}" not found')
    # The daemon's http_client (timeout, retries, proxy, CA bundle), as it would send.
    path = Path(settings.daemon_config) if settings.daemon_config is not None else None
    daemon = load_daemon_config(path, config.directory, explicit=path is not None)
    asyncio.run(send_test(integration, DeliverySettings.from_daemon_config(daemon)))
    click.echo(f'integration "{name}" test sent')
