"""`GET /display/`: the kitchen display's static files, through the Chalice app (what
`chalice package` ships), with their content types, revalidation and no way out of the folder."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from chalicelib.api.display import WEB_ROOT, base_href
from chalicelib.auth import PERMISSIONS
from tests.support.api import Api

FILES = sorted(p.name for p in WEB_ROOT.iterdir() if p.is_file() and p.name != "index.html")


def test_the_page_is_html_with_a_base_for_its_modules_and_a_strict_csp(api: Api) -> None:
    for path in ("/display", "/display/"):
        reply = api.as_(None).get(path)
        assert reply.status == 200
        assert reply.headers["Content-Type"] == "text/html; charset=utf-8"
        assert '<base href="/display/">' in reply.body
        assert '<script type="module" src="app.js">' in reply.body
        assert "script-src 'self'" in reply.headers["Content-Security-Policy"]
        assert reply.headers["Cache-Control"] == "no-cache"


@pytest.mark.parametrize("name", FILES)
def test_every_asset_is_served_with_its_content_type_and_an_etag(api: Api, name: str) -> None:
    reply = api.as_(None).get(f"/display/{name}")
    expected = {".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8"}[Path(name).suffix]
    assert reply.status == 200 and reply.headers["Content-Type"] == expected
    assert reply.headers["X-Content-Type-Options"] == "nosniff"
    assert reply.body == (WEB_ROOT / name).read_text(encoding="utf-8")
    again = api.as_(None).get(f"/display/{name}", headers={"If-None-Match": reply.headers["ETag"]})
    assert again.status == 304 and not again.body


@pytest.mark.parametrize("name", ["index.html", "..%2Fapp.py", ".env", "missing.js", "app.py", "APP.JS"])
def test_nothing_but_the_listed_assets_is_served(api: Api, name: str) -> None:
    assert api.as_(None).get(f"/display/{name}").status == 404


def test_the_base_follows_the_stage_path_api_gateway_puts_in_front() -> None:
    assert base_href("/display/") == "/display/"
    assert base_href("/display") == "/display/"
    assert base_href("/api/display/") == "/api/display/"


def test_the_displays_role_table_matches_the_roles_that_hold_each_permission() -> None:
    text = (WEB_ROOT / "roles.js").read_text(encoding="utf-8")
    table = text[text.index("ROLES_WITH = {") + len("ROLES_WITH = "): text.index("};") + 1]
    roles = json.loads(re.sub(r",\s*}", "}", table.replace("'", '"')))
    assert set(roles) == {"transacciones:fire", "transacciones:rush", "catalog:sold_out", "reports:kitchen"}
    for permission, listed in roles.items():
        assert sorted(listed) == sorted(r for r, granted in PERMISSIONS.items() if permission in granted), permission


def test_every_string_key_the_display_uses_exists_in_spanish_and_english() -> None:
    strings = (WEB_ROOT / "strings.js").read_text(encoding="utf-8")
    es, en = strings.split("\n  en: {")
    keys = lambda block: set(re.findall(r"^\s{4}(\w+):", block, re.M))  # noqa: E731
    assert keys(es) == keys(en)
    used = {key for module in WEB_ROOT.glob("*.js") for key in re.findall(r"\bt\('(\w+)'", module.read_text(encoding="utf-8"))}
    used |= {"signIn", "signingIn", "username", "password", "tenant", "badCredentials", "throttled", "networkError"}
    assert {"fire", "held", "rush", "soldOut", "today", "todayMedian"} <= used
    assert used <= keys(es), used - keys(es)
