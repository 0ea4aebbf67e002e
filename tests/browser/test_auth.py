"""The dashboard when the TCP door authenticates (api.md §2): a bearer token in the URL, the
sign-in prompt on a 401, a 403 that says what the role may not do, and Basic auth."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import bcrypt
import pytest

from tests.browser.conftest import WIDE, Watched, base_url, example_project
from tests.integration.daemon_helpers import Project

if TYPE_CHECKING:
    from playwright.sync_api import Browser

expect: Any = pytest.importorskip("playwright.sync_api").expect

SLOW_JOB = """
  slow:
    description: Print three lines over four seconds
    frequency: manual
    command: "echo one; sleep 2; echo two; sleep 2; echo three"
"""


def started(root: Path, daemon_yaml: str, **files: str) -> Project:
    project = example_project(root, SLOW_JOB)
    project.write(daemon_yaml, name="huskyd.yaml")
    for name, text in files.items():
        project.write(text, name=name)
    project.start()
    return project


@pytest.fixture(scope="module")
def bearer_daemon(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Project]:
    project = started(
        tmp_path_factory.mktemp("bearer"),
        "auth:\n  type: bearer\n  bearer:\n    token_file: tokens\n",
        tokens="view-tok viewer\nroot-tok\n",
    )
    yield project
    project.stop_all()


def api_get(project: Project, path: str, token: str) -> Any:
    with project.api() as api:
        response = api.get(path, headers={"Authorization": f"Bearer {token}"})
        response.raise_for_status()
        return response.json()


def test_a_viewer_is_told_what_its_role_may_not_do(
    watched: Watched, bearer_daemon: Project
) -> None:
    page = watched.page
    watched.allow("403 (Forbidden)")
    page.goto(f"{base_url(bearer_daemon)}/?token=view-tok#/jobs")
    expect(page.locator("table.jobs tbody tr")).to_have_count(10)
    page.locator('tr[data-job="heartbeat"]').get_by_role("button", name="Pause").click()
    expect(page.locator(".toast-error")).to_contain_text(
        'the role "viewer" may not POST /api/jobs/heartbeat/pause'
    )
    jobs = {j["name"]: j for j in api_get(bearer_daemon, "/api/jobs", "root-tok")}
    assert "paused" not in jobs["heartbeat"]


def test_a_refused_token_brings_the_sign_in_prompt(
    watched: Watched, bearer_daemon: Project
) -> None:
    page = watched.page
    watched.allow("401 (Unauthorized)")
    page.goto(f"{base_url(bearer_daemon)}/?token=root-tok#/daemon")
    expect(page.locator(".daemon-facts")).to_be_visible()
    page.evaluate(
        "() => { sessionStorage.setItem('husky.token', 'revoked');"
        " window.dispatchEvent(new Event('husky:refresh')); }"
    )
    dialog = page.locator("dialog[open]")
    expect(dialog).to_contain_text("invalid token")
    dialog.get_by_label("Token").fill("root-tok")
    dialog.get_by_role("button", name="Sign in").click()
    expect(dialog).to_have_count(0)
    assert page.evaluate("() => sessionStorage.getItem('husky.token')") == "root-tok"
    assert "token=root-tok" in page.url
    page.reload()  # the address still carries the token, so the page loads again
    expect(page.locator(".daemon-facts")).to_be_visible()


def test_a_live_log_streams_under_bearer_auth(watched: Watched, bearer_daemon: Project) -> None:
    page = watched.page
    with bearer_daemon.api() as api:
        response = api.post("/api/jobs/slow/run", headers={"Authorization": "Bearer root-tok"})
        run_id = response.json()["run_id"]
    page.goto(f"{base_url(bearer_daemon)}/?token=root-tok#/runs/{run_id}")
    expect(page.locator(".log-state")).to_have_attribute("data-phase", "live")
    expect(page.locator(".log-state")).to_have_attribute("data-phase", "ended", timeout=15000)
    expect(page.locator(".log .ln .tx")).to_have_text(["one", "two", "three"])


def test_basic_auth_serves_every_request_of_the_page(
    browser: Browser, tmp_path_factory: pytest.TempPathFactory
) -> None:
    hashed = bcrypt.hashpw(b"pw", bcrypt.gensalt(rounds=4)).decode()
    yaml = (
        "auth:\n  type: basic\n  basic:\n    users:\n"
        f"      - username: ops\n        password_hash: '{hashed}'\n"
    )
    project = started(tmp_path_factory.mktemp("basic"), yaml)
    try:
        context = browser.new_context(
            viewport=WIDE,  # type: ignore[arg-type]
            http_credentials={"username": "ops", "password": "pw"},
        )
        watched = Watched(context.new_page())
        page = watched.page
        page.goto(f"{base_url(project)}/#/jobs")
        expect(page.locator("table.jobs tbody tr")).to_have_count(10)
        page.locator('tr[data-job="slow"]').get_by_role("button", name="Run").click()
        page.locator("dialog[open]").get_by_role("button", name="Run now").click()
        page.locator(".toast a", has_text="#").click()
        expect(page.locator(".log-state")).to_have_attribute("data-phase", "live")
        expect(page.locator(".log .ln .tx")).to_have_text(["one", "two", "three"], timeout=15000)
        context.close()
        assert not watched.unexpected(), "\n".join(watched.unexpected())
    finally:
        project.stop_all()
