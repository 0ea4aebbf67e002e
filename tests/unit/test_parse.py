"""husky.config.parse: durations, HHMM times and the frequency grammar (spec/config.md A5, A6)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from husky.config.parse import format_duration, parse_duration, parse_frequency, parse_hhmm
from husky.scheduler.frequency import FrequencyKind


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("0", timedelta(0)),
        ("30s", timedelta(seconds=30)),
        ("1h30m", timedelta(hours=1, minutes=30)),
        ("1.5h", timedelta(hours=1, minutes=30)),
        ("300ms", timedelta(milliseconds=300)),
        ("-15m", timedelta(minutes=-15)),
        ("+2s", timedelta(seconds=2)),
        ("2us", timedelta(microseconds=2)),
        ("2µs", timedelta(microseconds=2)),
        (".5s", timedelta(milliseconds=500)),
        ("1h0m0.25s", timedelta(hours=1, milliseconds=250)),
    ],
)
def test_durations_follow_go_grammar(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize("text", ["", " ", "1d", "abc", "10", "1h30", "h", "-", "5 m", "1.2.3s"])
def test_invalid_durations_are_rejected(text: str) -> None:
    with pytest.raises(ValueError, match="duration"):
        parse_duration(text)


def test_day_unit_error_says_to_use_hours() -> None:
    with pytest.raises(ValueError, match='use "24h"'):
        parse_duration("1d")


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (timedelta(0), "0s"),
        (timedelta(seconds=45), "45s"),
        (timedelta(minutes=1), "1m0s"),
        (timedelta(hours=2, seconds=5), "2h0m5s"),
        (timedelta(milliseconds=300), "300ms"),
        (timedelta(seconds=1.5), "1.5s"),
    ],
)
def test_durations_print_like_go(value: timedelta, text: str) -> None:
    assert format_duration(value) == text


@pytest.mark.parametrize(("text", "hm"), [("0000", (0, 0)), ("2359", (23, 59)), ("0230", (2, 30))])
def test_valid_hhmm(text: str, hm: tuple[int, int]) -> None:
    assert parse_hhmm(text) == hm


@pytest.mark.parametrize(
    ("text", "phrase"),
    [
        ("200", "must be exactly 4 characters"),
        ("25:00", "must be exactly 4 characters"),
        ("2a00", "must contain only digits"),
        ("2500", "hour 25 is out of range (00-23)"),
        ("1260", "minute 60 is out of range (00-59)"),
    ],
)
def test_invalid_hhmm(text: str, phrase: str) -> None:
    with pytest.raises(ValueError, match=re.escape(phrase)):
        parse_hhmm(text)


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("hourly", FrequencyKind.HOURLY),
        ("Daily", FrequencyKind.DAILY),
        (" weekly ", FrequencyKind.WEEKLY),
        ("WEEKDAYS", FrequencyKind.WEEKDAYS),
        ("weekends", FrequencyKind.WEEKENDS),
        ("monthly", FrequencyKind.MONTHLY),
        ("manual", FrequencyKind.MANUAL),
        ("after: extract", FrequencyKind.AFTER),
        ("EVERY:15M", FrequencyKind.EVERY),
        ("on:[tuesday, friday]", FrequencyKind.ON),
    ],
)
def test_frequency_forms(text: str, kind: FrequencyKind) -> None:
    assert parse_frequency(text).kind is kind


def test_frequency_details() -> None:
    assert parse_frequency("after: Extract").upstream == "extract"  # lower-cased (spec A5 quirk)
    assert parse_frequency("every:90m").interval == timedelta(minutes=90)
    assert parse_frequency("on: [ tuesday ,friday ]").days == frozenset({1, 4})
    assert parse_frequency("weekly").days == frozenset({0})
    assert parse_frequency("weekends").days == frozenset({5, 6})


@pytest.mark.parametrize(
    "text",
    [
        "every:0s",
        "every:-15m",
        "every:24h",
        "every:abc",
        "on:[]",
        "on:[mon]",
        "on:[monday,monday]",
        "on:monday",
        "after:",
        "after:   ",
        "cron:* * * * *",
        "yearly",
    ],
)
def test_invalid_frequencies(text: str) -> None:
    with pytest.raises(ValueError, match="unrecognised value"):
        parse_frequency(text)


def test_unrecognised_frequency_lists_accepted_forms() -> None:
    with pytest.raises(ValueError, match=r"accepted: hourly, daily, weekly, monthly, weekdays"):
        parse_frequency("fortnightly")
