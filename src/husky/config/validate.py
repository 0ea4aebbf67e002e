"""The semantic pass over husky.yaml (spec/config.md A3–A12 as changed by I13/I16).

Runs only on a structurally valid file and sees each job's own values (defaults are
applied afterwards). Every rule appends a located problem; nothing stops at the first.
"""

from __future__ import annotations

import re
from datetime import timedelta

from husky.config.catalog import missing_fields
from husky.config.jobs import (
    CONCURRENCY_VALUES,
    HEALTHCHECK_ON_FAIL_VALUES,
    NOTIFY_EVENTS,
    ON_FAILURE_VALUES,
    PROVIDERS,
    DefaultsModel,
    HuskyFileModel,
    IntegrationModel,
    JobModel,
)
from husky.config.parse import parse_duration, parse_frequency, parse_hhmm
from husky.config.source import Key, YamlSource
from husky.config.templates import unknown_message_variables
from husky.config.zones import zone
from husky.errors import Problem
from husky.scheduler.frequency import WALL_CLOCK_KINDS, FrequencyKind

DEFAULT_TIMEOUT = "30m"
TAG_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]*$")
MAX_TAGS, MAX_TAG_LENGTH = 10, 32


def _one_of(values: tuple[str, ...]) -> str:
    return "one of " + ", ".join(values)


