"""Slack incoming webhooks: `{"text": <message>, "channel": <target>}` to `webhook_url`."""

from __future__ import annotations

from husky.notify.base import HttpRequest, Outgoing


def request(out: Outgoing) -> HttpRequest:
    url = out.integration.webhook_url if out.integration is not None else ""
    return HttpRequest(url, {"text": out.text, "channel": out.target})
