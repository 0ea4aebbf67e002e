"""How `husky dag` prints a graph, whichever side computed it (husky/cli/schedule_cmds.py)."""

from __future__ import annotations

import json
from typing import Any

from husky.cli.schedule_cmds import render_dag

NODES: list[dict[str, Any]] = [
    {"name": "extract", "dependencies": []},
    {"name": "clean", "dependencies": ["extract"]},
    {"name": "report", "dependencies": ["clean", "extract"]},
]


def test_text_lists_upstreams_after_an_arrow() -> None:
    assert render_dag(NODES).splitlines() == [
        "extract",
        "clean  ←  [extract]",
        "report  ←  [clean, extract]",
    ]


def test_json_is_the_nodes_indented_by_two() -> None:
    text = render_dag(NODES, as_json=True)
    assert json.loads(text) == NODES
    assert text.splitlines()[1] == "  {"
