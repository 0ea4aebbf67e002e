"""`/api/config*`: read husky.yaml and huskyd.yaml, check a new husky.yaml, save it."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request

from husky.api.config_models import (
    MAX_CONFIG_BODY,
    CheckResult,
    ConfigFile,
    ConfigText,
    error_responses,
)
from husky.api.deps import RuntimeDep
from husky.config.candidate import check_candidate
from husky.config.redact_text import redact_secrets
from husky.errors import DaemonError

router = APIRouter(tags=["config"])

_BODY = {
    "requestBody": {
        "required": True,
        "content": {"application/json": {"schema": ConfigText.model_json_schema()}},
    }
}


async def _read_file(path: Path, display: str, *, missing: str | None = None) -> ConfigFile:
    """The file's text, read off the event loop. A missing file is 404 `missing` when given,
    any other failure 500 naming the file."""
    try:
        text = await asyncio.to_thread(path.read_text, encoding="utf-8")
    except FileNotFoundError as exc:
        if missing is not None:
            raise DaemonError(missing, 404) from None
        raise DaemonError(f"reading {display}: {exc.strerror}", 500) from None
    except OSError as exc:
        raise DaemonError(f"reading {display}: {exc.strerror}", 500) from None
    except UnicodeDecodeError as exc:
        raise DaemonError(f"reading {display}: not UTF-8 ({exc.reason})", 500) from None
    return ConfigFile(path=display, yaml=text)


@router.get("/api/config", response_model=ConfigFile, responses=error_responses(500))
async def get_config(rt: RuntimeDep) -> ConfigFile:
    """husky.yaml as it is on disk now (which may differ from the running config)."""
    return await _read_file(rt.config_path, rt.config_display)


@router.get("/api/config/daemon", response_model=ConfigFile, responses=error_responses(404, 500))
async def get_daemon_config(rt: RuntimeDep) -> ConfigFile:
    """The huskyd.yaml the daemon started with, as it is on disk now, with the values of
    secret keys (`token`, `password_hash`, `client_secret`, …) shown as `"***"`."""
    missing = "no huskyd.yaml found"
    path = rt.daemon_config.path
    if path is None:
        raise DaemonError(missing, 404)
    file = await _read_file(path, rt.daemon_config_display or str(path), missing=missing)
    return ConfigFile(path=file.path, yaml=redact_secrets(file.yaml))


async def _config_text(request: Request) -> str:
    """The `yaml` string of a `{"yaml": "…"}` body of at most MAX_CONFIG_BODY bytes."""
    too_large = DaemonError("request body too large; the limit is 1 MiB (1048576 bytes)", 413)
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_CONFIG_BODY:
        raise too_large
    raw = bytearray()
    async for chunk in request.stream():
        raw += chunk
        if len(raw) > MAX_CONFIG_BODY:
            raise too_large
    try:
        body: Any = json.loads(raw)
    except ValueError:
        raise DaemonError("invalid JSON body", 400) from None
    text = body.get("yaml") if isinstance(body, dict) else None
    if not isinstance(text, str):
        raise DaemonError("invalid JSON body", 400)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise DaemonError('invalid JSON body: "yaml" holds a lone surrogate', 400) from None
    return text


@router.post(
    "/api/config/validate",
    response_model=CheckResult,
    response_model_exclude_none=True,
    responses=error_responses(400, 413),
    openapi_extra=_BODY,
)
async def validate_config(request: Request, rt: RuntimeDep) -> CheckResult:
    """Check a husky.yaml text as `husky validate` would, DAG included, without `.env`.

    Nothing is written and the running config is untouched.
    """
    text = await _config_text(request)
    problems = await asyncio.to_thread(check_candidate, rt.config_path, rt.config_display, text)
    return CheckResult(ok=True) if problems is None else CheckResult.invalid(problems)


@router.post(
    "/api/config/save",
    response_model=CheckResult,
    response_model_exclude_none=True,
    responses=error_responses(400, 413),
    openapi_extra=_BODY,
)
async def save_config(request: Request, rt: RuntimeDep) -> CheckResult:
    """Check the text, write husky.yaml atomically and reload.

    Invalid text or a failed write leave the file and the running config as they were; a
    failed reload leaves the new file in place and the old config running.
    """
    text = await _config_text(request)
    try:
        problems = await rt.save_config(text)
    except OSError as exc:
        return CheckResult(
            ok=False, error=f"writing {rt.config_display}: {exc.strerror}", problems=[]
        )
    except DaemonError as exc:
        return CheckResult(ok=False, error=f"saved but reload failed: {exc}", problems=[])
    return CheckResult(ok=True) if problems is None else CheckResult.invalid(problems)
