"""`parse_rfc3339`: the time bounds of the data views and `husky audit --since` (api.md §1, I25)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from husky.store.queries import RunFilter, parse_rfc3339


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-03-08T07:30:00Z", datetime(2026, 3, 8, 7, 30, tzinfo=UTC)),
        ("2026-03-08T07:30:00.123Z", datetime(2026, 3, 8, 7, 30, 0, 123000, tzinfo=UTC)),
        ("2026-03-08T07:30:00.5Z", datetime(2026, 3, 8, 7, 30, 0, 500000, tzinfo=UTC)),
        ("2026-03-08T07:30:00.123456789Z", datetime(2026, 3, 8, 7, 30, 0, 123456, tzinfo=UTC)),
        ("2026-03-08t07:30:00z", datetime(2026, 3, 8, 7, 30, tzinfo=UTC)),
        ("2026-03-08T09:30:00+02:00", datetime(2026, 3, 8, 7, 30, tzinfo=UTC)),
        ("2026-03-08T02:00:00.250-05:30", datetime(2026, 3, 8, 7, 30, 0, 250000, tzinfo=UTC)),
    ],
)
def test_rfc3339_forms_parse_to_utc(text: str, expected: datetime) -> None:
    parsed = parse_rfc3339(text)
    assert parsed == expected and parsed.tzinfo is UTC


@pytest.mark.parametrize(
    "text",
    [
        "",
        "yesterday",
        "2026-03-08",  # a date alone
        "2026-03-08T07:30:00",  # no offset
        "2026-03-08 07:30:00Z",  # a space
        "2026-03-08T07:30Z",  # no seconds
        "2026-03-08T07:30:00.Z",
        "2026-03-08T07:30:00+0200",
        "2026-13-08T07:30:00Z",  # month 13
        "2026-02-30T07:30:00Z",
        "٢٠٢٦-03-08T07:30:00Z",  # non-ASCII digits
        " 2026-03-08T07:30:00Z",
    ],
)
def test_anything_else_is_a_value_error(text: str) -> None:
    with pytest.raises(ValueError):
        parse_rfc3339(text)


def test_instants_beyond_pythons_range_are_clamped() -> None:
    assert parse_rfc3339("0001-01-01T00:00:00+01:00") == datetime.min.replace(tzinfo=UTC)
    assert parse_rfc3339("9999-12-31T23:59:59-01:00") == datetime.max.replace(tzinfo=UTC)


def test_run_filter_status_matches_in_any_case() -> None:
    assert RunFilter(status="failed").status_value == "FAILED"
    assert RunFilter().status_value is None
