"""What a loaded husky.yaml offers beside its jobs, summarised: tag counts and whether each
integration has the credentials its provider needs (api.md §6, cli.md `tags`/`integrations`).

`missing_fields` is the one rule for required integration fields: validation applies it to
the values as written, the API and the CLI to the values after `${env:…}` expansion.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from husky.config.effective import HuskyConfig, Integration

#: The fields each provider cannot work without (spec/config.md A12), in report order.
REQUIRED_BY_PROVIDER: dict[str, tuple[str, ...]] = {
    "slack": ("webhook_url",),
    "discord": ("webhook_url",),
    "webhook": ("webhook_url",),
    "pagerduty": ("routing_key",),
    "smtp": ("host", "from"),
}
CONFIGURED = "configured"


def missing_fields(provider: str, values: Mapping[str, object]) -> list[str]:
    """The provider's required fields that are absent or blank in `values` (husky.yaml keys)."""
    return [
        name
        for name in REQUIRED_BY_PROVIDER.get(provider, ())
        if not str(values.get(name) or "").strip()
    ]


def integration_missing(integration: Integration) -> list[str]:
    """Required fields of a loaded integration that are empty once `${env:…}` is expanded."""
    return missing_fields(integration.provider, integration.to_dict(show_secrets=True))


def integration_status(integration: Integration) -> str:
    """`configured`, or `missing <field>[, <field>]` (api.md §6 `GET /api/integrations`)."""
    missing = integration_missing(integration)
    return f"missing {', '.join(missing)}" if missing else CONFIGURED


def tag_counts(config: HuskyConfig) -> list[tuple[str, int]]:
    """Each tag with how many jobs carry it, by tag."""
    counts = Counter(tag for job in config.jobs.values() for tag in set(job.tags))
    return sorted(counts.items())
