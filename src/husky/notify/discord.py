"""Discord webhooks: `{"content": <message>}` to `webhook_url`.

Discord refuses content over 2,000 characters, so a longer message (attached logs) keeps
its head and its newest lines."""

from __future__ import annotations

from husky.notify.base import HttpRequest, Outgoing, shorten

MAX_CONTENT = 2000


def request(out: Outgoing) -> HttpRequest:
    url = out.integration.webhook_url if out.integration is not None else ""
    return HttpRequest(url, {"content": shorten(out.text, MAX_CONTENT)})
