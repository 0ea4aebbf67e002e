"""Loading husky.yaml: read `.env`, parse, check structure, check values, apply defaults.

The order is spec/config.md A1: if the structure is wrong only structural problems are
reported; otherwise every semantic problem is reported at once, sorted as the spec says
(top level, defaults, jobs by name, integrations by name).
"""

from __future__ import annotations

import os
from pathlib import Path

from husky.config.effective import HuskyConfig, build
from husky.config.environ import load_dotenv
from husky.config.jobs import HuskyFileModel
from husky.config.source import load_yaml
from husky.config.structure import check_structure
from husky.config.validate import check_semantics
from husky.errors import ConfigError, Problem

_SECTION_RANK = {"defaults": 1, "jobs": 2, "integrations": 3}


def report_order(problem: Problem) -> tuple[int, str, int, int]:
    head, _, rest = problem.path.partition(".")
    rank = _SECTION_RANK.get(head, 0)
    owner = rest.split(".", 1)[0] if rank >= 2 else ""
    return rank, owner, problem.line, problem.col


def load_config(
    path: Path, *, display: str | None = None, text: str | None = None, read_dotenv: bool = True
) -> HuskyConfig:
    """Load and validate husky.yaml at `path` (or `text` as if it were that file).

    Raises ConfigError listing every problem. `display` is how the file is named in
    messages (the path as the user gave it).
    """
    shown = display or str(path)
    if read_dotenv:
        load_dotenv(path.parent)
    source = load_yaml(path, shown, text)
    model, problems = check_structure(source, HuskyFileModel)
    if model is not None:
        problems = check_semantics(source, model)
    if problems or model is None:
        raise ConfigError(shown, sorted(problems, key=report_order))
    return build(path, model, dict(os.environ), source)
