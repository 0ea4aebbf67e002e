"""What a job's `frequency` means once parsed: plain values, no clock, no I/O."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo


class FrequencyKind(StrEnum):
    HOURLY = "hourly"
    DAILY = "daily"
    WEEKLY = "weekly"
    WEEKDAYS = "weekdays"
    WEEKENDS = "weekends"
    MONTHLY = "monthly"
    MANUAL = "manual"
    AFTER = "after"
    EVERY = "every"
    ON = "on"


WEEKDAY_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")

#: Frequencies whose fire instants are wall-clock times in the job's zone and need `time`.
WALL_CLOCK_KINDS = frozenset(
    {
        FrequencyKind.DAILY,
        FrequencyKind.WEEKLY,
        FrequencyKind.WEEKDAYS,
        FrequencyKind.WEEKENDS,
        FrequencyKind.MONTHLY,
        FrequencyKind.ON,
    }
)
#: Frequencies the scheduler fires by itself.
AUTO_KINDS = WALL_CLOCK_KINDS | {FrequencyKind.HOURLY, FrequencyKind.EVERY}


@dataclass(frozen=True)
class Frequency:
    """A parsed `frequency` value.

    `days` holds ISO-less Python weekday numbers (Monday = 0) for the day-list forms
    (`weekly`, `weekdays`, `weekends`, `on:[…]`); `interval` is set for `every:`;
    `upstream` for `after:`.
    """

    kind: FrequencyKind
    days: frozenset[int] = field(default_factory=frozenset)
    interval: timedelta | None = None
    upstream: str | None = None

    @property
    def is_auto(self) -> bool:
        return self.kind in AUTO_KINDS


@dataclass(frozen=True)
class Schedule:
    """Everything `next_after` needs: the frequency, the job's zone and its effective time.

    `time` is `(hour, minute)` for wall-clock kinds and `None` otherwise.
    """

    frequency: Frequency
    zone: ZoneInfo
    time: tuple[int, int] | None = None