class Checker:
    """Collects the semantic problems of one husky.yaml."""

    def __init__(self, source: YamlSource, model: HuskyFileModel) -> None:
        self.source = source
        self.model = model
        self.problems: list[Problem] = []

    def add(self, path: list[Key], message: str) -> None:
        self.problems.append(self.source.problem(path, message))

    def run(self) -> list[Problem]:
        m = self.model
        if m.version != "1":
            self.add(["version"], f'unsupported version "{m.version}"; only "1" is valid')
        if not m.jobs:
            self.add(["jobs"], "at least one job must be defined")
        if m.defaults is not None:
            self.check_defaults(m.defaults)
        for name in sorted(m.jobs):
            self.check_job(name, m.jobs[name])
        for name in sorted(m.integrations):
            self.check_integration(name, m.integrations[name])
        return self.problems

    # -- defaults ---------------------------------------------------------------------

    def check_defaults(self, d: DefaultsModel) -> None:
        base: list[Key] = ["defaults"]
        if d.timeout is not None:
            self.positive_duration([*base, "timeout"], d.timeout)
        if d.retry_delay is not None:
            self.retry_delay([*base, "retry_delay"], d.retry_delay)
        if d.on_failure is not None:
            self.enum([*base, "on_failure"], d.on_failure, ON_FAILURE_VALUES)
        if d.timezone is not None:
            self.timezone([*base, "timezone"], d.timezone)
        if d.default_run_time:
            self.hhmm([*base, "default_run_time"], d.default_run_time)

    # -- jobs -------------------------------------------------------------------------

    def check_job(self, name: str, job: JobModel) -> None:
        base: list[Key] = ["jobs", name]
        if not job.description.strip():
            self.add([*base, "description"], "field is required and must not be blank")
        if not job.command.strip():
            self.add([*base, "command"], "field is required and must not be blank")
        self.frequency_and_time(base, job)
        if job.timezone is not None:
            self.timezone([*base, "timezone"], job.timezone)
        for i, upstream in enumerate(job.depends_on):
            if upstream == name:
                self.add([*base, "depends_on", i], f'job "{name}" cannot depend on itself')
        timeout = self.job_timeout(base, job)
        if job.retry_delay is not None:
            self.retry_delay([*base, "retry_delay"], job.retry_delay)
        if job.concurrency is not None:
            self.enum([*base, "concurrency"], job.concurrency, CONCURRENCY_VALUES)
        if job.on_failure is not None:
            self.enum([*base, "on_failure"], job.on_failure, ON_FAILURE_VALUES)
        for key in job.env:
            if not key or "=" in key or "\0" in key:
                self.add(
                    [*base, "env", key], f'invalid variable name "{key}"; expected e.g. DB_URL'
                )
        if job.sla is not None:
            self.sla([*base, "sla"], job.sla, timeout)
        self.tags([*base, "tags"], job.tags)
        if job.notify is not None:
            self.notify([*base, "notify"], job)
        if job.healthcheck is not None:
            hc, hc_base = job.healthcheck, [*base, "healthcheck"]
            if not hc.command.strip():
                self.add(
                    [*hc_base, "command"], "field is required when healthcheck block is present"
                )
            if hc.timeout is not None:
                self.positive_duration([*hc_base, "timeout"], hc.timeout)
            if hc.on_fail is not None:
                self.enum([*hc_base, "on_fail"], hc.on_fail, HEALTHCHECK_ON_FAIL_VALUES)
        for var, mode in job.output.items():
            self.output_mode([*base, "output", var], var, mode)

    def frequency_and_time(self, base: list[Key], job: JobModel) -> None:
        if not job.frequency.strip():
            self.add([*base, "frequency"], "field is required")
            return
        try:
            freq = parse_frequency(job.frequency)
        except ValueError as exc:
            self.add([*base, "frequency"], str(exc))
            return
        written = job.frequency.strip().lower()
        shown = written if freq.kind is not FrequencyKind.ON else "on:[…]"
        if freq.kind in (FrequencyKind.DAILY, FrequencyKind.MONTHLY) and not job.time:
            self.add(
                [*base, "time"],
                f'field is required when frequency is "{shown}"; expected HHMM such as "0300"',
            )
        elif freq.kind not in WALL_CLOCK_KINDS and job.time is not None:
            self.add(
                [*base, "time"],
                f'field is ignored when frequency is "{shown}" and should be removed',
            )
        elif job.time is not None:
            self.hhmm([*base, "time"], job.time)

    def job_timeout(self, base: list[Key], job: JobModel) -> str:
        """Validate the job's own timeout; return the effective one (job → defaults → 30m)."""
        if job.timeout is not None:
            self.positive_duration([*base, "timeout"], job.timeout)
            return job.timeout
        defaults = self.model.defaults
        return defaults.timeout if defaults and defaults.timeout else DEFAULT_TIMEOUT

    def sla(self, path: list[Key], sla: str, timeout: str) -> None:
        sla_value = self.positive_duration(path, sla)
        try:
            timeout_value = parse_duration(timeout)
        except ValueError:
            return
        if sla_value is not None and sla_value >= timeout_value:
            self.add(
                path,
                f'sla "{sla}" must be less than timeout "{timeout}"; '
                "expected a shorter sla (a run is killed at its timeout)",
            )

    def tags(self, path: list[Key], tags: list[str]) -> None:
        if len(tags) > MAX_TAGS:
            self.add(path, f"too many tags ({len(tags)}); expected at most {MAX_TAGS}")
        seen: set[str] = set()
        for i, tag in enumerate(tags):
            if len(tag) > MAX_TAG_LENGTH:
                self.add([*path, i], f'tag "{tag}" exceeds maximum length of 32 characters')
            elif not TAG_PATTERN.match(tag):
                self.add(
                    [*path, i],
                    f'tag "{tag}": tags must be lowercase alphanumeric with hyphens; '
                    f'expected e.g. "{_tagify(tag)}"',
                )
            elif tag in seen:
                self.add([*path, i], f'duplicate tag "{tag}"')
            seen.add(tag)

    def notify(self, path: list[Key], job: JobModel) -> None:
        assert job.notify is not None
        for event in NOTIFY_EVENTS:
            target = getattr(job.notify, event)
            if target is None:
                continue
            for var in unknown_message_variables(target.message):
                self.add(
                    [*path, event, "message"],
                    f'unknown template variable "{var}"; expected job.<name|description|'
                    "frequency|retries|tags|sla|timezone> or run.<id|status|attempt|trigger|"
                    "reason|sla_breached|duration|elapsed|exit_code|started_at>",
                )

    def output_mode(self, path: list[Key], var: str, mode: str) -> None:
        if not var.strip():
            self.add(path, "variable name must not be blank")
        expected = "expected last_line, first_line, exit_code, json_field:<key> or regex:<pattern>"
        if mode in ("last_line", "first_line", "exit_code"):
            return
        if mode.startswith("json_field:"):
            if not mode[len("json_field:") :].strip():
                self.add(path, f"json_field needs a key; {expected}")
            return
        if mode.startswith("regex:"):
            pattern = mode[len("regex:") :]
            if not pattern.strip():
                self.add(path, f"regex needs a pattern; {expected}")
                return
            try:
                re.compile(pattern)
            except re.error as exc:
                self.add(path, f"regex {pattern!r} does not compile: {exc}")
            return
        self.add(path, f'unrecognised output capture mode "{mode}"; {expected}')

    # -- integrations -----------------------------------------------------------------

    def check_integration(self, name: str, integ: IntegrationModel) -> None:
        base: list[Key] = ["integrations", name]
        provider = integ.provider
        if provider is not None:
            if provider not in PROVIDERS:
                self.add(
                    [*base, "provider"],
                    f'unsupported provider "{provider}"; expected {_one_of(PROVIDERS)}',
                )
                return
        elif name in PROVIDERS:
            provider = name
        else:
            self.add(
                base,
                f'cannot tell the provider of "{name}": set the "provider" field explicitly; '
                f"expected {_one_of(PROVIDERS)}",
            )
            return
        for field in missing_fields(provider, integ.model_dump(by_alias=True)):
            self.add([*base, field], f'field is required for provider "{provider}"')

    # -- shared value rules -----------------------------------------------------------

    def positive_duration(self, path: list[Key], text: str) -> timedelta | None:
        try:
            value = parse_duration(text)
        except ValueError as exc:
            self.add(path, str(exc))
            return None
        if value <= timedelta(0):
            self.add(path, f'duration "{text}" must be greater than 0')
            return None
        return value

    def retry_delay(self, path: list[Key], text: str) -> None:
        if text == "exponential":
            return
        if not text.startswith("fixed:"):
            self.add(
                path,
                f'"{text}" must be "exponential" or "fixed:<duration>"; expected e.g. "fixed:30s"',
            )
            return
        try:
            delay = parse_duration(text[len("fixed:") :])
        except ValueError:
            self.add(path, f'"{text}" has invalid duration; expected e.g. "fixed:30s"')
            return
        if delay < timedelta(0):
            self.add(path, f'"{text}" has invalid duration: must not be negative')

    def enum(self, path: list[Key], value: str, allowed: tuple[str, ...]) -> None:
        if value not in allowed:
            self.add(path, f'invalid value "{value}"; expected {_one_of(allowed)}')

    def timezone(self, path: list[Key], name: str) -> None:
        try:
            zone(name)
        except ValueError as exc:
            self.add(path, str(exc))

    def hhmm(self, path: list[Key], text: str) -> None:
        try:
            parse_hhmm(text)
        except ValueError as exc:
            self.add(path, str(exc))


def _tagify(tag: str) -> str:
    return re.sub(r"[^a-z0-9-]+", "-", tag.lower()).strip("-")[:MAX_TAG_LENGTH] or "etl"


def check_semantics(source: YamlSource, model: HuskyFileModel) -> list[Problem]:
    return Checker(source, model).run()
