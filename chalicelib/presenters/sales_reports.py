"""Output shapes of the owner's reports (`/api/reportes/...`): JSON, and the same lines as CSV
(UTF-8 with a byte order mark, so that a spreadsheet opens accents right; RFC 4180 quoting)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from chalicelib.domain.caja import Caja
from chalicelib.domain.money import ZERO, money_str, qty_str
from chalicelib.domain.rollups import DayRange
from chalicelib.domain.sales_rollup import Line, SalesReport
from chalicelib.domain.tenancy import Branch
from chalicelib.presenters.csv_files import csv_text
from chalicelib.presenters.shapes import Count, Id, IsoDate, LocalTime, Money, Quantity, Shape
from chalicelib.presenters.time import local_time

Grouping = Literal["dia", "hora", "plato", "metodo", "mesero", "tipo"]


class LineaDeVentas(Shape):
    clave: str  # the day, the hour (00-23), `plato:<id>` / `producto:<id>`, the method, the user id, the tipo
    nombre: str
    ventas: Count  # sales; payments for a method; sales that had it for a plato or producto
    total: Money
    ticket_promedio: Money
    cantidad: Quantity | None  # platos and productos: units sold
    anuladas: Count | None  # days: sales voided that day
    monto_anulado: Money | None


class ReporteDeVentas(Shape):
    sucursal_id: str
    zona_horaria: str
    desde: IsoDate
    hasta: IsoDate
    agrupar: Grouping
    ventas: Count
    total: Money
    ticket_promedio: Money
    anuladas: Count
    monto_anulado: Money
    lineas: list[LineaDeVentas]


class CierreDeCaja(Shape):
    id: Id
    fecha_apertura: LocalTime | None
    fecha_cierre: LocalTime | None
    usuario_apertura_id: str
    usuario_cierre_id: str | None
    monto_inicial: Money
    ventas_efectivo: Money
    gastos_efectivo: Money
    efectivo_esperado: Money
    efectivo_contado: Money
    diferencia: Money
    estado_diferencia: str
    ventas_qr: Money
    gastos_qr: Money


class ReporteDeCajas(Shape):
    sucursal_id: str
    zona_horaria: str
    desde: IsoDate
    hasta: IsoDate
    cajas: list[CierreDeCaja]
    total_diferencia: Money


def _line_out(line: Line, name: str) -> LineaDeVentas:
    return {
        "clave": line.key, "nombre": name, "ventas": line.count, "total": money_str(line.total),
        "ticket_promedio": money_str(line.average),
        "cantidad": qty_str(line.quantity) if line.quantity is not None else None,
        "anuladas": line.voids,
        "monto_anulado": money_str(line.voided_total) if line.voided_total is not None else None,
    }


def sales_report_out(branch: Branch, report: SalesReport, names: dict[str, str]) -> ReporteDeVentas:
    return {
        "sucursal_id": branch.branch_id, "zona_horaria": branch.timezone, "desde": report.days.since.isoformat(),
        "hasta": report.days.until.isoformat(), "agrupar": report.grouping,  # type: ignore[typeddict-item]
        "ventas": report.count, "total": money_str(report.total), "ticket_promedio": money_str(report.average),
        "anuladas": report.voids, "monto_anulado": money_str(report.voided_total),
        "lineas": [_line_out(line, names.get(line.key, line.key)) for line in report.lines],
    }


def closed_caja_out(caja: Caja, tz: str) -> CierreDeCaja:
    return {
        "id": caja.id, "fecha_apertura": local_time(caja.opened_at, tz), "fecha_cierre": local_time(caja.closed_at, tz),
        "usuario_apertura_id": caja.opened_by, "usuario_cierre_id": caja.closed_by,
        "monto_inicial": money_str(caja.monto_inicial), "ventas_efectivo": money_str(caja.ventas_efectivo),
        "gastos_efectivo": money_str(caja.gastos_efectivo), "efectivo_esperado": money_str(caja.efectivo_esperado),
        "efectivo_contado": money_str(caja.monto_final), "diferencia": money_str(caja.diferencia),
        "estado_diferencia": caja.estado_diferencia or "", "ventas_qr": money_str(caja.ventas_qr),
        "gastos_qr": money_str(caja.gastos_qr),
    }


def cajas_report_out(branch: Branch, days: DayRange, cajas: Sequence[Caja]) -> ReporteDeCajas:
    rows = [closed_caja_out(caja, branch.timezone) for caja in cajas]
    return {
        "sucursal_id": branch.branch_id, "zona_horaria": branch.timezone, "desde": days.since.isoformat(),
        "hasta": days.until.isoformat(), "cajas": rows,
        "total_diferencia": money_str(sum((caja.diferencia or ZERO for caja in cajas), ZERO)),
    }


# --- CSV -----------------------------------------------------------------------------------------

# The columns of each grouping's CSV: the JSON line's fields that the grouping fills, in order.
SALES_COLUMNS: dict[str, tuple[str, ...]] = {
    "dia": ("clave", "ventas", "total", "ticket_promedio", "anuladas", "monto_anulado"),
    "hora": ("clave", "nombre", "ventas", "total", "ticket_promedio"),
    "plato": ("clave", "nombre", "ventas", "cantidad", "total"),
    "metodo": ("clave", "ventas", "total"),
    "mesero": ("clave", "nombre", "ventas", "total", "ticket_promedio"),
    "tipo": ("clave", "ventas", "total", "ticket_promedio"),
}
HEADINGS = {"clave": {"dia": "fecha", "hora": "hora", "plato": "id", "metodo": "metodo_pago", "mesero": "usuario_id",
                      "tipo": "tipo"}}
CAJA_COLUMNS = ("id", "fecha_apertura", "fecha_cierre", "usuario_apertura_id", "usuario_cierre_id", "monto_inicial",
                "ventas_efectivo", "gastos_efectivo", "efectivo_esperado", "efectivo_contado", "diferencia", "estado_diferencia",
                "ventas_qr", "gastos_qr")


def sales_report_csv(report: ReporteDeVentas) -> str:
    columns = SALES_COLUMNS[report["agrupar"]]
    header = [HEADINGS.get(column, {}).get(report["agrupar"], column) for column in columns]
    return csv_text(header, ([line[column] for column in columns] for line in report["lineas"]))  # type: ignore[literal-required]


def cajas_report_csv(report: ReporteDeCajas) -> str:
    return csv_text(CAJA_COLUMNS, ([caja[column] for column in CAJA_COLUMNS] for caja in report["cajas"]))  # type: ignore[literal-required]
