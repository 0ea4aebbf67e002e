"""The structural pass: pydantic validation errors turned into located, plain-English problems."""

from __future__ import annotations

import difflib
import types
from typing import Annotated, Any, TypeVar, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from husky.config.source import YamlSource
from husky.errors import Problem

M = TypeVar("M", bound=BaseModel)

#: What a field should hold, said the way a user thinks of it (for `; expected …`).
FIELD_HINTS: dict[str, str] = {
    "version": '"1" (quoted)',
    "description": "a short description of the job",
    "frequency": "e.g. daily, hourly, every:15m, after:<job>, on:[monday]",
    "command": "a shell command",
    "time": 'HHMM as a quoted string, e.g. "0230"',
    "default_run_time": 'HHMM as a quoted string, e.g. "0300"',
    "timeout": 'a duration such as "30m"',
    "sla": 'a duration such as "10m"',
    "depends_on": "a list of job names, e.g. [extract, load]",
    "tags": "a list of tags, e.g. [etl, nightly]",
    "retries": "an integer ≥ 0",
    "port": "an integer port, e.g. 587",
    "env": "a mapping of NAME: value strings",
    "output": "a mapping of variable: mode, e.g. rows: last_line",
    "jobs": "a mapping of job name to job",
    "channel": "the name of an integration",
}


def check_structure(source: YamlSource, model: type[M]) -> tuple[M | None, list[Problem]]:
    """Validate `source.data` against `model`; return the instance or every structural problem."""
    try:
        return model.model_validate(source.data), []
    except ValidationError as exc:
        errors = _drop_missing_explained_by_typos(exc.errors())
        return None, [_problem(source, model, err) for err in errors]


def _drop_missing_explained_by_typos(errors: list[ErrorDetails]) -> list[ErrorDetails]:
    """`chanel: x` gives both "unknown chanel" and "channel is required": keep the first."""
    typos = {
        (err["loc"][:-1], close)
        for err in errors
        if err["type"] == "extra_forbidden"
        for close in difflib.get_close_matches(
            str(err["loc"][-1]),
            [
                str(e["loc"][-1])
                for e in errors
                if e["type"] == "missing" and e["loc"][:-1] == err["loc"][:-1]
            ],
            n=1,
            cutoff=0.6,
        )
    }
    return [
        e
        for e in errors
        if not (e["type"] == "missing" and (e["loc"][:-1], str(e["loc"][-1])) in typos)
    ]


def _problem(source: YamlSource, model: type[BaseModel], err: ErrorDetails) -> Problem:
    loc = list(err["loc"])
    kind, value = err["type"], err["input"]
    name = str(loc[-1]) if loc else ""
    hint = FIELD_HINTS.get(name)
    if kind == "missing":
        message = "field is required"
        if loc[-2:] == ["healthcheck", "command"]:
            message = "field is required when healthcheck block is present"
        return source.problem(loc, _with_hint(message, hint))
    if kind == "extra_forbidden":
        allowed = _allowed_keys(model, loc[:-1])
        return source.problem(loc, _unknown_key(name, allowed), key=True)
    if not loc:
        return source.problem(loc, "the file must be a mapping with version and jobs")
    raw = source.raw_scalar(loc) if value is not None else "null"
    got = f"got {_describe(value, raw)}"
    if kind == "string_type":
        if isinstance(value, int | float) and raw:
            return source.problem(loc, f'must be a string, {got}; quote it: "{raw}"')
        message = f"must be a string, {got}"
    elif kind in ("int_type", "int_parsing", "int_from_float"):
        message = f"must be an integer, {got}"
    elif kind == "bool_type":
        message = f"must be true or false, {got}"
    elif kind == "list_type":
        message = f"must be a list, {got}"
    elif kind in ("dict_type", "model_type", "model_attributes_type"):
        message = f"must be a mapping, {got}"
    elif kind in ("greater_than_equal", "less_than_equal"):
        message = f"{err['msg'].replace('Input should be', 'must be')}, {got}"
    else:
        message = f"{err['msg']}, {got}"
    return source.problem(loc, _with_hint(message, hint))


def _with_hint(message: str, hint: str | None) -> str:
    return f"{message}; expected {hint}" if hint else message


def _describe(value: Any, raw: str) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return f"boolean {raw or value}"
    if isinstance(value, int | float):
        return f"number {raw or value}"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        return f'"{value}"'
    return f"{type(value).__name__} {raw}".strip()


def _unknown_key(name: str, allowed: list[str]) -> str:
    close = difflib.get_close_matches(name, allowed, n=1, cutoff=0.6)
    if close:
        return f'unknown field "{name}"; did you mean "{close[0]}"?'
    return f'unknown field "{name}"; expected one of: {", ".join(allowed)}'


def _allowed_keys(model: type[BaseModel], loc: list[int | str]) -> list[str]:
    """The keys the model at `loc` accepts (walking through dict values and list items)."""
    tp: Any = model
    for part in loc:
        tp = _unwrap(tp)
        if isinstance(tp, type) and issubclass(tp, BaseModel):
            field = next((f for n, f in tp.model_fields.items() if part in (n, f.alias)), None)
            if field is None:
                return []
            tp = field.annotation
        elif get_origin(tp) is dict:
            tp = get_args(tp)[1]
        elif get_origin(tp) is list:
            tp = get_args(tp)[0]
    tp = _unwrap(tp)
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        return [f.alias or n for n, f in tp.model_fields.items()]
    return []


def _unwrap(tp: Any) -> Any:
    """Strip `Annotated[...]` and `X | None` down to X."""
    while True:
        origin = get_origin(tp)
        if origin is Annotated:
            tp = get_args(tp)[0]
        elif origin in (Union, types.UnionType):
            args = [a for a in get_args(tp) if a is not type(None)]
            if len(args) != 1:
                return tp
            tp = args[0]
        else:
            return tp
