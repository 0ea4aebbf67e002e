"""The effective husky.yaml: each job with its defaults applied and its values parsed.

Built only from a file that passed both validation passes, so parsing here cannot fail.
This is what the rest of Husky (DAG, scheduler, executor, API) reads.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import timedelta
from functools import cached_property
from pathlib import Path
from typing import Any, Literal

from husky.config.environ import expand, has_env_ref
from husky.config.jobs import NOTIFY_EVENTS, HuskyFileModel, IntegrationModel, JobModel
from husky.config.parse import parse_duration, parse_frequency, parse_hhmm
from husky.config.source import YamlSource
from husky.config.validate import DEFAULT_TIMEOUT
from husky.config.zones import system_zone_name, zone
from husky.scheduler.frequency import WALL_CLOCK_KINDS, Frequency, Schedule

BUILTIN_RUN_TIME = "0300"
SECRET_FIELDS = ("webhook_url", "routing_key", "username", "password")
REDACTED = "***"
Redaction = Literal["all", "env_refs", "none"]


@dataclass(frozen=True)
class NotifyTarget:
    channel: str
    message: str = ""
    attach_logs: str = ""
    only_after_failure: bool = False
    include_healthcheck: bool = False


@dataclass(frozen=True)
class Healthcheck:
    command: str
    timeout: timedelta
    timeout_text: str
    on_fail: str


@dataclass(frozen=True)
class Job:
    """One job as it runs: written values with defaults applied, plus parsed forms."""

    name: str
    description: str
    frequency_text: str
    frequency: Frequency
    command: str
    time: str
    timezone: str
    working_dir: str
    depends_on: tuple[str, ...]
    timeout_text: str
    timeout: timedelta
    retries: int | None
    retry_delay: str
    concurrency: str
    on_failure: str
    env: dict[str, str]
    env_from_environment: frozenset[str]
    notify: dict[str, NotifyTarget] | None
    catchup: bool
    sla_text: str
    sla: timedelta | None
    tags: tuple[str, ...]
    healthcheck: Healthcheck | None
    output: dict[str, str]
    schedule: Schedule

    @cached_property
    def upstreams(self) -> list[str]:
        """`depends_on` ∪ the `after:` target, without blanks or repeats, in written order."""
        names = list(self.depends_on)
        if self.frequency.upstream is not None:
            names.append(self.frequency.upstream)
        return list(dict.fromkeys(n for n in names if n))

    def to_dict(self, *, redact: Redaction = "env_refs") -> dict[str, Any]:
        """The job in the API's Job shape (api.md §5), keys as in husky.yaml.

        `redact` hides env values: "all" (the API), "env_refs" (values that came from
        `${env:…}`, the default for `config show`, I28) or "none" (`--show-secrets`).
        """
        hidden = {"all": set(self.env), "env_refs": self.env_from_environment, "none": set()}
        env = {k: (REDACTED if k in hidden[redact] else v) for k, v in self.env.items()}
        notify = None
        if self.notify is not None:
            notify = {
                event: (None if (t := self.notify.get(event)) is None else _notify_dict(t))
                for event in NOTIFY_EVENTS
            }
        healthcheck = None
        if self.healthcheck is not None:
            hc = self.healthcheck
            healthcheck = {"command": hc.command, "timeout": hc.timeout_text, "on_fail": hc.on_fail}
        return {
            "name": self.name,
            "description": self.description,
            "frequency": self.frequency_text,
            "time": self.time,
            "command": self.command,
            "working_dir": self.working_dir,
            "depends_on": list(self.depends_on),
            "timeout": self.timeout_text,
            "retries": self.retries,
            "retry_delay": self.retry_delay,
            "concurrency": self.concurrency,
            "on_failure": self.on_failure,
            "env": env,
            "notify": notify,
            "catchup": self.catchup,
            "sla": self.sla_text,
            "tags": list(self.tags),
            "timezone": self.timezone,
            "healthcheck": healthcheck,
            "output": dict(self.output),
        }


def _notify_dict(t: NotifyTarget) -> dict[str, Any]:
    out: dict[str, Any] = {
        "channel": t.channel,
        "message": t.message,
        "attach_logs": t.attach_logs,
        "only_after_failure": t.only_after_failure,
    }
    if t.include_healthcheck:  # only when set: the api.md Job shape has the four keys above
        out["include_healthcheck"] = True
    return out


@dataclass(frozen=True)
class Integration:
    name: str
    provider: str
    webhook_url: str = ""
    routing_key: str = ""
    host: str = ""
    port: int = 587
    username: str = ""
    password: str = ""
    from_: str = ""

    def to_dict(self, *, show_secrets: bool = False) -> dict[str, Any]:
        out: dict[str, Any] = {
            "provider": self.provider,
            "webhook_url": self.webhook_url,
            "routing_key": self.routing_key,
            "host": self.host,
            "port": self.port,
            "username": self.username,
            "password": self.password,
            "from": self.from_,
        }
        if not show_secrets:
            for key in SECRET_FIELDS:
                if out[key]:
                    out[key] = REDACTED
        return out


@dataclass(frozen=True)
class HuskyConfig:
    """A loaded, valid husky.yaml."""

    path: Path
    version: str
    defaults: dict[str, Any]
    jobs: dict[str, Job]
    integrations: dict[str, Integration] = field(default_factory=dict)
    source: YamlSource | None = field(default=None, compare=False, repr=False)

    @property
    def directory(self) -> Path:
        return self.path.parent

    def without_source(self) -> HuskyConfig:
        """This config without its parsed YAML (text, plain data, a mark per key), which
        only locates problems while the file is checked: a daemon keeps the rest (for
        10,000 jobs, 13 of 30 MB)."""
        return replace(self, source=None)

    def to_dict(self, *, show_secrets: bool = False) -> dict[str, Any]:
        """The effective config with husky.yaml key names (for `husky config show`)."""
        return {
            "version": self.version,
            "defaults": dict(self.defaults),
            "integrations": {
                n: i.to_dict(show_secrets=show_secrets) for n, i in self.integrations.items()
            },
            "jobs": {
                n: _drop_name(j.to_dict(redact="none" if show_secrets else "env_refs"))
                for n, j in self.jobs.items()
            },
        }


def _drop_name(job: dict[str, Any]) -> dict[str, Any]:
    job.pop("name")
    return job


def build(
    path: Path, model: HuskyFileModel, environ: dict[str, str], source: YamlSource | None = None
) -> HuskyConfig:
    """Apply defaults, parse values and expand `${env:…}` on a validated model."""
    d = model.defaults
    defaults = {
        "timeout": (d.timeout if d else None) or "",
        "retries": d.retries if d else None,
        "retry_delay": (d.retry_delay if d else None) or "",
        "notify_on_failure": bool(d.notify_on_failure) if d else False,
        "on_failure": (d.on_failure if d else None) or "",
        "default_run_time": (d.default_run_time if d else None) or "",
        "timezone": (d.timezone if d else None) or "",
    }
    jobs = {name: _job(name, model.jobs[name], defaults, environ) for name in sorted(model.jobs)}
    integrations = {
        name: _integration(name, model.integrations[name], environ)
        for name in sorted(model.integrations)
    }
    return HuskyConfig(path, model.version, defaults, jobs, integrations, source)


def _job(name: str, j: JobModel, defaults: dict[str, Any], environ: dict[str, str]) -> Job:
    frequency = parse_frequency(j.frequency)
    time = j.time or ""
    if frequency.kind in WALL_CLOCK_KINDS and not time:
        time = defaults["default_run_time"] or BUILTIN_RUN_TIME
    timezone = j.timezone or defaults["timezone"] or system_zone_name()
    timeout_text = j.timeout or defaults["timeout"] or DEFAULT_TIMEOUT
    hc = None
    if j.healthcheck is not None:
        hc_timeout = j.healthcheck.timeout or "30s"
        hc = Healthcheck(
            command=j.healthcheck.command,
            timeout=parse_duration(hc_timeout),
            timeout_text=hc_timeout,
            on_fail=j.healthcheck.on_fail or "mark_failed",
        )
    notify = None
    if j.notify is not None:
        notify = {}
        for event in NOTIFY_EVENTS:
            t = getattr(j.notify, event)
            if t is not None:
                attach = "" if t.attach_logs is None else str(t.attach_logs)
                notify[event] = NotifyTarget(
                    t.channel, t.message, attach, t.only_after_failure, t.include_healthcheck
                )
    schedule = Schedule(
        frequency=frequency,
        zone=zone(timezone),
        time=parse_hhmm(time) if time else None,
    )
    return Job(
        name=name,
        description=j.description,
        frequency_text=j.frequency,
        frequency=frequency,
        command=j.command,
        time=time,
        timezone=timezone,
        working_dir=j.working_dir or "",
        depends_on=tuple(j.depends_on),
        timeout_text=timeout_text,
        timeout=parse_duration(timeout_text),
        retries=j.retries if j.retries is not None else defaults["retries"],
        retry_delay=j.retry_delay or defaults["retry_delay"] or "exponential",
        concurrency=j.concurrency or "allow",
        on_failure=j.on_failure or defaults["on_failure"] or "alert",
        env={k: expand(v, environ) for k, v in j.env.items()},
        env_from_environment=frozenset(k for k, v in j.env.items() if has_env_ref(v)),
        notify=notify,
        catchup=j.catchup,
        sla_text=j.sla or "",
        sla=parse_duration(j.sla) if j.sla else None,
        tags=tuple(j.tags),
        healthcheck=hc,
        output=dict(j.output),
        schedule=schedule,
    )


def _integration(name: str, i: IntegrationModel, environ: dict[str, str]) -> Integration:
    return Integration(
        name=name,
        provider=i.provider or name,
        webhook_url=expand(i.webhook_url or "", environ),
        routing_key=expand(i.routing_key or "", environ),
        host=i.host or "",
        port=i.port or 587,
        username=expand(i.username or "", environ),
        password=expand(i.password or "", environ),
        from_=i.from_ or "",
    )
