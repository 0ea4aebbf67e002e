"""The dashboard in headless Chromium against the real daemon on the quickstart example:
every job listed, a run followed live, the DAG, a broken config refused at its line, deep
links, a 100,000-line log, the audit filters, and every view free of console errors."""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from tests.browser.conftest import Watched, base_url, screenshot
from tests.integration.daemon_helpers import Project

if TYPE_CHECKING:
    from playwright.sync_api import Page

expect: Any = pytest.importorskip("playwright.sync_api").expect


def has_endpoint(project: Project, path: str) -> bool:
    return path in project.get("/openapi.json")["paths"]


def open_view(page: Page, project: Project, route: str) -> None:
    page.goto(f"{base_url(project)}/#{route}")


def test_jobs_view_lists_every_job_and_filters_by_tag(page: Page, daemon: Project) -> None:
    jobs = daemon.get("/api/jobs")
    open_view(page, daemon, "/jobs")
    rows = page.locator("table.jobs tbody tr")
    expect(rows).to_have_count(len(jobs))
    for job in jobs:
        row = page.locator(f'tr[data-job="{job["name"]}"]')
        expect(row.locator(".job-name a")).to_have_text(job["name"])
        expect(row.get_by_role("button", name="Run")).to_be_enabled()
    expect(page.locator('tr[data-job="heartbeat"]')).to_contain_text("every 5 minutes")
    expect(page.locator('tr[data-job="backfill"]')).to_contain_text("only when run by hand")

    page.locator(".tag-strip a", has_text="ops").click()
    ops = sorted(j["name"] for j in jobs if "ops" in j.get("tags", []))
    expect(rows).to_have_count(len(ops))
    assert sorted(rows.evaluate_all("rs => rs.map(r => r.dataset.job)")) == ops
    assert "tag=ops" in page.url

    page.get_by_role("button", name="show all").click()
    page.get_by_label("Filter jobs by name or description").fill("clean_")
    expect(rows).to_have_count(2)


def test_a_run_started_from_the_jobs_view_streams_its_log_live(page: Page, daemon: Project) -> None:
    open_view(page, daemon, "/jobs")
    page.locator('tr[data-job="ticker"]').get_by_role("button", name="Run").click()
    dialog = page.locator("dialog[open]")
    dialog.get_by_role("textbox").fill("watch it live")
    dialog.get_by_role("button", name="Run now").click()
    page.locator(".toast a", has_text="#").click()

    expect(page.locator(".run-view")).to_be_visible()
    expect(page.locator(".run-facts")).to_contain_text("watch it live")
    # some lines shown while the stream is live and the run not yet finished
    page.wait_for_function(
        """() => {
          const n = document.querySelectorAll('.log .ln').length;
          return document.querySelector('.log-state')?.dataset.phase === 'live' && n > 0 && n < 11;
        }""",
        timeout=15000,
    )
    expect(page.locator(".log .ln").first.locator(".tx")).to_have_text("tick 1")
    expect(page.locator(".log-state")).to_have_attribute("data-phase", "ended", timeout=15000)
    expect(page.locator(".log .ln")).to_have_count(11)
    expect(page.locator(".log .ln.s-stderr .tx")).to_have_text("finished")
    expect(page.locator(".run-status")).to_have_text("SUCCESS", timeout=10000)
    screenshot(page, "run")


def test_dag_has_one_node_per_job_the_right_edges_and_live_colours(
    page: Page, daemon: Project
) -> None:
    dag = daemon.get("/api/dag")
    open_view(page, daemon, "/dag")
    nodes = page.locator("svg.dag a.node")
    expect(nodes).to_have_count(len(dag))
    assert sorted(nodes.evaluate_all("ns => ns.map(n => n.dataset.job)")) == sorted(
        n["name"] for n in dag
    )
    edges = page.locator("svg.dag path.edge")
    drawn = edges.evaluate_all("es => es.map(e => [e.dataset.from, e.dataset.to])")
    wanted = {(up, n["name"]) for n in dag for up in n["dependencies"]}
    assert {tuple(e) for e in drawn} == wanted
    assert len(drawn) == len(wanted)
    assert ("clean_customers", "build_report") in wanted and ("build_report", "publish") in wanted

    digest = page.locator('svg.dag a.node[data-job="weekly_digest"]')
    expect(digest).to_have_attribute("data-status", "")
    daemon.wait_run(daemon.run_job("weekly_digest"))
    expect(digest).to_have_attribute("data-status", "SUCCESS", timeout=10000)

    page.locator('svg.dag a.node[data-job="publish"]').click()
    expect(page.locator("h1")).to_have_text("publish")
    assert page.url.endswith("#/jobs/publish")


