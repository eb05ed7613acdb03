"""API output shapes for the kitchen display surface (COMPAT B): ISO-8601 times, UUID item ids,
and the order status derived from its items."""

from __future__ import annotations

from typing import Any

from chalicelib.domain.clock import parse_iso
from chalicelib.domain.money import qty_str
from chalicelib.domain.sales import Item, Sale


def item(i: Item, order_id: int) -> dict[str, Any]:
    return {
        "id": i.uuid,
        "order_id": order_id,
        "name": i.nombre,
        "quantity": qty_str(i.cantidad),
        "status": i.kitchen_status,
        "station": i.estacion,
        "notes": i.notas,
        "extras": [
            {"id": e.id, "description": e.descripcion, "ingredient_id": e.ingrediente_id, "quantity": qty_str(e.cantidad)}
            for e in i.extras
        ],
        "created_at": i.created_at,
        "updated_at": i.status_changed_at,
    }


def order(o: Sale, now: str, station: str | None = None) -> dict[str, Any]:
    """With `station`, only the items routed to that station."""
    items = [i for i in o.kitchen_items if station is None or i.estacion == station]
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
        "elapsed_seconds": max(0, int((parse_iso(now) - parse_iso(o.created_at)).total_seconds())),
        "items": [item(i, o.id) for i in items],
        "type": "delivery" if o.entrega is not None else "dine_in",
        "delivery": None if o.entrega is None else {
            "address": o.entrega.direccion_texto, "reference": o.entrega.direccion.get("referencia"),
            "customer": o.entrega.cliente_nombre, "status": o.entrega.estado,
        },
    }
