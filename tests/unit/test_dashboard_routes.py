"""husky.api.dashboard_routes and the dashboard's package data: what is shipped, how it is
served (types, caching, 404s, the base path, a bearer token in the URL), in process."""

from __future__ import annotations

import asyncio
import hashlib
import json
import re
import tomllib
from importlib.resources import files
from pathlib import Path, PurePosixPath
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from starlette.types import ASGIApp

from husky.api import dashboard_routes
from husky.api.dashboard_routes import load_bundle, render_index
from husky.api.guard import build_authenticator, guard_tcp
from husky.config.daemon_models import DaemonConfig

ROOT = Path(__file__).resolve().parents[2]
SOURCE = ROOT / "src" / "husky" / "dashboard"
IMPORT = re.compile(r"""^\s*(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]""", re.MULTILINE)


def call(app: ASGIApp, method: str, path: str, *, follow: bool = False) -> Any:
    async def go() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://test", follow_redirects=follow
        ) as client:
            return await client.request(method, path)

    return asyncio.run(go())


def dashboard_app() -> FastAPI:
    app = FastAPI()
    app.include_router(dashboard_routes.router)
    return app


def shipped_files() -> set[str]:
    """Every file of the dashboard's source folder, as package-relative paths."""
    return {
        p.relative_to(SOURCE).as_posix()
        for p in SOURCE.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc"
    }


# -- what is shipped ----------------------------------------------------------------------


