"""Channel strings to destinations (notifications.md §3) and PagerDuty severities (§6).

slack:#ops          → the integration keyed `slack` (provider inferred from the key)
ops_pager:p1        → the integration keyed `ops_pager` (its `provider:`), severity critical
webhook:https://…   → an ad-hoc webhook when no integration is keyed `webhook`
email:ops@x.org     → the integration keyed `smtp`, mail to ops@x.org
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from husky.config.effective import Integration
from husky.notify.base import NotifyError

SEVERITIES = {"p1": "critical", "p2": "error", "p3": "warning"}


@dataclass(frozen=True)
class Destination:
    provider: str
    integration: Integration | None  # None: an ad-hoc webhook
    target: str


def split_channel(channel: str) -> tuple[str, str]:
    """`<key>:<target>`, trimmed, split at the first `:`."""
    key, sep, target = channel.strip().partition(":")
    if not sep:
        raise NotifyError("invalid channel format")
    return key, target


def resolve(channel: str, integrations: Mapping[str, Integration]) -> Destination:
    """Where a channel sends to; NotifyError when it names nothing Husky can send to."""
    key, target = split_channel(channel)
    integration = integrations.get(key)
    if integration is not None:
        return Destination(integration.provider, integration, target)
    if key == "webhook" and target.startswith("http"):
        return Destination("webhook", None, target)
    if key == "email" and (smtp := integrations.get("smtp")) is not None:
        return Destination(smtp.provider, smtp, target)
    raise NotifyError(f'no integration found for channel prefix "{key}"')


def severity(target: str) -> str:
    """PagerDuty severity from the channel target, any case: p1/p2/p3, else info."""
    return SEVERITIES.get(target.strip().lower(), "info")
