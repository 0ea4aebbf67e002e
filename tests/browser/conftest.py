"""Browser tests: the real daemon on the quickstart example, driven in headless Chromium.

Debian's chromium (`/usr/bin/chromium`) and the `playwright` package are needed (`.ci/run`
installs both; never `playwright install`). Without either, every test here is skipped
with the reason. Each test's page must log no console error and raise no page error.

`HUSKY_SCREENSHOTS=1` makes the tests write their screenshots to `docs/screenshots/`.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from tests.integration.daemon_helpers import Project

if TYPE_CHECKING:
    from playwright.sync_api import Browser, ConsoleMessage, Page

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOTS = ROOT / "docs" / "screenshots"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
WIDE = {"width": 1280, "height": 900}

# Jobs the tests add to the example: one that prints for three seconds (to watch a log
# live) and one that prints 100,000 lines (the log viewer's virtualisation).
EXTRA_JOBS = """
  ticker:
    description: Print a line every 0.3 s for three seconds
    frequency: manual
    command: "for i in 1 2 3 4 5 6 7 8 9 10; do echo tick $i; sleep 0.3; done; echo finished >&2"
    tags: [demo]

  flood:
    description: Print 100,000 lines at once
    frequency: manual
    command: seq 1 100000
    tags: [demo]
"""


def _missing() -> str | None:
    if not CHROMIUM.exists():
        return f"{CHROMIUM} is missing (apt-get install -y --no-install-recommends chromium)"
    if importlib.util.find_spec("playwright") is None:
        return "the playwright package is missing (pip install -e '.[test]')"
    return None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    reason = _missing()
    if reason is None:
        return
    here = Path(__file__).parent
    for item in items:
        if here in item.path.parents:
            item.add_marker(pytest.mark.skip(reason=f"browser tests need Chromium: {reason}"))


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """One Chromium per test module. Not per session: while Playwright's sync API is
    started, its event loop counts as running in this thread, and every later test that
    calls `asyncio.run` would fail."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield launched
        launched.close()


def example_project(root: Path, extra_jobs: str = EXTRA_JOBS) -> Project:
    """The quickstart example copied to `root`, with `extra_jobs` added to its jobs."""
    shutil.copytree(ROOT / "examples" / "quickstart", root, dirs_exist_ok=True)
    yaml = root / "husky.yaml"
    yaml.write_text(yaml.read_text(encoding="utf-8") + extra_jobs, encoding="utf-8")
    return Project(root)


@pytest.fixture(scope="module")
def daemon(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Project]:
    """One running daemon on the example project for a whole test module."""
    project = example_project(tmp_path_factory.mktemp("example"))
    project.start()
    yield project
    project.stop_all()


def base_url(project: Project) -> str:
    return "http://" + (project.data / "api.addr").read_text().strip()


class Watched:
    """A page with its console errors and page errors collected; `allow()` lets a test
    name errors it provokes on purpose (e.g. the 403 of a refused action)."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.errors: list[str] = []
        self.allowed: list[str] = []
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.errors.append(f"page error: {error}"))

    def _console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            self.errors.append(f"console error: {message.text} ({message.location})")

    def allow(self, fragment: str) -> None:
        self.allowed.append(fragment)

    def unexpected(self) -> list[str]:
        return [e for e in self.errors if not any(a in e for a in self.allowed)]


@pytest.fixture
def watched(browser: Browser) -> Iterator[Watched]:
    context = browser.new_context(viewport=WIDE)  # type: ignore[arg-type]
    watched = Watched(context.new_page())
    yield watched
    context.close()
    assert not watched.unexpected(), "\n".join(watched.unexpected())


@pytest.fixture
def page(watched: Watched) -> Page:
    return watched.page


def screenshot(page: Page, name: str, **options: Any) -> None:
    """Save `docs/screenshots/<name>.png` when HUSKY_SCREENSHOTS is set."""
    if os.environ.get("HUSKY_SCREENSHOTS"):
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), **options)
