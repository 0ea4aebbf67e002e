"""husky.notify.message: template variables (notifications.md §4, I16), the default message,
`attach_logs` (§5); and husky.notify.hooks: which hook answers an event (§2)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from husky.config.effective import HuskyConfig
from husky.config.load import load_config
from husky.models import Run, RunStatus, Trigger
from husky.notify.base import NotifyEvent
from husky.notify.hooks import hook_for, needs_previous_run, suppressed
from husky.notify.message import (
    MAX_ATTACHED_LINES,
    OMITTED,
    LogRequest,
    attach_request,
    attached,
    compose,
    render,
    variables,
    with_logs,
)
from tests.conftest import WriteConfig

CONFIG = """
version: "1"
integrations:
  slack:
    webhook_url: https://hooks.example/x
jobs:
  etl:
    description: Nightly ETL
    frequency: every:15m
    command: "true"
    retries: 1
    sla: 90s
    timezone: Europe/Berlin
    tags: [etl, nightly]
    notify:
      on_failure:
        channel: slack:#ops
        message: "{{ job.name }} failed"
        attach_logs: last_2_lines
      on_success:
        channel: slack:#ops
        only_after_failure: true
        include_healthcheck: true
      on_retry: "  "
  plain:
    description: no notify
    frequency: manual
    command: "true"
  sla_only:
    description: own sla hook
    frequency: manual
    command: "true"
    notify:
      on_failure: slack:#fail
      on_sla_breach: slack:#sla
