"""Defaults inheritance, `${env:…}` expansion, `.env` and redaction (spec/config.md A3, A4, A9, I28)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from husky.config.environ import expand, parse_dotenv
from husky.config.load import load_config
from tests.conftest import WriteConfig

CONFIG = """
version: "1"
defaults:
  timeout: 1h
  retries: 2
  retry_delay: fixed:10s
  on_failure: skip
  timezone: Asia/Kolkata
  default_run_time: "0615"
integrations:
  slack:
    webhook_url: ${env:HUSKY_TEST_HOOK}
  mail:
    provider: smtp
    host: ${env:HUSKY_TEST_HOOK}
    from: husky@example.com
    password: hunter2
jobs:
  own:
    description: own values
    frequency: daily
    time: "0200"
    command: echo $TOKEN
    timeout: 5m
    retries: 0
    retry_delay: exponential
    on_failure: ignore
    timezone: Europe/London
    env:
      TOKEN: ${env:HUSKY_TEST_TOKEN}
      MIXED: pre-${env:HUSKY_TEST_TOKEN}-post
      PLAIN: ${env:HUSKY_TEST_UNSET}
      LITERAL: "{{ outputs.x.y }}"
  inherits:
    description: inherits
    frequency: on:[friday]
    command: echo
    healthcheck:
      command: "true"
  bare:
    description: no time
    frequency: weekdays
    command: ${env:HUSKY_TEST_TOKEN}
