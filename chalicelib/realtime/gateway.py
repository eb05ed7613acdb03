"""The WebSocket routes: $connect authenticates and registers, $default speaks the connection's
protocol (JSON frames: subscribe / unsubscribe / ping; or Socket.IO), $disconnect cleans up.

The namespace comes from the `namespace` query parameter (AWS: wss://<api>/<stage>?namespace=kds;
locally the emulator maps the path /cocina or /kds onto it). Without one it is `cocina`.
The protocol comes from the `protocol` query parameter (`json` when absent; locally the
emulator maps the path /socket.io/ onto `protocol=socketio`). See docs/websocket.md."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from chalicelib.auth import Principal, TokenService, bearer_token
from chalicelib.domain.connections import Connection, pending_connection
from chalicelib.domain.sales import Sale
from chalicelib.errors import InvalidInput, Unauthorized
from chalicelib.observability import logger
from chalicelib.realtime import protocol, socketio, stomp
from chalicelib.realtime.channels import (
    NAMESPACES,
    Channel,
    ChannelRefused,
    OrderScope,
    authorize,
    gm_branch,
    gm_customer,
    gm_dispatch,
    gm_driver,
    gm_location,
    gm_sender,
    kitchen_channel,
    parse,
    parse_gastro_path,
    session_channel,
)
from chalicelib.services.ports import ConnectionStore

PROTOCOLS = ("json", "socketio", "stomp")
GASTRO = "gastromovil"  # the namespace and the protocol (framing) of GastroMovil's sockets


@dataclass(frozen=True)
class GastroHooks:
    """What the GastroMovil socket edge needs of the delivery use cases."""

    carrier_customer: Callable[[str, str], int | None]  # (tenant, driver) -> the customer whose order it carries
    record_position: Callable[[str, str, Any, Any], bool]  # validates (InvalidInput), stores; False if stale


def gastro_error(message: str) -> str:
    return json.dumps({"tipo": "error", "error": message}, ensure_ascii=False)


MAX_SUBSCRIPTIONS = 20  # per connection, not counting the gateway's own (_...) keys
MAX_MESSAGES_PER_SECOND = 20  # per connection
TOO_MANY_SUBSCRIPTIONS = f"a connection may hold at most {MAX_SUBSCRIPTIONS} subscriptions"


def revocation_key(tenant: str, user_id: str) -> str:
    """The channel key every authenticated connection of one user holds, so that revoking the
    user's sessions finds their sockets with one Query on by-channel. Never published to."""
    return f"_user/{tenant}/{user_id}"


def connection_of(connection_id: str, who: Principal, namespace: str, protocol: str = "json") -> Connection:
    """The connection row of an authenticated socket: who it is, in which namespace(s), over which protocol."""
    return Connection(connection_id, who.tenant, namespace, who.user_id, who.role, who.branch, who.kind, who.session, protocol,
                      token_id=who.token_id)


def internal(channel_key: str) -> bool:
    return channel_key.startswith("_")


def _token(event: dict[str, Any]) -> str | None:
    query = event.get("queryStringParameters") or {}
    if query.get("token"):
        return str(query["token"])
    try:
        return bearer_token(_header(event, "authorization"))
    except Unauthorized:
        return None


def _header(event: dict[str, Any], name: str) -> str | None:
    for key, value in (event.get("headers") or {}).items():
        if str(key).lower() == name:
            return str(value)
    return None


def namespace_of(event: dict[str, Any]) -> str:
    query = event.get("queryStringParameters") or {}
    return str(query.get("namespace") or "cocina")


def protocol_of(event: dict[str, Any]) -> str:
    query = event.get("queryStringParameters") or {}
    return str(query.get("protocol") or "json")


# Waits before re-posting a greeting that got 410 while its $connect may still be returning.
GREETING_RETRIES = (0.05, 0.1, 0.2, 0.4, 0.8)


