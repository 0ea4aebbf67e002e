"""The body of `GET /api/jobs`, kept encoded between requests.

Building and encoding 1,000 summaries costs milliseconds of Python per request, and a
dashboard polls the list far more often than it changes. So each summary is kept
encoded (an orjson `Fragment`) with what it was built from: its `Job` (a reload makes
new ones), `next_run`, its state, running and paused; it is rebuilt when one of them
differs. The whole body is kept too, per tag filter, with a snapshot of every input,
and sent again while none differs.

Nothing is invalidated by events: every request compares every input (a few tens of
microseconds for 1,000 jobs), so the list can never be staler than what the runtime
holds — a finished run, a pause or a reload shows at the next request.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

import orjson

from husky.api.shapes import job_summary_json
from husky.config.effective import HuskyConfig, Job
from husky.daemon.runtime import Runtime
from husky.models import JobState

#: Bodies kept at most (one per tag filter asked for, plus the unfiltered one).
MAX_BODIES = 32


@dataclass(frozen=True, eq=False)
class _Summary:
    job: Job
    next_run: datetime | None
    state: JobState | None
    running: bool
    paused: bool
    encoded: orjson.Fragment

    def shows(
        self,
        job: Job,
        next_run: datetime | None,
        state: JobState | None,
        running: bool,
        paused: bool,
    ) -> bool:
        return (
            self.job is job
            and self.next_run == next_run
            and self.state is state
            and self.running == running
            and self.paused == paused
        )


@dataclass(frozen=True, eq=False)
class _Inputs:
    """Everything a body was built from; `JobStates` objects and versions stand for the
    states, whose every change bumps the version."""

    config: HuskyConfig
    states: Mapping[str, JobState]
    states_version: int
    next_runs: dict[str, datetime]
    running: frozenset[str]
    paused: frozenset[str]

    def same(self, other: _Inputs) -> bool:
        return (
            self.config is other.config
            and self.states is other.states
            and self.states_version == other.states_version
            and self.running == other.running
            and self.paused == other.paused
            and self.next_runs == other.next_runs
        )


class JobList:
    """One per app (`app.state.job_list`); used from the event loop only."""

    def __init__(self) -> None:
        self._config: HuskyConfig | None = None
        self._summaries: dict[str, _Summary] = {}
        self._bodies: dict[str | None, tuple[_Inputs, bytes]] = {}

    def body(self, rt: Runtime, states: Mapping[str, JobState], tag: str | None) -> bytes:
        """The JSON array of JobSummary (api.md §5) by name; only jobs with `tag` if given."""
        inputs = _Inputs(
            config=rt.config,
            states=states,
            states_version=rt.job_states.version,
            next_runs=rt.next_runs,  # compared now, copied only when a body is kept
            running=frozenset(a.job.name for a in rt.executor.active.values() if a.executing),
            paused=frozenset(rt.paused),
        )
        kept = self._bodies.get(tag)
        if kept is not None and kept[0].same(inputs):
            return kept[1]
        body = self._build(inputs, tag)
        if len(self._bodies) >= MAX_BODIES:
            self._bodies.clear()
        snapshot = _Inputs(
            inputs.config,
            inputs.states,
            inputs.states_version,
            dict(inputs.next_runs),
            inputs.running,
            inputs.paused,
        )
        self._bodies[tag] = (snapshot, body)
        return body

    def _build(self, inputs: _Inputs, tag: str | None) -> bytes:
        if inputs.config is not self._config:  # a reload: every Job is new
            self._config, self._summaries = inputs.config, {}
        parts: list[orjson.Fragment] = []
        for name, job in inputs.config.jobs.items():
            if tag is not None and tag not in job.tags:
                continue
            next_run = inputs.next_runs.get(name)
            state = inputs.states.get(name)
            running, paused = name in inputs.running, name in inputs.paused
            summary = self._summaries.get(name)
            if summary is None or not summary.shows(job, next_run, state, running, paused):
                encoded = orjson.dumps(
                    job_summary_json(job, state, next_run=next_run, running=running, paused=paused)
                )
                # orjson's bytes keep its whole output buffer (4 KiB for a 150-byte summary):
                # kept as they are, 10,000 summaries held 41 MB. A copy is exactly sized.
                fragment = orjson.Fragment(memoryview(encoded).tobytes())
                summary = _Summary(job, next_run, state, running, paused, fragment)
                self._summaries[name] = summary
            parts.append(summary.encoded)
        return orjson.dumps(parts)