def test_every_dashboard_file_is_package_data() -> None:
    """A file the globs in pyproject.toml miss would be absent from the wheel."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    globs = config["tool"]["setuptools"]["package-data"]["husky.dashboard"]
    covered = {p.relative_to(SOURCE).as_posix() for g in globs for p in SOURCE.glob(g)}
    missing = shipped_files() - covered - {"__init__.py"}
    assert not missing, f"not in [tool.setuptools.package-data]: {sorted(missing)}"


def test_the_bundle_is_read_through_importlib_resources() -> None:
    bundle = load_bundle()
    assert "<title>Husky</title>" in bundle.index
    root = files("husky.dashboard")
    for path, content in bundle.assets.items():
        assert root.joinpath(path).read_bytes() == content
    served = {p for p in shipped_files() if PurePosixPath(p).suffix in (".js", ".css", ".svg")}
    assert set(bundle.assets) == served
    assert {dashboard_routes.ENTRY, dashboard_routes.STYLESHEET} <= set(bundle.assets)
    assert re.fullmatch(r"[0-9a-f]{16}", bundle.build)


def test_every_module_import_resolves_to_a_shipped_file() -> None:
    """The browser fetches these relative URLs: a typo would be a blank page."""
    bundle = load_bundle()
    modules = [p for p in bundle.assets if p.endswith(".js") and not p.startswith("vendor/")]
    assert len(modules) >= 10
    for module in modules:
        text = bundle.assets[module].decode()
        for target in IMPORT.findall(text):
            assert target.startswith("."), f"{module} imports a bare name {target!r}"
            resolved = PurePosixPath(module).parent / target
            parts: list[str] = []
            for part in resolved.parts:
                if part == "..":
                    parts.pop()
                elif part != ".":
                    parts.append(part)
            assert "/".join(parts) in bundle.assets, f"{module} imports missing {target}"


def test_vendored_files_match_their_recorded_hashes() -> None:
    readme = (SOURCE / "vendor" / "README.md").read_text(encoding="utf-8")
    rows = re.findall(r"^\| `([^`]+)` \|.*\| `([0-9a-f]{64})` \|$", readme, re.MULTILINE)
    assert {name for name, _ in rows} == {"htm-preact-standalone.js", "dagre.esm.js"}
    for name, digest in rows:
        assert hashlib.sha256((SOURCE / "vendor" / name).read_bytes()).hexdigest() == digest
        assert any((SOURCE / "vendor").glob("LICENSE.*"))


# -- the page -----------------------------------------------------------------------------


def test_index_links_the_assets_of_this_build() -> None:
    bundle = load_bundle()
    page = render_index(bundle, None, "n0nce")
    assert f'href="assets/{bundle.build}/app/style.css"' in page
    assert f'src="assets/{bundle.build}/app/main.js"' in page
    assert "importmap" not in page and "{{" not in page


def test_a_token_in_the_url_reaches_every_module_and_cannot_break_out() -> None:
    bundle = load_bundle()
    token = 'a</script><b>&"'
    page = render_index(bundle, token, "n0nce")
    script = re.search(r'<script type="importmap" nonce="n0nce">(.*?)</script>', page, re.DOTALL)
    assert script is not None
    assert "</script><b>" not in script.group(1)
    mapping = json.loads(script.group(1))["imports"]
    quoted = "a%3C%2Fscript%3E%3Cb%3E%26%22"
    modules = sorted(p for p in bundle.assets if p.endswith(".js"))
    assert sorted(mapping) == [f"./assets/{bundle.build}/{p}" for p in modules]
    assert all(v == f"{k}?token={quoted}" for k, v in mapping.items())
    assert f'href="assets/{bundle.build}/app/style.css?token={quoted}"' in page


def test_get_root_serves_the_page_uncached_with_a_matching_nonce() -> None:
    response = call(dashboard_app(), "GET", "/?token=t1")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert "<html" in response.text and "<title>Husky</title>" in response.text
    assert response.headers["cache-control"] == "no-cache"
    nonce = re.search(r"'nonce-([^']+)'", response.headers["content-security-policy"])
    assert nonce is not None and f'nonce="{nonce.group(1)}"' in response.text
    assert call(dashboard_app(), "HEAD", "/").status_code == 200


def test_assets_are_served_with_their_type_and_cached_for_good() -> None:
    bundle = load_bundle()
    app = dashboard_app()
    js = call(app, "GET", f"/assets/{bundle.build}/app/main.js?token=ignored")
    assert js.status_code == 200
    assert js.headers["content-type"] == "text/javascript; charset=utf-8"
    assert js.content == bundle.assets["app/main.js"]
    assert "immutable" in js.headers["cache-control"]
    css = call(app, "GET", f"/assets/{bundle.build}/app/style.css")
    assert css.headers["content-type"] == "text/css; charset=utf-8"
    vendor = call(app, "GET", f"/assets/{bundle.build}/vendor/dagre.esm.js")
    assert vendor.status_code == 200


@pytest.mark.parametrize(
    "path",
    [
        "/assets/0000000000000000/app/main.js",  # another build
        "/assets/{build}/app/nope.js",
        "/assets/{build}/vendor/README.md",  # not an asset type
        "/assets/{build}/../__init__.py",
        "/assets/{build}/%2e%2e/index.html",
        "/index.html",
        "/runs/42",
    ],
)
def test_anything_else_is_404(path: str) -> None:
    response = call(dashboard_app(), "GET", path.format(build=load_bundle().build), follow=True)
    assert response.status_code == 404


def test_routes_stay_out_of_the_openapi_document() -> None:
    paths = dashboard_app().openapi()["paths"]
    assert paths == {}


# -- behind the TCP door's middleware -------------------------------------------------------


def guarded(config: dict[str, Any]) -> ASGIApp:
    cfg = DaemonConfig.model_validate(config)
    return guard_tcp(dashboard_app(), cfg, build_authenticator(cfg))


def test_under_a_base_path_the_bare_prefix_redirects_to_the_page() -> None:
    app = guarded({"api": {"base_path": "/husky/"}})
    redirect = call(app, "GET", "/husky?token=x")
    assert redirect.status_code == 308
    assert redirect.headers["location"] == "/husky/?token=x"
    page = call(app, "GET", "/husky/")
    assert page.status_code == 200 and "<title>Husky</title>" in page.text
    build = load_bundle().build
    assert call(app, "GET", f"/husky/assets/{build}/app/main.js").status_code == 200
    assert call(app, "GET", f"/assets/{build}/app/main.js").status_code == 404


def test_under_bearer_auth_the_page_needs_the_token() -> None:
    app = guarded({"auth": {"type": "bearer", "bearer": {"token": "s3cret"}}})
    assert call(app, "GET", "/").status_code == 401
    page = call(app, "GET", "/?token=s3cret")
    assert page.status_code == 200 and '"importmap"' in page.text
    build = load_bundle().build
    assert call(app, "GET", f"/assets/{build}/app/api.js?token=s3cret").status_code == 200
    assert call(app, "GET", f"/assets/{build}/app/api.js").status_code == 401
