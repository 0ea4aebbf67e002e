"""`husky validate` and `husky config show`: the config commands that need no daemon."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from husky.cli.context import Settings, pass_settings


@click.command("validate")
@click.option(
    "--strict", is_flag=True, help="Also warn about jobs without notifications and other advice."
)
@click.option("--schema", is_flag=True, help="Print the JSON Schema of husky.yaml and exit.")
@pass_settings
def validate_command(settings: Settings, strict: bool, schema: bool) -> None:
    """Check husky.yaml (and the huskyd.yaml next to it); exit 1 listing every problem."""
    if schema:
        from husky.config.jobs import json_schema

        click.echo(json.dumps(json_schema(), indent=2))
        return
    from husky.config.daemon import load_daemon_config
    from husky.config.lint import strict_warnings
    from husky.dag import build_dag
    from husky.errors import ConfigError

    config = settings.load()
    build_dag(config)
    if strict:
        for warning in strict_warnings(config):
            click.echo(warning, err=True)
    click.echo(f"✓ {settings.config} is valid")
    path = Path(settings.daemon_config) if settings.daemon_config is not None else None
    try:
        daemon = load_daemon_config(path, config.directory, explicit=path is not None)
    except ConfigError as exc:
        click.echo(f"Error: huskyd.yaml: {exc}", err=True)
        sys.exit(1)
    if daemon.path is not None:
        click.echo(f"✓ {daemon.path.name} is valid")


@click.group("config")
def config_group() -> None:
    """Show the effective configuration."""


@config_group.command("show")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of YAML.")
@click.option("--show-secrets", is_flag=True, help="Do not redact secrets and ${env:…} values.")
@pass_settings
def config_show(settings: Settings, as_json: bool, show_secrets: bool) -> None:
    """Print husky.yaml as Husky runs it: defaults applied, run times filled, ${env:…} expanded."""
    data = settings.load().to_dict(show_secrets=show_secrets)
    if as_json:
        click.echo(json.dumps(data, indent=2))
        return
    from ruamel.yaml import YAML

    yaml = YAML(typ="safe", pure=True)
    yaml.default_flow_style = False
    yaml.sort_base_mapping_type_on_output = False  # type: ignore[assignment]
    yaml.dump(data, sys.stdout)
