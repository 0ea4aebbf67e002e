"""Tag counts and integration credential status (husky/config/catalog.py)."""

from __future__ import annotations

import pytest

from husky.config.catalog import (
    integration_missing,
    integration_status,
    missing_fields,
    tag_counts,
)
from husky.config.load import load_config
from husky.errors import ConfigError
from tests.conftest import WriteConfig

CONFIG = """
version: "1"
integrations:
  slack:
    webhook_url: ${env:HUSKY_TEST_HOOK}
  discord:
    webhook_url: https://discord.example/hook
  hook:
    provider: webhook
    webhook_url: ${env:HUSKY_TEST_UNSET}
  pagerduty:
    routing_key: ${env:HUSKY_TEST_UNSET}
  mail:
    provider: smtp
    host: smtp.example.com
    from: husky@example.com
jobs:
  a:
    description: a
    frequency: manual
    command: "true"
    tags: [etl, nightly]
  b:
    description: b
    frequency: manual
    command: "true"
    tags: [etl]
  c:
    description: c
    frequency: manual
    command: "true"
"""


@pytest.fixture
def environ(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HUSKY_TEST_HOOK", "https://hooks.example/x")
    monkeypatch.delenv("HUSKY_TEST_UNSET", raising=False)


@pytest.mark.parametrize(
    ("provider", "values", "missing"),
    [
        ("slack", {"webhook_url": "https://x"}, []),
        ("slack", {"webhook_url": ""}, ["webhook_url"]),
        ("discord", {}, ["webhook_url"]),
        ("webhook", {"webhook_url": "   "}, ["webhook_url"]),
        ("pagerduty", {"routing_key": None}, ["routing_key"]),
        ("pagerduty", {"routing_key": "k", "webhook_url": ""}, []),
        ("smtp", {"host": "h", "from": "f"}, []),
        ("smtp", {"host": "", "from": "f"}, ["host"]),
        ("smtp", {"host": "h"}, ["from"]),
        ("smtp", {}, ["host", "from"]),
        ("carrier-pigeon", {}, []),
    ],
)
def test_missing_fields_by_provider(
    provider: str, values: dict[str, object], missing: list[str]
) -> None:
    assert missing_fields(provider, values) == missing


@pytest.mark.usefixtures("environ")
def test_status_is_decided_after_env_expansion(write_config: WriteConfig) -> None:
    config = load_config(write_config(CONFIG))
    statuses = {name: integration_status(i) for name, i in config.integrations.items()}
    assert statuses == {
        "discord": "configured",
        "hook": "missing webhook_url",
        "mail": "configured",
        "pagerduty": "missing routing_key",
        "slack": "configured",
    }
    assert integration_missing(config.integrations["hook"]) == ["webhook_url"]


@pytest.mark.usefixtures("environ")
def test_validation_applies_the_same_rule_to_written_values(write_config: WriteConfig) -> None:
    text = CONFIG.replace("    host: smtp.example.com\n    from: husky@example.com\n", "")
    with pytest.raises(ConfigError) as caught:
        load_config(write_config(text))
    assert [(p.path, p.message) for p in caught.value.problems] == [
        ("integrations.mail.host", 'field is required for provider "smtp"'),
        ("integrations.mail.from", 'field is required for provider "smtp"'),
    ]


def test_tag_counts_by_tag(write_config: WriteConfig) -> None:
    config = load_config(write_config(CONFIG))
    assert tag_counts(config) == [("etl", 2), ("nightly", 1)]
