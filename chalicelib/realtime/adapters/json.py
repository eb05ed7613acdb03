"""The JSON frames of the `cocina` and `kds` namespaces (docs/websocket.md#frames): a token at
$connect, then `subscribe`, `unsubscribe` and `ping` frames."""

from __future__ import annotations

from typing import Any

from chalicelib.auth import Principal
from chalicelib.domain.connections import Connection
from chalicelib.observability import logger
from chalicelib.realtime import protocol
from chalicelib.realtime.channels import ChannelRefused, parse
from chalicelib.realtime.socket_core import SocketCore, connection_of


def connect(core: SocketCore, connection_id: str, who: Principal, namespace: str) -> dict[str, Any]:
    if not core.may_connect(who, namespace):
        return {"statusCode": 403, "body": f"not allowed in namespace {namespace}"}
    core.connections.add(connection_of(connection_id, who, namespace))
    core.follow_user(connection_id, who, "json")
    for channel in core.automatic_channels(who, namespace):
        core.connections.subscribe(connection_id, channel.key(who.tenant))
    logger.info("websocket connected", connection_id=connection_id, namespace=namespace, tenant=who.tenant)
    return {"statusCode": 200}


def handle(core: SocketCore, connection: Connection, body: Any) -> None:
    connection_id = connection.connection_id
    try:
        frame = protocol.parse_client_frame(body)
    except protocol.BadFrame as exc:
        core.reply(connection_id, protocol.error_frame("bad_frame", exc.message, exc.ref))
        return
    if frame.action == "ping":
        core.reply(connection_id, protocol.envelope("pong", None, **_ref(frame.ref)))
        return
    try:
        channel = parse(connection.namespace, frame.channel)
        if frame.action == "subscribe":
            core.subscribe(connection, channel)
            core.reply(connection_id, protocol.envelope("subscribed", None, channel=channel.name, **_ref(frame.ref)))
        else:
            core.connections.unsubscribe(connection_id, channel.key(connection.tenant))
            core.reply(connection_id, protocol.envelope("unsubscribed", None, channel=channel.name, **_ref(frame.ref)))
    except ChannelRefused as exc:
        logger.info("subscription refused", connection_id=connection_id, code=exc.code, channel=str(frame.channel))
        core.reply(connection_id, protocol.error_frame(exc.code, exc.message, frame.ref))


def _ref(ref: object) -> dict[str, Any]:
    return {"ref": ref} if ref is not None else {}
