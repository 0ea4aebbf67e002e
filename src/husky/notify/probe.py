"""Sending an integration's test message (spec/notifications.md §9).

The seam the notifications work fills in: `POST /api/integrations/{name}/test` and
`husky integrations test <name>` both call `send_test` with a known integration and
report its HuskyError as the failure. Until providers exist every test fails plainly.
"""

from __future__ import annotations

from husky.config.effective import Integration
from husky.errors import HuskyError

NOT_AVAILABLE = "notifications are not available yet"


async def send_test(integration: Integration) -> None:
    """Send `husky integration test: <name> (<provider>)` through `integration`.

    Raises HuskyError with a message fit for the user when it could not be sent.
    """
    raise HuskyError(NOT_AVAILABLE)
