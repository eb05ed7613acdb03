"""A local API Gateway WebSocket API: the app's own Chalice websocket handlers behind real sockets,
and the Management API (`@connections`) that boto3's `apigatewaymanagementapi` client talks to.

Conventions (see devstack/README.md):
- `ws://host:port/<namespace>` opens a connection in that namespace. The emulator passes it to
  `$connect` as the query parameter `namespace` (the AWS equivalent: the client connects to
  `wss://<api>/<stage>?namespace=<namespace>`). `ws://host:port/?namespace=x` works too.
- `$connect` may refuse: a non-2xx `statusCode` (or an exception, as a 500) is answered before
  the upgrade, with that status. A `Sec-WebSocket-Protocol` header in the `$connect` response
  selects the subprotocol, as in API Gateway.
- Every incoming message goes to `$default` (no route selection expression). Route responses
  are not emulated: what the handler returns is ignored; replies go through `@connections`.
- Limits as in API Gateway: a message over 128 KB closes the connection with 1009; a POST over
  128 KB is a 413 PayloadTooLargeException.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import os
import re
import time
import uuid
from collections.abc import Callable, Iterable
from concurrent.futures import Executor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from aiohttp import WSMsgType, web
from chalice.app import Chalice
from chalice.local import LambdaContext
from multidict import CIMultiDict

log = logging.getLogger("devstack.websocket")

NAMESPACES = ("cocina", "kds", "pedidos")
# Paths that select a protocol instead of a namespace (AWS: the front door adds `protocol=`).
PROTOCOL_PATHS = {"/socket.io": "socketio", "/ws": "stomp"}
# GastroMovil's socket paths (COMPAT C): the `gastromovil` namespace, the path after /ws/ as `ruta`
# (AWS: the front door's function does the same mapping).
GASTRO_PATH = re.compile(r"^/ws/(?P<ruta>(?:pedidos/(?:restaurante|cliente)|repartidor|ubicacion)/[^/]+)/?$")
MAX_MESSAGE_BYTES = 128 * 1024
MANAGEMENT_PATH = re.compile(r"^(?:/[^/@]+)?/@connections/(?P<id>[^/]+)/?$")


def _now_ms() -> int:
    return int(time.time() * 1000)


def _iso(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}Z"


def _request_time(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%d/%b/%Y:%H:%M:%S +0000")


def new_connection_id() -> str:
    """API Gateway-looking ids ("L0SM9cOFvHcCIhw="), URL-safe so they travel in paths."""
    return base64.urlsafe_b64encode(os.urandom(10)).decode()


@dataclass
class Connection:
    connection_id: str
    namespace: str | None
    source_ip: str
    user_agent: str
    connected_at: int
    ws: web.WebSocketResponse
    last_active_at: int = 0
    deleted: bool = False
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    def touch(self) -> None:
        self.last_active_at = _now_ms()


def _single_and_multi(pairs: Iterable[tuple[str, str]]) -> tuple[dict[str, str], dict[str, list[str]]]:
    single: dict[str, str] = {}
    multi: dict[str, list[str]] = {}
    for key, value in pairs:
        single[key] = value  # API Gateway keeps the last value in the single-valued map
        multi.setdefault(key, []).append(value)
    return single, multi


class WebsocketEmulator:
    def __init__(
        self,
        app: Chalice,
        executor: Executor,
        *,
        port: int,
        stage: str = "api",
        api_id: str = "local",
        namespaces: Iterable[str] = NAMESPACES,
    ) -> None:
        self.app = app
        self.executor = executor
        self.port = port
        self.stage = stage
        self.api_id = api_id
        self.domain_name = f"127.0.0.1:{port}"
        self.paths = {"/"} | {f"/{ns}" for ns in namespaces} | set(PROTOCOL_PATHS)
        self.connections: dict[str, Connection] = {}
        self.after_invoke: Callable[[], None] | None = None  # the stack nudges the stream pollers
        self._point_chalice_websocket_api_here()

    # --- the app's handlers -------------------------------------------------------------

    def _point_chalice_websocket_api_here(self) -> None:
        """Chalice's `app.websocket_api.send()` would build https://{apiId}.execute-api...;
        configure() is a no-op once an endpoint is set, so set ours first."""
        api = getattr(self.app, "websocket_api", None)
        if api is not None and getattr(api, "_endpoint", None) is None:
            api._endpoint = f"http://127.0.0.1:{self.port}"

    def _handler(self, route_key: str) -> Any:
        config = self.app.websocket_handlers.get(route_key)
        if config is None:
            return None
        return self.app.handler_map.get(config.name) or config.handler_function

    def _request_context(
        self, conn_id: str, route_key: str, event_type: str, connected_at: int, source_ip: str, ua: str
    ) -> dict[str, Any]:
        now = _now_ms()
        request_id = base64.urlsafe_b64encode(uuid.uuid4().bytes[:10]).decode()
        return {
            "routeKey": route_key,
            "eventType": event_type,
            "extendedRequestId": request_id,
            "requestTime": _request_time(now),
            "messageDirection": "IN",
            "stage": self.stage,
            "connectedAt": connected_at,
            "requestTimeEpoch": now,
            "identity": {"sourceIp": source_ip, "userAgent": ua},
            "requestId": request_id,
            "domainName": self.domain_name,
            "connectionId": conn_id,
            "apiId": self.api_id,
        }

    def accepts(self, path: str) -> bool:
        return (path.rstrip("/") or "/") in self.paths or GASTRO_PATH.match(path) is not None

    def connect_event(self, conn_id: str, request: web.Request, namespace: str | None, connected_at: int,
                      protocol: str | None = None, ruta: str | None = None) -> dict[str, Any]:
        headers, multi_headers = _single_and_multi(request.headers.items())
        query = [(k, v) for k, v in request.query.items()
                 if not (namespace and k == "namespace") and not (protocol and k == "protocol") and not (ruta and k == "ruta")]
        if namespace:
            query.append(("namespace", namespace))
        if protocol:
            query.append(("protocol", protocol))
        if ruta:
            query.append(("ruta", ruta))
        qs, multi_qs = _single_and_multi(query)
        ctx = self._request_context(conn_id, "$connect", "CONNECT", connected_at, request.remote or "127.0.0.1",
                                    request.headers.get("User-Agent", ""))
        return {
            "headers": headers,
            "multiValueHeaders": multi_headers,
            "queryStringParameters": qs or None,
            "multiValueQueryStringParameters": multi_qs or None,
            "requestContext": ctx,
            "isBase64Encoded": False,
        }

    def message_event(self, conn: Connection, body: str, is_base64: bool) -> dict[str, Any]:
        ctx = self._request_context(conn.connection_id, "$default", "MESSAGE", conn.connected_at, conn.source_ip, conn.user_agent)
        ctx["messageId"] = base64.urlsafe_b64encode(os.urandom(9)).decode()
        return {"requestContext": ctx, "body": body, "isBase64Encoded": is_base64}

    def disconnect_event(self, conn: Connection, status: int, reason: str) -> dict[str, Any]:
        ctx = self._request_context(
            conn.connection_id, "$disconnect", "DISCONNECT", conn.connected_at, conn.source_ip, conn.user_agent
        )
        ctx["disconnectStatusCode"] = status
        ctx["disconnectReason"] = reason
        return {"headers": {"Host": self.domain_name}, "multiValueHeaders": {"Host": [self.domain_name]},
                "requestContext": ctx, "isBase64Encoded": False}

    async def _invoke(self, route_key: str, event: dict[str, Any]) -> dict[str, Any] | None:
        handler = self._handler(route_key)
        if handler is None:
            return None
        context = LambdaContext(function_name="websocket_handler", memory_size=128, max_runtime_ms=29_000)
        loop = asyncio.get_running_loop()
        result = await loop.run_in_executor(self.executor, handler, event, context)
        if self.after_invoke is not None:
            self.after_invoke()
        return result if isinstance(result, dict) else None

    # --- sockets --------------------------------------------------------------------------

    async def handle(self, request: web.Request) -> web.StreamResponse:
        if not self.app.websocket_handlers:
            return web.json_response({"message": "No WebSocket API is registered by the app"}, status=404)
        path = request.path.rstrip("/")
        gastro = GASTRO_PATH.match(request.path)
        protocol = None if gastro else PROTOCOL_PATHS.get(path)
        namespace = "gastromovil" if gastro else None if protocol else (path[1:] or request.query.get("namespace") or None)
        conn_id = new_connection_id()
        connected_at = _now_ms()
        event = self.connect_event(conn_id, request, namespace, connected_at, protocol, gastro.group("ruta") if gastro else None)
        try:
            response = await self._invoke("$connect", event) or {"statusCode": 200}
        except Exception:
            log.exception("$connect handler raised")
            return web.json_response({"message": "Internal server error"}, status=500)
        status = int(response.get("statusCode", 200))
        resp_headers = CIMultiDict({str(k): str(v) for k, v in (response.get("headers") or {}).items()})
        if not 200 <= status < 300:
            body = response.get("body")
            return web.Response(status=status, text=body if isinstance(body, str) else None, headers=resp_headers)
        subprotocol = resp_headers.get("Sec-WebSocket-Protocol")
        ws = web.WebSocketResponse(protocols=(subprotocol,) if subprotocol else (), max_msg_size=0, autoping=True)
        await ws.prepare(request)
        conn = Connection(conn_id, namespace, request.remote or "127.0.0.1", request.headers.get("User-Agent", ""), connected_at, ws)
        conn.touch()
        self.connections[conn_id] = conn
        status_code, reason = 1000, "Client closed connection"
        try:
            async for msg in ws:
                if msg.type in (WSMsgType.TEXT, WSMsgType.BINARY):
                    data = msg.data if isinstance(msg.data, bytes) else msg.data.encode()
                    if len(data) > MAX_MESSAGE_BYTES:
                        status_code, reason = 1009, "Message too big"
                        await ws.close(code=1009, message=b"Message too big")
                        break
                    conn.touch()
                    is_text = msg.type == WSMsgType.TEXT
                    body = msg.data if is_text else base64.b64encode(data).decode()
                    try:
                        await self._invoke("$default", self.message_event(conn, body, not is_text))
                    except Exception:
                        log.exception("$default handler raised")
                elif msg.type == WSMsgType.ERROR:
                    status_code, reason = 1006, "Connection error"
                    break
        finally:
            self.connections.pop(conn_id, None)
            if conn.deleted:
                status_code, reason = 1000, "Connection deleted by the Management API"
            try:
                await self._invoke("$disconnect", self.disconnect_event(conn, status_code, reason))
            except Exception:
                log.exception("$disconnect handler raised")
        return ws

    async def close_all(self) -> None:
        for conn in list(self.connections.values()):
            await conn.ws.close(code=1001, message=b"Going away")

    # --- Management API -------------------------------------------------------------------

    @staticmethod
    def _error(status: int, error_type: str, message: str) -> web.Response:
        return web.json_response({"message": message}, status=status, headers={"x-amzn-ErrorType": error_type})

    def matches_management(self, path: str) -> bool:
        return MANAGEMENT_PATH.match(path) is not None

    async def management(self, request: web.Request) -> web.StreamResponse:
        match = MANAGEMENT_PATH.match(request.path)
        if match is None:
            return self._error(404, "NotFoundException", "Not Found")
        conn = self.connections.get(match.group("id"))
        if conn is None or conn.ws.closed:
            return self._error(410, "GoneException", f"Connection {match.group('id')} is gone")
        if request.method == "POST":
            data = await request.read()
            if len(data) > MAX_MESSAGE_BYTES:
                return self._error(413, "PayloadTooLargeException", "Message too long")
            async with conn.lock:
                try:
                    text = data.decode("utf-8")
                except UnicodeDecodeError:
                    await conn.ws.send_bytes(data)
                else:
                    await conn.ws.send_str(text)
            conn.touch()
            return web.Response(status=200)
        if request.method == "GET":
            return web.Response(
                status=200,
                content_type="application/json",
                text=json.dumps(
                    {
                        "connectedAt": _iso(conn.connected_at),
                        "lastActiveAt": _iso(conn.last_active_at),
                        "identity": {"sourceIp": conn.source_ip, "userAgent": conn.user_agent},
                    }
                ),
            )
        if request.method == "DELETE":
            conn.deleted = True
            await conn.ws.close(code=1000, message=b"Connection deleted")
            return web.Response(status=204)
        return self._error(405, "MethodNotAllowedException", f"{request.method} is not supported on @connections")