"""


@pytest.fixture
def environ(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HUSKY_TEST_TOKEN", "s3cret")
    monkeypatch.setenv("HUSKY_TEST_HOOK", "https://hooks.example/x")
    monkeypatch.delenv("HUSKY_TEST_UNSET", raising=False)


@pytest.mark.usefixtures("environ")
def test_job_values_win_over_defaults(write_config: WriteConfig) -> None:
    job = load_config(write_config(CONFIG)).jobs["own"]
    assert (job.timeout, job.retries, job.retry_delay, job.on_failure, job.timezone) == (
        timedelta(minutes=5),
        0,
        "exponential",
        "ignore",
        "Europe/London",
    )
    assert job.schedule.time == (2, 0)
    assert str(job.schedule.zone) == "Europe/London"


@pytest.mark.usefixtures("environ")
def test_defaults_are_inherited(write_config: WriteConfig) -> None:
    job = load_config(write_config(CONFIG)).jobs["inherits"]
    assert (job.timeout_text, job.retries, job.retry_delay, job.on_failure, job.timezone) == (
        "1h",
        2,
        "fixed:10s",
        "skip",
        "Asia/Kolkata",
    )
    assert job.time == "0615"  # defaults.default_run_time fills day-list forms
    assert job.concurrency == "allow"
    assert job.healthcheck is not None
    assert (job.healthcheck.timeout, job.healthcheck.on_fail) == (
        timedelta(seconds=30),
        "mark_failed",
    )


def test_builtin_defaults(write_config: WriteConfig) -> None:
    text = 'version: "1"\njobs:\n  j:\n    description: d\n    frequency: weekly\n    command: c\n'
    job = load_config(write_config(text)).jobs["j"]
    assert (job.time, job.timeout_text, job.retries, job.retry_delay, job.on_failure) == (
        "0300",
        "30m",
        None,
        "exponential",
        "alert",
    )


@pytest.mark.usefixtures("environ")
def test_env_is_expanded_only_where_the_spec_says(write_config: WriteConfig) -> None:
    config = load_config(write_config(CONFIG))
    env = config.jobs["own"].env
    assert env == {
        "TOKEN": "s3cret",
        "MIXED": "pre-s3cret-post",
        "PLAIN": "",
        "LITERAL": "{{ outputs.x.y }}",
    }
    assert config.jobs["bare"].command == "${env:HUSKY_TEST_TOKEN}"
    assert config.integrations["slack"].webhook_url == "https://hooks.example/x"
    assert config.integrations["mail"].host == "${env:HUSKY_TEST_HOOK}"
    assert config.integrations["mail"].port == 587


@pytest.mark.usefixtures("environ")
def test_config_dict_redacts_secrets_unless_asked(write_config: WriteConfig) -> None:
    config = load_config(write_config(CONFIG))
    shown = config.to_dict()
    assert shown["jobs"]["own"]["env"]["TOKEN"] == "***"
    assert shown["jobs"]["own"]["env"]["LITERAL"] == "{{ outputs.x.y }}"
    assert shown["integrations"]["slack"]["webhook_url"] == "***"
    assert shown["integrations"]["mail"]["password"] == "***"
    assert "s3cret" not in repr(shown) and "hunter2" not in repr(shown)
    revealed = config.to_dict(show_secrets=True)
    assert revealed["jobs"]["own"]["env"]["TOKEN"] == "s3cret"
    assert revealed["integrations"]["mail"]["password"] == "hunter2"
    assert config.jobs["own"].to_dict(redact="all")["env"]["LITERAL"] == "***"


@pytest.mark.usefixtures("environ")
def test_job_dict_has_api_shape(write_config: WriteConfig) -> None:
    job = load_config(write_config(CONFIG)).jobs["inherits"].to_dict()
    assert list(job) == [
        "name",
        "description",
        "frequency",
        "time",
        "command",
        "working_dir",
        "depends_on",
        "timeout",
        "retries",
        "retry_delay",
        "concurrency",
        "on_failure",
        "env",
        "notify",
        "catchup",
        "sla",
        "tags",
        "timezone",
        "healthcheck",
        "output",
    ]
    assert job["notify"] is None and job["env"] == {} and job["sla"] == ""
    assert job["healthcheck"] == {"command": "true", "timeout": "30s", "on_fail": "mark_failed"}


def test_env_required_check_happens_before_expansion(
    write_config: WriteConfig, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("HUSKY_TEST_UNSET", raising=False)
    text = 'version: "1"\nintegrations:\n  slack:\n    webhook_url: ${env:HUSKY_TEST_UNSET}\n'
    text += "jobs:\n  j:\n    description: d\n    frequency: manual\n    command: c\n"
    assert load_config(write_config(text)).integrations["slack"].webhook_url == ""


def test_dotenv_sets_only_absent_variables(
    write_config: WriteConfig, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HUSKY_TEST_KEEP", "from-process")
    monkeypatch.delenv("HUSKY_TEST_NEW", raising=False)
    text = 'version: "1"\njobs:\n  j:\n    description: d\n    frequency: manual\n    command: c\n'
    text += "    env:\n      A: ${env:HUSKY_TEST_NEW}\n      B: ${env:HUSKY_TEST_KEEP}\n"
    path = write_config(text, __env="HUSKY_TEST_NEW='from file'\nHUSKY_TEST_KEEP=from-file\n")
    assert load_config(path).jobs["j"].env == {"A": "from file", "B": "from-process"}


def test_dotenv_grammar() -> None:
    text = """
    # comment
    A=1
      B = two words
    C="quoted = value"
    D='single'
    E="mismatched'
    no equals here
    export F=x
    =nokey
    G==x
    """
    assert parse_dotenv(text) == {
        "A": "1",
        "B": "two words",
        "C": "quoted = value",
        "D": "single",
        "E": "\"mismatched'",
        "export F": "x",
        "G": "=x",
    }


def test_expand_ignores_bad_names() -> None:
    assert expand("${env:1X}-${env:OK}-${env:}", {"OK": "y"}) == "${env:1X}-y-${env:}"


def test_without_source_keeps_everything_but_the_parsed_yaml(write_config: WriteConfig) -> None:
    config = load_config(write_config(CONFIG))
    assert config.source is not None and config.source.marks
    kept = config.without_source()
    assert kept.source is None
    assert kept == config  # the source takes no part in equality
    assert kept.jobs is config.jobs and kept.integrations is config.integrations
    assert kept.to_dict() == config.to_dict()
