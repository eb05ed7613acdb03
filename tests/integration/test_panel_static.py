"""`GET /panel/`: the owner's dashboard's static files, served like the other web apps', its
vendored uPlot (unmodified, with its licence) on `/panel/vendor/`, and its role table and strings
in step with chalicelib/auth.py and the code that uses them."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from chalicelib.api.display import PANEL, PANEL_VENDOR, base_href
from chalicelib.auth import PERMISSIONS
from chalicelib.domain.tenancy import ROLES
from tests.support.api import Api

FILES = sorted(p.name for p in PANEL.root.iterdir() if p.is_file() and p.name != "index.html")
TYPES = {".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8"}


def test_the_panel_page_is_html_with_its_own_base_a_strict_csp_and_loads_the_vendored_styles(api: Api) -> None:
    for path in ("/panel", "/panel/"):
        reply = api.as_(None).get(path)
        assert reply.status == 200 and reply.headers["Content-Type"] == "text/html; charset=utf-8"
        assert '<base href="/panel/">' in reply.body and '<script type="module" src="app.js">' in reply.body
        assert '<link rel="stylesheet" href="vendor/uplot.css">' in reply.body
        csp = reply.headers["Content-Security-Policy"]
        assert "script-src 'self'" in csp and "style-src 'self'" in csp and "unsafe" not in csp
        assert reply.headers["Cache-Control"] == "no-cache"
    assert base_href("/api/panel/", "panel") == "/api/panel/"


@pytest.mark.parametrize("name", FILES)
def test_every_panel_asset_is_served_with_its_content_type_and_an_etag(api: Api, name: str) -> None:
    reply = api.as_(None).get(f"/panel/{name}")
    assert reply.status == 200 and reply.headers["Content-Type"] == TYPES[Path(name).suffix]
    assert reply.body == (PANEL.root / name).read_text(encoding="utf-8")
    again = api.as_(None).get(f"/panel/{name}", headers={"If-None-Match": reply.headers["ETag"]})
    assert again.status == 304 and not again.body


@pytest.mark.parametrize("name", ["uplot.js", "uplot.css"])
def test_the_vendored_chart_library_is_served_same_origin(api: Api, name: str) -> None:
    reply = api.as_(None).get(f"/panel/vendor/{name}")
    assert reply.status == 200 and reply.headers["Content-Type"] == TYPES[Path(name).suffix]
    assert reply.body == (PANEL_VENDOR.root / name).read_text(encoding="utf-8")


def test_the_vendored_library_is_uplot_unmodified_with_its_mit_licence_and_the_app_imports_it() -> None:
    licence = (PANEL_VENDOR.root / "LICENSE").read_text(encoding="utf-8")
    assert licence.startswith("The MIT License (MIT)") and "Leon Sorokin" in licence
    library = (PANEL_VENDOR.root / "uplot.js").read_text(encoding="utf-8")
    assert library.rstrip().endswith("export { uPlot as default };") and "function uPlot(opts, data, then)" in library
    assert "from './vendor/uplot.js'" in (PANEL.root / "charts.js").read_text(encoding="utf-8")
    assert not re.search(r"https?://", (PANEL.root / "index.html").read_text(encoding="utf-8"))  # no CDN


@pytest.mark.parametrize("name", ["index.html", "LICENSE", "README.md", "..%2Fapp.js", "missing.js", "UPLOT.JS"])
def test_nothing_but_the_vendored_assets_is_served_from_vendor(api: Api, name: str) -> None:
    assert api.as_(None).get(f"/panel/vendor/{name}").status == 404


@pytest.mark.parametrize("name", ["index.html", "..%2Fpos%2Fapp.js", "missing.js", "APP.JS", "vendor"])
def test_nothing_but_the_panel_assets_is_served(api: Api, name: str) -> None:
    assert api.as_(None).get(f"/panel/{name}").status == 404


def test_the_panels_role_table_matches_auth_and_offers_every_role() -> None:
    text = (PANEL.root / "roles.js").read_text(encoding="utf-8")
    table = text[text.index("ROLES_WITH = {") + len("ROLES_WITH = "): text.index("};") + 1]
    roles = json.loads(re.sub(r",\s*}", "}", table.replace("'", '"')))
    assert roles, "roles.js lists no permission"
    for permission, listed in roles.items():
        assert sorted(listed) == sorted(r for r, granted in PERMISSIONS.items() if permission in granted), permission
    offered = json.loads(re.search(r"export const ROLES = (\[.*?\]);", text).group(1).replace("'", '"'))  # type: ignore[union-attr]
    assert offered == list(ROLES)


def test_every_string_key_the_panel_uses_exists_in_spanish_and_english() -> None:
    strings = (PANEL.root / "strings.js").read_text(encoding="utf-8")
    es, en = strings.split("\n  en: {")
    keys = lambda block: set(re.findall(r"^\s{4}(\w+):", block, re.M))  # noqa: E731
    assert keys(es) == keys(en)
    code = (PANEL.root / "app.js").read_text(encoding="utf-8")
    used = set(re.findall(r"\bt\('(\w+)'", code))
    used |= {f"{prefix}_{name}" for prefix, names in {"tab": ["charts", "cajas", "audit", "staff", "menu"], "role": ROLES,
             "diff": ["short", "over", "even"], "method": ["efectivo", "qr", "tarjeta"]}.items() for name in names}
    used |= {"signIn", "signingIn", "username", "password", "tenant", "badCredentials", "throttled", "networkError"}
    assert used <= keys(es), used - keys(es)
