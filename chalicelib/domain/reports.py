"""Per-caja sales reports, computed from the caja's sales."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from chalicelib.domain.money import ZERO, to_money
from chalicelib.domain.sales import ANULADO, CERRADO, Item, Sale


@dataclass(frozen=True)
class SalesSummary:
    transacciones: int
    cerradas: int
    abiertas: int
    anuladas: int
    total_ventas: Decimal
    total_pagado: Decimal
    pagado_efectivo: Decimal
    pagado_qr: Decimal
    pendiente_cobro: Decimal


def summarise(orders: Iterable[Sale]) -> SalesSummary:
    orders = list(orders)
    live = [o for o in orders if o.estado != ANULADO]
    pagos = [p for o in live for p in o.pagos]
    return SalesSummary(
        transacciones=len(orders),
        cerradas=sum(1 for o in orders if o.estado == CERRADO),
        abiertas=sum(1 for o in live if o.estado != CERRADO),
        anuladas=len(orders) - len(live),
        total_ventas=to_money(sum((o.monto_total for o in live), ZERO)),
        total_pagado=to_money(sum((p.monto for p in pagos), ZERO)),
        pagado_efectivo=to_money(sum((p.monto for p in pagos if p.metodo_pago == "efectivo"), ZERO)),
        pagado_qr=to_money(sum((p.monto for p in pagos if p.metodo_pago == "qr"), ZERO)),
        pendiente_cobro=to_money(sum((o.monto_pendiente for o in live), ZERO)),
    )


def removed_items(orders: Iterable[Sale]) -> list[tuple[Sale, Item]]:
    return sorted(((o, i) for o in orders for i in o.eliminados), key=lambda pair: pair[1].removed_at or "")


@dataclass(frozen=True)
class SalesLine:
    tipo: str  # "plato" | "producto"
    catalogo_id: str
    nombre: str
    cantidad: Decimal
    total: Decimal


def detailed_sales(orders: Iterable[Sale]) -> list[SalesLine]:
    lines: dict[tuple[str, str], SalesLine] = {}
    for order in orders:
        if order.estado == ANULADO:
            continue
        for item in order.items:
            tipo, catalogo_id = ("plato", item.plato_id) if item.plato_id else ("producto", item.producto_id or "")
            key = (tipo, catalogo_id)
            seen = lines.get(key)
            lines[key] = SalesLine(
                tipo,
                catalogo_id,
                item.nombre,
                (seen.cantidad if seen else ZERO) + item.cantidad,
                to_money((seen.total if seen else ZERO) + item.subtotal),
            )
    return sorted(lines.values(), key=lambda line: (-line.total, line.nombre))
