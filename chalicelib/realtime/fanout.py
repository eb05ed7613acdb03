"""The stream fan-out: DynamoDB stream records -> changes -> events -> channels -> connections.

Records are handled one by one by Powertools' BatchProcessor (a failing record is reported
in batchItemFailures and re-delivered). `pedidos-actualizados` is coalesced: one per branch
per batch, published after the records, from one Query of the branch's kitchen queue.
Message ids come from stream sequence numbers, so a replayed batch repeats its ids.

A channel with more subscribers than the shard plan's threshold is not posted from here: its
encoded frames are handed to `send_frames` invocations, one per shard (realtime/shards.py)."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from chalicelib import metrics
from chalicelib.domain.catalog import Plato
from chalicelib.domain.connections import Subscriber
from chalicelib.domain.sales import Sale
from chalicelib.domain.sales.pacing import rush_first
from chalicelib.domain.tenancy import Branch
from chalicelib.observability import logger
from chalicelib.presenters import catalog as catalog_view
from chalicelib.presenters import delivery as gastro_view
from chalicelib.presenters import sales as sale_view
from chalicelib.realtime import protocol
from chalicelib.realtime.channels import gm_location, kitchen_channel, order_channel, user_channel, venue_channel
from chalicelib.realtime.encoding import Outgoing, encode
from chalicelib.realtime.notifications import derive, gastro_messages, kds_messages, menu_messages
from chalicelib.realtime.polling import Frames
from chalicelib.realtime.shards import ShardPlan
from chalicelib.services.ports import ConnectionStore, SaleStore
from chalicelib.services.rollups import RollupFeed

ENCODED_PROTOCOLS = ("json", "socketio", "stomp", "gastromovil")


class DeliveryFailed(Exception):
    pass


@dataclass
class _DirtyBranch:
    sequence_numbers: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class MenuLookups:
    """What menu frames need: the plato in a catalog stream image, and a tenant's branches."""

    decode_plato: Callable[[dict[str, Any]], Plato | None]
    branches: Callable[[str], list[str]]  # tenant -> branch ids


@dataclass(frozen=True)
class GastroLookups:
    """What the GastroMovil frames need beyond the stream image."""

    restaurant_name: Callable[[str, str], str]  # (tenant, branch)
    driver_available: Callable[[str, str], bool]  # (tenant, driver user id)
    carrier_customer: Callable[[str, str], int | None]  # (tenant, driver): the customer whose order it carries
    decode_position: Callable[[dict[str, Any]], tuple[str, str, Any, Any] | None]


