"""Checking and writing a proposed husky.yaml (husky/config/candidate.py), and the YAML
reader's refusal of text it cannot parse (husky/config/source.py)."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from husky.config.candidate import check_candidate, write_config
from husky.config.source import MAX_DEPTH
from husky.errors import ConfigError, DagError

VALID = """\
version: "1"
jobs:
  extract:
    description: Extract
    frequency: manual
    command: "true"
  load:
    description: Load
    frequency: after:extract
    command: "true"
"""
CYCLE = VALID.replace("frequency: manual", "frequency: after:load")


def test_valid_text_has_no_problems(tmp_path: Path) -> None:
    assert check_candidate(tmp_path / "husky.yaml", "husky.yaml", VALID) is None


def test_problems_are_located_and_named_as_displayed(tmp_path: Path) -> None:
    text = VALID.replace('command: "true"\n  load', 'command: "  "\n  load')
    problems = check_candidate(tmp_path / "husky.yaml", "conf/husky.yaml", text)
    assert problems is not None
    assert [(p.file, p.path, p.line, p.col) for p in problems.problems] == [
        ("conf/husky.yaml", "jobs.extract.command", 6, 14)
    ]
    assert str(problems).startswith(
        "husky.yaml has 1 validation error(s):\n  • conf/husky.yaml:6:14:"
    )


def test_dag_problems_are_reported_before_saving(tmp_path: Path) -> None:
    problems = check_candidate(tmp_path / "husky.yaml", "husky.yaml", CYCLE)
    assert isinstance(problems, DagError)
    assert "cycle detected: extract -> load -> extract" in str(problems)


def test_dotenv_is_not_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HUSKY_TEST_FROM_DOTENV", raising=False)
    (tmp_path / ".env").write_text("HUSKY_TEST_FROM_DOTENV=1\n")
    assert check_candidate(tmp_path / "husky.yaml", "husky.yaml", VALID) is None
    assert "HUSKY_TEST_FROM_DOTENV" not in os.environ


def test_control_character_is_a_located_parse_error(tmp_path: Path) -> None:
    problems = check_candidate(tmp_path / "husky.yaml", "husky.yaml", 'version: "1"\njobs: \x00\n')
    assert problems is not None
    [problem] = problems.problems
    assert (problem.line, problem.col) == (2, 7)
    assert "unacceptable character #x0000" in problem.message


def test_deep_nesting_is_refused_not_a_crash(tmp_path: Path) -> None:
    text = 'version: "1"\njobs: ' + "[" * 5000 + "]" * 5000
    problems = check_candidate(tmp_path / "husky.yaml", "husky.yaml", text)
    assert problems is not None
    assert f"nested more than {MAX_DEPTH} levels deep" in str(problems)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from("ab:-[]{}\"'#&*!|>\n\t \x00\x07\ufeff\x85é1"), max_size=60))
def test_any_text_gives_a_verdict_never_a_crash(text: str) -> None:
    result = check_candidate(Path("husky.yaml"), "husky.yaml", text)
    assert result is None or isinstance(result, ConfigError)


def test_write_replaces_text_and_keeps_mode(tmp_path: Path) -> None:
    target = tmp_path / "husky.yaml"
    target.write_text("old\n")
    os.chmod(target, 0o640)
    write_config(target, "new ✓\n")
    assert target.read_bytes() == "new ✓\n".encode()
    assert stat.S_IMODE(target.stat().st_mode) == 0o640
    assert sorted(p.name for p in tmp_path.iterdir()) == ["husky.yaml"]


def test_write_through_a_symlink_replaces_the_linked_file(tmp_path: Path) -> None:
    real = tmp_path / "real.yaml"
    real.write_text("old\n")
    link = tmp_path / "husky.yaml"
    link.symlink_to(real)
    write_config(link, "new\n")
    assert link.is_symlink() and real.read_text() == "new\n"


def test_failed_write_leaves_target_and_no_temp_file(tmp_path: Path) -> None:
    target = tmp_path / "husky.yaml"
    target.mkdir()  # os.replace of a file over a directory fails
    with pytest.raises(OSError):
        write_config(target, "new\n")
    assert target.is_dir() and list(target.iterdir()) == []
    assert sorted(p.name for p in tmp_path.iterdir()) == ["husky.yaml"]


def test_lone_surrogate_is_refused_before_touching_the_file(tmp_path: Path) -> None:
    target = tmp_path / "husky.yaml"
    target.write_text("old\n")
    with pytest.raises(UnicodeEncodeError):
        write_config(target, "bad \ud800\n")
    assert target.read_text() == "old\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["husky.yaml"]
