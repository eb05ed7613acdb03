"""Output shapes of the cash shift (COMPAT A, "Caja"): money as 2-decimal strings, dates in the branch's zone."""

from __future__ import annotations

from typing import Any

from chalicelib.domain.caja import Arqueo, Caja, Gasto, Resumen
from chalicelib.domain.money import money_str
from chalicelib.presenters.time import local_time


def _money_or_none(value: Any) -> str | None:
    return None if value is None else money_str(value)


def summary_out(summary: Resumen) -> dict[str, Any]:
    return {
        "monto_inicial": money_str(summary.monto_inicial),
        "ventas_efectivo": money_str(summary.ventas_efectivo),
        "ventas_qr": money_str(summary.ventas_qr),
        "total_ventas": money_str(summary.total_ventas),
        "gastos_efectivo": money_str(summary.gastos_efectivo),
        "gastos_qr": money_str(summary.gastos_qr),
        "total_gastos": money_str(summary.total_gastos),
        "efectivo_esperado": money_str(summary.efectivo_esperado),
        "total_qr": money_str(summary.total_qr),
    }


def arqueo_out(arqueo: Arqueo, tz: str) -> dict[str, Any]:
    return {
        **arqueo.counts,
        "total": money_str(arqueo.total),
        "efectivo_esperado": money_str(arqueo.esperado),
        "diferencia": money_str(arqueo.diferencia),
        "estado_diferencia": arqueo.estado_diferencia,
        "observacion": arqueo.observacion,
        "usuario_id": arqueo.usuario_id,
        "fecha": local_time(arqueo.created_at, tz),
    }


def caja_out(caja: Caja, tz: str) -> dict[str, Any]:
    summary = caja.summary()
    return {
        "id": caja.id,
        "sucursal_id": caja.branch_id,
        "estado": caja.estado,
        "cerrada": caja.cerrada,
        **caja.counts_apertura,
        "monto_inicial": money_str(caja.monto_inicial),
        "ventas_efectivo": money_str(caja.ventas_efectivo),
        "ventas_qr": money_str(caja.ventas_qr),
        "gastos_efectivo": money_str(caja.gastos_efectivo),
        "gastos_qr": money_str(caja.gastos_qr),
        "efectivo_esperado": money_str(caja.efectivo_esperado if caja.efectivo_esperado is not None else summary.efectivo_esperado),
        "total_qr": money_str(summary.total_qr),
        "monto_final": _money_or_none(caja.monto_final),
        "diferencia": _money_or_none(caja.diferencia),
        "estado_diferencia": caja.estado_diferencia,
        "conteo_cierre": caja.counts_cierre,
        "cierre_obs": caja.cierre_obs,
        "usuario_apertura_id": caja.opened_by,
        "usuario_cierre_id": caja.closed_by,
        "fecha_apertura": local_time(caja.opened_at, tz),
        "fecha_cierre": local_time(caja.closed_at, tz),
        "arqueos": [arqueo_out(a, tz) for a in caja.arqueos],
        "creado_en": local_time(caja.opened_at, tz),
        "actualizado_en": local_time(caja.updated_at or caja.opened_at, tz),
    }


def gasto_out(gasto: Gasto, tz: str) -> dict[str, Any]:
    date = local_time(gasto.created_at, tz)
    return {
        "id": gasto.id,
        "caja_id": gasto.caja_id,
        "descripcion": gasto.descripcion,
        "metodo_pago": gasto.metodo_pago,
        "monto": money_str(gasto.monto),
        "usuario_id": gasto.usuario_id,
        "fecha": date,
        "creado_en": date,
    }