"""
T0 = datetime(2026, 6, 1, 12, 0, 0, 250000, tzinfo=UTC)


@pytest.fixture
def config(write_config: WriteConfig) -> HuskyConfig:
    return load_config(write_config(CONFIG))


def a_run(**overrides: Any) -> Run:
    run = Run(
        id=42,
        job_name="etl",
        status=RunStatus.FAILED,
        status_reason="exit code 3",
        attempt=1,
        trigger=Trigger.MANUAL,
        triggered_by="cli",
        reason=None,
        started_at=T0,
        finished_at=T0 + timedelta(seconds=83, milliseconds=500),
        exit_code=3,
        sla_breached=False,
        hc_status=None,
        created_at=T0,
    )
    return replace(run, **overrides)


# -- variables and rendering -------------------------------------------------------------


def test_every_variable_of_the_spec_and_i16(config: HuskyConfig) -> None:
    values = variables(config.jobs["etl"], a_run(reason="nightly"), T0 + timedelta(hours=1))
    assert values == {
        "job.name": "etl",
        "job.description": "Nightly ETL",
        "job.frequency": "every:15m",
        "job.retries": "1",
        "job.tags": "[etl nightly]",
        "job.sla": "90s",
        "job.timezone": "Europe/Berlin",
        "run.id": "42",
        "run.status": "FAILED",
        "run.attempt": "1",
        "run.trigger": "manual",
        "run.reason": "nightly",
        "run.sla_breached": "false",
        "run.duration": "1m23.5s",
        "run.elapsed": "1m23.5s",
        "run.exit_code": "3",
        "run.started_at": "2026-06-01T12:00:00.250Z",
    }


def test_a_running_run_has_elapsed_but_no_duration_or_exit_code(config: HuskyConfig) -> None:
    running = a_run(status=RunStatus.RUNNING, finished_at=None, exit_code=None, sla_breached=True)
    values = variables(config.jobs["plain"], running, T0 + timedelta(seconds=95))
    assert (values["run.duration"], values["run.elapsed"], values["run.exit_code"]) == (
        "",
        "1m35s",
        "",
    )
    assert values["run.sla_breached"] == "true"
    assert (values["job.retries"], values["job.tags"], values["job.sla"]) == ("0", "[]", "")


def test_a_pending_run_has_no_times() -> None:
    values = {"run.started_at": "", "run.elapsed": ""}
    assert render("[{{ run.started_at }}|{{run.elapsed}}]", values) == "[|]"


def test_render_accepts_the_three_spellings_and_keeps_other_text() -> None:
    values = {"job.name": "etl", "run.attempt": "2"}
    text = "  {{ job.name }}/{{job.name}}/{{ .job.name }} #{{ run.attempt }} {% raw %} {{ x }}  "
    assert render(text, values) == "etl/etl/etl #2 {% raw %} {{ x }}"
    assert render("{{ run.nope }}", values) == "<no value>"


def test_compose_uses_the_default_for_a_blank_message(config: HuskyConfig) -> None:
    job = config.jobs["etl"]
    assert compose("on_failure", "  ", job, a_run(), T0) == "[on_failure] job etl status=FAILED"
    retry = a_run(status=RunStatus.RETRYING, attempt=2)
    template = "attempt={{ run.attempt }} retries={{ job.retries }} status={{ run.status }}"
    assert compose("on_retry", template, job, retry, T0) == "attempt=2 retries=1 status=RETRYING"


# -- attach_logs -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", None),
        ("none", None),
        ("  ALL ", LogRequest(MAX_ATTACHED_LINES, everything=True)),
        ("last_5_lines", LogRequest(5)),
        (" Last_1_Lines", LogRequest(1)),
        ("last_0_lines", None),
        ("last_x_lines", None),
        ("last_5", None),
        ("tail", None),
        ("last_99999999_lines", LogRequest(MAX_ATTACHED_LINES)),
    ],
)
def test_attach_request(text: str, expected: LogRequest | None) -> None:
    assert attach_request(text) == expected


def test_attached_keeps_the_newest_lines() -> None:
    assert attached(LogRequest(2), ["a", "b", "c"]) == ["b", "c"]
    assert attached(LogRequest(5), ["a", "b"]) == ["a", "b"]
    # `all` beyond the bound says that older lines were left out
    assert attached(LogRequest(2, everything=True), ["a", "b", "c"]) == [OMITTED, "b", "c"]
    assert attached(LogRequest(3, everything=True), ["a", "b", "c"]) == ["a", "b", "c"]


def test_with_logs_appends_a_block_and_trims_trailing_whitespace() -> None:
    assert with_logs("msg", []) == "msg"
    assert with_logs("msg", ["one", "two  ", ""]) == "msg\n\nAttached logs:\none\ntwo"


# -- hooks -------------------------------------------------------------------------------


def test_hook_selection(config: HuskyConfig) -> None:
    etl, plain, sla_only = (config.jobs[n] for n in ("etl", "plain", "sla_only"))
    failure = hook_for(etl, NotifyEvent.ON_FAILURE)
    assert failure is not None and failure.attach_logs == "last_2_lines"
    assert hook_for(etl, NotifyEvent.ON_SLA_BREACH) == failure  # falls back to on_failure
    assert hook_for(etl, NotifyEvent.ON_RETRY) is None  # blank channel
    assert hook_for(plain, NotifyEvent.ON_FAILURE) is None  # no notify at all
    own = hook_for(sla_only, NotifyEvent.ON_SLA_BREACH)
    assert own is not None and own.channel == "slack:#sla"
    assert hook_for(sla_only, NotifyEvent.ON_SUCCESS) is None


def test_only_after_failure(config: HuskyConfig) -> None:
    success = hook_for(config.jobs["etl"], NotifyEvent.ON_SUCCESS)
    assert success is not None and needs_previous_run(success, NotifyEvent.ON_SUCCESS)
    failure = hook_for(config.jobs["etl"], NotifyEvent.ON_FAILURE)
    assert failure is not None and not needs_previous_run(failure, NotifyEvent.ON_FAILURE)
    assert suppressed(None)  # no previous completed run
    assert suppressed(a_run(status=RunStatus.SUCCESS))
    assert suppressed(a_run(status=RunStatus.SKIPPED))
    assert not suppressed(a_run(status=RunStatus.FAILED))


def test_include_healthcheck_shows_in_the_job_shape_only_when_set(config: HuskyConfig) -> None:
    notify = config.jobs["etl"].to_dict()["notify"]
    assert notify["on_success"] == {
        "channel": "slack:#ops",
        "message": "",
        "attach_logs": "",
        "only_after_failure": True,
        "include_healthcheck": True,
    }
    assert set(notify["on_failure"]) == {"channel", "message", "attach_logs", "only_after_failure"}
