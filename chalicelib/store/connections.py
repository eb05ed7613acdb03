"""WebSocket connections (table: `connections`): one row per connection and one per
subscription; the `by-channel` GSI answers "who is subscribed to this channel" with one
Query. Rows carry a TTL so connections that vanished without $disconnect expire."""

from __future__ import annotations

import time
from dataclasses import dataclass

from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.indexes import GlobalSecondaryIndex, KeysOnlyProjection

from chalicelib.settings import Settings
from chalicelib.store.base import Record, bind

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
    connected_at = NumberAttribute()
    ttl = NumberAttribute()


class SubscriptionRecord(Record):
    channel = UnicodeAttribute()
    ttl = NumberAttribute()

    by_channel = ByChannelIndex()


@dataclass(frozen=True)
class Connection:
    connection_id: str
    tenant: str
    namespace: str
    user_id: str
    role: str
    branch: str | None
    kind: str
    session: str | None


def conn_key(connection_id: str) -> str:
    return f"CONN#{connection_id}"


class ConnectionRepository:
    def __init__(self, settings: Settings) -> None:
        bind(ConnectionRecord, "connections", settings)
        bind(SubscriptionRecord, "connections", settings)

    def add(self, c: Connection) -> None:
        now = int(time.time())
        ConnectionRecord(
            conn_key(c.connection_id), "META", tenant=c.tenant, namespace=c.namespace, user_id=c.user_id, role=c.role,
            branch=c.branch, kind=c.kind, session=c.session, connected_at=now, ttl=now + CONNECTION_TTL_SECONDS,
        ).save()

    def get(self, connection_id: str) -> Connection | None:
        try:
            r = ConnectionRecord.get(conn_key(connection_id), "META")
        except ConnectionRecord.DoesNotExist:
            return None
        return Connection(connection_id, r.tenant, r.namespace, r.user_id, r.role, r.branch, r.kind, r.session)

    def subscribe(self, connection_id: str, channel_key: str) -> None:
        SubscriptionRecord(
            conn_key(connection_id), f"SUB#{channel_key}", channel=channel_key, ttl=int(time.time()) + CONNECTION_TTL_SECONDS
        ).save()

    def unsubscribe(self, connection_id: str, channel_key: str) -> None:
        SubscriptionRecord(conn_key(connection_id), f"SUB#{channel_key}").delete()

    def subscriptions(self, connection_id: str) -> list[str]:
        rows = SubscriptionRecord.query(conn_key(connection_id), SubscriptionRecord.sk.startswith("SUB#"))
        return [r.channel for r in rows]

    def subscribers(self, channel_key: str) -> list[str]:
        return [r.pk.removeprefix("CONN#") for r in SubscriptionRecord.by_channel.query(channel_key)]

    def remove(self, connection_id: str) -> None:
        """Delete the connection and all its subscriptions (one Query, one batch)."""
        with ConnectionRecord.batch_write() as batch:
            for row in SubscriptionRecord.query(conn_key(connection_id)):
                batch.delete(row)
