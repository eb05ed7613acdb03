"""Comanda's web apps: static files under `chalicelib/web/`, one folder per app, each served on
its own path (the kitchen display `chalicelib/web/kds/` on `GET /display/`, the point of sale
`chalicelib/web/pos/` on `GET /pos/`, the owner's dashboard `chalicelib/web/panel/` on `GET /panel/`
with its vendored charting library in `panel/vendor/` on `GET /panel/vendor/`), plus the modules
they share (`chalicelib/web/common/` on `GET /common/`: sign-in, API client, live socket, resync, server clock, strings).

An app's modules import the shared ones as `../common/<name>.js`, which is the same relative path
on disk and on the wire: no build step. The files live under chalicelib/ because
`chalice package/deploy` ships only app.py and chalicelib/.

Public by design (a page holds no data; it signs in through `POST /api/auth/login`). Files are
not fingerprinted, so every response carries an ETag and `Cache-Control: no-cache`: a tablet
revalidates on each load (a 304 costs no body) and never runs a stale module after a deploy.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from chalice import Blueprint, Response

blueprint = Blueprint(__name__)

WEB = Path(__file__).resolve().parent.parent / "web"


@dataclass(frozen=True)
class WebApp:
    path: str  # the URL folder: /<path>/
    folder: str  # the folder under chalicelib/web/
    title: str  # what the OpenAPI document calls it
    has_page: bool = True  # serves index.html on /<path> and /<path>/

    @property
    def root(self) -> Path:
        return WEB / self.folder


DISPLAY = WebApp("display", "kds", "The kitchen display")
POS = WebApp("pos", "pos", "The point of sale")
PANEL = WebApp("panel", "panel", "The owner's dashboard")
# uPlot, unmodified (its MIT licence beside it in chalicelib/web/panel/vendor/LICENSE): no CDN on these machines.
PANEL_VENDOR = WebApp("panel/vendor", "panel/vendor", "The dashboard's vendored charting library", has_page=False)
SHARED = WebApp("common", "common", "The web apps' shared modules", has_page=False)
APPS: tuple[WebApp, ...] = (DISPLAY, POS, PANEL, PANEL_VENDOR, SHARED)

WEB_ROOT = DISPLAY.root  # the kitchen display's folder
CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".json": "application/json; charset=utf-8",
    ".svg": "image/svg+xml; charset=utf-8",
}
ASSET_NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,60}\.(css|js|json|svg)")
BASE_MARKER = "<!--BASE-->"
# A page loads only its own modules and styles; the API and the socket are same-origin.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self' ws: wss:; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)


@lru_cache(maxsize=128)
def _read(root: Path, name: str) -> str:
    return (root / name).read_text(encoding="utf-8")


def _serve(name: str, text: str, extra: dict[str, str] | None = None) -> Response:
    etag = '"' + hashlib.sha256(text.encode()).hexdigest()[:20] + '"'
    headers: dict[str, str | list[str]] = {
        "Content-Type": CONTENT_TYPES[Path(name).suffix],
        "Cache-Control": "no-cache",
        "ETag": etag,
        "X-Content-Type-Options": "nosniff",
        **(extra or {}),
    }
    request_headers = {k.lower(): v for k, v in dict(blueprint.current_request.headers or {}).items()}
    if etag in [t.strip() for t in request_headers.get("if-none-match", "").split(",")]:
        return Response(body="", status_code=304, headers={k: v for k, v in headers.items() if k != "Content-Type"})
    return Response(body=text, status_code=200, headers=headers)


def base_href(request_path: str, app: str = DISPLAY.path) -> str:
    """Where an app's files are, as the browser sees it: `/display/` locally, `/api/display/`
    behind API Gateway's stage path. The route matches with or without the trailing slash, so
    relative URLs need this <base>."""
    cut = request_path.rfind(f"/{app}")
    prefix = request_path[:cut] if cut >= 0 else ""
    return f"{prefix}/{app}/"


def _page_view(app: WebApp) -> Callable[[], Response]:
    def page() -> Response:
        text = _read(app.root, "index.html")
        path = str((blueprint.current_request.context or {}).get("path") or f"/{app.path}/")
        page = text.replace(BASE_MARKER, f'<base href="{base_href(path, app.path)}">')
        return _serve("index.html", page, {"Content-Security-Policy": CSP, "Referrer-Policy": "no-referrer"})

    page.__name__ = f"{app.path.replace('/', '_')}_page"
    return page


def _asset_view(app: WebApp) -> Callable[[str], Response]:
    def asset(asset: str) -> Response:
        if not ASSET_NAME.fullmatch(asset) or not (app.root / asset).is_file():
            return Response(body="Not found", status_code=404, headers={"Content-Type": "text/plain; charset=utf-8"})
        return _serve(asset, _read(app.root, asset))

    asset.__name__ = f"{app.path.replace('/', '_')}_asset"
    return asset


def routes() -> list[tuple[str, str]]:
    """(path, what it serves) for every route of this blueprint: the OpenAPI document lists these."""
    out = []
    for app in APPS:
        if app.has_page:
            out.append((f"/{app.path}", f"{app.title} (HTML)"))
        out.append((f"/{app.path}/{{asset}}", f"A file of {app.title[0].lower()}{app.title[1:]}"))
    return out


for _app in APPS:
    if _app.has_page:
        blueprint.route(f"/{_app.path}", methods=["GET"])(_page_view(_app))
    blueprint.route(f"/{_app.path}/{{asset}}", methods=["GET"])(_asset_view(_app))
