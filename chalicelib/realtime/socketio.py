"""Socket.IO v5 over Engine.IO v4 at the socket edge: the packet codec (python-engineio's and
python-socketio's `Packet` classes, imported on first use to keep cold start low) and what a
Socket.IO connection's frames mean for Comanda.

A Socket.IO connection is opened without a token ($connect only records it); the open packet
is sent once the connection row exists (from the connections table's stream); each namespace
connect `40/cocina,{"token"}` authenticates like any socket and subscribes the connection to its
namespace's channels. In the `kds` namespace channels are (un)subscribed with events:
`42/kds,["subscribe","branch:centro"]`."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from chalicelib.realtime.channels import NAMESPACES

PROTOCOL = "socketio"
MAX_PAYLOAD_BYTES = 32 * 1024  # API Gateway's frame size
HEARTBEAT_CHANNEL = "_heartbeat/socketio"  # channel key of every Socket.IO connection (no tenant starts with _)


class BadPacket(Exception):
    pass


@dataclass(frozen=True)
class Incoming:
    """One Engine.IO packet from a client, with its Socket.IO packet when it is a message."""

    kind: str  # open | close | ping | pong | message | upgrade | noop | probe
    namespace: str | None = None
    sio_type: int | None = None
    data: Any = None
    ack_id: int | None = None


def _default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(type(value).__name__)


def _engineio() -> Any:
    from engineio import packet

    return packet


def _socketio() -> Any:
    from socketio import packet

    return packet


def _message(sio_type: int, namespace: str, data: Any = None, ack_id: int | None = None) -> str:
    sio = _socketio()
    eio = _engineio()
    sio_packet = sio.Packet(sio_type, data=data, namespace=f"/{namespace}", id=ack_id)
    sio_packet.json = _Json
    return str(eio.Packet(eio.MESSAGE, sio_packet.encode()).encode())


class _Json:
    """python-socketio's packets serialize with `json`; ours must also carry Decimals as strings."""

    @staticmethod
    def dumps(value: Any, **kwargs: Any) -> str:
        kwargs.setdefault("separators", (",", ":"))
        return json.dumps(value, default=_default, ensure_ascii=False, **kwargs)

    @staticmethod
    def loads(value: str, **kwargs: Any) -> Any:
        return json.loads(value, **kwargs)


def open_packet(sid: str, ping_interval_ms: int, ping_timeout_ms: int, upgrades: list[str] | None = None) -> str:
    eio = _engineio()
    handshake = {"sid": sid, "upgrades": upgrades or [], "pingInterval": ping_interval_ms, "pingTimeout": ping_timeout_ms,
                 "maxPayload": MAX_PAYLOAD_BYTES}
    return str(eio.Packet(eio.OPEN, handshake).encode())


def ping_packet() -> str:
    eio = _engineio()
    return str(eio.Packet(eio.PING).encode())


def connected(namespace: str, sid: str) -> str:
    return _message(_socketio().CONNECT, namespace, {"sid": sid})


def connect_error(namespace: str, message: str) -> str:
    return _message(_socketio().CONNECT_ERROR, namespace, {"message": message})


def event(namespace: str, name: str, data: Any) -> str:
    return _message(_socketio().EVENT, namespace, [name, data])


def ack(namespace: str, ack_id: int, data: Any) -> str:
    return _message(_socketio().ACK, namespace, [data], ack_id)


