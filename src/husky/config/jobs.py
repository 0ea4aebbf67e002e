"""husky.yaml as written: the structural models (types, required keys, no unknown keys).

These models are the first of two validation passes (spec/config.md A2). They check
shape only; the rules about values live in `validate.py`, and the effective values
(defaults applied) in `effective.py`. They also produce the JSON Schema of
husky.yaml (`husky validate --schema`), so the `json_schema_extra` hints here are
what an editor shows while the file is typed.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, WithJsonSchema
from pydantic.config import JsonDict

ON_FAILURE_VALUES = ("alert", "skip", "stop", "ignore")
CONCURRENCY_VALUES = ("allow", "forbid", "replace")
HEALTHCHECK_ON_FAIL_VALUES = ("mark_failed", "warn_only")
PROVIDERS = ("slack", "pagerduty", "discord", "smtp", "webhook")
NOTIFY_EVENTS = ("on_failure", "on_success", "on_sla_breach", "on_retry")

_DURATION: JsonDict = {"pattern": r"^[+-]?(0|((\d+\.?\d*|\.\d+)(ns|us|µs|μs|ms|s|m|h))+)$"}
_RETRY_DELAY: JsonDict = {"pattern": r"^(exponential|fixed:.+)$"}
_HHMM: JsonDict = {"pattern": r"^([01]\d|2[0-3])[0-5]\d$", "examples": ["0230"]}


def _enum(values: tuple[str, ...]) -> JsonDict:
    return {"enum": list(values)}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, populate_by_name=True)


class NotifyTarget(_Strict):
    channel: str = Field(description="integration name to send to")
    message: str = ""
    attach_logs: Any = Field(
        default=None, description="attach the run's log lines: none, all or last_<N>_lines"
    )
    only_after_failure: bool = False
    include_healthcheck: bool = Field(
        default=False, description="also attach the healthcheck's lines (left out by default)"
    )


def _expand_shorthand(value: object) -> object:
    """`on_failure: slack` is shorthand for `on_failure: {channel: slack}`."""
    return {"channel": value} if isinstance(value, str) else value


NotifyEvent = Annotated[
    NotifyTarget | None,
    BeforeValidator(_expand_shorthand),
    WithJsonSchema(
        {"anyOf": [{"type": "string", "description": "channel"}, NotifyTarget.model_json_schema()]}
    ),
]


class NotifyModel(_Strict):
    on_failure: NotifyEvent = None
    on_success: NotifyEvent = None
    on_sla_breach: NotifyEvent = None
    on_retry: NotifyEvent = None


class HealthcheckModel(_Strict):
    command: str
    timeout: str | None = Field(default=None, json_schema_extra=_DURATION)
    on_fail: str | None = Field(default=None, json_schema_extra=_enum(HEALTHCHECK_ON_FAIL_VALUES))


class JobModel(_Strict):
    description: str
    frequency: str = Field(
        description="hourly, daily, weekly, monthly, weekdays, weekends, manual, "
        "after:<job>, every:<interval>, on:[day,...]"
    )
    command: str
    time: str | None = Field(default=None, json_schema_extra=_HHMM)
    timezone: str | None = Field(default=None, description="IANA zone, e.g. Europe/Berlin")
    working_dir: str | None = None
    depends_on: list[str] = Field(default_factory=list)
    timeout: str | None = Field(default=None, json_schema_extra=_DURATION)
    retries: int | None = Field(default=None, ge=0)
    retry_delay: str | None = Field(default=None, json_schema_extra=_RETRY_DELAY)
    concurrency: str | None = Field(default=None, json_schema_extra=_enum(CONCURRENCY_VALUES))
    on_failure: str | None = Field(default=None, json_schema_extra=_enum(ON_FAILURE_VALUES))
    env: dict[str, str] = Field(default_factory=dict)
    notify: NotifyModel | None = None
    catchup: bool = False
    sla: str | None = Field(default=None, json_schema_extra=_DURATION)
    tags: list[str] = Field(default_factory=list)
    healthcheck: HealthcheckModel | None = None
    output: dict[str, str] = Field(default_factory=dict)


class DefaultsModel(_Strict):
    timeout: str | None = Field(default=None, json_schema_extra=_DURATION)
    retries: int | None = Field(default=None, ge=0)
    retry_delay: str | None = None
    on_failure: str | None = Field(default=None, json_schema_extra=_enum(ON_FAILURE_VALUES))
    timezone: str | None = None
    default_run_time: str | None = Field(default=None, json_schema_extra=_HHMM)
    notify_on_failure: bool | None = None


class IntegrationModel(_Strict):
    provider: str | None = Field(default=None, json_schema_extra=_enum(PROVIDERS))
    webhook_url: str | None = None
    routing_key: str | None = None
    host: str | None = None
    port: int | None = Field(default=None, ge=0, le=65535)
    username: str | None = None
    password: str | None = None
    from_: str | None = Field(default=None, alias="from")


class HuskyFileModel(_Strict):
    version: str = Field(json_schema_extra=_enum(("1",)))
    defaults: DefaultsModel | None = None
    integrations: dict[str, IntegrationModel] = Field(default_factory=dict)
    jobs: dict[str, JobModel]


def json_schema() -> dict[str, Any]:
    """The JSON Schema of husky.yaml (I17)."""
    schema = HuskyFileModel.model_json_schema(by_alias=True)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "husky.yaml"
    return schema
