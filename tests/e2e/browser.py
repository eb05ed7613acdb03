"""What every web app's Chromium tests share (the kitchen display's and the point of sale's):
the artifacts folder, a switch that cuts a page's WebSocket, axe-core's serious violations and a
PNG's size. The `axe_source` fixture is in conftest.py."""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from playwright.sync_api import Page, WebSocketRoute

ARTIFACTS = Path(__file__).parent / "artifacts"
AXE_DIR = Path(__file__).parent / "axe"


@dataclass
class SocketSwitch:
    """Stands between a tablet and the stack's WebSocket: `cut()` drops every open socket and
    refuses new ones (the page sees them close), `restore()` lets them through again."""

    online: bool = True
    open: list[tuple[WebSocketRoute, WebSocketRoute]] = field(default_factory=list)
    refused: int = 0

    def handler(self, ws: WebSocketRoute) -> None:
        if not self.online:
            self.refused += 1
            ws.close(code=1011, reason="test: network down")
            return
        self.open.append((ws, ws.connect_to_server()))

    def cut(self) -> None:
        self.online = False
        for page_side, server_side in self.open:
            server_side.close()
            page_side.close(code=1011, reason="test: network down")
        self.open.clear()

    def restore(self) -> None:
        self.online = True


def png_size(path: Path) -> tuple[int, int]:
    with path.open("rb") as f:
        head = f.read(24)
    assert head[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", head[16:24])
    return width, height


def serious_violations(page: Page, axe_source: str) -> list[dict[str, Any]]:
    page.evaluate(axe_source)  # evaluated through the debugger protocol: the page's CSP stays on
    result = page.evaluate("async () => (await axe.run(document, { resultTypes: ['violations'] })).violations")
    return [{"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]][:5]}
            for v in result if v["impact"] in ("serious", "critical")]


def screenshot(page: Page, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path))
    return path
