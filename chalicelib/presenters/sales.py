"""Output shapes of a sale for the Restaurante surface (COMPAT A) and its real-time events:
dates as `HH:mm - dd/MM/yyyy` in the branch's zone, money as 2-decimal strings."""

from __future__ import annotations

from typing import Any

from chalicelib.domain.money import money_str, qty_str
from chalicelib.domain.sales import Extra, Item, Pago, Sale
from chalicelib.presenters.time import local_time

# --- transacciones ----------------------------------------------------------------------------


def extra_out(extra: Extra, item_id: int, tz: str) -> dict[str, Any]:
    return {
        "id": extra.id,
        "item_id": item_id,
        "ingrediente_id": extra.ingrediente_id,
        "descripcion": extra.descripcion,
        "precio": money_str(extra.precio),
        "cantidad": qty_str(extra.cantidad),
        "creado_en": local_time(extra.created_at, tz),
    }


def item_out(item: Item, order_id: int, tz: str) -> dict[str, Any]:
    out = {
        "id": item.id,
        "uuid": item.uuid,
        "transaccion_id": order_id,
        "plato_id": item.plato_id,
        "producto_id": item.producto_id,
        "nombre": item.nombre,
        "cantidad": qty_str(item.cantidad),
        "precio_unitario": money_str(item.precio_unitario),
        "subtotal": money_str(item.subtotal),
        "notas": item.notas,
        "estacion": item.estacion,
        "estado": item.kitchen_status,
        "extras": [extra_out(e, item.id, tz) for e in item.extras],
        "creado_en": local_time(item.created_at, tz),
    }
    if item.removed_at:
        out["eliminado_en"] = local_time(item.removed_at, tz)
        out["eliminado_por"] = item.removed_by
    return out


def payment_out(payment: Pago, order_id: int, tz: str) -> dict[str, Any]:
    return {
        "id": payment.id,
        "transaccion_id": order_id,
        "metodo_pago": payment.metodo_pago,
        "monto": money_str(payment.monto),
        "monto_recibido": None if payment.monto_recibido is None else money_str(payment.monto_recibido),
        "cambio": money_str(payment.cambio),
        "referencia_qr": payment.referencia_qr,
        "caja_id": payment.caja_id,
        "usuario_id": payment.usuario_id,
        "fecha": local_time(payment.created_at, tz),
        "creado_en": local_time(payment.created_at, tz),
    }


def delivery_out(order: Sale) -> dict[str, Any]:
    """A delivery order's delivery part, as the counter and the kitchen see it."""
    e = order.entrega
    assert e is not None
    return {"estado": e.estado, "cliente": e.cliente_nombre, "direccion": e.direccion_texto,
            "referencia": e.direccion.get("referencia"), "metodo_pago": e.metodo_pago, "notas": e.notas,
            "repartidor_id": e.repartidor_id}


def sale_out(order: Sale, tz: str, *, with_lines: bool = True) -> dict[str, Any]:
    created = local_time(order.created_at, tz)
    out: dict[str, Any] = {
        "id": order.id,
        "nro_reg": order.nro_reg,
        "concepto": order.concepto,
        "mesa": order.mesa,
        "cliente": order.cliente,
        "tipo": order.tipo,
        "estado": order.estado,
        "estado_cocina": order.estado_cocina,
        "monto_total": money_str(order.monto_total),
        "monto_pagado": money_str(order.monto_pagado),
        "monto_pendiente": money_str(order.monto_pendiente),
        "caja_id": order.caja_id,
        "sucursal_id": order.branch_id,
        "usuario_id": order.usuario_id,
        "sesion_id": order.session_id,
        "fecha": created,
        "hora": created,
        "creado_en": created,
        "actualizado_en": local_time(order.updated_at, tz),
        "cerrado_en": local_time(order.closed_at, tz),
    }
    if order.entrega is not None:
        out["entrega"] = delivery_out(order)
    if with_lines:
        out["items"] = [item_out(i, order.id, tz) for i in order.items]
        out["pagos"] = [payment_out(p, order.id, tz) for p in order.pagos]
    return out