def test_a_broken_config_is_refused_at_its_line_and_the_old_one_keeps_running(
    page: Page, daemon: Project
) -> None:
    on_disk = (daemon.root / "husky.yaml").read_text(encoding="utf-8")
    lines = on_disk.splitlines()
    line = next(i for i, text in enumerate(lines, 1) if text.strip() == "timeout: 5m")
    broken = on_disk.replace("    timeout: 5m\n", "    timeout: 5 minutes\n")

    open_view(page, daemon, "/config")
    editor = page.get_by_label("husky.yaml", exact=True)
    expect(editor).to_have_value(on_disk)
    editor.fill(broken)
    page.get_by_role("button", name="Save", exact=True).click()
    page.locator("dialog[open]").get_by_role("button", name="Save").click()

    expect(page.locator(f'.gutter .ln.err[data-line="{line}"]')).to_be_visible()
    expect(page.locator(f'.mark[data-line="{line}"] .mark-msg')).to_contain_text(
        'invalid duration "5 minutes"'
    )
    expect(page.locator(".problems li").first).to_contain_text(f"line {line}:")
    expect(page.locator(".problems")).to_contain_text("nothing was saved")
    screenshot(page, "config")

    assert (daemon.root / "husky.yaml").read_text(encoding="utf-8") == on_disk
    assert daemon.get("/api/jobs/build_report")["job"]["timeout"] == "5m"
    assert {"extract", "ticker", "flood"} <= {j["name"] for j in daemon.get("/api/jobs")}
    page.locator(".problems button.link").first.click()  # jumps to the line
    selected = page.evaluate(
        "() => { const t = document.querySelector('.editor textarea');"
        " return t.value.slice(t.selectionStart, t.selectionEnd); }"
    )
    assert selected.strip() == "timeout: 5 minutes"


def test_deep_links_open_a_run_and_a_job(page: Page, daemon: Project) -> None:
    run_id = daemon.run_job("extract", reason="deep link")
    daemon.wait_run(run_id)
    open_view(page, daemon, f"/runs/{run_id}")
    expect(page.locator("h1")).to_contain_text(f"Run #{run_id}")
    expect(page.locator(".run-status")).to_have_text("SUCCESS")
    expect(page.locator(".run-facts")).to_contain_text("deep link")
    expect(page.locator(".log")).to_contain_text("extracted 2 rows")
    expect(page.locator("table.outputs")).to_contain_text("batch")
    expect(page.locator("table.outputs")).to_contain_text("rows")

    open_view(page, daemon, "/jobs/extract")
    page.reload()  # a fresh load straight onto the deep link
    expect(page.locator("h1")).to_have_text("extract")
    expect(page.locator("pre.command")).to_have_text("sh scripts/extract.sh")
    expect(page.locator("table.runs")).to_contain_text(f"#{run_id}")
    screenshot(page, "job", full_page=True)


def test_the_log_viewer_keeps_100000_lines_virtualised(page: Page, daemon: Project) -> None:
    run_id = daemon.run_job("flood")
    daemon.wait_run(run_id, timeout=60)
    started = time.monotonic()
    open_view(page, daemon, f"/runs/{run_id}")
    expect(page.locator(".log-state")).to_have_attribute("data-phase", "ended", timeout=30000)
    expect(page.locator(".log-count")).to_have_text("100,000")
    loaded = time.monotonic() - started
    assert loaded < 20, f"100,000 lines took {loaded:.1f} s"
    assert page.locator(".log .ln").count() < 200  # only the rows in sight are in the DOM

    page.locator(".log").evaluate("box => { box.scrollTop = box.scrollHeight; }")
    expect(page.locator('.log .ln[data-seq="100000"]')).to_be_visible()
    page.get_by_label("Search the log").fill("99999")
    expect(page.locator(".log-count")).to_have_text("1")
    expect(page.locator(".log .ln mark")).to_have_text("99999")


