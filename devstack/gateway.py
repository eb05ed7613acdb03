"""REST through Chalice's own local gateway (what `chalice local` runs), served by aiohttp.

Requests run in a thread pool; the app object gets Chalice's thread-local `current_request`
(the same class swap `chalice local` does) so concurrent requests do not see each other's.
"""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import Callable
from concurrent.futures import Executor
from pathlib import Path
from typing import Any

from aiohttp import web
from chalice.app import Chalice
from chalice.config import Config
from chalice.local import CustomLocalChalice, LocalChalice, LocalGateway, LocalGatewayException
from multidict import CIMultiDict

PROJECT_DIR = Path(__file__).resolve().parent.parent
_HOP_BY_HOP = {"content-length", "transfer-encoding", "connection"}


def load_config(app: Chalice, stage: str = "local", project_dir: Path = PROJECT_DIR) -> Config:
    """The chalice Config `chalice local --stage <stage>` would build, around an app we already imported."""
    config_file = project_dir / ".chalice" / "config.json"
    from_disk = json.loads(config_file.read_text()) if config_file.exists() else {}
    return Config(
        chalice_stage=stage,
        user_provided_params={"chalice_app": app, "project_dir": str(project_dir)},
        config_from_disk=from_disk,
        default_params={"api_gateway_stage": "api", "autogen_policy": True},
    )


def make_thread_safe(app: Chalice) -> Chalice:
    """Give the app a thread-local current_request, as chalice.local.create_local_server does."""
    if not isinstance(app, LocalChalice):
        CustomLocalChalice.__bases__ = (LocalChalice, app.__class__)
        app.__class__ = CustomLocalChalice
    return app


def request_headers(raw: Any) -> dict[str, str]:
    """Headers as one dict; a repeated header is joined with ", " (as API Gateway's `headers`)."""
    headers: dict[str, str] = {}
    for key, value in raw.items():
        headers[key] = f"{headers[key]}, {value}" if key in headers else value
    return headers


class RestGateway:
    def __init__(self, app: Chalice, config: Config, executor: Executor) -> None:
        self._gateway = LocalGateway(make_thread_safe(app), config)
        self._executor = executor
        self.after_request: Callable[[], None] | None = None  # the stack nudges the stream pollers

    def invoke(self, method: str, path: str, headers: dict[str, str], body: bytes | None) -> tuple[int, CIMultiDict[str], bytes]:
        """One request through the local gateway, synchronously. Returns status, headers, body."""
        try:
            response = self._gateway.handle_request(method=method, path=path, headers=headers, body=body)
        except LocalGatewayException as exc:
            out: CIMultiDict[str] = CIMultiDict(exc.headers or {})
            out.setdefault("Content-Type", "application/json")
            return exc.CODE, out, exc.body or b""
        out = CIMultiDict()
        for key, value in (response.get("headers") or {}).items():
            if key.lower() not in _HOP_BY_HOP:
                out.add(key, str(value))
        for key, values in (response.get("multiValueHeaders") or {}).items():
            if key.lower() not in _HOP_BY_HOP:
                for value in values:
                    out.add(key, str(value))
        raw = response.get("body")
        if raw is None:
            data = b""
        elif response.get("isBase64Encoded"):
            data = base64.b64decode(raw)
        else:
            data = raw if isinstance(raw, bytes) else str(raw).encode("utf-8")
        if data and "Content-Type" not in out:
            out["Content-Type"] = "application/json"
        return int(response["statusCode"]), out, data

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        loop = asyncio.get_running_loop()
        status, headers, data = await loop.run_in_executor(
            self._executor, self.invoke, request.method, request.raw_path, request_headers(request.headers), body or None
        )
        if self.after_request is not None:
            self.after_request()
        return web.Response(status=status, headers=headers, body=data)
