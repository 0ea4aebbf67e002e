"""`husky status` output, importable without click so the fast path (`entry.py`) can use it."""

from __future__ import annotations

from husky.cli.output import format_table

TYPE_CHECKING = False
if TYPE_CHECKING:
    from husky.cli.client import DaemonClient

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def table_time(value: str | None) -> str:
    """`2026-03-08T07:30:00.123Z` as `Mar 08 07:30 UTC` (spec/cli.md §1); `-` when missing."""
    if not value or len(value) < 16:
        return "-"
    return f"{_MONTHS[int(value[5:7]) - 1]} {value[8:10]} {value[11:16]} UTC"


def print_status(client: DaemonClient, tag: str | None) -> None:
    path = "/api/jobs"
    if tag:
        from urllib.parse import quote

        path += f"?tag={quote(tag, safe='')}"
    rows = []
    for job in client.get(path):
        name = job["name"] + (" (running)" if job.get("running") else "")
        name += " (paused)" if job.get("paused") else ""
        rows.append(
            [
                name,
                table_time(job.get("next_run")),
                table_time(job.get("last_success")),
                table_time(job.get("last_failure")),
            ]
        )
    print(format_table(["NAME", "NEXT RUN", "LAST SUCCESS", "LAST FAILURE"], rows))
