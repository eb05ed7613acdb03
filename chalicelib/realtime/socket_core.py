"""What every protocol of the socket edge shares: who a socket is (token, session check, the
connection row), what it may join and subscribe to (one policy), and the revocation of a user's
sockets. The protocol adapters (realtime/adapters/) translate frames into calls on this."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from chalicelib.auth import Principal, TokenService, bearer_token
from chalicelib.domain.connections import Connection
from chalicelib.domain.sales import Sale
from chalicelib.errors import Unauthorized
from chalicelib.observability import logger
from chalicelib.realtime.channels import Channel, ChannelRefused, OrderScope, authorize, kitchen_channel, session_channel
from chalicelib.services.ports import ConnectionStore

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


def token_of(event: dict[str, Any]) -> str | None:
    query = event.get("queryStringParameters") or {}
    if query.get("token"):
        return str(query["token"])
    try:
        return bearer_token(header_of(event, "authorization"))
    except Unauthorized:
        return None


def header_of(event: dict[str, Any], name: str) -> str | None:
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


class SocketCore:
    def __init__(
        self,
        tokens: TokenService,
        connections: ConnectionStore,
        branch_exists: Callable[[str, str], bool],
        reply: Callable[[str, str], Any],
        close: Callable[[str], Any] | None = None,
        find_sale: Callable[[str, int], Sale | None] = lambda tenant, sale_id: None,
        clock: Callable[[], float] = time.time,
        session_check: Callable[[Principal], None] = lambda principal: None,
        max_subscriptions: int = MAX_SUBSCRIPTIONS,
        max_messages_per_second: int = MAX_MESSAGES_PER_SECOND,
    ) -> None:
        self.tokens = tokens
        self.connections = connections
        self.branch_exists = branch_exists
        self.reply = reply
        self.close = close or (lambda connection_id: None)
        self.find_sale = find_sale
        self.clock = clock
        self.session_check = session_check
        self.max_subscriptions = max_subscriptions
        self.max_messages_per_second = max_messages_per_second

    def verify(self, token: str) -> Principal:
        who = self.tokens.verify(token)
        self.session_check(who)
        return who

    def follow_user(self, connection_id: str, who: Principal, protocol: str) -> None:
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
    def may_connect(who: Principal, namespace: str) -> bool:
        if who.kind == "customer":
            return namespace == "kds" and who.session is not None
        return who.can("cocina:read" if namespace == "cocina" else "orders:read")

    @staticmethod
    def automatic_channels(who: Principal, namespace: str) -> list[Channel]:
        """The seed's /cocina client subscribes to nothing: it is put on its branch's channel.
        A customer is put on its own session."""
        if namespace == "cocina" and who.branch:
            return [kitchen_channel(who.branch)]
        if who.kind == "customer" and who.session:
            return [session_channel(who.session)]
        return []

    def subscribe(self, connection: Connection, channel: Channel, protocol_name: str = "json", tag: str | None = None) -> None:
        """The one subscription policy, for every protocol: the channel is authorized for the
        connection, a connection holds at most max_subscriptions channels (re-subscribing to one
        it holds is always allowed), and the subscription is stored. Raises ChannelRefused."""
        self.authorize(connection, channel)
        key = channel.key(connection.tenant)
        held = [k for k in self.connections.subscriptions(connection.connection_id) if not internal(k)]
        if key not in held and len(held) >= self.max_subscriptions:
            raise ChannelRefused("too_many_subscriptions", TOO_MANY_SUBSCRIPTIONS)
        self.connections.subscribe(connection.connection_id, key, protocol_name, tag)

    def authorize(self, connection: Connection, channel: Channel) -> None:
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

    def disconnect(self, event: dict[str, Any]) -> dict[str, Any]:
        self.connections.remove(event["requestContext"]["connectionId"])
        return {"statusCode": 200}
