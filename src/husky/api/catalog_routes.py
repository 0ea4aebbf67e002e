"""`/api/tags`, `/api/dag` and `/api/integrations*`: what the running config offers."""

from __future__ import annotations

from fastapi import APIRouter

from husky.api.config_models import (
    DagNode,
    IntegrationStatus,
    OkResult,
    TagCount,
    error_responses,
)
from husky.api.deps import RuntimeDep
from husky.config.catalog import integration_status, tag_counts
from husky.errors import DaemonError, HuskyError
from husky.notify.probe import send_test
from husky.notify.settings import DeliverySettings

router = APIRouter(tags=["config"])
_TEST_PATH = "/api/integrations/{name}/test"


@router.get("/api/tags", response_model=list[TagCount])
async def list_tags(rt: RuntimeDep) -> list[TagCount]:
    """Each tag of the running config with its number of jobs, by tag."""
    return [TagCount(tag=tag, count=n) for tag, n in tag_counts(rt.config)]


@router.get("/api/dag", response_model=list[DagNode])
async def dag(rt: RuntimeDep) -> list[DagNode]:
    """Jobs in topological order (alphabetical among equals) with their sorted upstreams."""
    return [DagNode(name=n, dependencies=rt.dag.upstreams[n]) for n in rt.dag.order]


@router.get("/api/integrations", response_model=list[IntegrationStatus])
async def list_integrations(rt: RuntimeDep) -> list[IntegrationStatus]:
    """Each integration by name, with whether its provider's required fields are set."""
    return [
        IntegrationStatus(name=name, provider=i.provider, status=integration_status(i))
        for name, i in rt.config.integrations.items()
    ]


@router.post(
    _TEST_PATH,
    response_model=OkResult,
    response_model_exclude_none=True,
    responses=error_responses(404),
)
async def test_integration(name: str, rt: RuntimeDep) -> OkResult:
    """Send the integration's test message; a failure to send is `ok: false`, not an error."""
    integration = rt.config.integrations.get(name)
    if integration is None:
        raise DaemonError("integration not found", 404)
    try:
        await send_test(integration, DeliverySettings.from_daemon_config(rt.daemon_config))
    except HuskyError as exc:
        return OkResult(ok=False, error=str(exc))
    return OkResult(ok=True)


@router.api_route(
    _TEST_PATH,
    methods=["GET", "HEAD", "PUT", "PATCH", "DELETE", "OPTIONS"],
    include_in_schema=False,
)
async def test_integration_wrong_method(name: str) -> None:
    """api.md §1: this sub-action answers 404 `not found`, not 405, for another method."""
    raise DaemonError("not found", 404)
