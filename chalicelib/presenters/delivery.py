"""GastroMovil output shapes (COMPAT C): the restaurant panel's lists, the customer's orders,
and the socket frames of the `gastromovil` namespace."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from chalicelib.domain import delivery as d
from chalicelib.domain.clock import parse_iso
from chalicelib.domain.delivery import Address, Customer
from chalicelib.domain.money import ZERO, money_str, qty_str
from chalicelib.domain.sales import Sale


def _entrega(sale: Sale) -> d.Entrega:
    assert sale.entrega is not None
    return sale.entrega


def _productos(sale: Sale) -> list[dict[str, Any]]:
    return [{"nombre": i.nombre, "cantidad": qty_str(i.cantidad), "precio": money_str(i.precio_unitario)}
            for i in sale.items if i.plato_id or i.producto_id]


def _costo_envio(sale: Sale) -> str:
    return money_str(sum((i.subtotal for i in sale.items if not (i.plato_id or i.producto_id)), ZERO))


def fecha(sale: Sale, tz: str) -> str:
    return parse_iso(sale.created_at).astimezone(ZoneInfo(tz)).date().isoformat()


def pedido(sale: Sale, tz: str) -> dict[str, Any]:
    """GET /api/pedidos/ (and a customer's own orders)."""
    e = _entrega(sale)
    return {
        "id": sale.id, "cliente_nombre": e.cliente_nombre, "total": money_str(sale.monto_total), "estado": e.estado,
        "fecha": fecha(sale, tz), "notas": e.notas or "", "direccion": e.direccion_texto, "productos": _productos(sale),
        "costo_envio": _costo_envio(sale), "metodo_pago": e.metodo_pago, "sucursal_id": sale.branch_id,
        "repartidor_id": e.repartidor_id,
    }


def pedido_activo(sale: Sale) -> dict[str, Any]:
    """GET /api/pedidos/activos/."""
    e = _entrega(sale)
    return {
        "id": sale.id, "cliente_nombre": e.cliente_nombre, "total": money_str(sale.monto_total), "estado": e.estado,
        "detalles_count": len(_productos(sale)), "direccion_entrega": e.direccion_texto or "Sin dirección", "notas": e.notas or "",
    }


def creado(sale: Sale, tz: str) -> dict[str, Any]:
    return {"ok": True, "pedido_id": sale.id, "pedido": pedido(sale, tz)}


def cliente(c: Customer) -> dict[str, Any]:
    return {"id": c.customer_id, "nombre": c.nombre, "nombre_usuario": c.nombre_usuario, "email": c.email,
            "telefono": c.telefono, "direcciones": [direccion(a) for a in c.addresses]}


def direccion(a: Address) -> dict[str, Any]:
    return {"id": a.id, **a.as_dict()}


# --- socket frames (COMPAT C) ----------------------------------------------------------------


def nuevo_pedido(sale: Sale) -> dict[str, Any]:
    return {"tipo": "nuevo_pedido", "mensaje": f"🍽️ ¡Nuevo pedido #{sale.id}!", "pedido_id": sale.id,
            "cliente": _entrega(sale).cliente_nombre, "total": money_str(sale.monto_total)}


def cambio_estado(sale: Sale) -> dict[str, Any]:
    estado = _entrega(sale).estado
    return {"tipo": "cambio_estado", "mensaje": d.MENSAJES.get(estado, ""), "pedido_id": sale.id, "estado": estado}


def pedido_disponible(sale: Sale, restaurante: str) -> dict[str, Any]:
    return {"tipo": "pedido_disponible", "pedido_id": sale.id, "restaurante": restaurante,
            "direccion": _entrega(sale).direccion_texto}


def pedido_tomado(sale: Sale) -> dict[str, Any]:
    return {"tipo": "pedido_tomado", "pedido_id": sale.id}
