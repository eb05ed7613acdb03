"""STOMP 1.2 at the socket edge (docs/websocket.md): CONNECT authenticates with its `login`
header within a deadline, SUBSCRIBE maps a seed-004 destination onto a kds channel through the
one subscription policy, UNSUBSCRIBE by id."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from chalicelib.domain.connections import Connection, pending_connection
from chalicelib.errors import Unauthorized
from chalicelib.observability import logger
from chalicelib.realtime import stomp
from chalicelib.realtime.channels import ChannelRefused, parse
from chalicelib.realtime.socket_core import SocketCore, connection_of, header_of


class StompAdapter:
    def __init__(self, core: SocketCore, connect_deadline_seconds: int) -> None:
        self.core = core
        self.connect_deadline_seconds = connect_deadline_seconds

    def connect(self, event: dict[str, Any], connection_id: str) -> dict[str, Any]:
        # STOMP authenticates with CONNECT's `login` header. The subprotocol is echoed only if offered.
        self.core.connections.add(pending_connection(connection_id, stomp.PROTOCOL))
        opened_at = str(int(self.core.clock()))
        self.core.connections.subscribe(connection_id, stomp.AWAITING_CONNECT_CHANNEL, stomp.PROTOCOL, opened_at)
        chosen = stomp.choose_subprotocol(header_of(event, "sec-websocket-protocol"))
        return {"statusCode": 200, "headers": {"Sec-WebSocket-Protocol": chosen}} if chosen else {"statusCode": 200}

    def handle(self, connection: Connection, text: str | None) -> None:
        hooks = stomp.StompHooks(self.core.reply, self.core.close, self.login, self.subscribe, self.unsubscribe,
                                 self.core.connections.keep_tail)
        stomp.StompSession(hooks).handle(connection, text, connection.tail)

    def login(self, connection: Connection, token: str | None) -> str | None:
        if not token:
            return "login header with an access token required"
        try:
            who = self.core.verify(token)
        except Unauthorized:
            return "invalid token"
        if not self.core.may_connect(who, "kds"):
            return "not allowed"
        self.core.connections.add(connection_of(connection.connection_id, who, "kds", connection.protocol))
        for key, tag in self.core.connections.tagged_subscriptions(connection.connection_id):
            if key == stomp.AWAITING_CONNECT_CHANNEL:
                self.core.connections.unsubscribe(connection.connection_id, key, stomp.PROTOCOL, tag)
        self.core.follow_user(connection.connection_id, who, stomp.PROTOCOL)
        return None

    def subscribe(self, connection: Connection, destination: str, sub_id: str) -> str | None:
        current = self.core.connections.get(connection.connection_id) or connection  # the row CONNECT just wrote
        target = stomp.destination(destination)
        if target is None:
            return f"unknown destination {destination}"
        if target.tenant is not None and target.tenant != current.tenant:
            return f"not allowed to subscribe to {destination}"
        if target.user is not None and target.user != current.user_id:
            return f"not allowed to subscribe to {destination}: it names another user"
        name = {
            "order": f"order:{target.target}",
            "venue": f"venue:{target.target}",
            "kds": f"user:{target.target}" if target.target == current.user_id else f"branch:{target.target}",
        }[target.kind]
        try:
            self.core.subscribe(current, parse("kds", name), stomp.PROTOCOL, f"{destination}|{sub_id}")
        except ChannelRefused as exc:
            return exc.message
        return None

    def unsubscribe(self, connection: Connection, sub_id: str) -> None:
        for key, tag in self.core.connections.tagged_subscriptions(connection.connection_id):
            if tag is not None and tag.partition("|")[2] == sub_id:
                self.core.connections.unsubscribe(connection.connection_id, key, stomp.PROTOCOL, tag)

    def close_unconnected(self, send_and_close: Callable[[list[str], str], Any] | None = None) -> int:
        """Close each STOMP connection that has not sent a valid CONNECT within the deadline
        (one Query on the awaiting channel), after an ERROR frame: through `send_and_close` (the
        sweep's sharded path) when given, one by one otherwise. Returns how many were closed."""
        cutoff = self.core.clock() - self.connect_deadline_seconds
        late = [s.connection_id for s in self.core.connections.subscribers_of(stomp.AWAITING_CONNECT_CHANNEL)
                if s.tag and int(s.tag) <= cutoff]
        farewell = stomp.error(f"no CONNECT within {self.connect_deadline_seconds} s")
        if send_and_close is not None and late:
            send_and_close(late, farewell)
        for cid in late:
            if send_and_close is None:
                self.core.reply(cid, farewell)
                self.core.close(cid)
            self.core.connections.remove(cid)  # also when the socket was already gone and no $disconnect comes
        if late:
            logger.info("stomp connections closed for want of CONNECT", count=len(late))
        return len(late)
