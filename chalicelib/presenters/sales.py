"""Output shapes of a sale for the Restaurante surface (COMPAT A) and its real-time events:
dates as `HH:mm - dd/MM/yyyy` in the branch's zone, money as 2-decimal strings."""

from __future__ import annotations

from typing import Annotated, NotRequired, cast

from chalicelib.domain import sales as domain
from chalicelib.domain.money import money_str, qty_str
from chalicelib.domain.sales import Sale
from chalicelib.presenters.shapes import NULL_WHEN_ABSENT, Id, IsoTime, LocalTime, Money, Quantity, Shape
from chalicelib.presenters.time import local_time

# --- shapes -----------------------------------------------------------------------------------


class Extra(Shape):
    id: Id
    item_id: Id
    ingrediente_id: str | None
    descripcion: str | None
    nombre: str | None  # the descripcion, else the ingredient's name
    precio: Money
    cantidad: Quantity
    creado_en: LocalTime | None


class ItemSinExtras(Shape):
    """An item as a line of its sale, without its extras (an added extra's `item`)."""

    id: Id
    uuid: str
    transaccion_id: Id
    plato_id: str | None
    producto_id: str | None
    nombre: str
    cantidad: Quantity
    precio_unitario: Money
    subtotal: Money
    notas: str | None
    estacion: str | None
    estado: str | None
    curso: int
    held: bool
    fired_at: IsoTime | None
    started_at: IsoTime | None
    ready_at: IsoTime | None
    served_at: IsoTime | None
    creado_en: LocalTime | None
    eliminado_en: NotRequired[Annotated[LocalTime | None, NULL_WHEN_ABSENT]]
    eliminado_por: NotRequired[Annotated[str | int | None, NULL_WHEN_ABSENT]]


class Item(ItemSinExtras):
    extras: list[Extra]


class Pago(Shape):
    id: Id
    transaccion_id: Id
    metodo_pago: str
    monto: Money
    monto_recibido: Money | None
    cambio: Money
    referencia_qr: str | None
    caja_id: int | None
    usuario_id: str | int | None
    fecha: LocalTime | None
    creado_en: LocalTime | None


class Entrega(Shape):
    estado: str
    cliente: str | None
    direccion: str | None
    referencia: str | None
    metodo_pago: str | None
    notas: str | None
    repartidor_id: str | int | None


class Cabecera(Shape):
    """A transacción without its lines."""

    id: Id
    nro_reg: int | None
    concepto: str | None
    mesa: str | int | None
    cliente: str | None
    tipo: str | None
    estado: str
    estado_cocina: str | None
    monto_total: Money
    monto_pagado: Money
    monto_pendiente: Money
    caja_id: int | None
    sucursal_id: str
    usuario_id: str | int | None
    sesion_id: str | None
    fecha: LocalTime | None
    hora: LocalTime | None
    creado_en: LocalTime | None
    creado_en_iso: IsoTime  # the same moment as creado_en, in UTC ISO 8601 (for ages, with no time zone to know)
    actualizado_en: LocalTime | None
    cerrado_en: LocalTime | None
    rush: bool
    curso_marchado: int
    minutos_entre_cursos: int | None
    entrega: NotRequired[Annotated[Entrega | None, NULL_WHEN_ABSENT]]


class Transaccion(Cabecera):
    items: list[Item]
    pagos: list[Pago]


class ItemAgregado(Item):
    transaccion: Cabecera


class ExtraAgregado(Extra):
    item: ItemSinExtras
    transaccion: Cabecera


class PagoRegistrado(Pago):
    transaccion: Cabecera


# --- transacciones ----------------------------------------------------------------------------


def extra_out(extra: domain.Extra, item_id: int, tz: str) -> Extra:
    return {
        "id": extra.id,
        "item_id": item_id,
        "ingrediente_id": extra.ingrediente_id,
        "descripcion": extra.descripcion,
        "nombre": extra.label,
        "precio": money_str(extra.precio),
        "cantidad": qty_str(extra.cantidad),
        "creado_en": local_time(extra.created_at, tz),
    }


def item_out(item: domain.Item, order_id: int, tz: str) -> Item:
    out: Item = {
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
        "curso": item.curso,
        "held": item.held,
        "fired_at": item.fired_at,
        "started_at": item.started_at,
        "ready_at": item.ready_at,
        "served_at": item.served_at,
        "extras": [extra_out(e, item.id, tz) for e in item.extras],
        "creado_en": local_time(item.created_at, tz),
    }
    if item.removed_at:
        out["eliminado_en"] = local_time(item.removed_at, tz)
        out["eliminado_por"] = item.removed_by
    return out


def item_line(item: domain.Item, order_id: int, tz: str) -> ItemSinExtras:
    """The item without its extras (an added extra's `item`)."""
    return cast(ItemSinExtras, {k: v for k, v in item_out(item, order_id, tz).items() if k != "extras"})


def payment_out(payment: domain.Pago, order_id: int, tz: str) -> Pago:
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


def delivery_out(order: Sale) -> Entrega:
    """A delivery order's delivery part, as the counter and the kitchen see it."""
    e = order.entrega
    assert e is not None
    return {"estado": e.estado, "cliente": e.cliente_nombre, "direccion": e.direccion_texto,
            "referencia": e.direccion.get("referencia"), "metodo_pago": e.metodo_pago, "notas": e.notas,
            "repartidor_id": e.repartidor_id}


def header_out(order: Sale, tz: str) -> Cabecera:
    """The sale without its lines (what an added item, extra or payment carries as `transaccion`)."""
    created = local_time(order.created_at, tz)
    out: Cabecera = {
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
        "creado_en_iso": order.created_at,
        "actualizado_en": local_time(order.updated_at, tz),
        "cerrado_en": local_time(order.closed_at, tz),
        "rush": order.pacing.rush,
        "curso_marchado": order.pacing.fired_course,
        "minutos_entre_cursos": order.pacing.course_minutes,
    }
    if order.entrega is not None:
        out["entrega"] = delivery_out(order)
    return out


def sale_out(order: Sale, tz: str) -> Transaccion:
    return {
        **header_out(order, tz),
        "items": [item_out(i, order.id, tz) for i in order.items],
        "pagos": [payment_out(p, order.id, tz) for p in order.pagos],
    }


def item_added(item: domain.Item, order: Sale, tz: str) -> ItemAgregado:
    return {**item_out(item, order.id, tz), "transaccion": header_out(order, tz)}


def extra_added(extra: domain.Extra, item: domain.Item, order: Sale, tz: str) -> ExtraAgregado:
    return {**extra_out(extra, item.id, tz), "item": item_line(item, order.id, tz), "transaccion": header_out(order, tz)}


def payment_recorded(payment: domain.Pago, order: Sale, tz: str) -> PagoRegistrado:
    return {**payment_out(payment, order.id, tz), "transaccion": header_out(order, tz)}
