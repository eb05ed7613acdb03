"""API output shapes for the kitchen display surface (COMPAT B): ISO-8601 times, UUID item ids,
and the order status derived from its items."""

from __future__ import annotations

from typing import Literal

from chalicelib.domain.clock import parse_iso
from chalicelib.domain.money import money_str, qty_str
from chalicelib.domain.sales import Item, Sale
from chalicelib.presenters.shapes import Count, Id, IsoTime, Money, Quantity, Shape


class KdsExtra(Shape):
    id: Id
    description: str | None
    ingredient_id: str | None
    quantity: Quantity


class KdsItem(Shape):
    id: str
    order_id: Id
    name: str
    quantity: Quantity
    status: str | None
    station: str | None
    notes: str | None
    extras: list[KdsExtra]
    course: int
    held: bool
    fired_at: IsoTime | None
    started_at: IsoTime | None
    ready_at: IsoTime | None
    served_at: IsoTime | None
    created_at: IsoTime | None
    updated_at: IsoTime | None


class KdsItemStatus(KdsItem):
    order_status: str | None  # None once every kitchen item is served


class KdsDelivery(Shape):
    address: str | None
    reference: str | None
    customer: str | None
    status: str


class KdsOrder(Shape):
    id: Id
    branch_id: str
    status: str | None  # None once every kitchen item is served, or when there is no kitchen work
    table: str | int | None
    customer: str | None
    notes: str | None
    waiter: str | None
    session_id: str | None
    created_at: IsoTime | None
    updated_at: IsoTime | None
    elapsed_seconds: Count
    rush: bool
    fired_course: int
    items: list[KdsItem]
    held_items: list[KdsItem]
    type: Literal["delivery", "dine_in"]
    delivery: KdsDelivery | None


def item(i: Item, order_id: int) -> KdsItem:
    return {
        "id": i.uuid,
        "order_id": order_id,
        "name": i.nombre,
        "quantity": qty_str(i.cantidad),
        "status": i.kitchen_status,
        "station": i.estacion,
        "notes": i.notas,
        "extras": [
            {"id": e.id, "description": e.label, "ingredient_id": e.ingrediente_id, "quantity": qty_str(e.cantidad)}
            for e in i.extras
        ],
        "course": i.curso,
        "held": i.held,
        "fired_at": i.fired_at,
        "started_at": i.started_at,
        "ready_at": i.ready_at,
        "served_at": i.served_at,
        "created_at": i.created_at,
        "updated_at": i.status_changed_at,
    }


def order(o: Sale, now: str, station: str | None = None, *, with_held: bool = True) -> KdsOrder:
    """With `station`, only the items routed to that station. Items of courses not fired yet are
    apart, in `held_items` (empty unless `with_held`); the timer counts from the first firing."""
    items = [i for i in o.kitchen_items if station is None or i.estacion == station]
    fired = [i for i in items if not i.held]
    started = min((i.fired_at for i in fired if i.fired_at), default=o.created_at)
    return {
        "id": o.id,
        "branch_id": o.branch_id,
        "status": o.kds_status,
        "table": o.mesa,
        "customer": o.cliente,
        "notes": o.concepto,
        "waiter": o.usuario_nombre,
        "session_id": o.session_id,
        "created_at": o.created_at,
        "updated_at": o.updated_at,
        "elapsed_seconds": max(0, int((parse_iso(now) - parse_iso(started)).total_seconds())),
        "rush": o.pacing.rush,
        "fired_course": o.pacing.fired_course,
        "items": [item(i, o.id) for i in fired],
        "held_items": [item(i, o.id) for i in items if i.held] if with_held else [],
        "type": "delivery" if o.entrega is not None else "dine_in",
        "delivery": None if o.entrega is None else {
            "address": o.entrega.direccion_texto, "reference": o.entrega.direccion.get("referencia"),
            "customer": o.entrega.cliente_nombre, "status": o.entrega.estado,
        },
    }


def item_status(i: Item, o: Sale) -> KdsItemStatus:
    """An item after a status change, with its order's status (derived from its items)."""
    return {**item(i, o.id), "order_status": o.kds_status}


class KdsSale(Shape):
    """A sale with no kitchen work, as `sale:updated` carries it to the branch's screens (the
    floor, the owner's dashboard): what changed is its state or its amounts."""

    id: Id
    branch_id: str
    status: str
    type: str
    table: str | int | None
    total: Money
    paid: Money


def sale_summary(o: Sale) -> KdsSale:
    return {"id": o.id, "branch_id": o.branch_id, "status": o.estado, "type": o.tipo, "table": o.mesa,
            "total": money_str(o.monto_total), "paid": money_str(o.monto_pagado)}
