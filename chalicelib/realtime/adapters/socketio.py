"""Socket.IO (Engine.IO v4, Socket.IO v5) at the socket edge (docs/websocket.md): the open packet
sent from the connections stream, namespace connects that authenticate, `subscribe` and
`unsubscribe` events in `kds`, heartbeats, and the upgrade from long-polling."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

from chalicelib.domain.connections import Connection, pending_connection
from chalicelib.errors import Unauthorized
from chalicelib.observability import logger
from chalicelib.realtime import socketio
from chalicelib.realtime.channels import ChannelRefused, parse
from chalicelib.realtime.socket_core import SocketCore, connection_of

# Waits before re-posting a greeting that got 410 while its $connect may still be returning.
GREETING_RETRIES = (0.05, 0.1, 0.2, 0.4, 0.8)


class SocketIOAdapter:
    def __init__(self, core: SocketCore, timing: tuple[int, int], post: Callable[[str, str], Any],
                 sleep: Callable[[float], None]) -> None:
        self.core = core
        self.timing = timing  # (pingInterval, pingTimeout) in ms
        self.post = post
        self.sleep = sleep

    def connect(self, event: dict[str, Any], connection_id: str) -> dict[str, Any]:
        # Socket.IO authenticates per namespace, after the upgrade (`40/cocina,{"token"}`).
        sid = (event.get("queryStringParameters") or {}).get("sid")
        upgrading = f"poll:{sid}" if sid else None  # an upgrade from long-polling: no open packet
        if upgrading and self.core.connections.get(upgrading) is None:
            return {"statusCode": 400, "body": "unknown sid"}
        # Heartbeats start with the open packet (or, on an upgrade, come with the session): a ping
        # before the open packet, or during the probe, would break the client's handshake.
        self.core.connections.add(replace(pending_connection(connection_id, socketio.PROTOCOL), upgraded_from=upgrading))
        return {"statusCode": 200}

    def session(self) -> socketio.SocketIOSession:
        hooks = socketio.SessionHooks(self.core.reply, self.core.close, self.join, self.leave, self.subscription, self.probed,
                                      self.upgraded)
        return socketio.SocketIOSession(hooks)

    def packet(self, connection: Connection, packet: str) -> None:
        """One packet of a long-polling POST (the same conversation as over a WebSocket)."""
        self.session().handle(connection, packet)

    def probed(self, connection: Connection) -> None:
        if connection.upgraded_from:
            self.core.reply(connection.upgraded_from, "6")  # the pending poll returns, so the client can upgrade

    def upgraded(self, connection: Connection) -> None:
        old = self.core.connections.get(connection.upgraded_from) if connection.upgraded_from else None
        if old is None:
            return
        cid = connection.connection_id
        self.core.connections.add(replace(old, connection_id=cid, upgraded_from=connection.upgraded_from))
        for key, tag in self.core.connections.tagged_subscriptions(old.connection_id):
            self.core.connections.subscribe(cid, key, socketio.PROTOCOL, tag)
        waiting = self.core.connections.take_queued(old.connection_id)
        self.core.connections.remove(old.connection_id)
        for packet in waiting:
            if packet != "6":
                self.core.reply(cid, packet)

    def greet(self, stream_event: dict[str, Any]) -> dict[str, Any]:
        """Connections-table stream batch: send the open packet to each new Socket.IO connection
        (the row exists once $connect has written it; $connect itself cannot send).

        API Gateway accepts posts only once $connect has returned, and the stream can be quicker:
        a greeting answered 410 is re-posted after GREETING_RETRIES (1.55 s in all, one schedule
        for the whole batch, so one dead connection does not delay the others), then handed to
        the reply path, whose Sender forgets a connection it finds gone. A greeting that fails
        otherwise is not retried: the client times out and reconnects."""
        ids = []
        for record in stream_event.get("Records", []):
            if record.get("eventName") != "INSERT":
                continue
            opened = self.core.connections.decode_connection((record.get("dynamodb") or {}).get("NewImage") or {})
            # A long-polling session (poll:...) got its open packet from the handshake; an upgrade needs none.
            fresh = opened is not None and opened.upgraded_from is None and not opened.connection_id.startswith("poll:")
            if fresh and opened is not None and opened.protocol == socketio.PROTOCOL:
                ids.append(opened.connection_id)
        packets = {cid: socketio.open_packet(cid, *self.timing) for cid in ids}
        waiting = [cid for cid in ids if self._greet(cid, packets[cid], self.post) == "gone"]
        for delay in GREETING_RETRIES:
            if not waiting:
                break
            self.sleep(delay)
            waiting = [cid for cid in waiting if self._greet(cid, packets[cid], self.post) == "gone"]
        for cid in waiting:
            self._greet(cid, packets[cid], self.core.reply)
        return {"batchItemFailures": []}

    def _greet(self, connection_id: str, packet: str, post: Callable[[str, str], Any]) -> str:
        try:
            outcome = str(post(connection_id, packet))
        except Exception:
            logger.exception("socket.io open packet not sent")
            return "failed"
        if outcome == "delivered":
            self.core.connections.subscribe(connection_id, socketio.HEARTBEAT_CHANNEL, socketio.PROTOCOL)  # pings start now
        return outcome

    def heartbeat(self, send: Callable[[list[str], str], Any]) -> int:
        """Ping every Socket.IO connection (one Query on the heartbeat channel)."""
        ids = self.core.connections.subscribers(socketio.HEARTBEAT_CHANNEL)
        if ids:
            send(ids, socketio.ping_packet())
        return len(ids)

    def join(self, connection: Connection, namespace: str, token: str | None) -> str | None:
        if not token:
            return "token required"
        try:
            who = self.core.verify(token)
        except Unauthorized:
            return "invalid token"
        if connection.authenticated and (who.tenant, who.user_id) != (connection.tenant, connection.user_id):
            return "one identity per connection"
        if not self.core.may_connect(who, namespace):
            return f"not allowed in namespace {namespace}"
        joined = [n for n in connection.namespace.split(",") if n]
        namespaces = ",".join(dict.fromkeys([*joined, namespace]))
        self.core.connections.add(connection_of(connection.connection_id, who, namespaces, connection.protocol))
        for channel in self.core.automatic_channels(who, namespace):
            self.core.connections.subscribe(connection.connection_id, channel.key(who.tenant), connection.protocol)
        self.core.follow_user(connection.connection_id, who, connection.protocol)
        logger.info("socket.io namespace joined", connection_id=connection.connection_id, namespace=namespace, tenant=who.tenant)
        return None

    def leave(self, connection: Connection, namespace: str) -> None:
        for key in self.core.connections.subscriptions(connection.connection_id):
            if key.startswith(f"{connection.tenant}/{namespace}/"):
                self.core.connections.unsubscribe(connection.connection_id, key, connection.protocol)

    def subscription(self, connection: Connection, namespace: str, action: str, name: object) -> dict[str, Any]:
        try:
            channel = parse(namespace, name)
            key = channel.key(connection.tenant)
            if action == "subscribe":
                self.core.subscribe(connection, channel, connection.protocol)
            else:
                self.core.connections.unsubscribe(connection.connection_id, key, connection.protocol)
        except ChannelRefused as exc:
            return {"event": "error", "data": {"code": exc.code, "message": exc.message}}
        return {"event": f"{action}d", "data": {"channel": channel.name}}

