"""GastroMovil output shapes (COMPAT C): the restaurant panel's lists, the customer's orders,
and the socket frames of the `gastromovil` namespace."""

from __future__ import annotations

from typing import Any, Literal, cast
from zoneinfo import ZoneInfo

from chalicelib.domain import delivery as d
from chalicelib.domain.clock import parse_iso
from chalicelib.domain.delivery import Address, Customer
from chalicelib.domain.money import ZERO, money_str, qty_str
from chalicelib.domain.sales import Sale
from chalicelib.presenters.shapes import Id, IsoDate, Money, Quantity, Shape


class Direccion(Shape):
    id: int | str
    calle: str | None
    barrio: str | None
    referencia: str | None
    latitud: str | None
    longitud: str | None


class Cliente(Shape):
    id: int | str
    nombre: str | None
    nombre_usuario: str | None
    email: str | None
    telefono: str | None
    direcciones: list[Direccion]


class ProductoDePedido(Shape):
    nombre: str
    cantidad: Quantity
    precio: Money


class Pedido(Shape):
    id: Id
    cliente_nombre: str | None
    total: Money
    estado: str
    fecha: IsoDate
    notas: str
    direccion: str | None
    productos: list[ProductoDePedido]
    costo_envio: Money
    metodo_pago: str | None
    sucursal_id: str
    repartidor_id: str | int | None


class PedidoActivo(Shape):
    id: Id
    cliente_nombre: str | None
    total: Money
    estado: str
    detalles_count: int
    direccion_entrega: str
    notas: str


class PedidoCreado(Shape):
    ok: Literal[True]
    pedido_id: Id
    pedido: Pedido


def _delivery_of(sale: Sale) -> d.Entrega:
    assert sale.entrega is not None
    return sale.entrega


def _products_of(sale: Sale) -> list[ProductoDePedido]:
    return [{"nombre": i.nombre, "cantidad": qty_str(i.cantidad), "precio": money_str(i.precio_unitario)}
            for i in sale.items if i.plato_id or i.producto_id]


def _delivery_fee(sale: Sale) -> str:
    return money_str(sum((i.subtotal for i in sale.items if not (i.plato_id or i.producto_id)), ZERO))


def order_date(sale: Sale, tz: str) -> str:
    return parse_iso(sale.created_at).astimezone(ZoneInfo(tz)).date().isoformat()


def order_out(sale: Sale, tz: str) -> Pedido:
    """GET /api/pedidos/ (and a customer's own orders)."""
    e = _delivery_of(sale)
    return {
        "id": sale.id, "cliente_nombre": e.cliente_nombre, "total": money_str(sale.monto_total), "estado": e.estado,
        "fecha": order_date(sale, tz), "notas": e.notas or "", "direccion": e.direccion_texto, "productos": _products_of(sale),
        "costo_envio": _delivery_fee(sale), "metodo_pago": e.metodo_pago, "sucursal_id": sale.branch_id,
        "repartidor_id": e.repartidor_id,
    }


def active_order(sale: Sale) -> PedidoActivo:
    """GET /api/pedidos/activos/."""
    e = _delivery_of(sale)
    return {
        "id": sale.id, "cliente_nombre": e.cliente_nombre, "total": money_str(sale.monto_total), "estado": e.estado,
        "detalles_count": len(_products_of(sale)), "direccion_entrega": e.direccion_texto or "Sin dirección", "notas": e.notas or "",
    }


def placed(sale: Sale, tz: str) -> PedidoCreado:
    return {"ok": True, "pedido_id": sale.id, "pedido": order_out(sale, tz)}


def customer_out(c: Customer) -> Cliente:
    return {"id": c.customer_id, "nombre": c.nombre, "nombre_usuario": c.nombre_usuario, "email": c.email,
            "telefono": c.telefono, "direcciones": [address_out(a) for a in c.addresses]}


def address_out(a: Address) -> Direccion:
    return cast(Direccion, {"id": a.id, **a.as_dict()})


# --- socket frames (COMPAT C) ----------------------------------------------------------------


def new_order_frame(sale: Sale) -> dict[str, Any]:
    return {"tipo": "nuevo_pedido", "mensaje": f"🍽️ ¡Nuevo pedido #{sale.id}!", "pedido_id": sale.id,
            "cliente": _delivery_of(sale).cliente_nombre, "total": money_str(sale.monto_total)}


def status_changed_frame(sale: Sale) -> dict[str, Any]:
    status = _delivery_of(sale).estado
    return {"tipo": "cambio_estado", "mensaje": d.STATUS_MESSAGES.get(status, ""), "pedido_id": sale.id, "estado": status}


def order_offered_frame(sale: Sale, branch_name: str) -> dict[str, Any]:
    return {"tipo": "pedido_disponible", "pedido_id": sale.id, "restaurante": branch_name,
            "direccion": _delivery_of(sale).direccion_texto}


def order_taken_frame(sale: Sale) -> dict[str, Any]:
    return {"tipo": "pedido_tomado", "pedido_id": sale.id}
