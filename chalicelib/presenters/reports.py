"""Output shapes of the caja reports (COMPAT A's /api/transacciones/caja/{id}/...)."""

from __future__ import annotations

from typing import Any

from chalicelib.domain.money import money_str, qty_str
from chalicelib.domain.reports import SalesLine, SalesSummary
from chalicelib.domain.sales import Item, Sale
from chalicelib.presenters.sales import item_out


def summary_out(summary: SalesSummary) -> dict[str, Any]:
    return {
        "transacciones": summary.sale_count, "cerradas": summary.closed_count, "abiertas": summary.open_count,
        "anuladas": summary.voided_count, "total_ventas": money_str(summary.total_sales),
        "total_pagado": money_str(summary.total_paid), "pagado_efectivo": money_str(summary.paid_cash),
        "pagado_qr": money_str(summary.paid_qr), "pendiente_cobro": money_str(summary.outstanding),
    }


def removed_item_out(sale: Sale, item: Item, tz: str) -> dict[str, Any]:
    return {**item_out(item, sale.id, tz), "transaccion_concepto": sale.concepto, "mesa": sale.mesa}


def sales_line_out(line: SalesLine) -> dict[str, Any]:
    return {"tipo": line.tipo, "id": line.catalog_id, "nombre": line.nombre, "cantidad": qty_str(line.cantidad),
            "total": money_str(line.total)}
