"""Which hook of a job answers an event (notifications.md §2). Pure.

- no `notify`, no hook for the event, or a blank channel → nothing;
- `on_sla_breach` without a hook of its own borrows the `on_failure` hook;
- `only_after_failure` (on `on_success` only) needs the previous completed run to have
  FAILED — the notifier reads that run, `suppressed` decides.
"""

from __future__ import annotations

from husky.config.effective import Job, NotifyTarget
from husky.models import Run, RunStatus
from husky.notify.base import NotifyEvent


def hook_for(job: Job, event: NotifyEvent) -> NotifyTarget | None:
    """The job's hook for `event`, with the SLA fallback; None when nothing is to be sent."""
    if job.notify is None:
        return None
    hook = job.notify.get(event.value)
    if hook is None and event is NotifyEvent.ON_SLA_BREACH:
        hook = job.notify.get(NotifyEvent.ON_FAILURE.value)
    if hook is None or not hook.channel.strip():
        return None
    return hook


def needs_previous_run(hook: NotifyTarget, event: NotifyEvent) -> bool:
    return event is NotifyEvent.ON_SUCCESS and hook.only_after_failure


def suppressed(previous_completed: Run | None) -> bool:
    """`only_after_failure`: send only when the previous completed run exists and FAILED."""
    return previous_completed is None or previous_completed.status is not RunStatus.FAILED
