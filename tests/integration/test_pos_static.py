"""`GET /pos/`: the point of sale's static files, served like the kitchen display's, and its
role table in step with chalicelib/auth.py."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from chalicelib.api.display import POS, base_href
from chalicelib.auth import PERMISSIONS
from tests.support.api import Api

FILES = sorted(p.name for p in POS.root.iterdir() if p.is_file() and p.name != "index.html")


def test_the_pos_page_is_html_with_its_own_base_and_a_strict_csp(api: Api) -> None:
    for path in ("/pos", "/pos/"):
        reply = api.as_(None).get(path)
        assert reply.status == 200 and reply.headers["Content-Type"] == "text/html; charset=utf-8"
        assert '<base href="/pos/">' in reply.body and '<script type="module" src="app.js">' in reply.body
        assert "script-src 'self'" in reply.headers["Content-Security-Policy"]
        assert reply.headers["Cache-Control"] == "no-cache"
    assert base_href("/api/pos/", "pos") == "/api/pos/"


@pytest.mark.parametrize("name", FILES)
def test_every_pos_asset_is_served_with_its_content_type_and_an_etag(api: Api, name: str) -> None:
    reply = api.as_(None).get(f"/pos/{name}")
    expected = {".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8"}[Path(name).suffix]
    assert reply.status == 200 and reply.headers["Content-Type"] == expected
    assert reply.body == (POS.root / name).read_text(encoding="utf-8")
    again = api.as_(None).get(f"/pos/{name}", headers={"If-None-Match": reply.headers["ETag"]})
    assert again.status == 304 and not again.body


@pytest.mark.parametrize("name", ["index.html", "..%2Fkds%2Fapp.js", "missing.js", "APP.JS"])
def test_nothing_but_the_pos_assets_is_served(api: Api, name: str) -> None:
    assert api.as_(None).get(f"/pos/{name}").status == 404


def test_the_screens_role_table_matches_the_roles_that_hold_each_permission() -> None:
    text = (POS.root / "roles.js").read_text(encoding="utf-8")
    table = text[text.index("ROLES_WITH = {") + len("ROLES_WITH = "): text.index("};") + 1]
    roles = json.loads(re.sub(r",\s*}", "}", table.replace("'", '"')))
    assert roles, "roles.js lists no permission"
    for permission, listed in roles.items():
        assert sorted(listed) == sorted(r for r, granted in PERMISSIONS.items() if permission in granted), permission


def test_every_string_key_the_pos_uses_exists_in_spanish_and_english() -> None:
    strings = (POS.root / "strings.js").read_text(encoding="utf-8")
    es, en = strings.split("\n  en: {")
    keys = lambda block: set(re.findall(r"^\s{4}(\w+):", block, re.M))  # noqa: E731
    assert keys(es) == keys(en)
    used = set(re.findall(r"\bt\('(\w+)'", (POS.root / "app.js").read_text(encoding="utf-8")))
    # and what the shared sign-in (common/session.js) asks of every app's strings
    used |= {"signIn", "signingIn", "username", "password", "tenant", "badCredentials", "throttled", "networkError"}
    assert used <= keys(es), used - keys(es)
