"""The web apps' shared modules (`chalicelib/web/common/` on `GET /common/`): served like each
app's own files, and imported by the apps as `../common/<name>.js` (never copied)."""

from __future__ import annotations

import re

import pytest

from chalicelib.api.display import APPS, SHARED, WEB, WebApp, base_href
from tests.support.api import Api

SHARED_FILES = sorted(p.name for p in SHARED.root.iterdir() if p.is_file())
PAGES = [app for app in APPS if app.has_page]


@pytest.mark.parametrize("name", SHARED_FILES)
def test_every_shared_module_is_served_with_its_content_type_an_etag_and_no_cache(api: Api, name: str) -> None:
    reply = api.as_(None).get(f"/common/{name}")
    assert reply.status == 200 and reply.headers["Content-Type"] == "text/javascript; charset=utf-8"
    assert reply.headers["Cache-Control"] == "no-cache" and reply.headers["X-Content-Type-Options"] == "nosniff"
    assert reply.body == (SHARED.root / name).read_text(encoding="utf-8")
    again = api.as_(None).get(f"/common/{name}", headers={"If-None-Match": reply.headers["ETag"]})
    assert again.status == 304 and not again.body


@pytest.mark.parametrize("path", ["/common", "/common/", "/common/index.html", "/common/..%2Fkds%2Fapp.js", "/common/nope.js"])
def test_the_shared_folder_has_no_page_and_serves_nothing_else(api: Api, path: str) -> None:
    assert api.as_(None).get(path).status in (403, 404)


def test_every_shared_module_is_imported_by_some_app_and_every_relative_import_resolves_on_disk() -> None:
    imported: set[str] = set()
    for app in APPS:
        for module in app.root.glob("*.js"):
            for target in re.findall(r"""(?:from|import)\s+['"](\.{1,2}/[^'"]+)['"]""", module.read_text(encoding="utf-8")):
                resolved = (module.parent / target).resolve()
                assert resolved.is_file(), f"{module.relative_to(WEB)} imports {target}, which does not exist"
                if resolved.parent == SHARED.root:
                    imported.add(resolved.name)
    assert imported == set(SHARED_FILES)


@pytest.mark.parametrize("app", PAGES, ids=lambda a: a.path)
def test_each_app_page_has_its_own_base_behind_a_stage_path_too(app: WebApp) -> None:
    path = app.path
    assert base_href(f"/{path}", path) == f"/{path}/"
    assert base_href(f"/api/{path}/", path) == f"/api/{path}/"
