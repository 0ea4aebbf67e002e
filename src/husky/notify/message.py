"""The text of a notification: template variables (notifications.md §4, I16), the default
message, and the `attach_logs` selection (§5). Pure: the notifier supplies runs and lines.

    attempt={{ run.attempt }} of {{ .job.name }} → attempt=2 of etl
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from husky.config.effective import Job
from husky.config.parse import format_duration
from husky.config.templates import MESSAGE_REF
from husky.models import Run, Stream, format_ts

NO_VALUE = "<no value>"  # unreachable after validation (I16); kept for a config built by hand
MAX_ATTACHED_LINES = 10_000
OMITTED = "… (earlier lines not attached)"
_LAST_N = re.compile(r"last_(\d+)_lines")
WITHOUT_HEALTHCHECK = (Stream.STDOUT, Stream.STDERR)


def variables(job: Job, run: Run, now: datetime) -> dict[str, str]:
    """Every `job.*` / `run.*` value a message may use, as text.

    `run.duration` is started→finished (empty while running); `run.elapsed` is started→
    finished, or started→now while running (SLA breach); both Go-style (`1.5s`, `2m3s`).
    `run.started_at` is RFC 3339 UTC with milliseconds; `run.exit_code` is empty until the
    process has exited.
    """
    started, finished = run.started_at, run.finished_at
    duration = _span(started, finished)
    elapsed = duration if finished is not None else _span(started, now)
    return {
        "job.name": job.name,
        "job.description": job.description,
        "job.frequency": job.frequency_text,
        "job.retries": str(job.retries or 0),
        "job.tags": "[" + " ".join(job.tags) + "]",
        "job.sla": job.sla_text,
        "job.timezone": job.timezone,
        "run.id": str(run.id),
        "run.status": str(run.status),
        "run.attempt": str(run.attempt),
        "run.trigger": str(run.trigger),
        "run.reason": run.reason or "",
        "run.sla_breached": "true" if run.sla_breached else "false",
        "run.duration": duration,
        "run.elapsed": elapsed,
        "run.exit_code": "" if run.exit_code is None else str(run.exit_code),
        "run.started_at": "" if started is None else format_ts(started),
    }


def _span(start: datetime | None, end: datetime | None) -> str:
    if start is None or end is None:
        return ""
    millis = max(0, round((end - start).total_seconds() * 1000))
    return format_duration(timedelta(milliseconds=millis))


def render(template: str, values: Mapping[str, str]) -> str:
    """Substitute `{{ scope.name }}` (also `{{scope.name}}`, `{{ .scope.name }}`); any other
    text stays literal. The result is trimmed."""

    def value(match: re.Match[str]) -> str:
        return values.get(f"{match[1]}.{match[2]}", NO_VALUE)

    return MESSAGE_REF.sub(value, template).strip()


def default_message(event: str, job_name: str, status: str) -> str:
    return f"[{event}] job {job_name} status={status}"


def compose(event: str, template: str, job: Job, run: Run, now: datetime) -> str:
    """The hook's message for this run, or the default one when the hook has none."""
    if not template.strip():
        return default_message(event, job.name, str(run.status))
    return render(template, variables(job, run, now))


# -- attach_logs ------------------------------------------------------------------------


@dataclass(frozen=True)
class LogRequest:
    """How many of the run's last lines to attach; `everything` = the hook said `all`."""

    limit: int
    everything: bool = False


def attach_request(attach_logs: str) -> LogRequest | None:
    """`all` | `last_<N>_lines` (N ≥ 1), trimmed, any case; anything else attaches nothing.
    `all` is bounded by MAX_ATTACHED_LINES (the newest lines are kept)."""
    text = attach_logs.strip().lower()
    if text == "all":
        return LogRequest(MAX_ATTACHED_LINES, everything=True)
    match = _LAST_N.fullmatch(text)
    if match is None or int(match[1]) < 1:
        return None
    return LogRequest(min(int(match[1]), MAX_ATTACHED_LINES))


def attached(request: LogRequest, newest: Sequence[str]) -> list[str]:
    """The lines to attach from the run's newest `request.limit + 1` lines (oldest first):
    one more than asked tells whether `all` had to leave some out."""
    if len(newest) <= request.limit:
        return list(newest)
    kept = list(newest[len(newest) - request.limit :])
    return [OMITTED, *kept] if request.everything else kept


def with_logs(message: str, lines: Sequence[str]) -> str:
    """`<message>\\n\\nAttached logs:\\n<l1>\\n<l2>…`, trailing whitespace trimmed."""
    if not lines:
        return message
    return (f"{message}\n\nAttached logs:\n" + "\n".join(lines)).rstrip()
