"""Response and request models of the config, tag, DAG and integration endpoints.

They exist so `/openapi.json` describes exactly what these routes send (api.md §5–§6);
the routes build them from the runtime's objects.
"""

from __future__ import annotations

from pydantic import BaseModel, Field

from husky.api.data_models import ErrorBody, errors
from husky.errors import ConfigError

__all__ = ["ErrorBody", "error_responses"]

error_responses = errors

#: The most a `/api/config/validate` or `/api/config/save` request body may hold.
MAX_CONFIG_BODY = 1024 * 1024


class TagCount(BaseModel):
    tag: str
    count: int = Field(ge=1, description="how many jobs carry the tag")


class DagNode(BaseModel):
    name: str
    dependencies: list[str] = Field(description="the job's upstreams, sorted")


class IntegrationStatus(BaseModel):
    name: str
    provider: str
    status: str = Field(
        description='"configured", or "missing <field>[, <field>]" after ${env:…} expansion',
        examples=["configured", "missing webhook_url", "missing host, from"],
    )


class OkResult(BaseModel):
    """An action's outcome: `{"ok": true}` or `{"ok": false, "error": "…"}`."""

    ok: bool
    error: str | None = Field(default=None, description="present only when ok is false")


class ConfigFile(BaseModel):
    path: str = Field(description="the file's path as the daemon was given it")
    yaml: str = Field(description="the file's text, as it is on disk")


class ConfigText(BaseModel):
    """Request body of `/api/config/validate` and `/api/config/save`."""

    yaml: str = Field(description="a whole husky.yaml; the request body may hold at most 1 MiB")


class ConfigProblem(BaseModel):
    """One located problem; `line` and `column` are 1-based, 0 when it has no place."""

    line: int = Field(ge=0)
    column: int = Field(ge=0)
    path: str = Field(description="dotted key path, e.g. jobs.etl.time; empty for YAML errors")
    message: str


class CheckResult(BaseModel):
    """`{"ok": true}`, or `{"ok": false, "error": <report>, "problems": [...]}`.

    `error` is the report `husky validate` prints; `problems` lists the same problems one
    by one (empty when the failure has no located problem, e.g. a failed reload).
    """

    ok: bool
    error: str | None = Field(default=None, description="present only when ok is false")
    problems: list[ConfigProblem] | None = Field(
        default=None, description="present only when ok is false"
    )

    @classmethod
    def invalid(cls, exc: ConfigError) -> CheckResult:
        return cls(
            ok=False,
            error=str(exc),
            problems=[
                ConfigProblem(line=p.line, column=p.col, path=p.path, message=p.message)
                for p in exc.problems
            ],
        )
