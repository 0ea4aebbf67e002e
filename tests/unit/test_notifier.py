"""husky.notify.notifier with a real SQLite store and a real HTTP receiver: the `alerts` row
from `pending` to its outcome, only_after_failure, attached logs, re-sending (I20), rows
left pending by a stopped daemon, and the daemon-level `alerts` of huskyd.yaml."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from husky.clock import ManualClock
from husky.config.daemon_models import AlertsSection
from husky.config.effective import HuskyConfig
from husky.config.load import load_config
from husky.errors import DaemonError
from husky.events import EventBus, ForcedKill, SlaBreached
from husky.models import (
    Alert,
    AlertStatus,
    LogBatch,
    NewAlert,
    Run,
    RunResult,
    RunStatus,
    Stream,
)
from husky.notify.base import NotifyEvent
from husky.notify.notifier import STALE_ERROR, Notifier
from husky.notify.sender import Sender
from husky.notify.settings import DeliverySettings
from husky.store.sqlite import SQLiteStore
from tests.conftest import WriteConfig
from tests.contract.conftest import new_run
from tests.receivers import HttpReceiver

T0 = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
CONFIG = """
version: "1"
integrations:
  slack:
    webhook_url: {url}/slack
  dead:
    provider: webhook
    webhook_url: {url}/dead
jobs:
  etl:
    description: ETL
    frequency: manual
    command: "true"
    sla: 30s
    notify:
      on_failure:
        channel: slack:#ops
        message: "{{{{ job.name }}}} run {{{{ run.id }}}} {{{{ run.status }}}}"
        attach_logs: last_2_lines
      on_success:
        channel: slack:#ok
        only_after_failure: true
        attach_logs: all
        include_healthcheck: true
  lost:
    description: unknown channel
    frequency: manual
    command: "true"
    notify:
      on_failure: nowhere:#x
  slow:
    description: dead endpoint
    frequency: manual
    command: "true"
    sla: 1s
    notify:
      on_failure: dead:x
