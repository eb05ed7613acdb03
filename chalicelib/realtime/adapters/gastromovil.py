"""GastroMovil's sockets (COMPAT C) at the socket edge: the path is the subscription, authorized at
$connect; the driver's `ubicacion` socket sends positions. Frames are GastroMovil's own JSON."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from chalicelib.auth import Principal
from chalicelib.domain.connections import Connection
from chalicelib.errors import InvalidInput
from chalicelib.observability import logger
from chalicelib.realtime.channels import (
    Channel,
    gm_branch,
    gm_customer,
    gm_dispatch,
    gm_driver,
    gm_location,
    gm_sender,
    parse_gastro_path,
)
from chalicelib.realtime.socket_core import SocketCore, connection_of

GASTRO = "gastromovil"  # the namespace and the protocol (framing) of GastroMovil's sockets


@dataclass(frozen=True)
class GastroHooks:
    """What the GastroMovil socket edge needs of the delivery use cases."""

    carrier_customer: Callable[[str, str], int | None]  # (tenant, driver) -> the customer whose order it carries
    record_position: Callable[[str, str, Any, Any], bool]  # validates (InvalidInput), stores; False if stale


def gastro_error(message: str) -> str:
    return json.dumps({"tipo": "error", "error": message}, ensure_ascii=False)


class GastroAdapter:
    def __init__(self, core: SocketCore, hooks: GastroHooks | None) -> None:
        self.core = core
        self.hooks = hooks

    def connect(self, connection_id: str, who: Principal, event: dict[str, Any]) -> dict[str, Any]:
        query = event.get("queryStringParameters") or {}
        path = parse_gastro_path(str(query.get("ruta") or ""))
        if path is None:
            return {"statusCode": 404, "body": "unknown path"}
        subscriptions = self.subscriptions(who, path.kind, path.target)
        if subscriptions is None:
            logger.info("gastromovil socket refused", path=path.kind, tenant=who.tenant)
            return {"statusCode": 403, "body": "not allowed on this path"}
        self.core.connections.add(connection_of(connection_id, who, GASTRO, GASTRO))
        self.core.follow_user(connection_id, who, GASTRO)
        for channel, tag in subscriptions:
            self.core.connections.subscribe(connection_id, channel.key(who.tenant), GASTRO, tag)
        logger.info("gastromovil socket connected", connection_id=connection_id, path=path.kind, tenant=who.tenant)
        return {"statusCode": 200}

    def subscriptions(self, who: Principal, kind: str, target: str) -> list[tuple[Channel, str | None]] | None:
        """The channels a socket on this path listens to, or None if `who` may not open it."""
        if kind == "cliente":
            return [(gm_customer(int(target)), None)] if who.customer_id == int(target) else None
        if kind == "restaurante":
            own_branch = who.role == "admin" or who.branch == target
            if who.can("pedidos:manage") and own_branch and self.core.branch_exists(who.tenant, target):
                return [(gm_branch(target), None)]
            return None
        if kind == "repartidor":
            if who.can("pedidos:deliver") and who.user_id == target and who.branch:
                return [(gm_driver(target), None), (gm_dispatch(who.branch), target)]
            return None
        if who.can("pedidos:deliver") and who.user_id == target:
            return [(gm_sender(target), None)]
        follows = who.customer_id is not None and self.hooks is not None
        if follows and self.hooks is not None and self.hooks.carrier_customer(who.tenant, target) == who.customer_id:
            return [(gm_location(target), f"cliente:{who.customer_id}")]
        return None

    def handle(self, connection: Connection, text: str | None) -> None:
        """The driver's ubicacion socket sends `{"latitud", "longitud"}` (and `{"tipo": "pedido_entregado"}`,
        which needs nothing: the delivery itself reaches the follower through the stream)."""
        cid = connection.connection_id
        if gm_sender(connection.user_id).key(connection.tenant) not in self.core.connections.subscriptions(cid):
            self.core.reply(cid, gastro_error("este socket no recibe mensajes"))
            return
        try:
            body = json.loads(text or "")
        except (ValueError, RecursionError):
            body = None
        if body == {"tipo": "pedido_entregado"}:
            return  # GastroMovil's driver panel says so after marcar-entregado; the stream already told the follower
        if not isinstance(body, dict) or set(body) - {"latitud", "longitud"} or not {"latitud", "longitud"} <= set(body):
            self.core.reply(cid, gastro_error('se espera {"latitud": x, "longitud": y}'))
            return
        try:
            assert self.hooks is not None
            self.hooks.record_position(connection.tenant, connection.user_id, body["latitud"], body["longitud"])
        except InvalidInput as exc:
            self.core.reply(cid, gastro_error("; ".join(exc.message) if isinstance(exc.message, list) else exc.message))
