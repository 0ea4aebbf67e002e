"""PagerDuty Events API v2: a `trigger` event for the integration's `routing_key`.

The endpoint is EVENTS_API unless the integration sets `webhook_url`, which then replaces
it (another region such as `https://events.eu.pagerduty.com/v2/enqueue`, a relay, or a
local receiver in tests). Summaries are cut to the API's 1,024 characters."""

from __future__ import annotations

from husky.notify.base import HttpRequest, Outgoing, shorten

EVENTS_API = "https://events.pagerduty.com/v2/enqueue"
MAX_SUMMARY = 1024


def request(out: Outgoing) -> HttpRequest:
    integration = out.integration
    routing_key = integration.routing_key if integration is not None else ""
    url = (integration.webhook_url if integration is not None else "") or EVENTS_API
    body = {
        "routing_key": routing_key,
        "event_action": "trigger",
        "dedup_key": out.dedup_key,
        "payload": {
            "summary": shorten(out.text, MAX_SUMMARY),
            "source": "husky",
            "severity": out.severity,
        },
    }
    return HttpRequest(url, body)
