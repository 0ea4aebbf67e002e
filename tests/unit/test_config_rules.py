"""Every husky.yaml rule of spec/config.md (A1–A12, with I13/I16): one case each.

Each case writes a config that breaks exactly one rule and asserts the located problem:
the key path and the spec's key phrase.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from husky.config.load import load_config
from husky.errors import ConfigError, Problem

JOB = """\
    description: A job
    frequency: daily
    time: "0200"
    command: echo hi
"""


def load_problems(tmp_path: Path, text: str) -> list[Problem]:
    path = tmp_path / "husky.yaml"
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_config(path, display="husky.yaml")
    return info.value.problems


def with_job(extra: str = "", job: str = JOB, top: str = "") -> str:
    body = textwrap.indent(textwrap.dedent(job) + textwrap.dedent(extra), "    ")
    return f'version: "1"\n{top}jobs:\n  a:\n{body}'


# (id, config text, expected path, phrase that must appear in the message)
CASES = [
    (
        "version-string",
        "version: 1\njobs:\n  a:\n" + textwrap.indent(JOB, "  "),
        "version",
        "must be a string",
    ),
    (
        "version-1",
        with_job().replace('"1"', '"2"', 1),
        "version",
        'unsupported version "2"; only "1" is valid',
    ),
    (
        "version-required",
        "jobs:\n  a:\n" + textwrap.indent(JOB, "  "),
        "version",
        "field is required",
    ),
    ("jobs-required", 'version: "1"\n', "jobs", "field is required"),
    ("jobs-empty", 'version: "1"\njobs: {}\n', "jobs", "at least one job must be defined"),
    ("unknown-top", with_job(top="job: {}\n"), "job", 'unknown field "job"; did you mean "jobs"?'),
    ("unknown-job-key", with_job("comand: x\n"), "jobs.a.comand", 'did you mean "command"?'),
    ("unknown-far-key", with_job("zzz: x\n"), "jobs.a.zzz", "expected one of: description"),
    (
        "description-required",
        with_job(job=JOB.replace("    description: A job\n", "")),
        "jobs.a.description",
        "field is required",
    ),
    (
        "description-blank",
        with_job(job=JOB.replace("A job", '"   "')),
        "jobs.a.description",
        "field is required and must not be blank",
    ),
    (
        "command-blank",
        with_job(job=JOB.replace("echo hi", '""')),
        "jobs.a.command",
        "must not be blank",
    ),
    (
        "frequency-required",
        with_job(job=JOB.replace("    frequency: daily\n", "")),
        "jobs.a.frequency",
        "field is required",
    ),
    (
        "frequency-unknown",
        with_job(job=JOB.replace("daily", "yearly")),
        "jobs.a.frequency",
        'unrecognised value "yearly"; accepted: hourly',
    ),
    (
        "time-required-daily",
        with_job(job=JOB.replace('    time: "0200"\n', "")),
        "jobs.a.time",
        'field is required when frequency is "daily"',
    ),
    (
        "time-required-monthly",
        with_job(job=JOB.replace('    time: "0200"\n', "").replace("daily", "monthly")),
        "jobs.a.time",
        'field is required when frequency is "monthly"',
    ),
    (
        "time-forbidden-hourly",
        with_job(job=JOB.replace("daily", "hourly")),
        "jobs.a.time",
        'field is ignored when frequency is "hourly" and should be removed',
    ),
    (
        "time-forbidden-every",
        with_job(job=JOB.replace("daily", "every:5m")),
        "jobs.a.time",
        'field is ignored when frequency is "every:5m"',
    ),
    (
        "time-forbidden-manual",
        with_job(job=JOB.replace("daily", "manual")),
        "jobs.a.time",
        "should be removed",
    ),
    ("time-string", with_job(job=JOB.replace('"0200"', "0200")), "jobs.a.time", 'quote it: "0200"'),
    (
        "time-length",
        with_job(job=JOB.replace('"0200"', '"200"')),
        "jobs.a.time",
        "must be exactly 4 characters",
    ),
    (
        "time-digits",
        with_job(job=JOB.replace('"0200"', '"2a00"')),
        "jobs.a.time",
        "must contain only digits",
    ),
    (
        "time-hour",
        with_job(job=JOB.replace('"0200"', '"2500"')),
        "jobs.a.time",
        "hour 25 is out of range (00-23)",
    ),
    (
        "time-minute",
        with_job(job=JOB.replace('"0200"', '"1260"')),
        "jobs.a.time",
        "minute 60 is out of range (00-59)",
    ),
    (
        "timezone",
        with_job("timezone: Mars/Olympus\n"),
        "jobs.a.timezone",
        "unknown IANA timezone identifier",
    ),
    (
        "timezone-case",
        with_job("timezone: europe/berlin\n"),
        "jobs.a.timezone",
        'did you mean "Europe/Berlin"?',
    ),
    (
        "depends-self",
        with_job("depends_on: [a]\n"),
        "jobs.a.depends_on[0]",
        'job "a" cannot depend on itself',
    ),
    ("depends-list", with_job("depends_on: b\n"), "jobs.a.depends_on", "must be a list"),
    ("timeout-invalid", with_job("timeout: soon\n"), "jobs.a.timeout", 'invalid duration "soon"'),
    ("timeout-zero", with_job("timeout: 0s\n"), "jobs.a.timeout", "must be greater than 0"),
    ("retries-negative", with_job("retries: -1\n"), "jobs.a.retries", "greater than or equal to 0"),
    ("retries-int", with_job('retries: "3"\n'), "jobs.a.retries", "must be an integer"),
    (
        "retry-delay-form",
        with_job("retry_delay: linear\n"),
        "jobs.a.retry_delay",
        'must be "exponential" or "fixed:<duration>"',
    ),
    (
        "retry-delay-duration",
        with_job("retry_delay: fixed:soon\n"),
        "jobs.a.retry_delay",
        "has invalid duration",
    ),
    (
        "concurrency",
        with_job("concurrency: queue\n"),
        "jobs.a.concurrency",
        "expected one of allow, forbid, replace",
    ),
    (
        "on-failure",
        with_job("on_failure: panic\n"),
        "jobs.a.on_failure",
        "one of alert, skip, stop, ignore",
    ),
    (
        "env-string",
        with_job("env:\n  PORT: 8080\n"),
        "jobs.a.env.PORT",
        "must be a string, got number 8080; quote it",
    ),
    ("env-map", with_job("env: [a]\n"), "jobs.a.env", "must be a mapping"),
    ("catchup-bool", with_job('catchup: "yes"\n'), "jobs.a.catchup", "must be true or false"),
    ("sla-invalid", with_job("sla: fast\n"), "jobs.a.sla", "invalid duration"),
    (
        "sla-vs-own-timeout",
        with_job("timeout: 10m\nsla: 10m\n"),
        "jobs.a.sla",
        'sla "10m" must be less than timeout "10m"',
    ),
    (
        "sla-vs-default-timeout",
        with_job("sla: 2h\n", top="defaults:\n  timeout: 1h\n"),
        "jobs.a.sla",
        'sla "2h" must be less than timeout "1h"',
    ),
    (
        "sla-vs-builtin-timeout",
        with_job("sla: 45m\n"),
        "jobs.a.sla",
        'must be less than timeout "30m"',
    ),
    (
        "tags-too-many",
        with_job("tags: [a, b, c, d, e, f, g, h, i, j, k]\n"),
        "jobs.a.tags",
        "too many tags",
    ),
    (
        "tags-length",
        with_job(f"tags: [{'x' * 33}]\n"),
        "jobs.a.tags[0]",
        "exceeds maximum length of 32 characters",
    ),
    (
        "tags-pattern",
        with_job("tags: [Nightly]\n"),
        "jobs.a.tags[0]",
        "tags must be lowercase alphanumeric with hyphens",
    ),
    ("tags-leading-hyphen", with_job("tags: [-x]\n"), "jobs.a.tags[0]", "lowercase alphanumeric"),
    ("tags-duplicate", with_job("tags: [etl, etl]\n"), "jobs.a.tags[1]", 'duplicate tag "etl"'),
    ("tags-string", with_job("tags: [1]\n"), "jobs.a.tags[0]", "must be a string"),
    (
        "notify-unknown-key",
        with_job("notify:\n  on_fail: slack\n"),
        "jobs.a.notify.on_fail",
        'did you mean "on_failure"?',
    ),
    (
        "notify-object-key",
        with_job("notify:\n  on_failure:\n    chanel: slack\n"),
        "jobs.a.notify.on_failure.chanel",
        'did you mean "channel"?',
    ),
    (
        "notify-channel-required",
        with_job("notify:\n  on_failure:\n    message: hi\n"),
        "jobs.a.notify.on_failure.channel",
        "field is required",
    ),
    (
        "notify-only-after-failure-bool",
        with_job("notify:\n  on_success:\n    channel: s\n    only_after_failure: 1\n"),
        "jobs.a.notify.on_success.only_after_failure",
        "must be true or false",
    ),
    (
        "notify-include-healthcheck-bool",
        with_job("notify:\n  on_failure:\n    channel: s\n    include_healthcheck: yes please\n"),
        "jobs.a.notify.on_failure.include_healthcheck",
        "must be true or false",
    ),
    (
        "notify-template-variable",
        with_job("notify:\n  on_failure:\n    channel: s\n    message: '{{ run.colour }}'\n"),
        "jobs.a.notify.on_failure.message",
        'unknown template variable "run.colour"',
    ),
    (
        "healthcheck-command",
        with_job("healthcheck:\n  timeout: 5s\n"),
        "jobs.a.healthcheck.command",
        "field is required when healthcheck block is present",
    ),
    (
        "healthcheck-blank",
        with_job("healthcheck:\n  command: ' '\n"),
        "jobs.a.healthcheck.command",
        "field is required when healthcheck block is present",
    ),
    (
        "healthcheck-timeout",
        with_job("healthcheck:\n  command: x\n  timeout: 5\n"),
        "jobs.a.healthcheck.timeout",
        "must be a string",
    ),
    (
        "healthcheck-timeout-duration",
        with_job("healthcheck:\n  command: x\n  timeout: 5d\n"),
        "jobs.a.healthcheck.timeout",
        "invalid duration",
    ),
    (
        "healthcheck-on-fail",
        with_job("healthcheck:\n  command: x\n  on_fail: ignore\n"),
        "jobs.a.healthcheck.on_fail",
        "mark_failed, warn_only",
    ),
    (
        "output-mode",
        with_job("output:\n  v: middle_line\n"),
        "jobs.a.output.v",
        "unrecognised output capture mode",
    ),
    (
        "output-blank-var",
        with_job("output:\n  ' ': last_line\n"),
        "jobs.a.output. ",
        "variable name must not be blank",
    ),
    (
        "output-json-key",
        with_job("output:\n  v: 'json_field: '\n"),
        "jobs.a.output.v",
        "json_field needs a key",
    ),
    (
        "output-regex-blank",
        with_job("output:\n  v: 'regex:'\n"),
        "jobs.a.output.v",
        "regex needs a pattern",
    ),
    (
        "output-regex-compile",
        with_job("output:\n  v: regex:(\n"),
        "jobs.a.output.v",
        "does not compile",
    ),
    ("output-string", with_job("output:\n  v: 1\n"), "jobs.a.output.v", "must be a string"),
    (
        "defaults-unknown",
        with_job(top="defaults:\n  retry: 2\n"),
        "defaults.retry",
        'did you mean "retries"?',
    ),
    (
        "defaults-on-failure",
        with_job(top="defaults:\n  on_failure: bogus\n"),
        "defaults.on_failure",
        "one of alert, skip, stop, ignore",
    ),
    (
        "defaults-timezone",
        with_job(top="defaults:\n  timezone: Nowhere\n"),
        "defaults.timezone",
        "unknown IANA timezone identifier",
    ),
    (
        "defaults-run-time",
        with_job(top='defaults:\n  default_run_time: "9am"\n'),
        "defaults.default_run_time",
        "must be exactly 4 characters",
    ),
    (
        "defaults-retry-delay",
        with_job(top="defaults:\n  retry_delay: sometimes\n"),
        "defaults.retry_delay",
        'must be "exponential" or "fixed:<duration>"',
    ),
    (
        "defaults-notify-bool",
        with_job(top="defaults:\n  notify_on_failure: maybe\n"),
        "defaults.notify_on_failure",
        "must be true or false",
    ),
    (
        "integration-provider",
        with_job(top="integrations:\n  chat:\n    provider: teams\n    webhook_url: x\n"),
        "integrations.chat.provider",
        'unsupported provider "teams"',
    ),
    (
        "integration-provider-from-name",
        with_job(top="integrations:\n  chat:\n    webhook_url: x\n"),
        "integrations.chat",
        'set the "provider" field explicitly',
    ),
    (
        "integration-webhook",
        with_job(top="integrations:\n  slack:\n    host: x\n"),
        "integrations.slack.webhook_url",
        'field is required for provider "slack"',
    ),
    (
        "integration-routing-key",
        with_job(top="integrations:\n  pd:\n    provider: pagerduty\n"),
        "integrations.pd.routing_key",
        'field is required for provider "pagerduty"',
    ),
    (
        "integration-smtp-from",
        with_job(top="integrations:\n  smtp:\n    host: mail\n"),
        "integrations.smtp.from",
        'field is required for provider "smtp"',
    ),
    (
        "integration-port",
        with_job(top="integrations:\n  smtp:\n    host: m\n    from: a@b\n    port: 70000\n"),
        "integrations.smtp.port",
        "less than or equal to 65535",
    ),
    (
        "integration-unknown-key",
        with_job(top="integrations:\n  slack:\n    webhook: x\n"),
        "integrations.slack.webhook",
        'did you mean "webhook_url"?',
    ),
]


@pytest.mark.parametrize(
    ("text", "path", "phrase"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_rule(tmp_path: Path, text: str, path: str, phrase: str) -> None:
    problems = load_problems(tmp_path, text)
    assert [(p.path, phrase in p.message) for p in problems] == [(path, True)], problems
    assert problems[0].line > 0


def test_problems_carry_line_and_column(tmp_path: Path) -> None:
    [problem] = load_problems(tmp_path, with_job("concurrency: queue\n"))
    assert (problem.line, problem.col) == (8, 18)
    assert str(problem).startswith("husky.yaml:8:18: jobs.a.concurrency: ")


def test_missing_field_points_at_the_job(tmp_path: Path) -> None:
    [problem] = load_problems(tmp_path, with_job(job=JOB.replace("    command: echo hi\n", "")))
    assert (problem.line, problem.col) == (3, 3)


def test_structural_errors_hide_semantic_ones(tmp_path: Path) -> None:
    text = with_job("retries: x\nconcurrency: queue\n")
    assert [p.path for p in load_problems(tmp_path, text)] == ["jobs.a.retries"]


def test_all_semantic_errors_reported_in_spec_order(tmp_path: Path) -> None:
    text = """
    version: "1"
    integrations:
      zed: {provider: nope}
      slack: {}
    jobs:
      zulu:
        description: z
        frequency: yearly
        command: x
      alpha:
        description: a
        frequency: daily
        command: x
        concurrency: queue
    defaults:
      on_failure: bogus
    """
    paths = [p.path for p in load_problems(tmp_path, text)]
    assert paths == [
        "defaults.on_failure",
        "jobs.alpha.time",
        "jobs.alpha.concurrency",
        "jobs.zulu.frequency",
        "integrations.slack.webhook_url",
        "integrations.zed.provider",
    ]


def test_yaml_syntax_error_is_a_single_located_problem(tmp_path: Path) -> None:
    [problem] = load_problems(tmp_path, 'version: "1"\njobs: [a\n')
    assert problem.message.startswith("yaml parse error:")
    assert problem.line == 3


def test_duplicate_keys_are_rejected(tmp_path: Path) -> None:
    [problem] = load_problems(tmp_path, with_job() + "  a:\n" + textwrap.indent(JOB, "  "))
    assert "duplicate key" in problem.message


@pytest.mark.parametrize("text", ["", "# only a comment\n"])
def test_empty_document(tmp_path: Path, text: str) -> None:
    [problem] = load_problems(tmp_path, text)
    assert str(problem).endswith("(document): file is empty or contains only comments")


def test_top_level_must_be_a_mapping(tmp_path: Path) -> None:
    [problem] = load_problems(tmp_path, "- a\n- b\n")
    assert "must be a mapping" in problem.message


def test_report_header_counts_problems(tmp_path: Path) -> None:
    path = tmp_path / "husky.yaml"
    path.write_text(with_job("concurrency: queue\non_failure: panic\n"), encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_config(path, display="husky.yaml")
    lines = info.value.report().splitlines()
    assert lines[0] == "husky.yaml has 2 validation error(s):"
    assert lines[1].startswith("  • husky.yaml:8:")