def decode(body: str | None) -> Incoming:
    """One text frame from the client. Raises BadPacket on anything Engine.IO/Socket.IO v5 does
    not allow over a text WebSocket frame."""
    if not body or len(body.encode()) > MAX_PAYLOAD_BYTES:
        raise BadPacket("packet must be a non-empty text frame of at most 32 KB")
    eio = _engineio()
    sio = _socketio()
    if body == "2probe":
        return Incoming("probe")
    if body == "5":
        return Incoming("upgrade")
    try:
        packet = eio.Packet(encoded_packet=body)
    except Exception as exc:
        raise BadPacket("malformed Engine.IO packet") from exc
    kinds = {eio.CLOSE: "close", eio.PING: "ping", eio.PONG: "pong", eio.NOOP: "noop"}
    if packet.packet_type in kinds:
        return Incoming(kinds[packet.packet_type])
    if packet.packet_type != eio.MESSAGE or packet.binary or not isinstance(packet.data, str) or not packet.data:
        raise BadPacket("unexpected Engine.IO packet type")
    try:
        message = sio.Packet(encoded_packet=packet.data)
    except Exception as exc:
        raise BadPacket("malformed Socket.IO packet") from exc
    if message.packet_type not in (sio.CONNECT, sio.DISCONNECT, sio.EVENT, sio.ACK) or message.attachment_count:
        raise BadPacket("unsupported Socket.IO packet type")
    namespace = (message.namespace or "/").lstrip("/")
    return Incoming("message", namespace, message.packet_type, message.data, message.id)


# --- the conversation ---------------------------------------------------------------------------


class SocketIOSession:
    """What the gateway does with one Socket.IO frame. `hooks` are the gateway's own operations,
    so authentication, authorization and subscriptions are the same as for JSON sockets."""

    def __init__(self, hooks: SessionHooks) -> None:
        self.hooks = hooks

    def handle(self, connection: Any, body: str | None) -> None:
        sio = _socketio()
        cid = connection.connection_id
        try:
            packet = decode(body)
        except BadPacket:
            self.hooks.close(cid)
            return
        if packet.kind == "probe":
            self.hooks.reply(cid, "3probe")
            self.hooks.probed(connection)
            return
        if packet.kind == "upgrade":
            self.hooks.upgraded(connection)
            return
        if packet.kind == "close":
            self.hooks.close(cid)
            return
        if packet.kind != "message":
            return  # pong, noop, upgrade: nothing to answer
        namespace = packet.namespace or ""
        if namespace not in NAMESPACES:
            self.hooks.reply(cid, connect_error(namespace or "", "Invalid namespace"))
            return
        if packet.sio_type == sio.CONNECT:
            self._connect(connection, namespace, packet.data)
            return
        joined = namespace in connection.namespace.split(",")
        if not joined:
            self.hooks.reply(cid, connect_error(namespace, "not connected to this namespace"))
            return
        if packet.sio_type == sio.DISCONNECT:
            self.hooks.leave(connection, namespace)
            return
        if packet.sio_type == sio.EVENT:
            self._event(connection, namespace, packet)

    def _connect(self, connection: Any, namespace: str, auth: Any) -> None:
        cid = connection.connection_id
        token = auth.get("token") if isinstance(auth, dict) else None
        refusal = self.hooks.join(connection, namespace, token if isinstance(token, str) else None)
        if refusal:
            self.hooks.reply(cid, connect_error(namespace, refusal))
        else:
            self.hooks.reply(cid, connected(namespace, cid))

    def _event(self, connection: Any, namespace: str, packet: Incoming) -> None:
        cid = connection.connection_id
        args = packet.data if isinstance(packet.data, list) else []
        name = args[0] if args else None
        if name in ("subscribe", "unsubscribe") and len(args) >= 2:
            outcome = self.hooks.subscription(connection, namespace, str(name), args[1])
        else:
            outcome = {"event": "error", "data": {"code": "unknown_event", "message": f"unknown event {name!r}"}}
        if packet.ack_id is not None:
            self.hooks.reply(cid, ack(namespace, packet.ack_id, outcome))
        else:
            self.hooks.reply(cid, event(namespace, str(outcome["event"]), outcome["data"]))


@dataclass(frozen=True)
class SessionHooks:
    reply: Callable[[str, str], Any]
    close: Callable[[str], Any]
    join: Callable[[Any, str, str | None], str | None]  # -> refusal message or None
    leave: Callable[[Any, str], None]
    subscription: Callable[[Any, str, str, object], dict[str, Any]]
    probed: Callable[[Any], None]  # a WebSocket probes to take over a polling session
    upgraded: Callable[[Any], None]  # ... and takes it over
