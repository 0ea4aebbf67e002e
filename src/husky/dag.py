"""The dependency graph: edges from `depends_on` and `after:<job>`, order, cycles.

An edge `job -> upstream` means "job waits for upstream". The order Husky shows is
the lexicographically smallest topological order (spec/config.md A7): always place
the alphabetically first job whose upstreams are all placed.
"""

from __future__ import annotations

import difflib
import heapq
from dataclasses import dataclass
from graphlib import CycleError, TopologicalSorter
from typing import Any

from husky.config.effective import HuskyConfig, Job
from husky.config.source import Key
from husky.errors import DagError, Problem


@dataclass(frozen=True)
class Dag:
    """Jobs in topological order with the sorted upstreams of each."""

    order: list[str]
    upstreams: dict[str, list[str]]

    def downstreams(self, name: str) -> list[str]:
        return [j for j in self.order if name in self.upstreams[j]]

    def nodes(self) -> list[dict[str, Any]]:
        """`[DagNode]` of api.md §5: `{"name", "dependencies"}` in topological order."""
        return [{"name": n, "dependencies": list(self.upstreams[n])} for n in self.order]


def build_dag(config: HuskyConfig) -> Dag:
    """Build the graph of `config`; raise DagError for unknown upstreams or a cycle."""
    jobs = config.jobs
    known = sorted(jobs)
    problems = [p for name in known for p in _unknown_upstreams(config, jobs[name], known)]
    if problems:
        raise DagError(_file(config), problems)
    upstreams = {name: sorted(jobs[name].upstreams) for name in sorted(jobs)}
    sorter: TopologicalSorter[str] = TopologicalSorter()
    for name, ups in upstreams.items():
        sorter.add(name, *ups)
    try:
        sorter.prepare()
    except CycleError as exc:
        raise DagError(_file(config), [_cycle_problem(config, exc.args[1])]) from None
    order: list[str] = []
    ready = list(sorter.get_ready())
    heapq.heapify(ready)
    while ready:
        name = heapq.heappop(ready)
        order.append(name)
        sorter.done(name)
        for nxt in sorter.get_ready():
            heapq.heappush(ready, nxt)
    return Dag(order, upstreams)


def _file(config: HuskyConfig) -> str:
    return config.source.file if config.source else str(config.path)


def _locate(config: HuskyConfig, path: list[Key], message: str) -> Problem:
    if config.source is not None:
        return config.source.problem(path, message)
    return Problem(_file(config), ".".join(map(str, path)), message)


def _unknown_upstreams(config: HuskyConfig, job: Job, known: list[str]) -> list[Problem]:
    problems = []
    for i, upstream in enumerate(job.depends_on):
        if upstream and upstream not in config.jobs:
            message = (
                f'job "{job.name}" depends on unknown job "{upstream}"{_suggest(upstream, known)}'
            )
            problems.append(_locate(config, ["jobs", job.name, "depends_on", i], message))
    target = job.frequency.upstream
    if target is not None and target not in config.jobs:
        message = f'job "{job.name}" runs after unknown job "{target}"'
        cased = [k for k in known if k.lower() == target]
        if cased:
            message += (
                f'; "after:" targets are lower-cased, so job "{cased[0]}" cannot be one: '
                "rename it in lower case"
            )
        else:
            message += _suggest(target, known)
        problems.append(_locate(config, ["jobs", job.name, "frequency"], message))
    return problems


def _suggest(name: str, known: list[str]) -> str:
    close = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
    return f'; did you mean "{close[0]}"?' if close else f"; expected one of: {', '.join(known)}"


def _cycle_problem(config: HuskyConfig, cycle: list[str]) -> Problem:
    """graphlib lists a cycle upstream-first; show it in dependency direction from its
    alphabetically first job: `a -> b -> a` for "a depends on b, b depends on a"."""
    loop = list(reversed(cycle))[:-1]
    start = loop.index(min(loop))
    loop = loop[start:] + loop[:start]
    text = " -> ".join([*loop, loop[0]])
    first, second = loop[0], loop[1 % len(loop)]
    job = config.jobs[first]
    if second in job.depends_on:
        path: list[Key] = ["jobs", first, "depends_on", job.depends_on.index(second)]
    else:
        path = ["jobs", first, "frequency"]
    return _locate(config, path, f"cycle detected: {text}")