class Fanout:
    def __init__(
        self,
        connections: ConnectionStore,
        sales: SaleStore,
        frames: Frames,
        timezone: Callable[[str, str], str],
        gastro: GastroLookups | None = None,
        shards: ShardPlan | None = None,
        decode_branch: Callable[[dict[str, Any]], Branch | None] | None = None,
        rollups: RollupFeed | None = None,
        menu: MenuLookups | None = None,
    ) -> None:
        """`rollups` is fed each record before its frames go out, so a client that re-reads a
        report when a frame arrives reads the report with that change in it."""
        self.decode_branch = decode_branch
        self.rollups = rollups
        self.menu = menu
        self.connections = connections
        self.sales = sales
        self.frames = frames
        self.timezone = timezone
        self.gastro = gastro
        self.shards = shards

    def publish(self, tenant: str, message: Outgoing, subscribers: list[Subscriber] | None = None) -> None:
        """Encode `message` once per (protocol, subscription tag) among the channel's subscribers."""
        if subscribers is None:
            subscribers = self.connections.subscribers_of(message.channel.key(tenant))
        groups: dict[tuple[str, str | None], list[str]] = {}
        for s in subscribers:
            groups.setdefault((s.protocol, s.tag), []).append(s.connection_id)
        sharded = self.shards is not None and self.shards.applies(len(subscribers))
        failed = 0
        for (protocol_name, tag), ids in groups.items():
            if protocol_name not in ENCODED_PROTOCOLS:
                logger.warning("subscribers with an unknown protocol skipped", protocol=protocol_name, count=len(ids))
                continue
            frame = encode(protocol_name, message, tag)
            if sharded:
                assert self.shards is not None
                shards = self.shards.hand_off(ids, frame)
                metrics.count(metrics.FANOUT_SHARDS, shards)
                continue
            failed += len(self.frames.send(ids, frame).failed)
        if failed:
            raise DeliveryFailed(f"{failed} of {len(subscribers)} sends failed on {message.channel.name}")

    def handle_batch(self, event: dict[str, Any]) -> dict[str, Any]:
        from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType
        from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord

        dirty: dict[tuple[str, str], _DirtyBranch] = {}

        def handle_record(record: DynamoDBRecord) -> None:
            raw = record.raw_event["dynamodb"]
            sequence = raw["SequenceNumber"]
            old = self.sales.decode_stream_image(raw["OldImage"]) if raw.get("OldImage") else None
            new = self.sales.decode_stream_image(raw["NewImage"]) if raw.get("NewImage") else None
            current = new or old
            if current is None:
                return
            if self.rollups is not None:
                self.rollups.record(record.raw_event["eventID"], old, new)
            derived = derive(old, new)
            tz = self.timezone(current.tenant_id, current.branch_id)
            channel = kitchen_channel(current.branch_id)
            kds_out = kds_messages(old, new)
            try:
                for notice in derived.notices:
                    data: Any = notice.sale.id if notice.kind == "pedido-completado" else sale_view.sale_out(notice.sale, tz)
                    self.publish(current.tenant_id, Outgoing(notice.kind, channel, data, f"{sequence}:{notice.kind}"))
                for kds in kds_out:
                    message_id = f"{sequence}:{kds.event}:{kds.key}"
                    self.publish(current.tenant_id, Outgoing(kds.event, kds.channel, kds.data, message_id))
            finally:
                created = raw.get("ApproximateCreationDateTime")
                if created is not None and (derived.notices or kds_out):
                    metrics.milliseconds(metrics.STREAM_TO_SOCKET_DELAY, (time.time() - float(created)) * 1000)
            if new is not None:
                self.publish_order_change(new, tz, sequence)
                self.publish_gastro(old, new, sequence)
            if derived.queue_changed:
                dirty.setdefault((current.tenant_id, current.branch_id), _DirtyBranch()).sequence_numbers.append(sequence)

        processor = BatchProcessor(event_type=EventType.DynamoDBStreams, raise_on_entire_batch_failure=False)
        with processor(records=event.get("Records", []), handler=handle_record):
            processor.process()
        failures = [{"itemIdentifier": str(f["itemIdentifier"])} for f in processor.response()["batchItemFailures"]]

        for (tenant, branch), marks in dirty.items():
            try:
                self.publish_queue(tenant, branch, max(marks.sequence_numbers, key=int))
            except Exception:
                logger.exception("kitchen queue publish failed", tenant=tenant, branch=branch)
                failures.extend({"itemIdentifier": s} for s in marks.sequence_numbers)
        unique = _unique(failures)
        metrics.count(metrics.FANOUT_RECORD_FAILURES, len(unique))
        return {"batchItemFailures": unique}

    def handle_venue_batch(self, event: dict[str, Any]) -> dict[str, Any]:
        """Tenants-table stream: a branch whose settings changed -> `venue:updated` on `venue:<branch>`.
        Other rows of the table (tenants, counters) are skipped."""
        return self._each_record(event, self._venue_record)

    def _venue_record(self, record: dict[str, Any]) -> None:
        raw = record["dynamodb"]
        if record.get("eventName") != "MODIFY" or self.decode_branch is None:
            return
        after, before = self.decode_branch(raw.get("NewImage") or {}), self.decode_branch(raw.get("OldImage") or {})
        shown = ("nombre", "timezone", "late_minutes")
        if after is None or before is None or all(getattr(after, f) == getattr(before, f) for f in shown):
            return
        view = {"id": after.branch_id, "nombre": after.nombre, "timezone": after.timezone, "minutos_tarde": after.late_minutes}
        message_id = f"{raw['SequenceNumber']}:venue:updated"
        self.publish(after.tenant_id, Outgoing("venue:updated", venue_channel(after.branch_id), view, message_id))

    def handle_menu_batch(self, event: dict[str, Any]) -> dict[str, Any]:
        """Catalog-table stream: a plato added or changed (sold out, back, price, name...) ->
        `menu:updated` on each of the tenant's branches (`menu-actualizado` on /cocina)."""
        return self._each_record(event, self._menu_record)

    def _menu_record(self, record: dict[str, Any]) -> None:
        raw = record["dynamodb"]
        if self.menu is None or record.get("eventName") not in ("INSERT", "MODIFY"):
            return
        after = self.menu.decode_plato(raw.get("NewImage") or {})
        before = self.menu.decode_plato(raw.get("OldImage") or {})
        if after is None or not catalog_view.menu_changed(before, after):
            return
        sequence = raw["SequenceNumber"]
        for branch in self.menu.branches(after.tenant_id):
            for message in menu_messages(after, branch, sequence):
                self.publish(after.tenant_id, message)

    def handle_notice_batch(self, event: dict[str, Any]) -> dict[str, Any]:
        """Connections-table stream: a new notice row -> `order:error` on its user's channel."""
        return self._each_record(event, self._notice_record)

    def _notice_record(self, record: dict[str, Any]) -> None:
        raw = record["dynamodb"]
        if self.gastro is not None and record.get("eventName") in ("INSERT", "MODIFY"):
            position = self.gastro.decode_position(raw.get("NewImage") or {})
            if position is not None:
                self.publish_position(*position, sequence=raw["SequenceNumber"])
                return
        notice = self.connections.decode_notice(raw.get("NewImage") or {})
        if record.get("eventName") != "INSERT" or notice is None:
            return
        tenant, user_id, text = notice
        payload = json.loads(text)
        message_id = f"{raw['SequenceNumber']}:order:error"
        self.publish(tenant, Outgoing("order:error", user_channel(user_id), payload, message_id))

    @staticmethod
    def _each_record(event: dict[str, Any], handle: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
        from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType
        from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord

        def handle_record(record: DynamoDBRecord) -> None:
            handle(record.raw_event)

        processor = BatchProcessor(event_type=EventType.DynamoDBStreams, raise_on_entire_batch_failure=False)
        with processor(records=event.get("Records", []), handler=handle_record):
            processor.process()
        return {"batchItemFailures": [{"itemIdentifier": str(f["itemIdentifier"])} for f in processor.response()["batchItemFailures"]]}

    # --- GastroMovil (COMPAT C) ----------------------------------------------------------------

    def publish_gastro(self, old: Sale | None, new: Sale, sequence: str) -> None:
        for m in gastro_messages(old, new):
            subscribers = self.connections.subscribers_of(m.channel.key(new.tenant_id))
            if m.audience == "available" and self.gastro is not None:
                subscribers = [s for s in subscribers if s.tag and self.gastro.driver_available(new.tenant_id, s.tag)]
            elif m.audience is not None:
                subscribers = [s for s in subscribers if s.tag == m.audience]
            if not subscribers:
                continue
            data = self._gastro_frame(m.kind, new)
            self.publish(new.tenant_id, Outgoing(m.kind, m.channel, data, f"{sequence}:{m.kind}"), subscribers)

    def _gastro_frame(self, kind: str, sale: Sale) -> dict[str, Any]:
        if kind == "nuevo_pedido":
            return gastro_view.new_order_frame(sale)
        if kind == "cambio_estado":
            return gastro_view.status_changed_frame(sale)
        if kind == "pedido_disponible":
            name = self.gastro.restaurant_name(sale.tenant_id, sale.branch_id) if self.gastro else sale.branch_id
            return gastro_view.order_offered_frame(sale, name)
        if kind == "pedido_tomado":
            return gastro_view.order_taken_frame(sale)
        return {"tipo": "pedido_entregado", "latitud": None, "longitud": None}

    def publish_position(self, tenant: str, driver: str, latitude: Any, longitude: Any, sequence: str) -> None:
        """A driver's stored position -> `ubicacion` to the one customer whose order it carries now."""
        assert self.gastro is not None
        customer = self.gastro.carrier_customer(tenant, driver)
        if customer is None:
            return
        channel = gm_location(driver)
        subscribers = [s for s in self.connections.subscribers_of(channel.key(tenant)) if s.tag == f"cliente:{customer}"]
        if subscribers:
            data = {"tipo": "ubicacion", "latitud": float(latitude), "longitud": float(longitude)}
            self.publish(tenant, Outgoing("ubicacion", channel, data, f"{sequence}:ubicacion"), subscribers)

    def publish_order_change(self, order: Sale, tz: str, sequence: str) -> None:
        """Every change of a sale goes to its `order:<id>` channel (COMPAT D's /order-changes)."""
        channel = order_channel(order.id)
        subscribers = self.connections.subscribers_of(channel.key(order.tenant_id))
        if subscribers:
            message = Outgoing("order:changed", channel, sale_view.sale_out(order, tz), f"{sequence}:order:changed")
            self.publish(order.tenant_id, message, subscribers)

    def publish_queue(self, tenant: str, branch: str, sequence: str) -> None:
        channel = kitchen_channel(branch)
        subscribers = self.connections.subscribers_of(channel.key(tenant))
        if not subscribers:
            return
        tz = self.timezone(tenant, branch)
        queue = [sale_view.sale_out(o, tz) for o in rush_first(self.sales.kitchen_queue(tenant, branch))]
        message_id = f"{sequence}:pedidos-actualizados"
        kept, extra = protocol.fit_items("pedidos-actualizados", channel.name, queue, message_id)
        self.publish(tenant, Outgoing("pedidos-actualizados", channel, kept, message_id, extra), subscribers)


def _unique(failures: list[dict[str, str]]) -> list[dict[str, str]]:
    seen: dict[str, dict[str, str]] = {}
    for f in failures:
        seen.setdefault(f["itemIdentifier"], f)
    return list(seen.values())
