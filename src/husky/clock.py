"""Where "now" comes from. Logic takes a Clock so tests can drive time without sleeping."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """The current instant, aware, UTC."""

    def monotonic(self) -> float:
        """Seconds on a clock that never goes back (for durations and timers)."""


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)

    def monotonic(self) -> float:
        return time.monotonic()