def test_audit_view_filters_and_exports(page: Page, daemon: Project) -> None:
    if not has_endpoint(daemon, "/api/audit"):
        pytest.skip("this daemon has no /api/audit yet (api.md §6)")
    daemon.wait_run(daemon.run_job("heartbeat"))
    open_view(page, daemon, "/audit")
    rows = page.locator(".paged table tbody tr")
    expect(rows.first).to_be_visible()
    page.get_by_label("Job").fill("heartbeat")
    page.get_by_role("button", name="Apply").click()
    expect(page).to_have_url(re.compile(r"job=heartbeat"))
    expect(rows.filter(has_not_text="heartbeat")).to_have_count(0)  # the filtered page is in
    expect(rows.first).to_contain_text("heartbeat")
    names = rows.evaluate_all("rs => rs.map(r => r.cells[1].textContent)")
    assert names and set(names) == {"heartbeat"}

    with page.expect_download() as download:
        page.get_by_role("button", name="Export CSV").click()
    text = Path(download.value.path()).read_text(encoding="utf-8")
    header, *body = text.strip().splitlines()
    assert header.startswith("id,job_name,status")
    assert body and all(",heartbeat," in line for line in body)


def test_timeline_and_data_views_show_the_runs(page: Page, daemon: Project) -> None:
    if not has_endpoint(daemon, "/api/db/job_runs"):
        pytest.skip("this daemon has no /api/db/job_runs yet (api.md §6)")
    run_id = daemon.run_job("ticker", reason="for the timeline")
    daemon.wait_run(run_id)
    open_view(page, daemon, "/timeline")
    bar = page.locator(f'.tl-row[data-job="ticker"] .tl-bar[data-run="{run_id}"]')
    expect(bar).to_have_class(re.compile(r"\bst-success\b"))
    bar.click()
    expect(page.locator("h1")).to_contain_text(f"Run #{run_id}")

    open_view(page, daemon, "/data/run_logs")
    page.get_by_label("Text contains").fill("TICK 10")
    page.get_by_role("button", name="Apply").click()
    lines = page.locator(".paged table tbody tr")
    expect(lines.first).to_contain_text("tick 10")
    assert set(lines.evaluate_all("rs => rs.map(r => r.cells[3].textContent)")) == {"tick 10"}

    open_view(page, daemon, "/data/state")
    expect(page.locator(".paged table")).to_contain_text("ticker")


def test_every_view_renders_without_console_errors(watched: Watched, daemon: Project) -> None:
    page = watched.page
    runs = has_endpoint(daemon, "/api/db/job_runs") or has_endpoint(daemon, "/api/audit")
    for route, ready in [
        ("/jobs", "table.jobs tbody tr"),
        ("/timeline", ".tl-row[data-job]" if runs else ".timeline-view, main p"),
        ("/data/job_runs", ".data-view"),
        ("/data/run_logs", ".data-view"),
        ("/data/state", ".data-view"),
        ("/data/alerts", ".data-view"),
        ("/daemon", ".daemon-facts"),
    ]:
        open_view(page, daemon, route)
        expect(page.locator(ready).first).to_be_visible()
        page.wait_for_load_state("networkidle")
        if route == "/daemon":
            screenshot(page, "daemon")
    expect(page.locator(".integrations")).to_contain_text("missing webhook_url")

    open_view(page, daemon, "/jobs")
    expect(page.locator("table.jobs tbody tr").first).to_be_visible()
    page.set_viewport_size({"width": 400, "height": 860})
    expect(page.locator("table.jobs tbody tr").first).to_be_visible()
    page.set_viewport_size({"width": 1280, "height": 900})
    page.emulate_media(color_scheme="dark")
    open_view(page, daemon, "/dag")
    expect(page.locator("svg.dag a.node").first).to_be_visible()
    assert not watched.unexpected()
