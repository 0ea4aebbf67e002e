"""husky.dag: edges from depends_on and after:, lexicographic topological order, cycles."""

from __future__ import annotations

from pathlib import Path

import pytest

from husky.config.load import load_config
from husky.dag import build_dag
from husky.errors import DagError
from tests.conftest import WriteConfig


def jobs_yaml(**jobs: str) -> str:
    """`name="frequency[;dep,dep]"` → a husky.yaml with those jobs."""
    lines = ['version: "1"', "jobs:"]
    for name, spec in jobs.items():
        frequency, _, deps = spec.partition(";")
        lines += [
            f"  {name}:",
            "    description: x",
            f"    frequency: {frequency}",
            "    command: x",
        ]
        if deps:
            lines.append(f"    depends_on: [{deps}]")
    return "\n".join(lines) + "\n"


def dag_of(write_config: WriteConfig, **jobs: str) -> tuple[list[str], dict[str, list[str]]]:
    dag = build_dag(load_config(write_config(jobs_yaml(**jobs))))
    return dag.order, dag.upstreams


def dag_error(write_config: WriteConfig, **jobs: str) -> str:
    path: Path = write_config(jobs_yaml(**jobs))
    with pytest.raises(DagError) as info:
        build_dag(load_config(path, display="husky.yaml"))
    return info.value.report()


def test_edges_come_from_depends_on_and_after(write_config: WriteConfig) -> None:
    order, ups = dag_of(write_config, a="manual", b="after:a", c="manual;b,a", d="manual;")
    assert ups == {"a": [], "b": ["a"], "c": ["a", "b"], "d": []}
    assert order == ["a", "b", "c", "d"]


def test_order_is_lexicographically_smallest(write_config: WriteConfig) -> None:
    order, _ = dag_of(write_config, z="manual", y="after:z", a="manual;y", m="manual")
    assert order == ["m", "z", "y", "a"]


def test_duplicate_and_empty_depends_on_are_ignored(write_config: WriteConfig) -> None:
    _, ups = dag_of(write_config, a="manual", b='after:a;a,a,""')
    assert ups["b"] == ["a"]


def test_two_job_cycle_text(write_config: WriteConfig) -> None:
    report = dag_error(write_config, a="manual;b", b="manual;a")
    assert report.startswith("dag: cycle detected: a -> b -> a (husky.yaml:")


def test_cycle_prints_whole_loop_from_first_job(write_config: WriteConfig) -> None:
    report = dag_error(write_config, c="after:b", a="after:c", b="manual;a", x="manual")
    assert "cycle detected: a -> c -> b -> a" in report


def test_after_self_is_a_cycle(write_config: WriteConfig) -> None:
    report = dag_error(write_config, x="after:x")
    assert "cycle detected: x -> x" in report
    assert "jobs.x.frequency" in report


def test_unknown_upstreams_are_their_own_error(write_config: WriteConfig) -> None:
    report = dag_error(write_config, load="manual;extrct", extract="manual", pub="after:reprot")
    lines = report.splitlines()
    assert lines[0].startswith(
        'dag: job "load" depends on unknown job "extrct"; did you mean "extract"?'
    )
    assert lines[1].startswith('dag: job "pub" runs after unknown job "reprot"')
    assert "cycle" not in report


def test_after_target_is_lower_cased(write_config: WriteConfig) -> None:
    report = dag_error(write_config, Extract="manual", load="after:Extract")
    assert 'job "Extract" cannot be one' in report


def test_dag_nodes_shape(write_config: WriteConfig) -> None:
    dag = build_dag(load_config(write_config(jobs_yaml(a="manual", b="after:a;c", c="manual"))))
    assert dag.nodes() == [
        {"name": "a", "dependencies": []},
        {"name": "c", "dependencies": []},
        {"name": "b", "dependencies": ["a", "c"]},
    ]
    assert dag.downstreams("a") == ["b"]
