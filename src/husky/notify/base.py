"""What notifications are made of: events, a message ready to go out, delivery errors, and
the seam (`RunNotifications`) through which the dispatcher reports what happened to a run.

    dispatcher ──run_event()──> Notifier (queue) ──> hooks → channel → message → Sender
                                   │                                      │
                                   └──── alerts row: pending → attempts → delivered/failed
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Protocol

from husky.errors import HuskyError

if TYPE_CHECKING:
    from husky.config.effective import Integration, Job
    from husky.models import Run


class NotifyEvent(StrEnum):
    """Job hooks (notifications.md §1) and the daemon-level `alerts` of huskyd.yaml."""

    ON_SUCCESS = "on_success"
    ON_FAILURE = "on_failure"
    ON_RETRY = "on_retry"
    ON_SLA_BREACH = "on_sla_breach"
    ON_DAEMON_START = "on_daemon_start"
    ON_FORCED_KILL = "on_forced_kill"


DEFAULT_SUBJECT = "Husky notification"


class NotifyError(HuskyError):
    """A notification that cannot be built: bad channel, unknown integration (§3)."""


class DeliveryError(HuskyError):
    """One delivery attempt failed. `permanent` ones are not retried (a missing URL, a
    4xx answer other than 408/429, a mail the server refuses for good)."""

    def __init__(self, message: str, *, permanent: bool = False) -> None:
        self.permanent = permanent
        super().__init__(message)


@dataclass(frozen=True)
class Outgoing:
    """One message to one destination, everything a provider needs to send it.

    `integration` is None only for an ad-hoc `webhook:<url>` channel. `target` is the part
    of the channel after the first `:` (a Slack channel, a URL, a mail address, `p1`…)."""

    provider: str
    integration: Integration | None
    target: str
    text: str
    dedup_key: str = ""
    severity: str = "info"
    subject: str = DEFAULT_SUBJECT

    def secrets(self) -> list[str]:
        """Values that must never reach a log line or an alerts row."""
        i = self.integration
        if i is None:
            return []
        return [s for s in (i.webhook_url, i.routing_key, i.password, i.username) if s]


@dataclass(frozen=True)
class HttpRequest:
    """A JSON POST a provider wants made (notifications.md §6)."""

    url: str
    body: dict[str, Any]


def shorten(text: str, limit: int) -> str:
    """`text` cut to `limit` characters keeping its head and its tail (where attached log
    lines end), for services that reject longer messages."""
    if len(text) <= limit:
        return text
    marker = "\n…\n"
    head = (limit - len(marker)) // 2
    tail = limit - len(marker) - head
    return text[:head] + marker + text[len(text) - tail :]


def dedup_key(job_name: str, run_id: int | None, event: str) -> str:
    """PagerDuty's `dedup_key`: `husky-<job>-<run_id>`; daemon events have no run."""
    return f"husky-{job_name}-{run_id}" if run_id is not None else f"husky-daemon-{event}"


class RunNotifications(Protocol):
    """What the dispatcher calls when a run reaches a notifiable point. Must not block:
    implementations only enqueue; delivery happens off the run's path."""

    def run_event(self, event: NotifyEvent, job: Job, run: Run) -> None: ...


class NoNotifications:
    """The RunNotifications of a dispatcher built without a notifier (unit tests, tools)."""

    def run_event(self, event: NotifyEvent, job: Job, run: Run) -> None:
        return None
