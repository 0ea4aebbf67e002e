"""Parsers for the small grammars inside husky.yaml: durations, `HHMM` times, frequencies.

Each parser raises `ValueError` whose message is the spec's key phrase, followed by
`; expected …` where that helps the user fix it.
"""

from __future__ import annotations

import re
from datetime import timedelta
from functools import cache

from husky.scheduler.frequency import WEEKDAY_NAMES, Frequency, FrequencyKind

_DURATION_UNITS_US: dict[str, float] = {
    "ns": 0.001,
    "us": 1,
    "µs": 1,
    "μs": 1,
    "ms": 1_000,
    "s": 1_000_000,
    "m": 60_000_000,
    "h": 3_600_000_000,
}
_DURATION_PART = re.compile(r"(\d+\.?\d*|\.\d+)(ns|us|µs|μs|ms|s|m|h)")
DURATION_HINT = 'a duration such as "30s", "1.5h" or "1h30m" (units ns, us, ms, s, m, h)'


@cache
def parse_duration(text: str) -> timedelta:
    """Parse a Go-style duration (`1h30m`, `1.5h`, `300ms`, `-2s`, `0`). No `d` unit."""
    s = text.strip()
    if not s:
        raise ValueError(f"invalid duration {text!r}: empty; expected {DURATION_HINT}")
    sign = 1
    if s[0] in "+-":
        sign = -1 if s[0] == "-" else 1
        s = s[1:]
    if s == "0":
        return timedelta(0)
    if not s:
        raise ValueError(f'invalid duration "{text}"; expected {DURATION_HINT}')
    pos, total_us = 0, 0.0
    while pos < len(s):
        m = _DURATION_PART.match(s, pos)
        if m is None:
            hint = ' ("d" is not a unit: use "24h")' if re.search(r"\dd\b", s) else ""
            raise ValueError(f'invalid duration "{text}"{hint}; expected {DURATION_HINT}')
        total_us += float(m.group(1)) * _DURATION_UNITS_US[m.group(2)]
        pos = m.end()
    try:
        return sign * timedelta(microseconds=round(total_us))
    except OverflowError:
        raise ValueError(f'invalid duration "{text}": out of range') from None


def format_duration(value: timedelta) -> str:
    """Render a timedelta the way Go prints durations: `0s`, `45s`, `1m30s`, `2h0m5s`, `1.5s`."""
    us = round(value.total_seconds() * 1_000_000)
    if us == 0:
        return "0s"
    sign = "-" if us < 0 else ""
    us = abs(us)
    if us < 1_000_000:
        return f"{sign}{us // 1000}ms" if us % 1000 == 0 else f"{sign}{us}µs"
    hours, rest = divmod(us, 3_600_000_000)
    minutes, rest = divmod(rest, 60_000_000)
    seconds = f"{rest / 1_000_000:.6f}".rstrip("0").rstrip(".")
    if hours:
        return f"{sign}{hours}h{minutes}m{seconds}s"
    if minutes:
        return f"{sign}{minutes}m{seconds}s"
    return f"{sign}{seconds}s"


@cache
def parse_hhmm(text: str) -> tuple[int, int]:
    """Parse a `time` value: exactly four ASCII digits, hour 00-23, minute 00-59."""
    if len(text) != 4:
        raise ValueError(f'"{text}" must be exactly 4 characters; expected HHMM such as "0230"')
    if not all("0" <= c <= "9" for c in text):
        raise ValueError(f'"{text}" must contain only digits; expected HHMM such as "0230"')
    hour, minute = int(text[:2]), int(text[2:])
    if hour > 23:
        raise ValueError(f"hour {text[:2]} is out of range (00-23)")
    if minute > 59:
        raise ValueError(f"minute {text[2:]} is out of range (00-59)")
    return hour, minute


FREQUENCY_HINT = (
    "accepted: hourly, daily, weekly, monthly, weekdays, weekends, manual, "
    "after:<job>, every:<interval>, on:[day[,day...]]"
)
_FIXED_KINDS: dict[str, Frequency] = {
    "hourly": Frequency(FrequencyKind.HOURLY),
    "daily": Frequency(FrequencyKind.DAILY),
    "weekly": Frequency(FrequencyKind.WEEKLY, days=frozenset({0})),
    "weekdays": Frequency(FrequencyKind.WEEKDAYS, days=frozenset(range(5))),
    "weekends": Frequency(FrequencyKind.WEEKENDS, days=frozenset({5, 6})),
    "monthly": Frequency(FrequencyKind.MONTHLY),
    "manual": Frequency(FrequencyKind.MANUAL),
}


@cache
def parse_frequency(text: str) -> Frequency:
    """Parse a `frequency` value (trimmed and lower-cased first, so `EVERY:15M` is valid)."""
    value = text.strip().lower()
    if value in _FIXED_KINDS:
        return _FIXED_KINDS[value]
    if value.startswith("after:"):
        upstream = value[len("after:") :].strip()
        if not upstream:
            raise ValueError(
                f'unrecognised value "{text}": after: needs a job name; {FREQUENCY_HINT}'
            )
        return Frequency(FrequencyKind.AFTER, upstream=upstream)
    if value.startswith("every:"):
        return Frequency(FrequencyKind.EVERY, interval=_parse_interval(text, value[6:]))
    if value.startswith("on:"):
        return Frequency(FrequencyKind.ON, days=_parse_day_list(text, value[3:].strip()))
    raise ValueError(f'unrecognised value "{text}"; {FREQUENCY_HINT}')


def _parse_interval(text: str, raw: str) -> timedelta:
    try:
        interval = parse_duration(raw)
    except ValueError:
        raise ValueError(
            f'unrecognised value "{text}": every: needs a duration; '
            'expected e.g. "every:15m" (0 < interval < 24h)'
        ) from None
    if not timedelta(0) < interval < timedelta(hours=24):
        raise ValueError(
            f'unrecognised value "{text}": every: interval must be greater than 0 and less '
            'than 24h; expected e.g. "every:15m"'
        )
    return interval


def _parse_day_list(text: str, raw: str) -> frozenset[int]:
    hint = 'expected e.g. "on:[monday, thursday]" with full English weekday names'
    if not (raw.startswith("[") and raw.endswith("]")):
        raise ValueError(f'unrecognised value "{text}": day list must be in brackets; {hint}')
    names = [n.strip() for n in raw[1:-1].split(",")]
    if names == [""]:
        raise ValueError(f'unrecognised value "{text}": day list is empty; {hint}')
    days: list[int] = []
    for name in names:
        if name not in WEEKDAY_NAMES:
            raise ValueError(f'unrecognised value "{text}": "{name}" is not a weekday; {hint}')
        day = WEEKDAY_NAMES.index(name)
        if day in days:
            raise ValueError(f'unrecognised value "{text}": duplicate day "{name}"; {hint}')
        days.append(day)
    return frozenset(days)
