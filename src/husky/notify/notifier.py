"""The `Notifier`: notifications delivered off the run's path, each recorded in `alerts`.

    dispatcher.run_event() ─┐                       ┌─ prepare (hook, channel, message, logs)
    bus: SlaBreached,       ├─> queue ─> workers ──>├─ alerts row `pending`
         ForcedKill        ─┤                       ├─ Sender.deliver (retries, backoff)
    resend(alert_id)       ─┘                       └─ row: attempts… → delivered | failed

Intake never blocks and never raises: a full queue drops the notification with a warning.
Deliveries run concurrently (`workers`), so one dead endpoint holds up at most one worker.
`close()` gives deliveries in flight a grace, then cancels them; their rows stay `pending`
(as do queued notifications, recorded without sending) and the next daemon re-sends them
(`start()`), unless they are older than RESEND_WINDOW.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from husky.clock import Clock
from husky.config.daemon_models import AlertsSection
from husky.config.effective import HuskyConfig, Job
from husky.errors import DaemonError
from husky.events import EventBus, Follower, ForcedKill, SlaBreached
from husky.models import Alert, AlertStatus, NewAlert, Run
from husky.notify import prepare
from husky.notify.base import NotifyError, NotifyEvent
from husky.notify.hooks import hook_for
from husky.notify.prepare import Prepared
from husky.notify.sender import Sender
from husky.store.base import StateStore

log = logging.getLogger("husky.notify")
RESEND_WINDOW = timedelta(hours=24)
STALE_ERROR = "not re-sent: left pending by a daemon that stopped more than 24h earlier"


@dataclass(frozen=True)
class _Hook:
    event: NotifyEvent
    job: Job
    run: Run


@dataclass(frozen=True)
class _Daemon:
    event: NotifyEvent
    channel: str
    text: str
    job_name: str = ""
    run: Run | None = None


@dataclass(frozen=True)
class _Again:
    alert: Alert


_Item = _Hook | _Daemon | _Again


class Notifier:
    def __init__(
        self,
        config: Callable[[], HuskyConfig],
        store: StateStore,
        clock: Clock,
        sender: Sender,
        alerts: AlertsSection | None = None,
        *,
        workers: int = 4,
        grace: float = 5.0,
        queue_size: int = 10_000,
    ) -> None:
        self.config = config
        self.store = store
        self.clock = clock
        self.sender = sender
        self.alerts = alerts or AlertsSection()
        self.grace = grace
        self._queue: asyncio.Queue[_Item] = asyncio.Queue(maxsize=queue_size)
        self._workers = workers
        self._worker_tasks: list[asyncio.Task[None]] = []
        self._follow_task: asyncio.Task[None] | None = None
        self._sending: set[asyncio.Task[None]] = set()
        self._follower: Follower | None = None
        self._bus: EventBus | None = None
        self._send = True  # False once close() gave up waiting: record rows, send nothing
        self._closed = False

    # -- intake (never blocks) --------------------------------------------------------

    def run_event(self, event: NotifyEvent, job: Job, run: Run) -> None:
        """A run reached `event` (RunNotifications): queue the job's hook, if it has one."""
        if hook_for(job, event) is None:
            return  # the common case: nothing to send, not even a queue slot
        self._put(_Hook(event, job, run))

    async def resend(self, alert_id: int) -> None:
        """I20, for `POST /api/db/alerts/{id}/retry`: mark the row `pending` and queue it;
        the delivery updates attempts and status. DaemonError 404 `alert not found`, 409
        `alert is already pending retry`. Returns once the row is `pending`."""
        alert = await self.store.reopen_alert(alert_id)
        if alert is None:
            if await self.store.get_alert(alert_id) is None:
                raise DaemonError("alert not found", 404)
            raise DaemonError("alert is already pending retry", 409)
        self._put(_Again(alert))

    def _put(self, item: _Item) -> None:
        if self._closed:
            log.warning("notifier closed: %s not sent", _describe(item))
            return
        try:
            self._queue.put_nowait(item)
        except asyncio.QueueFull:
            log.warning("notification queue full: %s dropped", _describe(item))

    # -- lifecycle --------------------------------------------------------------------

    async def start(self, bus: EventBus | None = None) -> None:
        """Start the workers, follow SLA breaches and forced kills on `bus`, queue the
        rows a previous daemon left `pending`, and announce the start (`on_daemon_start`)."""
        self.sender.warm_up()
        loop = asyncio.get_running_loop()
        for n in range(self._workers):
            self._worker_tasks.append(loop.create_task(self._work(), name=f"notify-{n}"))
        if bus is not None:
            self._bus = bus
            self._follower = bus.follow(kinds=(SlaBreached, ForcedKill))
            self._follow_task = loop.create_task(self._follow(self._follower), name="notify-bus")
        await self._requeue_pending()
        text = prepare.daemon_started_text()
        for channel in self.alerts.on_daemon_start:
            self._put(_Daemon(NotifyEvent.ON_DAEMON_START, channel, text))

    async def close(self) -> None:
        """Wait up to `grace` for queued and in-flight deliveries, then cancel those still
        sending (their rows stay `pending`) and record the queued rest as `pending`."""
        if self._follow_task is not None:
            self._follow_task.cancel()
            await asyncio.gather(self._follow_task, return_exceptions=True)
        if self._follower is not None and self._bus is not None:
            self._bus.unfollow(self._follower)
            self._drain_follower(self._follower)
        try:
            await asyncio.wait_for(self._queue.join(), self.grace)
        except TimeoutError:
            self._send = False
            for task in list(self._sending):
                task.cancel()
            left = self._queue.qsize() + len(self._sending)
            log.warning("notifier: %d notification(s) left pending for the next start", left)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._queue.join(), self.grace)
        self._closed = True
        for task in self._worker_tasks:
            task.cancel()
        await asyncio.gather(*self._worker_tasks, return_exceptions=True)
        await self.sender.aclose()

    # -- the work ---------------------------------------------------------------------

    async def _follow(self, follower: Follower) -> None:
        while True:
            self._on_bus_event(await follower.get())

    def _drain_follower(self, follower: Follower) -> None:
        while not follower.queue.empty():
            self._on_bus_event(follower.queue.get_nowait())

    def _on_bus_event(self, event: object) -> None:
        if isinstance(event, SlaBreached):
            run = event.run
            job = self.config().jobs.get(run.job_name)
            if job is None:
                return
            self.run_event(NotifyEvent.ON_SLA_BREACH, job, run)
            text = prepare.sla_breach_text(job, run)
            for channel in self.alerts.on_sla_breach:
                self._put(_Daemon(NotifyEvent.ON_SLA_BREACH, channel, text, job.name, run))
        elif isinstance(event, ForcedKill):
            text = prepare.forced_kill_text(event.run, event.why)
            for channel in self.alerts.on_forced_kill:
                self._put(
                    _Daemon(
                        NotifyEvent.ON_FORCED_KILL, channel, text, event.run.job_name, event.run
                    )
                )

    async def _requeue_pending(self) -> None:
        now = self.clock.now()
        for alert in await self.store.pending_alerts():
            if now - alert.sent_at > RESEND_WINDOW:
                await self._settle_stale(alert)
            else:
                self._put(_Again(alert))

    async def _settle_stale(self, alert: Alert) -> None:
        await self.store.record_attempt(
            alert.id, attempts=alert.attempts, at=self.clock.now(), error=STALE_ERROR
        )
        await self.store.settle_alert(alert.id, AlertStatus.FAILED, alert.payload or "{}")
        log.warning("alert %d: %s", alert.id, STALE_ERROR)

    async def _work(self) -> None:
        while True:
            item = await self._queue.get()
            try:
                await self._handle(item)
            except Exception:
                log.exception("notification failed inside husky: %s", _describe(item))
            finally:
                self._queue.task_done()

    async def _handle(self, item: _Item) -> None:
        integrations = self.config().integrations
        if isinstance(item, _Again):
            alert = item.alert
            try:
                ready = prepare.for_row(alert, integrations)
            except NotifyError as exc:
                await self.store.record_attempt(
                    alert.id, attempts=alert.attempts, at=self.clock.now(), error=str(exc)
                )
                await self.store.settle_alert(alert.id, AlertStatus.FAILED, alert.payload or "{}")
                log.warning("alert %d not sent again: %s", alert.id, exc)
                return
            alert_id, done = alert.id, alert.attempts
        else:
            found = await self._prepare(item)
            if found is None:
                return
            ready, done = found, 0
            alert_id = await self.store.add_alert(
                NewAlert(
                    job_name=ready.job_name,
                    run_id=ready.run_id,
                    event=ready.event,
                    channel=ready.channel,
                    payload=ready.payload(),
                    created_at=self.clock.now(),
                )
            )
        if not self._send:
            return  # closing: the row stays `pending` for the next start
        task = asyncio.get_running_loop().create_task(self._deliver(alert_id, ready, done))
        self._sending.add(task)
        try:
            await asyncio.wait({task})
        finally:
            self._sending.discard(task)
        if not task.cancelled() and (failure := task.exception()) is not None:
            log.error("delivery of alert %d failed inside husky", alert_id, exc_info=failure)

    async def _prepare(self, item: _Hook | _Daemon) -> Prepared | None:
        integrations = self.config().integrations
        if isinstance(item, _Hook):
            return await prepare.for_hook(
                self.store, integrations, item.event, item.job, item.run, self.clock.now()
            )
        return prepare.for_daemon(
            integrations, item.event, item.channel, item.text, job_name=item.job_name, run=item.run
        )

    async def _deliver(self, alert_id: int, ready: Prepared, done_before: int) -> None:
        async def attempted(n: int, error: str | None) -> None:
            await self.store.record_attempt(
                alert_id, attempts=done_before + n, at=self.clock.now(), error=error
            )

        outcome = await self.sender.deliver(ready.out, on_attempt=attempted)
        status = AlertStatus.DELIVERED if outcome.ok else AlertStatus.FAILED
        await self.store.settle_alert(
            alert_id, status, ready.payload(ok=outcome.ok, error=outcome.error)
        )
        what = f"{ready.event} of {ready.job_name or 'the daemon'} to {ready.channel}"
        if outcome.ok:
            log.info(
                "notification %s delivered (alert %d, %d attempt(s))",
                what,
                alert_id,
                outcome.attempts,
            )
        else:
            log.warning(
                "notification %s failed after %d attempt(s): %s (alert %d)",
                what,
                outcome.attempts,
                outcome.error,
                alert_id,
            )


def _describe(item: _Item) -> str:
    if isinstance(item, _Hook):
        return f"{item.event} of {item.job.name} run {item.run.id}"
    if isinstance(item, _Daemon):
        return f"daemon alert {item.event} to {item.channel}"
    return f"alert {item.alert.id}"
