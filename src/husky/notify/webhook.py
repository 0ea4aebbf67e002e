"""Generic webhooks: `{"message": <message>}` to the channel's target when it is a URL
(`webhook:https://…`), else to the integration's `webhook_url`."""

from __future__ import annotations

from husky.notify.base import HttpRequest, Outgoing


def request(out: Outgoing) -> HttpRequest:
    if out.target.startswith("http"):
        url = out.target
    else:
        url = out.integration.webhook_url if out.integration is not None else ""
    return HttpRequest(url, {"message": out.text})
