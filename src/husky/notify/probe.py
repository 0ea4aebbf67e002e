"""Sending an integration's test message (spec/notifications.md §9).

`POST /api/integrations/{name}/test` and `husky integrations test <name>` (locally, no
daemon) both call `send_test`. No `alerts` row is written. HTTP providers are retried like
any notification; SMTP sends one mail, to the integration's own `from`, without retry.
"""

from __future__ import annotations

from husky.config.effective import Integration
from husky.errors import HuskyError
from husky.notify.base import Outgoing
from husky.notify.settings import DeliverySettings

TEST_SUBJECT = "husky integration test"


def probe_message(integration: Integration) -> Outgoing:
    """What the test sends, per provider (§9)."""
    text = f"husky integration test: {integration.name} ({integration.provider})"
    provider = integration.provider
    if provider == "smtp":
        return Outgoing(provider, integration, integration.from_, text, subject=TEST_SUBJECT)
    if provider == "pagerduty":
        return Outgoing(provider, integration, "", text, severity="warning")
    target = integration.webhook_url if provider == "webhook" else "#test"
    return Outgoing(provider, integration, target, text)


async def send_test(integration: Integration, settings: DeliverySettings | None = None) -> None:
    """Send `husky integration test: <name> (<provider>)` through `integration`, with the
    huskyd.yaml `http_client` settings when given.

    Raises HuskyError with a message fit for the user when it could not be sent.
    """
    from husky.notify.sender import Sender  # httpx: imported only when a test is sent

    try:
        sender = Sender(settings or DeliverySettings())
    except OSError as exc:  # ssl.SSLError is one
        raise HuskyError(f"http_client.ca_bundle: {exc}") from None
    try:
        outcome = await sender.deliver(
            probe_message(integration), retry=integration.provider != "smtp"
        )
    finally:
        await sender.aclose()
    if not outcome.ok:
        raise HuskyError(outcome.error or "not sent")
