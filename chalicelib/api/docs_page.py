"""`GET /api/docs`: the OpenAPI document rendered by Redoc (vendored in chalicelib/web/docs/,
MIT licence beside it: these machines and many kitchens have no CDN). Public, like the document."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from chalice import Blueprint, Response

blueprint = Blueprint(__name__)

DOCS_ROOT = Path(__file__).resolve().parent.parent / "web" / "docs"
RENDERER = "redoc.standalone.js"
# Redoc styles itself inline and renders in a blob: worker; it fetches only the document.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; worker-src 'self' blob:; "
    "img-src 'self' data:; font-src 'self' data:; connect-src 'self'; base-uri 'self'; frame-ancestors 'none'"
)


@cache
def _read(name: str) -> str:
    return (DOCS_ROOT / name).read_text(encoding="utf-8")


def _headers(content_type: str) -> dict[str, str | list[str]]:
    return {"Content-Type": content_type, "Cache-Control": "max-age=300", "X-Content-Type-Options": "nosniff"}


@blueprint.route("/api/docs", methods=["GET"])
def docs_page() -> Response:
    path = str((blueprint.current_request.context or {}).get("path") or "/api/docs")
    base = path[: path.rfind("/docs")] + "/"  # `/api/` locally, `/<stage>/api/` behind API Gateway: the document's folder
    page = _read("index.html").replace("<!--BASE-->", f'<base href="{base}">')
    return Response(body=page, status_code=200, headers={**_headers("text/html; charset=utf-8"), "Content-Security-Policy": CSP,
                                                         "Referrer-Policy": "no-referrer"})


@blueprint.route("/api/docs/" + RENDERER, methods=["GET"])
def renderer() -> Response:
    return Response(body=_read(RENDERER), status_code=200, headers=_headers("text/javascript; charset=utf-8"))