class SocketGateway:
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
        self.post = post or reply
        self.sleep = sleep
        self.gastro = gastro
        self.session_check = session_check
        self.max_subscriptions = max_subscriptions
        self.max_messages_per_second = max_messages_per_second
        self.tokens = tokens
        self.connections = connections
        self.branch_exists = branch_exists
        self.find_sale = find_sale
        self.stomp_connect_deadline_seconds = stomp_connect_deadline_seconds
        self.clock = clock
        self.reply = reply
        self.close = close or (lambda connection_id: None)
        self.socketio_timing = socketio_timing  # (pingInterval, pingTimeout) in ms

    def connect(self, event: dict[str, Any]) -> dict[str, Any]:
        connection_id = event["requestContext"]["connectionId"]
        protocol = protocol_of(event)
        if protocol not in PROTOCOLS:
            return {"statusCode": 404, "body": f"unknown protocol {protocol}"}
        if protocol == "socketio":
            # Socket.IO authenticates per namespace, after the upgrade (`40/cocina,{"token"}`).
            sid = (event.get("queryStringParameters") or {}).get("sid")
            upgrading = f"poll:{sid}" if sid else None  # an upgrade from long-polling: no open packet
            if upgrading and self.connections.get(upgrading) is None:
                return {"statusCode": 400, "body": "unknown sid"}
            # Heartbeats start with the open packet (or, on an upgrade, come with the session): a ping
            # before the open packet, or during the probe, would break the client's handshake.
            self.connections.add(replace(pending_connection(connection_id, protocol), upgraded_from=upgrading))
            return {"statusCode": 200}
        if protocol == "stomp":
            # STOMP authenticates with CONNECT's `login` header. The subprotocol is echoed only if offered.
            self.connections.add(pending_connection(connection_id, protocol))
            opened_at = str(int(self.clock()))
            self.connections.subscribe(connection_id, stomp.AWAITING_CONNECT_CHANNEL, stomp.PROTOCOL, opened_at)
            chosen = stomp.choose_subprotocol(_header(event, "sec-websocket-protocol"))
            return {"statusCode": 200, "headers": {"Sec-WebSocket-Protocol": chosen}} if chosen else {"statusCode": 200}
        namespace = namespace_of(event)
        if namespace not in NAMESPACES:
            return {"statusCode": 404, "body": f"unknown namespace {namespace}"}
        token = _token(event)
        if not token:
            return {"statusCode": 401, "body": "token required"}
        try:
            who = self._verify(token)
        except Unauthorized:
            return {"statusCode": 401, "body": "invalid token"}
        if namespace == GASTRO:
            return self._gastro_connect(connection_id, who, event)
        if not self._may_connect(who, namespace):
            return {"statusCode": 403, "body": f"not allowed in namespace {namespace}"}
        self.connections.add(connection_of(connection_id, who, namespace))
        self._follow_user(connection_id, who, "json")
        for channel in self._automatic_channels(who, namespace):
            self.connections.subscribe(connection_id, channel.key(who.tenant))
        logger.info("websocket connected", connection_id=connection_id, namespace=namespace, tenant=who.tenant)
        return {"statusCode": 200}

    # --- GastroMovil (COMPAT C): the socket path is the subscription, authorized here ---------------

    def _gastro_connect(self, connection_id: str, who: Principal, event: dict[str, Any]) -> dict[str, Any]:
        query = event.get("queryStringParameters") or {}
        path = parse_gastro_path(str(query.get("ruta") or ""))
        if path is None:
            return {"statusCode": 404, "body": "unknown path"}
        subscriptions = self._gastro_subscriptions(who, path.kind, path.target)
        if subscriptions is None:
            logger.info("gastromovil socket refused", path=path.kind, tenant=who.tenant)
            return {"statusCode": 403, "body": "not allowed on this path"}
        self.connections.add(connection_of(connection_id, who, GASTRO, GASTRO))
        self._follow_user(connection_id, who, GASTRO)
        for channel, tag in subscriptions:
            self.connections.subscribe(connection_id, channel.key(who.tenant), GASTRO, tag)
        logger.info("gastromovil socket connected", connection_id=connection_id, path=path.kind, tenant=who.tenant)
        return {"statusCode": 200}

    def _gastro_subscriptions(self, who: Principal, kind: str, target: str) -> list[tuple[Channel, str | None]] | None:
        """The channels a socket on this path listens to, or None if `who` may not open it."""
        if kind == "cliente":
            return [(gm_customer(int(target)), None)] if who.customer_id == int(target) else None
        if kind == "restaurante":
            own_branch = who.role == "admin" or who.branch == target
            if who.can("pedidos:manage") and own_branch and self.branch_exists(who.tenant, target):
                return [(gm_branch(target), None)]
            return None
        if kind == "repartidor":
            if who.can("pedidos:deliver") and who.user_id == target and who.branch:
                return [(gm_driver(target), None), (gm_dispatch(who.branch), target)]
            return None
        if who.can("pedidos:deliver") and who.user_id == target:
            return [(gm_sender(target), None)]
        follows = who.customer_id is not None and self.gastro is not None
        if follows and self.gastro is not None and self.gastro.carrier_customer(who.tenant, target) == who.customer_id:
            return [(gm_location(target), f"cliente:{who.customer_id}")]
        return None

    def _gastro_message(self, connection: Connection, text: str | None) -> None:
        """The driver's ubicacion socket sends `{"latitud", "longitud"}` (and `{"tipo": "pedido_entregado"}`,
        which needs nothing: the delivery itself reaches the follower through the stream)."""
        cid = connection.connection_id
        if gm_sender(connection.user_id).key(connection.tenant) not in self.connections.subscriptions(cid):
            self.reply(cid, gastro_error("este socket no recibe mensajes"))
            return
        try:
            body = json.loads(text or "")
        except (ValueError, RecursionError):
            body = None
        if body == {"tipo": "pedido_entregado"}:
            return  # GastroMovil's driver panel says so after marcar-entregado; the stream already told the follower
        if not isinstance(body, dict) or set(body) - {"latitud", "longitud"} or not {"latitud", "longitud"} <= set(body):
            self.reply(cid, gastro_error('se espera {"latitud": x, "longitud": y}'))
            return
        try:
            assert self.gastro is not None
            self.gastro.record_position(connection.tenant, connection.user_id, body["latitud"], body["longitud"])
        except InvalidInput as exc:
            self.reply(cid, gastro_error("; ".join(exc.message) if isinstance(exc.message, list) else exc.message))

    def _verify(self, token: str) -> Principal:
        who = self.tokens.verify(token)
        self.session_check(who)
        return who

    def _follow_user(self, connection_id: str, who: Principal, protocol: str) -> None:
        if who.kind == "staff":
            self.connections.subscribe(connection_id, revocation_key(who.tenant, who.user_id), protocol)

    def close_user(self, tenant: str, user_id: str, token_id: str | None = None) -> int:
        """Close every socket of the user (their sessions were revoked), or only those opened with
        the token `token_id` (it was logged out). Returns how many."""
        ids = self.connections.subscribers(revocation_key(tenant, user_id))
        if token_id:
            ids = [cid for cid in ids if (c := self.connections.get(cid)) is not None and c.token_id == token_id]
        for connection_id in ids:
            try:
                self.close(connection_id)
            except Exception:
                logger.exception("revoked user's socket not closed", connection_id=connection_id)
            self.connections.remove(connection_id)
        if ids:
            logger.info("sockets of a revoked user closed", tenant=tenant, count=len(ids))
        return len(ids)

    @staticmethod
    def _may_connect(who: Principal, namespace: str) -> bool:
        if who.kind == "customer":
            return namespace == "kds" and who.session is not None
        return who.can("cocina:read" if namespace == "cocina" else "orders:read")

    @staticmethod
    def _automatic_channels(who: Principal, namespace: str) -> list[Channel]:
        """The seed's /cocina client subscribes to nothing: it is put on its branch's channel.
        A customer is put on its own session."""
        if namespace == "cocina" and who.branch:
            return [kitchen_channel(who.branch)]
        if who.kind == "customer" and who.session:
            return [session_channel(who.session)]
        return []

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
            self._gastro_message(connection, text)
            return {"statusCode": 200}
        if connection.protocol == "socketio":
            self._socketio().handle(connection, text)
            return {"statusCode": 200}
        if connection.protocol == "stomp":
            hooks = stomp.StompHooks(self.reply, self.close, self._stomp_login, self._stomp_subscribe, self._stomp_unsubscribe,
                                     self.connections.keep_tail)
            stomp.StompSession(hooks).handle(connection, text, connection.tail)
            return {"statusCode": 200}
        try:
            frame = protocol.parse_client_frame(event.get("body"))
        except protocol.BadFrame as exc:
            self.reply(connection_id, protocol.error_frame("bad_frame", exc.message, exc.ref))
            return {"statusCode": 200}
        if frame.action == "ping":
            self.reply(connection_id, protocol.envelope("pong", None, **_ref(frame.ref)))
            return {"statusCode": 200}
        try:
            channel = parse(connection.namespace, frame.channel)
            key = channel.key(connection.tenant)
            if frame.action == "subscribe":
                self._subscribe(connection, channel)
                self.reply(connection_id, protocol.envelope("subscribed", None, channel=channel.name, **_ref(frame.ref)))
            else:
                self.connections.unsubscribe(connection_id, key)
                self.reply(connection_id, protocol.envelope("unsubscribed", None, channel=channel.name, **_ref(frame.ref)))
        except ChannelRefused as exc:
            logger.info("subscription refused", connection_id=connection_id, code=exc.code, channel=str(frame.channel))
            self.reply(connection_id, protocol.error_frame(exc.code, exc.message, frame.ref))
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

    def _subscribe(self, connection: Connection, channel: Channel, protocol_name: str = "json", tag: str | None = None) -> None:
        """The one subscription policy, for every protocol: the channel is authorized for the
        connection, a connection holds at most max_subscriptions channels (re-subscribing to one
        it holds is always allowed), and the subscription is stored. Raises ChannelRefused."""
        self._authorize(connection, channel)
        key = channel.key(connection.tenant)
        held = [k for k in self.connections.subscriptions(connection.connection_id) if not internal(k)]
        if key not in held and len(held) >= self.max_subscriptions:
            raise ChannelRefused("too_many_subscriptions", TOO_MANY_SUBSCRIPTIONS)
        self.connections.subscribe(connection.connection_id, key, protocol_name, tag)

    def _authorize(self, connection: Connection, channel: Channel) -> None:
        who = Principal(connection.user_id, connection.tenant, connection.branch, connection.role, kind=connection.kind,
                        session=connection.session)
        if channel.session is not None or channel.user is not None:
            # Channel keys carry the tenant: a session or user id of another tenant names an empty channel.
            authorize(who, channel, branch_exists=True)
            return
        if channel.order is not None:
            sale = self.find_sale(connection.tenant, channel.order)
            scope = OrderScope(sale.branch_id, str(sale.usuario_id)) if sale is not None else None
            authorize(who, channel, branch_exists=True, order=scope)
            return
        branch = channel.branch
        authorize(who, channel, branch_exists=branch is not None and self.branch_exists(connection.tenant, branch))

    # --- Socket.IO -------------------------------------------------------------------------

    def _socketio(self) -> socketio.SocketIOSession:
        hooks = socketio.SessionHooks(self.reply, self.close, self._join, self._leave, self._subscription, self._probed,
                                      self._upgraded)
        return socketio.SocketIOSession(hooks)

    def socketio_packet(self, connection: Connection, packet: str) -> None:
        """One packet of a long-polling POST (the same conversation as over a WebSocket)."""
        self._socketio().handle(connection, packet)

    def _probed(self, connection: Connection) -> None:
        if connection.upgraded_from:
            self.reply(connection.upgraded_from, "6")  # the pending poll returns, so the client can upgrade

    def _upgraded(self, connection: Connection) -> None:
        old = self.connections.get(connection.upgraded_from) if connection.upgraded_from else None
        if old is None:
            return
        cid = connection.connection_id
        self.connections.add(replace(old, connection_id=cid, upgraded_from=connection.upgraded_from))
        for key, tag in self.connections.tagged_subscriptions(old.connection_id):
            self.connections.subscribe(cid, key, socketio.PROTOCOL, tag)
        waiting = self.connections.take_queued(old.connection_id)
        self.connections.remove(old.connection_id)
        for packet in waiting:
            if packet != "6":
                self.reply(cid, packet)

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
            image = (record.get("dynamodb") or {}).get("NewImage") or {}
            is_new = record.get("eventName") == "INSERT" and "upgraded_from" not in image
            if is_new and image.get("sk", {}).get("S") == "META" and image.get("protocol", {}).get("S") == socketio.PROTOCOL:
                connection_id = image["pk"]["S"].removeprefix("CONN#")
                if not connection_id.startswith("poll:"):  # a long-polling session got its open packet from the handshake
                    ids.append(connection_id)
        packets = {cid: socketio.open_packet(cid, *self.socketio_timing) for cid in ids}
        waiting = [cid for cid in ids if self._greet(cid, packets[cid], self.post) == "gone"]
        for delay in GREETING_RETRIES:
            if not waiting:
                break
            self.sleep(delay)
            waiting = [cid for cid in waiting if self._greet(cid, packets[cid], self.post) == "gone"]
        for cid in waiting:
            self._greet(cid, packets[cid], self.reply)
        return {"batchItemFailures": []}

    def _greet(self, connection_id: str, packet: str, post: Callable[[str, str], Any]) -> str:
        try:
            outcome = str(post(connection_id, packet))
        except Exception:
            logger.exception("socket.io open packet not sent")
            return "failed"
        if outcome == "delivered":
            self.connections.subscribe(connection_id, socketio.HEARTBEAT_CHANNEL, socketio.PROTOCOL)  # pings start now
        return outcome

    def heartbeat(self, send: Callable[[list[str], str], Any]) -> int:
        """Ping every Socket.IO connection (one Query on the heartbeat channel)."""
        ids = self.connections.subscribers(socketio.HEARTBEAT_CHANNEL)
        if ids:
            send(ids, socketio.ping_packet())
        return len(ids)

    def _join(self, connection: Connection, namespace: str, token: str | None) -> str | None:
        if not token:
            return "token required"
        try:
            who = self._verify(token)
        except Unauthorized:
            return "invalid token"
        if connection.authenticated and (who.tenant, who.user_id) != (connection.tenant, connection.user_id):
            return "one identity per connection"
        if not self._may_connect(who, namespace):
            return f"not allowed in namespace {namespace}"
        joined = [n for n in connection.namespace.split(",") if n]
        namespaces = ",".join(dict.fromkeys([*joined, namespace]))
        self.connections.add(connection_of(connection.connection_id, who, namespaces, connection.protocol))
        for channel in self._automatic_channels(who, namespace):
            self.connections.subscribe(connection.connection_id, channel.key(who.tenant), connection.protocol)
        self._follow_user(connection.connection_id, who, connection.protocol)
        logger.info("socket.io namespace joined", connection_id=connection.connection_id, namespace=namespace, tenant=who.tenant)
        return None

    def _leave(self, connection: Connection, namespace: str) -> None:
        for key in self.connections.subscriptions(connection.connection_id):
            if key.startswith(f"{connection.tenant}/{namespace}/"):
                self.connections.unsubscribe(connection.connection_id, key, connection.protocol)

    def _subscription(self, connection: Connection, namespace: str, action: str, name: object) -> dict[str, Any]:
        try:
            channel = parse(namespace, name)
            key = channel.key(connection.tenant)
            if action == "subscribe":
                self._subscribe(connection, channel, connection.protocol)
            else:
                self.connections.unsubscribe(connection.connection_id, key, connection.protocol)
        except ChannelRefused as exc:
            return {"event": "error", "data": {"code": exc.code, "message": exc.message}}
        return {"event": f"{action}d", "data": {"channel": channel.name}}

    # --- STOMP ------------------------------------------------------------------------------

    def _stomp_login(self, connection: Connection, token: str | None) -> str | None:
        if not token:
            return "login header with an access token required"
        try:
            who = self._verify(token)
        except Unauthorized:
            return "invalid token"
        if not self._may_connect(who, "kds"):
            return "not allowed"
        self.connections.add(connection_of(connection.connection_id, who, "kds", connection.protocol))
        for key, tag in self.connections.tagged_subscriptions(connection.connection_id):
            if key == stomp.AWAITING_CONNECT_CHANNEL:
                self.connections.unsubscribe(connection.connection_id, key, stomp.PROTOCOL, tag)
        self._follow_user(connection.connection_id, who, stomp.PROTOCOL)
        return None

    def _stomp_subscribe(self, connection: Connection, destination: str, sub_id: str) -> str | None:
        current = self.connections.get(connection.connection_id) or connection  # the row CONNECT just wrote
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
            self._subscribe(current, parse("kds", name), stomp.PROTOCOL, f"{destination}|{sub_id}")
        except ChannelRefused as exc:
            return exc.message
        return None

    def _stomp_unsubscribe(self, connection: Connection, sub_id: str) -> None:
        for key, tag in self.connections.tagged_subscriptions(connection.connection_id):
            if tag is not None and tag.partition("|")[2] == sub_id:
                self.connections.unsubscribe(connection.connection_id, key, stomp.PROTOCOL, tag)

    def close_unconnected_stomp(self) -> int:
        """Close each STOMP connection that has not sent a valid CONNECT within the deadline
        (one Query on the awaiting channel). Returns how many were closed."""
        cutoff = self.clock() - self.stomp_connect_deadline_seconds
        late = [s for s in self.connections.subscribers_of(stomp.AWAITING_CONNECT_CHANNEL) if s.tag and int(s.tag) <= cutoff]
        for subscriber in late:
            cid = subscriber.connection_id
            self.reply(cid, stomp.error(f"no CONNECT within {self.stomp_connect_deadline_seconds} s"))
            self.close(cid)
            self.connections.remove(cid)  # also when the socket was already gone and no $disconnect comes
        if late:
            logger.info("stomp connections closed for want of CONNECT", count=len(late))
        return len(late)

    def disconnect(self, event: dict[str, Any]) -> dict[str, Any]:
        self.connections.remove(event["requestContext"]["connectionId"])
        return {"statusCode": 200}


def _ref(ref: object) -> dict[str, Any]:
    return {"ref": ref} if ref is not None else {}
