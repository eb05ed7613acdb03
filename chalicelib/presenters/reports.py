"""Output shapes of the caja reports (COMPAT A's /api/transacciones/caja/{id}/...)."""

from __future__ import annotations

from chalicelib.domain.money import money_str, qty_str
from chalicelib.domain.reports import SalesLine, SalesSummary
from chalicelib.domain.sales import Item, Sale
from chalicelib.presenters import sales as sale_view
from chalicelib.presenters.shapes import Money, Quantity, Shape


class ResumenDeCaja(Shape):
    transacciones: int
    cerradas: int
    abiertas: int
    anuladas: int
    total_ventas: Money
    total_pagado: Money
    pagado_efectivo: Money
    pagado_qr: Money
    pendiente_cobro: Money
    pagado_tarjeta: Money


class ItemEliminado(sale_view.Item):
    transaccion_concepto: str | None
    mesa: str | int | None


class VentaDetallada(Shape):
    tipo: str
    id: str | None
    nombre: str
    cantidad: Quantity
    total: Money


def summary_out(summary: SalesSummary) -> ResumenDeCaja:
    return {
        "transacciones": summary.sale_count, "cerradas": summary.closed_count, "abiertas": summary.open_count,
        "anuladas": summary.voided_count, "total_ventas": money_str(summary.total_sales),
        "total_pagado": money_str(summary.total_paid), "pagado_efectivo": money_str(summary.paid_cash),
        "pagado_qr": money_str(summary.paid_qr), "pendiente_cobro": money_str(summary.outstanding),
        "pagado_tarjeta": money_str(summary.paid_card),
    }


def removed_item_out(sale: Sale, item: Item, tz: str) -> ItemEliminado:
    return {**sale_view.item_out(item, sale.id, tz), "transaccion_concepto": sale.concepto, "mesa": sale.mesa}


def sales_line_out(line: SalesLine) -> VentaDetallada:
    return {"tipo": line.tipo, "id": line.catalog_id, "nombre": line.nombre, "cantidad": qty_str(line.cantidad),
            "total": money_str(line.total)}
