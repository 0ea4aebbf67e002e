"""From "something happened" to a message ready to send and the `alerts` row describing it.

Three sources: a job's hook (notifications.md §1–§5), a daemon-level alert of huskyd.yaml
(`alerts.on_daemon_start|on_sla_breach|on_forced_kill`), and an existing row to send
again (I20, or left `pending` by a previous daemon). Reads the store (previous run, log
lines) but never sends.
"""

from __future__ import annotations

import json
import logging
import os
import socket
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from husky import __version__
from husky.config.effective import Integration, Job
from husky.models import Alert, Run
from husky.notify.base import NotifyError, NotifyEvent, Outgoing, dedup_key
from husky.notify.channels import Destination, resolve, severity
from husky.notify.hooks import hook_for, needs_previous_run, suppressed
from husky.notify.message import (
    WITHOUT_HEALTHCHECK,
    attach_request,
    attached,
    compose,
    with_logs,
)
from husky.store.base import StateStore

log = logging.getLogger("husky.notify")


@dataclass(frozen=True)
class Prepared:
    """A notification that reached sending: where it goes and what its row says."""

    out: Outgoing
    event: str
    job_name: str
    run_id: int | None
    status: str  # the run's status as notifications.md §1 shows it ("" for the daemon)
    channel: str  # as configured

    def payload(self, *, ok: bool | None = None, error: str | None = None) -> str:
        """notifications.md §8; `ok`/`error` once the delivery has an outcome."""
        body: dict[str, Any] = {
            "event": self.event,
            "job": self.job_name,
            "run_id": self.run_id,
            "status": self.status,
            "channel": self.channel,
            "message": self.out.text,
        }
        if ok is not None:
            body["ok"] = ok
            if error:
                body["error"] = error
        return json.dumps(body, ensure_ascii=False)


def outgoing(
    dest: Destination, text: str, *, job_name: str, run_id: int | None, event: str
) -> Outgoing:
    return Outgoing(
        provider=dest.provider,
        integration=dest.integration,
        target=dest.target,
        text=text,
        dedup_key=dedup_key(job_name, run_id, event),
        severity=severity(dest.target),
    )


async def for_hook(
    store: StateStore,
    integrations: Mapping[str, Integration],
    event: NotifyEvent,
    job: Job,
    run: Run,
    now: datetime,
) -> Prepared | None:
    """The job's notification for `event`, or None: no hook, suppressed by
    `only_after_failure`, or a channel that resolves to nothing (logged; no row, §3)."""
    hook = hook_for(job, event)
    if hook is None:
        return None
    if needs_previous_run(hook, event) and suppressed(
        await store.previous_completed_run(job.name, run.id)
    ):
        log.debug("%s of %s run %d: only_after_failure, not sent", event, job.name, run.id)
        return None
    try:
        dest = resolve(hook.channel, integrations)
    except NotifyError as exc:
        log.warning(
            "%s of %s run %d not sent (channel %r): %s", event, job.name, run.id, hook.channel, exc
        )
        return None
    text = compose(event.value, hook.message, job, run, now)
    request = attach_request(hook.attach_logs)
    if request is not None:
        streams = () if hook.include_healthcheck else WITHOUT_HEALTHCHECK
        if event is NotifyEvent.ON_SLA_BREACH:
            await store.flush()  # the lines printed so far, not only those committed
        rows = await store.tail_logs(run.id, request.limit + 1, streams=streams)
        text = with_logs(text, attached(request, [r.line for r in rows]))
    out = outgoing(dest, text, job_name=job.name, run_id=run.id, event=event)
    return Prepared(out, event.value, job.name, run.id, str(run.status), hook.channel)


def for_daemon(
    integrations: Mapping[str, Integration],
    event: NotifyEvent,
    channel: str,
    text: str,
    *,
    job_name: str = "",
    run: Run | None = None,
) -> Prepared | None:
    """A huskyd.yaml `alerts.*` notification to one channel (None when it resolves to nothing)."""
    run_id = None if run is None else run.id
    try:
        dest = resolve(channel, integrations)
    except NotifyError as exc:
        log.warning("daemon alert %s not sent (channel %r): %s", event, channel, exc)
        return None
    out = outgoing(dest, text, job_name=job_name, run_id=run_id, event=event)
    status = "" if run is None else str(run.status)
    return Prepared(out, event.value, job_name, run_id, status, channel)


def for_row(alert: Alert, integrations: Mapping[str, Integration]) -> Prepared:
    """An existing row, to send again, resolved against the current integrations
    (NotifyError when its channel no longer resolves)."""
    try:
        body = json.loads(alert.payload or "{}")
    except ValueError:
        body = {}
    if not isinstance(body, dict):
        body = {}
    text = str(body.get("message") or "")
    if not text:
        raise NotifyError("the alert has no message to send again")
    dest = resolve(alert.channel, integrations)
    out = outgoing(dest, text, job_name=alert.job_name, run_id=alert.run_id, event=alert.event)
    return Prepared(
        out, alert.event, alert.job_name, alert.run_id, str(body.get("status") or ""), alert.channel
    )


# -- daemon-level messages ----------------------------------------------------------------


def daemon_started_text(pid: int | None = None) -> str:
    host = socket.gethostname()
    return (
        f"[on_daemon_start] husky daemon started on {host}"
        f" (pid {pid or os.getpid()}, version {__version__})"
    )


def sla_breach_text(job: Job, run: Run) -> str:
    return (
        f"[on_sla_breach] job {job.name} status={run.status}: run {run.id} still running"
        f" after its sla of {job.sla_text}"
    )


def forced_kill_text(run: Run, why: str) -> str:
    return (
        f"[on_forced_kill] job {run.job_name} run {run.id}: process group killed with SIGKILL"
        f" after SIGTERM and the grace period ({why})"
    )
