"""The dispatch pipeline (execution.md §1 with I2–I5, I7, I8, I10, I12).

Every request to run a job — a scheduler fire, catchup, an `after:` successor, a
manual run or retry, an automatic or orphan retry — goes through `dispatch`, which
checks pause, concurrency, the dependency gate and templates in that order, then
hands the run to the executor. A refusal that a user or the scheduler asked for
leaves a SKIPPED (or, for a missing output, FAILED) row naming the cause (I3).
Completion (`completed`) applies retries, the failure policy and triggers successors.
"""

from __future__ import annotations

import asyncio
import logging
import random
import uuid
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta
from typing import NoReturn

from husky.background import Background
from husky.clock import Clock
from husky.config.effective import HuskyConfig, Job
from husky.errors import DaemonError
from husky.executor.outputs import references, render
from husky.executor.runner import Executor
from husky.models import Run, RunResult, RunStatus, Trigger
from husky.notify.base import NoNotifications, NotifyEvent, RunNotifications
from husky.scheduler.cycle import Cycle, Refused, Request, retry_delay
from husky.store.base import StateStore

log = logging.getLogger("husky.dispatch")
MAX_CYCLES = 10_000


class Dispatcher:
    def __init__(
        self,
        config: Callable[[], HuskyConfig],
        store: StateStore,
        executor: Executor,
        clock: Clock,
        *,
        paused: set[str],
        rng: random.Random | None = None,
        notifier: RunNotifications | None = None,
    ) -> None:
        self.config = config
        self.store = store
        self.executor = executor
        self.clock = clock
        self.paused = paused
        self.rng = rng or random.Random()
        self.notifier = notifier or NoNotifications()  # only enqueues: never delays a run
        self.cycles: OrderedDict[str, Cycle] = OrderedDict()
        self.retry_timers: dict[int, asyncio.TimerHandle] = {}  # failed run id → its retry
        self.skip_next: set[str] = set()
        self.accepting = True
        self.background = Background()
        self._index: dict[str, list[tuple[str, Job]]] = {}
        self._index_of: HuskyConfig | None = None
        executor.on_complete = self.completed

    def cycle(self, cycle_id: str) -> Cycle:
        cycle = self.cycles.get(cycle_id)
        if cycle is None:
            cycle = self.cycles[cycle_id] = Cycle(cycle_id)
            self._forget_idle_cycles()
        else:
            self.cycles.move_to_end(cycle_id)
        return cycle

    def _forget_idle_cycles(self) -> None:
        """Keep at most MAX_CYCLES, dropping the least recently used ones that have no
        run in flight (a cycle whose runs are still going keeps its join state)."""
        excess = len(self.cycles) - MAX_CYCLES
        if excess <= 0:
            return
        for cycle_id in list(self.cycles)[: excess + 100]:
            if excess <= 0:
                break
            if self.cycles[cycle_id].in_flight == 0:
                del self.cycles[cycle_id]
                excess -= 1

    # -- the pipeline -----------------------------------------------------------------

    async def dispatch(self, req: Request) -> Run | None:
        """Run `req` or refuse it. Returns the run, or None when it was dropped silently
        (paused scheduler fire) or is waiting for a join; raises Refused otherwise."""
        if not self.accepting:
            raise DaemonError("daemon is shutting down", 503)
        job = self.config().jobs.get(req.job)
        if job is None:
            log.warning("dispatch of unknown job %s dropped", req.job)
            raise DaemonError(f'unknown job "{req.job}"', 404)
        cycle = self.cycle(req.cycle_id)
        if cycle.stopped_by is not None:
            await self.refuse(req, f'pipeline stopped by "{cycle.stopped_by}"')
        if req.job in self.paused:
            if req.scheduled:
                log.info("job %s is paused: scheduled run skipped", req.job)
                return None
            await self.refuse(req, "job is paused")
        if req.scheduled and req.job in self.skip_next:
            self.skip_next.discard(req.job)
            await self.refuse(req, "skipped by operator")
        replaced = self.concurrency_victims(job) if job.concurrency != "allow" else []
        if job.concurrency == "forbid" and replaced:
            log.info("concurrency=forbid: %s run %d still active", job.name, replaced[0])
            await self.refuse(req, f"forbid: run {replaced[0]} still active")
        gate = await self.gate(job, cycle, req)
        if gate == "wait":
            cycle.waiting.add(job.name)
            return None
        if gate is not None:
            await self.refuse(req, gate)
        try:
            command, env = await self.render(job, req.cycle_id)
        except KeyError as missing:
            reason = f"missing output {missing.args[0]}"
            log.warning("%s: %s", job.name, reason)
            raise Refused(reason, await self.record(req, RunStatus.FAILED, reason)) from None
        cycle.dispatched.add(job.name)
        cycle.waiting.discard(job.name)
        cycle.in_flight += 1
        try:
            run = await self.executor.submit(
                job, req.new_run(self.clock.now()), command=command, env=env
            )
        except BaseException:
            cycle.in_flight -= 1
            raise
        if job.concurrency == "replace":
            for victim in replaced:
                self.executor.cancel(victim, f"replaced by run {run.id}")
        return run

    def concurrency_victims(self, job: Job) -> list[int]:
        """Ids of the job's PENDING or executing runs (I2: PENDING runs count)."""
        return sorted(a.run.id for a in self.executor.runs_of(job.name) if not a.finishing)

    async def gate(self, job: Job, cycle: Cycle, req: Request) -> str | None:
        """None to go, "wait" for a join, or the refusal reason (I4, I11)."""
        states = None
        for upstream in job.upstreams:
            if cycle.takes_part(upstream):
                if upstream in cycle.succeeded:
                    continue
                if upstream in cycle.failed:
                    return f'upstream "{upstream}" failed in this cycle'
                return "wait"
            if states is None:
                states = await self.store.job_states()
            state = states.get(upstream)
            if state is None or state.last_status is not RunStatus.SUCCESS:
                log.info("dependency not yet successful: %s needs %s", job.name, upstream)
                return f'upstream "{upstream}" has not succeeded'
        return None

    async def render(self, job: Job, cycle_id: str) -> tuple[str, dict[str, str]]:
        """`{{ outputs.job.var }}` in command and env from this cycle, else (I5) from the
        latest successful run that captured it; KeyError names a value found nowhere."""
        texts = [job.command, *job.env.values()]
        refs = list(dict.fromkeys(ref for text in texts for ref in references(text)))
        if not refs:
            return job.command, dict(job.env)
        values: dict[tuple[str, str], str] = {}
        for output in await self.store.get_outputs(cycle_id=cycle_id):
            values[(output.job_name, output.var_name)] = output.value
        for ref in refs:
            if ref not in values:
                latest = await self.store.latest_output(*ref)
                if latest is None:
                    raise KeyError(f"outputs.{ref[0]}.{ref[1]}")
                values[ref] = latest.value
        return render(job.command, values), {k: render(v, values) for k, v in job.env.items()}

    async def refuse(self, req: Request, reason: str) -> NoReturn:
        run = await self.record(req, RunStatus.SKIPPED, reason)
        raise Refused(reason, run)

    async def record(self, req: Request, status: RunStatus, reason: str) -> Run:
        """A row born terminal: the trace of a refused dispatch (I3)."""
        run = await self.store.create_run(req.new_run(self.clock.now(), status, reason))
        self.executor.announce(run)
        return run

    # -- completion -------------------------------------------------------------------

    async def completed(self, job: Job, run: Run, result: RunResult) -> None:
        """Called by the executor once the attempt's row is final (execution.md §7)."""
        cycle = self.cycle(run.cycle_id or "")
        cycle.in_flight = max(cycle.in_flight - 1, 0)
        if result.status is RunStatus.SUCCESS:
            cycle.succeeded.add(job.name)
            self.notifier.run_event(NotifyEvent.ON_SUCCESS, job, run)
            await self.successors(job, cycle)
        elif result.status is RunStatus.FAILED:
            retries = job.retries or 0
            if run.attempt <= retries and cycle.stopped_by is None and self.accepting:
                await self.schedule_retry(job, run, result)
                return
            await self.failure_policy(job, run, cycle)

    async def successors(self, job: Job, cycle: Cycle) -> None:
        """`after:` successors of `job`, and joins now complete, run in its cycle.

        All of them are claimed (`expected`) before any is dispatched, so a join
        elsewhere in the cycle waits for them instead of reading an older outcome."""
        candidates = [
            (name, downstream)
            for name, downstream in self.downstreams(job.name)
            if not cycle.takes_part(name)
            and (downstream.frequency.upstream == job.name or name in cycle.waiting)
        ]
        cycle.expected.update(name for name, _ in candidates)
        for name, downstream in candidates:
            req = Request(
                job=name,
                trigger=Trigger.DEPENDENCY,
                triggered_by="dependency",
                reason=f"after:{downstream.frequency.upstream or job.name}",
                cycle_id=cycle.id,
            )
            try:
                await self.dispatch(req)
            except DaemonError as exc:
                cycle.failed.add(name)
                log.info("successor %s of %s not run: %s", name, job.name, exc)
            finally:
                cycle.expected.discard(name)

    def downstreams(self, name: str) -> list[tuple[str, Job]]:
        """Jobs with `name` among their upstreams, from an index built once per config."""
        config = self.config()
        if self._index_of is not config:
            index: dict[str, list[tuple[str, Job]]] = {}
            for job_name, job in config.jobs.items():
                for upstream in job.upstreams:
                    index.setdefault(upstream, []).append((job_name, job))
            self._index, self._index_of = index, config
        return self._index.get(name, [])

    async def schedule_retry(self, job: Job, run: Run, result: RunResult) -> None:
        self.cycle(run.cycle_id or "").in_flight += 1  # the waiting retry keeps the cycle
        delay = retry_delay(job.retry_delay, run.attempt, self.rng)
        retry_at = self.clock.now() + delay
        await self.store.schedule_retry(run.id, self.clock.now(), retry_at)
        self.executor.announce(self.executor_view(run, RunStatus.RETRYING))
        upcoming = replace(run, status=RunStatus.RETRYING, attempt=run.attempt + 1)
        self.notifier.run_event(NotifyEvent.ON_RETRY, job, upcoming)
        log.info(
            "%s attempt %d failed (%s); retry in %.1fs",
            job.name,
            run.attempt,
            result.status_reason,
            delay.total_seconds(),
        )
        self.arm_retry(run, delay)

    def arm_retry(self, run: Run, delay: timedelta) -> None:
        req = Request(
            job=run.job_name,
            trigger=run.trigger,
            triggered_by=run.triggered_by,
            reason=run.reason,
            cycle_id=run.cycle_id or str(uuid.uuid4()),
            attempt=run.attempt + 1,
        )
        loop = asyncio.get_running_loop()

        def fire() -> None:
            self.retry_timers.pop(run.id, None)
            waiting = self.cycles.get(req.cycle_id)
            if waiting is not None:
                waiting.in_flight = max(waiting.in_flight - 1, 0)
            self.background.spawn(self._quiet(req), name=f"retry-{req.job}")

        self.retry_timers[run.id] = loop.call_later(max(delay.total_seconds(), 0.0), fire)

    async def _quiet(self, req: Request) -> None:
        try:
            await self.dispatch(req)
        except DaemonError as exc:
            log.info("retry of %s not run: %s", req.job, exc)

    def executor_view(self, run: Run, status: RunStatus) -> Run:
        return replace(run, status=status, finished_at=self.clock.now())

    async def failure_policy(self, job: Job, run: Run, cycle: Cycle) -> None:
        """I8: what a final failure does to the rest of the cycle."""
        policy = job.on_failure
        if policy == "ignore":
            cycle.succeeded.add(job.name)
            await self.successors(job, cycle)
            return
        self.notifier.run_event(NotifyEvent.ON_FAILURE, job, run)  # I8: alert, skip, stop
        cycle.failed.add(job.name)
        if policy == "skip":
            await self.store.rewrite_status(
                run.id,
                RunStatus.SKIPPED,
                run.status_reason or "skipped by on_failure",
                self.clock.now(),
            )
            self.executor.announce(self.executor_view(run, RunStatus.SKIPPED))
            await self.skip_downstream(job, cycle, f'upstream "{job.name}" skipped')
        elif policy == "stop":
            await self.stop_cycle(job, cycle)

    async def skip_downstream(self, job: Job, cycle: Cycle, reason: str) -> None:
        """Record every not-yet-run job downstream of `job` as SKIPPED in this cycle."""
        frontier, seen = [job.name], set()
        while frontier:
            for name, _ in self.downstreams(frontier.pop()):
                if name not in seen:
                    seen.add(name)
                    frontier.append(name)
        for name in sorted(seen - cycle.dispatched):
            cycle.dispatched.add(name)
            cycle.failed.add(name)
            req = Request(name, Trigger.DEPENDENCY, "dependency", f"after:{job.name}", cycle.id)
            await self.record(req, RunStatus.SKIPPED, reason)

    async def stop_cycle(self, job: Job, cycle: Cycle) -> None:
        """`on_failure: stop`: cancel or skip everything of this cycle not finished yet."""
        reason = f'pipeline stopped by "{job.name}"'
        cycle.stopped_by = job.name
        for active in list(self.executor.active.values()):
            if active.run.cycle_id == cycle.id:
                self.executor.cancel(active.run.id, reason)
        for run_id, timer in list(self.retry_timers.items()):
            run = await self.store.get_run(run_id)
            if run is not None and run.cycle_id == cycle.id:
                timer.cancel()
                self.retry_timers.pop(run_id, None)
                await self.store.rewrite_status(run_id, RunStatus.SKIPPED, reason, self.clock.now())
        await self.skip_downstream(job, cycle, reason)

    # -- operator actions -------------------------------------------------------------

    async def skip(self, name: str) -> int:
        """I7: skip the job's PENDING runs and its next scheduled occurrence."""
        if name not in self.config().jobs:
            raise DaemonError(f'unknown job "{name}"', 400)
        pending = [a for a in self.executor.runs_of(name) if not a.executing and not a.finishing]
        for active in pending:
            self.executor.cancel(active.run.id, "skipped by operator", RunStatus.SKIPPED)
        if self.config().jobs[name].frequency.is_auto:
            self.skip_next.add(name)
        return len(pending)

    def stop(self) -> None:
        self.accepting = False
        for timer in self.retry_timers.values():
            timer.cancel()
        self.retry_timers.clear()
