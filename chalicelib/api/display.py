"""The kitchen display web app (`chalicelib/web/kds/`): static files served on `GET /display/`.

They live under chalicelib/ because `chalice package/deploy` ships only app.py and chalicelib/.
Public by design (the page holds no data; it signs in through `POST /api/auth/login`). Files are
not fingerprinted, so every response carries an ETag and `Cache-Control: no-cache`: a tablet
revalidates on each load (a 304 costs no body) and never runs a stale module after a deploy.
"""

from __future__ import annotations

import hashlib
import re
from functools import lru_cache
from pathlib import Path

from chalice import Blueprint, Response

blueprint = Blueprint(__name__)

WEB_ROOT = Path(__file__).resolve().parent.parent / "web" / "kds"
CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".json": "application/json; charset=utf-8",
    ".svg": "image/svg+xml; charset=utf-8",
}
ASSET_NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,60}\.(css|js|json|svg)")
BASE_MARKER = "<!--BASE-->"
# The page loads only its own modules and styles; the API and the socket are same-origin.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self' ws: wss:; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)


@lru_cache(maxsize=64)
def _read(name: str) -> str:
    return (WEB_ROOT / name).read_text(encoding="utf-8")


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


def base_href(request_path: str) -> str:
    """Where the page's files are, as the browser sees it: `/display/` locally, `/api/display/`
    behind API Gateway's stage path. The route matches with or without the trailing slash, so
    relative URLs need this <base>."""
    cut = request_path.rfind("/display")
    prefix = request_path[:cut] if cut >= 0 else ""
    return f"{prefix}/display/"


@blueprint.route("/display", methods=["GET"])
def display_page() -> Response:
    text = _read("index.html")
    path = str((blueprint.current_request.context or {}).get("path") or "/display/")
    base = base_href(path)
    page = text.replace(BASE_MARKER, f'<base href="{base}">')
    return _serve("index.html", page, {"Content-Security-Policy": CSP, "Referrer-Policy": "no-referrer"})


@blueprint.route("/display/{asset}", methods=["GET"])
def display_asset(asset: str) -> Response:
    if not ASSET_NAME.fullmatch(asset) or not (WEB_ROOT / asset).is_file():
        return Response(body="Not found", status_code=404, headers={"Content-Type": "text/plain; charset=utf-8"})
    return _serve(asset, _read(asset))
