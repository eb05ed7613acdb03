"""The WebSocket routes: $connect authenticates and registers, $default speaks the connection's
protocol, $disconnect cleans up. Each protocol is an adapter (realtime/adapters/) over the one
SocketCore: JSON frames, Socket.IO, STOMP and GastroMovil's sockets.

The namespace comes from the `namespace` query parameter (AWS: wss://<api>/<stage>?namespace=kds;
locally the emulator maps the path /cocina or /kds onto it). Without one it is `cocina`.
The protocol comes from the `protocol` query parameter (`json` when absent; locally the
emulator maps the path /socket.io/ onto `protocol=socketio`). See docs/websocket.md."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from chalicelib.auth import Principal, TokenService
from chalicelib.domain.connections import Connection
from chalicelib.domain.sales import Sale
from chalicelib.errors import Unauthorized
from chalicelib.observability import logger
from chalicelib.realtime import protocol, socketio, stomp
from chalicelib.realtime.adapters import json as json_frames
from chalicelib.realtime.adapters.gastromovil import GASTRO, GastroAdapter, GastroHooks
from chalicelib.realtime.adapters.socketio import SocketIOAdapter
from chalicelib.realtime.adapters.stomp import StompAdapter
from chalicelib.realtime.channels import NAMESPACES
from chalicelib.realtime.socket_core import (
    MAX_MESSAGES_PER_SECOND,
    MAX_SUBSCRIPTIONS,
    TOO_MANY_SUBSCRIPTIONS,
    SocketCore,
    namespace_of,
    protocol_of,
    revocation_key,
    token_of,
)
from chalicelib.services.ports import ConnectionStore

__all__ = ["GASTRO", "TOO_MANY_SUBSCRIPTIONS", "GastroHooks", "SocketGateway", "revocation_key"]

PROTOCOLS = ("json", "socketio", "stomp")


class SocketGateway(SocketCore):
    def __init__(
        self,
        tokens: TokenService,
        connections: ConnectionStore,
        branch_exists: Callable[[str, str], bool],
        reply: Callable[[str, str], Any],
        close: Callable[[str], Any] | None = None,
        socketio_timing: tuple[int, int] = (240_000, 120_000),
        find_sale: Callable[[str, int], Sale | None] = lambda tenant, sale_id: None,
        stomp_connect_deadline_seconds: int = 10,
        clock: Callable[[], float] = time.time,
        gastro: GastroHooks | None = None,
        session_check: Callable[[Principal], None] = lambda principal: None,
        max_subscriptions: int = MAX_SUBSCRIPTIONS,
        max_messages_per_second: int = MAX_MESSAGES_PER_SECOND,
        post: Callable[[str, str], str] | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        super().__init__(tokens, connections, branch_exists, reply, close, find_sale, clock, session_check, max_subscriptions,
                         max_messages_per_second)
        self.socketio = SocketIOAdapter(self, socketio_timing, post or reply, sleep)
        self.stomp = StompAdapter(self, stomp_connect_deadline_seconds)
        self.gastro = GastroAdapter(self, gastro)

    def connect(self, event: dict[str, Any]) -> dict[str, Any]:
        connection_id = event["requestContext"]["connectionId"]
        protocol_name = protocol_of(event)
        if protocol_name not in PROTOCOLS:
            return {"statusCode": 404, "body": f"unknown protocol {protocol_name}"}
        if protocol_name == "socketio":
            return self.socketio.connect(event, connection_id)
        if protocol_name == "stomp":
            return self.stomp.connect(event, connection_id)
        namespace = namespace_of(event)
        if namespace not in NAMESPACES:
            return {"statusCode": 404, "body": f"unknown namespace {namespace}"}
        token = token_of(event)
        if not token:
            return {"statusCode": 401, "body": "token required"}
        try:
            who = self.verify(token)
        except Unauthorized:
            return {"statusCode": 401, "body": "invalid token"}
        if namespace == GASTRO:
            return self.gastro.connect(connection_id, who, event)
        return json_frames.connect(self, connection_id, who, namespace)

    def message(self, event: dict[str, Any]) -> dict[str, Any]:
        connection_id = event["requestContext"]["connectionId"]
        connection = self.connections.get(connection_id)
        if connection is None:
            self.reply(connection_id, protocol.error_frame("unknown_connection", "connection is not registered"))
            return {"statusCode": 200}
        text = None if event.get("isBase64Encoded") else event.get("body")
        if self._flooding(connection):
            return {"statusCode": 200}
        if connection.protocol == GASTRO:
            self.gastro.handle(connection, text)
        elif connection.protocol == "socketio":
            self.socketio.session().handle(connection, text)
        elif connection.protocol == "stomp":
            self.stomp.handle(connection, text)
        else:
            json_frames.handle(self, connection, event.get("body"))
        return {"statusCode": 200}

    def _flooding(self, connection: Connection) -> bool:
        """More than the allowed messages this second: answer with an error frame, drop the message."""
        count = self.connections.count_message(connection.connection_id, int(self.clock()))
        if count <= self.max_messages_per_second:
            return False
        if count == self.max_messages_per_second + 1:
            message = f"more than {self.max_messages_per_second} messages a second; slow down"
            logger.info("socket rate limited", connection_id=connection.connection_id)
            if connection.protocol == "socketio":
                namespace = next((n for n in connection.namespace.split(",") if n), "/")
                self.reply(connection.connection_id, socketio.event(namespace, "error", {"code": "rate_limited", "message": message}))
            elif connection.protocol == "stomp":
                self.reply(connection.connection_id, stomp.error(message))
            else:
                self.reply(connection.connection_id, protocol.error_frame("rate_limited", message))
        return True

    # --- what the container's other handlers call --------------------------------------------

    def socketio_packet(self, connection: Connection, packet: str) -> None:
        """One packet of a long-polling POST (the same conversation as over a WebSocket)."""
        self.socketio.packet(connection, packet)

    def greet(self, stream_event: dict[str, Any]) -> dict[str, Any]:
        return self.socketio.greet(stream_event)

    def heartbeat(self, send: Callable[[list[str], str], Any]) -> int:
        return self.socketio.heartbeat(send)

    def close_unconnected_stomp(self, send_and_close: Callable[[list[str], str], Any] | None = None) -> int:
        return self.stomp.close_unconnected(send_and_close)
