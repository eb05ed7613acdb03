"""Run the stack's HTTP/WebSocket front (REST gateway + WebSocket emulator + Management API) for
any Chalice app inside a test process, on a background event loop and a free port.

    with serve_app(app) as server:
        ws = websockets.sync.client.connect(server.ws_url + "/cocina?token=...")
        boto3.client("apigatewaymanagementapi", endpoint_url=server.base_url, ...)
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from aiohttp import web
from chalice.app import Chalice

from devstack.gateway import RestGateway, load_config
from devstack.stack import Router, bind_socket
from devstack.websocket import WebsocketEmulator


@dataclass
class ServedApp:
    port: int
    websocket: WebsocketEmulator
    loop: asyncio.AbstractEventLoop

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    def run(self, coro: Any, timeout: float = 10) -> Any:
        """Run a coroutine on the server's loop (e.g. to inspect emulator state safely)."""
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)


@contextmanager
def serve_app(app: Chalice, stage: str = "local", workers: int = 8) -> Iterator[ServedApp]:
    sock = bind_socket("127.0.0.1", 0)
    port = sock.getsockname()[1]
    executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="lambda")
    loop = asyncio.new_event_loop()
    websocket = WebsocketEmulator(app, executor, port=port)
    router = Router(rest=RestGateway(app, load_config(app, stage), executor).handle, websocket=websocket)
    runner = web.AppRunner(router.web_app(), access_log=None, handle_signals=False)
    thread = threading.Thread(target=loop.run_forever, name="devstack-loop", daemon=True)
    thread.start()

    async def start() -> None:
        await runner.setup()
        await web.SockSite(runner, sock, shutdown_timeout=1.0).start()

    async def stop() -> None:
        await websocket.close_all()
        await runner.cleanup()

    asyncio.run_coroutine_threadsafe(start(), loop).result(10)
    try:
        yield ServedApp(port, websocket, loop)
    finally:
        asyncio.run_coroutine_threadsafe(stop(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(5)
        loop.close()
        executor.shutdown(wait=False, cancel_futures=True)
        sock.close()
