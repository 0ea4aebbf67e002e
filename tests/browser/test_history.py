"""The views over a day of history (`history.busy_day`): outcomes, pills and tag health on
the jobs view, retries and SLA breaches on the timeline, failures in the DAG and the audit.
These tests also take most of the README's screenshots."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import pytest

from tests.browser.conftest import base_url, example_project, screenshot
from tests.browser.history import busy_day, write_day
from tests.integration.daemon_helpers import Project

if TYPE_CHECKING:
    from playwright.sync_api import Page

expect: Any = pytest.importorskip("playwright.sync_api").expect


@pytest.fixture(scope="module")
def busy(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Project]:
    """The quickstart example whose database holds a made-up day of runs."""
    project = example_project(tmp_path_factory.mktemp("busy"), "")
    project.start()  # creates the database
    project.stop_all()
    write_day(project.data / "husky.db", busy_day(datetime.now(UTC)))
    project.start()
    yield project
    project.stop_all()


def open_view(page: Page, project: Project, route: str) -> None:
    page.goto(f"{base_url(project)}/#{route}")


def test_jobs_view_shows_outcomes_pills_and_tag_health(page: Page, busy: Project) -> None:
    open_view(page, busy, "/jobs")
    customers = page.locator('tr[data-job="clean_customers"]')
    expect(customers.locator(".badge")).to_have_text("FAILED")
    expect(customers.locator(".pill").last).to_have_class(re.compile(r"\bst-failed\b"))
    extract = page.locator('tr[data-job="extract"]')
    expect(extract.locator(".pill")).to_have_count(10)
    cleanup = page.locator('tr[data-job="cleanup"]')
    expect(cleanup.locator(".badge")).to_have_text("CANCELLED")  # its latest run, not job_state
    expect(page.locator(".tag-strip a", has_text="etl")).to_contain_text("1 failing")
    expect(page.locator(".tag-strip a", has_text="ops")).not_to_contain_text("failing")
    screenshot(page, "jobs")
    page.set_viewport_size({"width": 400, "height": 860})
    screenshot(page, "jobs-narrow")


def test_timeline_shows_retries_and_sla_breaches(page: Page, busy: Project) -> None:
    open_view(page, busy, "/timeline")
    extract = page.locator('.tl-row[data-job="extract"] .tl-bar')
    expect(extract).to_have_count(13)  # 12 cycles, one of them retried
    expect(page.locator('.tl-row[data-job="extract"] .tl-bar.retry')).to_have_count(1)
    expect(page.locator(".tl-bar.sla")).to_have_count(1)
    expect(page.locator(".tl-bar.st-retrying")).to_have_count(1)
    expect(page.locator('.tl-row[data-job="clean_customers"] .tl-bar.st-failed')).to_have_count(1)
    screenshot(page, "timeline")
    page.emulate_media(color_scheme="dark")
    screenshot(page, "timeline-dark")


def test_dag_shows_the_failed_branch(page: Page, busy: Project) -> None:
    open_view(page, busy, "/dag")
    expect(page.locator('a.node[data-job="clean_customers"]')).to_have_attribute(
        "data-status", "FAILED"
    )
    expect(page.locator('a.node[data-job="clean_orders"]')).to_have_attribute(
        "data-status", "SUCCESS"
    )
    screenshot(page, "dag")


def test_audit_and_data_views_filter_the_day(page: Page, busy: Project) -> None:
    open_view(page, busy, "/audit?status=FAILED")
    rows = page.locator(".paged table tbody tr")
    expect(rows).to_have_count(3)  # clean_customers once, heartbeat twice
    assert set(rows.evaluate_all("rs => rs.map(r => r.cells[2].textContent)")) == {
        "FAILEDexit code 1"
    }
    page.get_by_label("Status").select_option("")
    page.get_by_label("Reason contains").fill("DISK")
    page.get_by_role("button", name="Apply").click()
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("cancelled by operator")
    open_view(page, busy, "/audit?tag=nightly")
    expect(rows).to_have_count(37)  # extract 13 (one retried), clean_orders 12, clean_customers 12
    screenshot(page, "audit")

    open_view(page, busy, "/data/job_runs?sla_breached=true")
    expect(page.locator(".paged table tbody tr")).to_have_count(1)
    open_view(page, busy, "/data/job_runs")
    expect(page.locator(".paged table tbody tr")).to_have_count(50)
    screenshot(page, "data")
