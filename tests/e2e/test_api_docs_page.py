"""`/api/docs` in Debian's Chromium: the OpenAPI document rendered by the vendored Redoc, with no
network beyond the stack itself. Screenshot in tests/e2e/artifacts/."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Page, expect

from tests.e2e.harness import RunningStack

ARTIFACTS = Path(__file__).parent / "artifacts"


def test_the_docs_page_renders_every_surface_of_the_api_from_the_served_document(stack: RunningStack, page: Page) -> None:
    outside: list[str] = []  # Redoc's footer tries a CDN logo; the page's CSP refuses it, and nothing else leaves
    page.on("requestfinished", lambda r: outside.append(r.url) if not r.url.startswith((stack.base_url, "blob:", "data:")) else None)
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(f"{stack.base_url}/api/docs")
    expect(page.locator("h1").first).to_contain_text("Comanda", timeout=20_000)
    for tag in ("transacciones", "caja", "kds", "pedidos", "auditoria"):
        expect(page.locator(f"#tag\\/{tag}")).to_have_count(1)
    expect(page.get_by_text("/api/transacciones/{tx_id}/pagos").first).to_be_attached()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "api-docs.png"))
    assert not errors and not outside, (errors, outside)