"""
FAST = DeliverySettings(timeout=0.5, max_retries=2, retry_backoff=0.02)


@dataclass
class World:
    notifier: Notifier
    store: SQLiteStore
    config: HuskyConfig
    hooks: HttpReceiver
    bus: EventBus
    clock: ManualClock

    async def run_of(self, job: str, status: RunStatus, lines: list[tuple[Stream, str]]) -> Run:
        run = await self.store.create_run(new_run(job))
        for seq, (stream, text) in enumerate(lines, 1):
            await self.store.append_batch(LogBatch(run.id, seq, stream, T0, [text]))
        await self.store.finish_run(run.id, RunResult(status, T0 + timedelta(seconds=2), 1))
        got = await self.store.get_run(run.id)
        assert got is not None
        return got

    async def alert(self, alert_id: int = 1) -> Alert:
        alert = await self.store.get_alert(alert_id)
        assert alert is not None
        return alert

    async def settled(self, alert_id: int = 1, within: float = 10.0) -> Alert:
        deadline = time.monotonic() + within
        while (alert := await self.store.get_alert(alert_id)) is None or (
            alert.status == AlertStatus.PENDING
        ):
            assert time.monotonic() < deadline, f"alert {alert_id} still pending"
            await asyncio.sleep(0.02)
        return alert

    async def received(self, path: str, count: int = 1, within: float = 10.0) -> list[Any]:
        """Wait, without blocking the loop, for `count` requests to `path`; their bodies."""
        deadline = time.monotonic() + within
        while len(got := self.hooks.to(path)) < count:
            assert time.monotonic() < deadline, f"no {count} request(s) to {path}"
            await asyncio.sleep(0.02)
        return [r.body for r in got]

    async def idle(self) -> None:
        """Wait until every queued notification has been handled."""
        await asyncio.wait_for(self.notifier._queue.join(), 10)


Body = Callable[[World], Awaitable[None]]


@pytest.fixture
def scenario(write_config: WriteConfig, tmp_path: Path) -> Callable[..., None]:
    def play(body: Body, *, alerts: AlertsSection | None = None, grace: float = 5.0) -> None:
        with HttpReceiver() as hooks:
            hooks.hang("/dead")
            config = load_config(write_config(CONFIG.format(url=hooks.url(""))))

            async def main() -> None:
                store = await SQLiteStore.open(tmp_path / "husky.db")
                bus = EventBus()
                clock = ManualClock(T0)
                notifier = Notifier(lambda: config, store, clock, Sender(FAST), alerts, grace=grace)
                world = World(notifier, store, config, hooks, bus, clock)
                try:
                    await body(world)
                finally:
                    await notifier.close()
                    await store.close()

            asyncio.run(main())

    return play


def payload(alert: Alert) -> dict[str, Any]:
    assert alert.payload is not None
    body: dict[str, Any] = json.loads(alert.payload)
    return body


# -- a hook, from pending to delivered --------------------------------------------------------


def test_a_failure_is_delivered_and_recorded(scenario: Callable[..., None]) -> None:
    async def body(w: World) -> None:
        await w.notifier.start(w.bus)
        w.hooks.script("/slack", 500, 500)
        lines = [(Stream.STDOUT, "one"), (Stream.STDERR, "two"), (Stream.STDOUT, "three")]
        run = await w.run_of("etl", RunStatus.FAILED, lines)
        w.notifier.run_event(NotifyEvent.ON_FAILURE, w.config.jobs["etl"], run)
        alert = await w.settled()
        text = f"etl run {run.id} FAILED\n\nAttached logs:\ntwo\nthree"
        assert [r.body for r in w.hooks.to("/slack")] == [{"text": text, "channel": "#ops"}] * 3
        assert (alert.job_name, alert.run_id, alert.event, alert.channel) == (
            "etl",
            run.id,
            "on_failure",
            "slack:#ops",
        )
        assert (alert.status, alert.attempts, alert.error) == (AlertStatus.DELIVERED, 3, None)
        assert alert.last_attempt_at == T0 and alert.sent_at == T0
        assert payload(alert) == {
            "event": "on_failure",
            "job": "etl",
            "run_id": run.id,
            "status": "FAILED",
            "channel": "slack:#ops",
            "message": text,
            "ok": True,
        }

    scenario(body)


def test_a_dead_endpoint_ends_failed_with_the_error(scenario: Callable[..., None]) -> None:
    async def body(w: World) -> None:
        await w.notifier.start(w.bus)
        run = await w.run_of("slow", RunStatus.FAILED, [])
        w.notifier.run_event(NotifyEvent.ON_FAILURE, w.config.jobs["slow"], run)
        await asyncio.sleep(0.2)
        pending = await w.alert()
        assert pending.status == AlertStatus.PENDING  # written before the first attempt
        alert = await w.settled()
        assert (alert.status, alert.attempts, alert.error) == (
            AlertStatus.FAILED,
            3,
            "timed out after 0.5s",
        )
        assert payload(alert)["ok"] is False
        assert payload(alert)["error"] == "timed out after 0.5s"
        assert payload(alert)["message"] == "[on_failure] job slow status=FAILED"

    scenario(body)


def test_no_row_for_an_unresolvable_channel_or_a_job_without_hooks(
    scenario: Callable[..., None],
) -> None:
    async def body(w: World) -> None:
        await w.notifier.start(w.bus)
        run = await w.run_of("lost", RunStatus.FAILED, [])
        w.notifier.run_event(NotifyEvent.ON_FAILURE, w.config.jobs["lost"], run)
        w.notifier.run_event(NotifyEvent.ON_RETRY, w.config.jobs["etl"], run)  # no such hook
        await w.idle()
        assert await w.store.get_alert(1) is None
        assert w.hooks.requests == []

    scenario(body)


# -- only_after_failure and attached logs -------------------------------------------------------


def test_only_after_failure_and_healthcheck_lines(scenario: Callable[..., None]) -> None:
    async def body(w: World) -> None:
        await w.notifier.start(w.bus)
        job = w.config.jobs["etl"]
        first = await w.run_of("etl", RunStatus.SUCCESS, [(Stream.STDOUT, "x")])
        w.notifier.run_event(NotifyEvent.ON_SUCCESS, job, first)  # no previous run
        await w.run_of("etl", RunStatus.FAILED, [])
        lines = [(Stream.STDOUT, "out"), (Stream.HEALTHCHECK, "hc ok")]
        recovered = await w.run_of("etl", RunStatus.SUCCESS, lines)
        w.notifier.run_event(NotifyEvent.ON_SUCCESS, job, recovered)  # previous FAILED
        again = await w.run_of("etl", RunStatus.SUCCESS, [])
        w.notifier.run_event(NotifyEvent.ON_SUCCESS, job, again)  # previous SUCCESS
        await w.idle()
        [sent] = w.hooks.to("/slack")
        text = "[on_success] job etl status=SUCCESS\n\nAttached logs:\nout\nhc ok"
        assert sent.body == {"text": text, "channel": "#ok"}
        alert = await w.alert()
        assert (alert.run_id, alert.status) == (recovered.id, AlertStatus.DELIVERED)
        assert await w.store.get_alert(2) is None

    scenario(body)


# -- re-sending (I20) ----------------------------------------------------------------------------


def test_resend_sends_again_and_counts_attempts(scenario: Callable[..., None]) -> None:
    async def body(w: World) -> None:
        await w.notifier.start(w.bus)
        w.hooks.script("/slack", 500, 500, 500)
        run = await w.run_of("etl", RunStatus.FAILED, [])
        w.notifier.run_event(NotifyEvent.ON_FAILURE, w.config.jobs["etl"], run)
        failed = await w.settled()
        assert (failed.status, failed.attempts, failed.error) == (
            AlertStatus.FAILED,
            3,
            "http status 500",
        )
        with pytest.raises(DaemonError) as missing:
            await w.notifier.resend(99)
        assert (missing.value.status, str(missing.value)) == (404, "alert not found")
        w.hooks.hang("/slack")  # keep the re-send in flight while a second request comes
        await w.notifier.resend(failed.id)
        assert (await w.alert()).status == AlertStatus.PENDING
        with pytest.raises(DaemonError) as twice:
            await w.notifier.resend(failed.id)
        assert (twice.value.status, str(twice.value)) == (409, "alert is already pending retry")

    scenario(body, grace=0.2)


def test_resend_delivers_the_stored_message(scenario: Callable[..., None]) -> None:
    async def body(w: World) -> None:
        await w.notifier.start(w.bus)
        w.hooks.script("/slack", 500, 500, 500)
        run = await w.run_of("etl", RunStatus.FAILED, [(Stream.STDOUT, "boom")])
        w.notifier.run_event(NotifyEvent.ON_FAILURE, w.config.jobs["etl"], run)
        failed = await w.settled()
        await w.notifier.resend(failed.id)
        done = await w.settled()
        assert (done.status, done.attempts, done.error) == (AlertStatus.DELIVERED, 4, None)
        assert payload(done)["ok"] is True and "error" not in payload(done)
        bodies = [r.body for r in w.hooks.to("/slack")]
        assert len(bodies) == 4 and bodies[3] == bodies[0]
        assert bodies[3]["text"].endswith("Attached logs:\nboom")

    scenario(body)


# -- a stopping daemon, and the next start ---------------------------------------------------------


def test_close_leaves_deliveries_pending_and_start_sends_them(
    scenario: Callable[..., None],
) -> None:
    async def body(w: World) -> None:
        await w.notifier.start(w.bus)
        run = await w.run_of("slow", RunStatus.FAILED, [])
        w.notifier.run_event(NotifyEvent.ON_FAILURE, w.config.jobs["slow"], run)
        await asyncio.sleep(0.1)
        started = time.monotonic()
        await w.notifier.close()
        assert time.monotonic() - started < 2.0  # grace 0.2 s, not the delivery's retries
        left = await w.alert()
        assert (left.status, left.attempts) == (AlertStatus.PENDING, 0)
        # an old pending row and this one: the next daemon re-sends the recent one only
        stale = await w.store.add_alert(
            NewAlert(
                "etl", 1, "on_failure", "slack:#ops", '{"message": "old"}', T0 - timedelta(days=2)
            )
        )
        w.hooks.unhang("/dead")
        again = Notifier(lambda: w.config, w.store, w.clock, Sender(FAST), grace=0.2)
        await again.start(w.bus)
        done = await w.settled(left.id)
        assert (done.status, done.attempts) == (AlertStatus.DELIVERED, 1)
        assert [r.body for r in w.hooks.to("/dead")][-1] == {
            "message": "[on_failure] job slow status=FAILED"
        }
        old = await w.alert(stale)
        assert (old.status, old.error) == (AlertStatus.FAILED, STALE_ERROR)
        await again.close()

    scenario(body, grace=0.2)


# -- SLA breaches and the daemon-level alerts -------------------------------------------------------


def test_bus_events_and_daemon_alerts(scenario: Callable[..., None]) -> None:
    alerts = AlertsSection(
        on_daemon_start=["slack:#daemon"],
        on_sla_breach=["slack:#sla"],
        on_forced_kill=["slack:#kill", "nowhere:#x"],
    )

    async def body(w: World) -> None:
        await w.notifier.start(w.bus)
        [start] = await w.received("/slack")
        assert start["channel"] == "#daemon"
        assert start["text"].startswith("[on_daemon_start] husky daemon started on ")
        running = await w.store.create_run(new_run("etl"))
        running = replace(running, status=RunStatus.RUNNING, started_at=T0, sla_breached=True)
        w.clock.advance(3)
        w.bus.publish(SlaBreached(running))
        w.bus.publish(ForcedKill(running, "timed out"))
        await w.received("/slack", 4)
        await w.idle()
        by_channel = {r.body["channel"]: r.body["text"] for r in w.hooks.to("/slack")}
        assert by_channel["#ops"] == f"etl run {running.id} RUNNING"  # on_failure's hook
        assert by_channel["#sla"] == (
            f"[on_sla_breach] job etl status=RUNNING: run {running.id} still running after its"
            " sla of 30s"
        )
        assert by_channel["#kill"] == (
            f"[on_forced_kill] job etl run {running.id}: process group killed with SIGKILL after"
            " SIGTERM and the grace period (timed out)"
        )
        rows = [await w.alert(n) for n in range(1, 5)]
        assert sorted((a.event, a.channel, a.job_name) for a in rows) == [
            ("on_daemon_start", "slack:#daemon", ""),
            ("on_forced_kill", "slack:#kill", "etl"),
            ("on_sla_breach", "slack:#ops", "etl"),
            ("on_sla_breach", "slack:#sla", "etl"),
        ]
        assert all(a.status == AlertStatus.DELIVERED for a in rows)
        assert await w.store.get_alert(5) is None  # nowhere:#x resolves to nothing

    scenario(body, alerts=alerts)
