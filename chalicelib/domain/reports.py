"""Per-caja sales reports, computed from the caja's sales."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from chalicelib.domain.money import ZERO, to_money
from chalicelib.domain.sales import CLOSED, VOIDED, Item, Sale


@dataclass(frozen=True)
class SalesSummary:
    sale_count: int
    closed_count: int
    open_count: int
    voided_count: int
    total_sales: Decimal
    total_paid: Decimal
    paid_cash: Decimal
    paid_qr: Decimal
    outstanding: Decimal
    paid_card: Decimal = ZERO


def summarise(orders: Iterable[Sale]) -> SalesSummary:
    orders = list(orders)
    live = [o for o in orders if o.estado != VOIDED]
    payments = [p for o in live for p in o.pagos]
    return SalesSummary(
        sale_count=len(orders),
        closed_count=sum(1 for o in orders if o.estado == CLOSED),
        open_count=sum(1 for o in live if o.estado != CLOSED),
        voided_count=len(orders) - len(live),
        total_sales=to_money(sum((o.monto_total for o in live), ZERO)),
        total_paid=to_money(sum((p.monto for p in payments), ZERO)),
        paid_cash=to_money(sum((p.monto for p in payments if p.metodo_pago == "efectivo"), ZERO)),
        paid_qr=to_money(sum((p.monto for p in payments if p.metodo_pago == "qr"), ZERO)),
        outstanding=to_money(sum((o.monto_pendiente for o in live), ZERO)),
        paid_card=to_money(sum((p.monto for p in payments if p.metodo_pago == "tarjeta"), ZERO)),
    )


def removed_items(orders: Iterable[Sale]) -> list[tuple[Sale, Item]]:
    return sorted(((o, i) for o in orders for i in o.eliminados), key=lambda pair: pair[1].removed_at or "")


@dataclass(frozen=True)
class SalesLine:
    tipo: str  # "plato" | "producto"
    catalog_id: str
    nombre: str
    cantidad: Decimal
    total: Decimal


def detailed_sales(orders: Iterable[Sale]) -> list[SalesLine]:
    lines: dict[tuple[str, str], SalesLine] = {}
    for order in orders:
        if order.estado == VOIDED:
            continue
        for item in order.items:
            kind, catalog_id = ("plato", item.plato_id) if item.plato_id else ("producto", item.producto_id or "")
            key = (kind, catalog_id)
            seen = lines.get(key)
            lines[key] = SalesLine(
                kind,
                catalog_id,
                item.nombre,
                (seen.cantidad if seen else ZERO) + item.cantidad,
                to_money((seen.total if seen else ZERO) + item.subtotal),
            )
    return sorted(lines.values(), key=lambda line: (-line.total, line.nombre))
