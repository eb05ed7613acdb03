"""WebSocket connections (table: `connections`): one row per connection and one per
subscription; the `by-channel` GSI answers "who is subscribed to this channel" with one
Query. Rows carry a TTL so connections that vanished without $disconnect expire."""

from __future__ import annotations

import os
import time
from typing import Any

from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.indexes import GlobalSecondaryIndex, KeysOnlyProjection

from chalicelib.domain.connections import Connection, Subscriber
from chalicelib.settings import Settings
from chalicelib.store.base import Record, bound

CONNECTION_TTL_SECONDS = 3 * 3600  # API Gateway closes a WebSocket after 2 h


class ByChannelIndex(GlobalSecondaryIndex["SubscriptionRecord"]):
    class Meta:
        index_name = "by-channel"
        projection = KeysOnlyProjection()

    channel = UnicodeAttribute(hash_key=True)
    pk = UnicodeAttribute(range_key=True)


class ConnectionRecord(Record):
    tenant = UnicodeAttribute()
    namespace = UnicodeAttribute()
    user_id = UnicodeAttribute()
    role = UnicodeAttribute()
    branch = UnicodeAttribute(null=True)
    kind = UnicodeAttribute()
    session = UnicodeAttribute(null=True)
    protocol = UnicodeAttribute(null=True)  # absent on rows written before protocols: json
    tail = UnicodeAttribute(null=True)  # STOMP: the unfinished frame received so far
    upgraded_from = UnicodeAttribute(null=True)  # Socket.IO: the polling session this WebSocket upgrades
    token_id = UnicodeAttribute(null=True)  # the jti of the token that authenticated it
    connected_at = NumberAttribute()
    ttl = NumberAttribute()


class QueuedPacketRecord(Record):
    """A packet waiting for a Socket.IO long-polling session's next GET (sk `Q#<ns time>#<rand>`)."""

    packet = UnicodeAttribute()
    ttl = NumberAttribute()


class NoticeRecord(Record):
    """A message for one user (pk `NOTICE#<tenant>#<user>`), carried to their sockets by the stream."""

    payload = UnicodeAttribute()
    ttl = NumberAttribute()


NOTICE_TTL_SECONDS = 3600


class RateRecord(Record):
    """Messages received from one connection in one second (sk `RATE#<epoch second>`)."""

    messages = NumberAttribute()
    ttl = NumberAttribute()


RATE_TTL_SECONDS = 120


class SubscriptionRecord(Record):
    channel = UnicodeAttribute()
    ttl = NumberAttribute()

    by_channel = ByChannelIndex()


def conn_key(connection_id: str) -> str:
    return f"CONN#{connection_id}"


def notice_key(tenant: str, user_id: str) -> str:
    return f"NOTICE#{tenant}#{user_id}"


def parse_notice_key(pk: str) -> tuple[str, str] | None:
    prefix, _, rest = pk.partition("#")
    tenant, _, user_id = rest.partition("#")
    return (tenant, user_id) if prefix == "NOTICE" and tenant and user_id else None


def subscription_key(channel_key: str, protocol: str = "json", tag: str | None = None) -> str:
    """`SUB#<channel>` for JSON rows (as before protocols), `SUB#<channel>|<protocol>[|<tag>]`
    otherwise. Channel keys never contain `|`."""
    if protocol == "json" and tag is None:
        return f"SUB#{channel_key}"
    return f"SUB#{channel_key}|{protocol}" + (f"|{tag}" if tag is not None else "")


def parse_subscription_key(sk: str) -> tuple[str, str | None]:
    _, _, rest = sk.partition("|")
    if not rest:
        return "json", None
    protocol, _, tag = rest.partition("|")
    return protocol, (tag if "|" in rest else None)


