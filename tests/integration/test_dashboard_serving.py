"""The real daemon serves the dashboard at `/` (api.md §8): the page, its assets, and 404s
for everything else that is not the API."""

from __future__ import annotations

import re

from tests.integration.daemon_helpers import Project

JOBS = """
version: "1"
jobs:
  hello:
    description: Say hello
    frequency: manual
    command: echo hello
"""


def test_the_daemon_serves_the_page_and_its_assets(project: Project) -> None:
    project.write(JOBS)
    project.start()
    with project.api() as api:
        page = api.get("/")
        assert page.status_code == 200
        assert page.headers["content-type"].startswith("text/html")
        assert "<html" in page.text and re.search(r"<title>[^<]*Husky[^<]*</title>", page.text)
        linked = re.findall(r'(?:src|href)="(assets/[^"]+)"', page.text)
        assert len(linked) == 2  # the stylesheet and the entry module
        for path in linked:
            asset = api.get("/" + path)
            assert asset.status_code == 200, path
            assert asset.headers["content-type"].split(";")[0] in ("text/css", "text/javascript")

        for path in ("/nope", "/index.html", "/assets/x/app/main.js"):
            missing = api.get(path)
            assert (missing.status_code, missing.json()) == (404, {"error": "not found"}), path
        for path in ("/api/nope", "/ws/nope", "/api/"):
            missing = api.get(path)
            assert missing.status_code == 404 and "<html" not in missing.text, path

        paths = api.get("/openapi.json").json()["paths"]
        assert "/" not in paths and not any(p.startswith("/assets") for p in paths)
        assert "/api/jobs" in paths


def test_under_bearer_auth_the_page_loads_with_the_token_in_the_url(project: Project) -> None:
    project.write(JOBS)
    project.write("auth:\n  type: bearer\n  bearer:\n    token: letmein\n", name="huskyd.yaml")
    project.start()
    with project.api() as api:
        assert api.get("/").status_code == 401
        page = api.get("/", params={"token": "letmein"})
        assert page.status_code == 200 and '<script type="importmap"' in page.text
        module = re.search(r'src="(assets/[^"]+\?token=letmein)"', page.text)
        assert module is not None
        assert api.get("/" + module.group(1)).status_code == 200
