"""The dashboard (api.md §8): `GET /` serves the single-page app, `/assets/<build>/…` its files.

The files are package data of `husky.dashboard`, read once through importlib.resources
(so a wheel install serves them as an editable one does). No build step: plain ES modules.

Caching: every asset URL carries `<build>`, a hash of all the files, so assets are cached
for good and an upgrade changes their URLs; `index.html` is always revalidated.

The TCP door authenticates the shell too (api.md §2). A browser sends Basic credentials
by itself; a bearer token can only come in the URL (`/?token=…`), and module imports and
stylesheets drop the query. So when the page is asked for with `?token=`, an import map
carries the token onto every module URL and the stylesheet link gets it too; the app then
keeps the token in session storage and sends it as a header.
"""

from __future__ import annotations

import functools
import hashlib
import json
import secrets
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from html import escape
from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import PurePosixPath
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException

router = APIRouter(include_in_schema=False)

PACKAGE = "husky.dashboard"
CONTENT_TYPES = {
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
}
ASSET_CACHE = "private, max-age=31536000, immutable"
ENTRY = "app/main.js"
STYLESHEET = "app/style.css"


@dataclass(frozen=True)
class Bundle:
    """The dashboard's files: `index.html` (a template) and the assets by relative path."""

    index: str
    assets: Mapping[str, bytes]
    build: str


def _walk(node: Traversable, prefix: str = "") -> Iterator[tuple[str, Traversable]]:
    for child in sorted(node.iterdir(), key=lambda c: c.name):
        path = prefix + child.name
        if child.is_dir():
            if child.name != "__pycache__":
                yield from _walk(child, path + "/")
        elif PurePosixPath(child.name).suffix in CONTENT_TYPES:
            yield path, child


@functools.cache
def load_bundle(package: str = PACKAGE) -> Bundle:
    """Read the dashboard from the installed package (once per process: it is package
    data, and it only changes with an upgrade, which restarts the daemon)."""
    root = files(package)
    assets = {path: node.read_bytes() for path, node in _walk(root)}
    digest = hashlib.sha256()
    for path, content in assets.items():
        digest.update(b"%d:%s%d:" % (len(path), path.encode(), len(content)) + content)
    index = root.joinpath("index.html").read_text(encoding="utf-8")
    return Bundle(index=index, assets=assets, build=digest.hexdigest()[:16])


def render_index(bundle: Bundle, token: str | None, nonce: str) -> str:
    """index.html with its asset URLs; with `token`, every module and the stylesheet are
    fetched with `?token=` (see the module docstring)."""
    base = f"assets/{bundle.build}/"
    query = f"?token={quote(token, safe='')}" if token else ""
    import_map = ""
    if token:
        modules = sorted(p for p in bundle.assets if p.endswith(".js"))
        mapping = {f"./{base}{p}": f"./{base}{p}{query}" for p in modules}
        text = json.dumps({"imports": mapping}, separators=(",", ":"))
        # `<`, `>` and `&` escaped so that nothing in the JSON can close the script element
        text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
        import_map = f'<script type="importmap" nonce="{nonce}">{text}</script>'
    return (
        bundle.index.replace("{{stylesheet}}", escape(base + STYLESHEET + query))
        .replace("{{entry}}", escape(base + ENTRY + query))
        .replace("{{importmap}}", import_map)
    )


def _security_headers(nonce: str) -> dict[str, str]:
    policy = (
        "default-src 'self'; "
        f"script-src 'self' 'nonce-{nonce}'; "
        "style-src 'self'; img-src 'self' data:; connect-src 'self'; "
        "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    )
    return {
        "Cache-Control": "no-cache",
        "Content-Security-Policy": policy,
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
    }


@router.api_route("/", methods=["GET", "HEAD"], response_model=None)
async def index(request: Request) -> Response:
    """The app's one page. Views are client-side routes (`/#/runs/42`)."""
    raw = request.scope.get("raw_path")
    if isinstance(raw, bytes) and not raw.endswith(b"/"):
        # `<base_path>` without the slash: relative asset URLs need the slash
        target = request.scope.get("root_path", "") + "/"
        if request.url.query:
            target += "?" + request.url.query
        return RedirectResponse(target, status_code=308)
    nonce = secrets.token_urlsafe(16)
    page = render_index(load_bundle(), request.query_params.get("token") or None, nonce)
    return HTMLResponse(page, headers=_security_headers(nonce))


@router.api_route("/assets/{build}/{path:path}", methods=["GET", "HEAD"], response_model=None)
async def asset(build: str, path: str) -> Response:
    bundle = load_bundle()
    content = bundle.assets.get(path) if build == bundle.build else None
    if content is None:
        raise HTTPException(404)
    media_type = CONTENT_TYPES[PurePosixPath(path).suffix]
    headers = {"Cache-Control": ASSET_CACHE, "X-Content-Type-Options": "nosniff"}
    return Response(content, media_type=media_type, headers=headers)