class ConnectionRepository:
    def __init__(self, settings: Settings) -> None:
        self.ConnectionRecord = bound(ConnectionRecord, "connections", settings)
        self.SubscriptionRecord = bound(SubscriptionRecord, "connections", settings)
        self.QueuedPacketRecord = bound(QueuedPacketRecord, "connections", settings)
        self.NoticeRecord = bound(NoticeRecord, "connections", settings)
        self.RateRecord = bound(RateRecord, "connections", settings)

    def add(self, c: Connection) -> None:
        now = int(time.time())
        self.ConnectionRecord(
            conn_key(c.connection_id), "META", tenant=c.tenant, namespace=c.namespace, user_id=c.user_id, role=c.role,
            branch=c.branch, kind=c.kind, session=c.session, protocol=c.protocol, upgraded_from=c.upgraded_from,
            token_id=c.token_id or None,
            connected_at=now, ttl=now + CONNECTION_TTL_SECONDS,
        ).save()

    def get(self, connection_id: str) -> Connection | None:
        try:
            r = self.ConnectionRecord.get(conn_key(connection_id), "META")
        except self.ConnectionRecord.DoesNotExist:
            return None
        return Connection(connection_id, r.tenant, r.namespace, r.user_id, r.role, r.branch, r.kind, r.session,
                          r.protocol or "json", r.tail or "", r.upgraded_from, r.token_id or "")

    def enqueue(self, connection_id: str, packets: list[str]) -> None:
        now = time.time_ns()
        with self.QueuedPacketRecord.batch_write() as batch:
            for i, packet in enumerate(packets):
                sk = f"Q#{now:020d}#{i:04d}#{os.urandom(3).hex()}"
                batch.save(self.QueuedPacketRecord(conn_key(connection_id), sk, packet=packet, ttl=now // 10**9 + 3600))

    def add_notice(self, tenant: str, user_id: str, payload: str) -> None:
        now = time.time_ns()
        sk = f"N#{now:020d}#{os.urandom(3).hex()}"
        self.NoticeRecord(notice_key(tenant, user_id), sk, payload=payload, ttl=now // 10**9 + NOTICE_TTL_SECONDS).save()

    @staticmethod
    def decode_connection(image: dict[str, Any]) -> Connection | None:
        """The connection of a connection row's stream image; None for any other row."""
        if image.get("sk", {}).get("S") != "META" or not image.get("pk", {}).get("S", "").startswith("CONN#"):
            return None

        def text(name: str) -> str | None:
            value = image.get(name, {}).get("S")
            return None if value is None else str(value)

        return Connection(image["pk"]["S"].removeprefix("CONN#"), text("tenant") or "", text("namespace") or "", text("user_id") or "",
                          text("role") or "", text("branch"), text("kind") or "", text("session"), text("protocol") or "json",
                          text("tail") or "", text("upgraded_from"), text("token_id") or "")

    @staticmethod
    def decode_notice(image: dict[str, Any]) -> tuple[str, str, str] | None:
        """(tenant, user id, payload) of a notice row's stream image; None for any other row."""
        owner = parse_notice_key(image.get("pk", {}).get("S", ""))
        payload = image.get("payload", {}).get("S")
        return (owner[0], owner[1], str(payload)) if owner is not None and payload is not None else None

    def take_queued(self, connection_id: str) -> list[str]:
        """The queued packets, oldest first, removed from the queue (one Query, one batch)."""
        rows = list(self.QueuedPacketRecord.query(conn_key(connection_id), self.QueuedPacketRecord.sk.startswith("Q#")))
        with self.QueuedPacketRecord.batch_write() as batch:
            for row in rows:
                batch.delete(row)
        return [r.packet for r in rows]

    def count_message(self, connection_id: str, second: int) -> int:
        """Count one message from the connection in `second` (atomic ADD); the count so far."""
        R = self.RateRecord
        record = R(conn_key(connection_id), f"RATE#{second}")
        record.update(actions=[R.messages.add(1), R.ttl.set(second + RATE_TTL_SECONDS)])
        return int(record.messages)

    def keep_tail(self, connection_id: str, tail: str) -> None:
        record = self.ConnectionRecord(conn_key(connection_id), "META")
        action = self.ConnectionRecord.tail.set(tail) if tail else self.ConnectionRecord.tail.remove()
        record.update(actions=[action], condition=self.ConnectionRecord.pk.exists())

    def tagged_subscriptions(self, connection_id: str) -> list[tuple[str, str | None]]:
        """(channel key, tag) of each of the connection's subscriptions."""
        rows = self.SubscriptionRecord.query(conn_key(connection_id), self.SubscriptionRecord.sk.startswith("SUB#"))
        return [(r.channel, parse_subscription_key(r.sk)[1]) for r in rows]

    def subscribe(self, connection_id: str, channel_key: str, protocol: str = "json", tag: str | None = None) -> None:
        self.SubscriptionRecord(
            conn_key(connection_id), subscription_key(channel_key, protocol, tag), channel=channel_key,
            ttl=int(time.time()) + CONNECTION_TTL_SECONDS,
        ).save()

    def unsubscribe(self, connection_id: str, channel_key: str, protocol: str = "json", tag: str | None = None) -> None:
        self.SubscriptionRecord(conn_key(connection_id), subscription_key(channel_key, protocol, tag)).delete()

    def subscriptions(self, connection_id: str) -> list[str]:
        rows = self.SubscriptionRecord.query(conn_key(connection_id), self.SubscriptionRecord.sk.startswith("SUB#"))
        return [r.channel for r in rows]

    def subscribers(self, channel_key: str) -> list[str]:
        return [s.connection_id for s in self.subscribers_of(channel_key)]

    def subscribers_of(self, channel_key: str) -> list[Subscriber]:
        """One Query on by-channel; the protocol travels in the projected sort key."""
        rows = self.SubscriptionRecord.by_channel.query(channel_key)
        return [Subscriber(r.pk.removeprefix("CONN#"), *parse_subscription_key(r.sk)) for r in rows]

    def remove_gone(self, connection_id: str, now: float, settle_seconds: float) -> bool:
        try:
            meta = self.ConnectionRecord.get(conn_key(connection_id), "META", consistent_read=True)
        except self.ConnectionRecord.DoesNotExist:
            meta = None
        if meta is not None and meta.connected_at > now - settle_seconds:
            return False
        self.remove(connection_id)
        return True

    def remove(self, connection_id: str) -> None:
        """Delete the connection and all its subscriptions (one Query, one batch)."""
        with self.ConnectionRecord.batch_write() as batch:
            for row in self.SubscriptionRecord.query(conn_key(connection_id)):
                batch.delete(row)
