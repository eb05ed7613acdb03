"""Output shape of the kitchen speed report (`GET /api/reportes/cocina`)."""

from __future__ import annotations

from chalicelib.domain.kitchen_pace import KitchenSpeed
from chalicelib.presenters.csv_files import csv_text
from chalicelib.presenters.shapes import Count, IsoDate, Shape


class PlatoLento(Shape):
    plato_id: str
    nombre: str | None
    items: Count
    promedio_segundos: Count


class DiaDeEstacion(Shape):
    fecha: IsoDate
    estacion: str
    tickets: Count
    items: Count
    p50_segundos: Count | None
    p90_segundos: Count | None
    tickets_p50_segundos: Count | None
    tickets_p90_segundos: Count | None
    items_tarde: Count
    tickets_tarde: Count
    promedio_segundos: Count | None
    platos_lentos: list[PlatoLento]


class ReporteDeCocina(Shape):
    sucursal_id: str
    desde: IsoDate
    hasta: IsoDate
    minutos_tarde: int
    dias: list[DiaDeEstacion]


def kitchen_speed_out(report: KitchenSpeed) -> ReporteDeCocina:
    return {
        "sucursal_id": report.branch.branch_id,
        "desde": report.since,
        "hasta": report.until,
        "minutos_tarde": report.branch.late_minutes,
        "dias": [{
            "fecha": d.day, "estacion": d.station, "tickets": d.tickets, "items": d.items,
            "p50_segundos": d.p50_seconds, "p90_segundos": d.p90_seconds,
            "tickets_p50_segundos": d.ticket_p50_seconds, "tickets_p90_segundos": d.ticket_p90_seconds,
            "items_tarde": d.late_items, "tickets_tarde": d.late_tickets, "promedio_segundos": d.average_seconds,
            "platos_lentos": [{"plato_id": s.plato_id, "nombre": report.plato_names.get(s.plato_id), "items": s.items,
                               "promedio_segundos": s.average_seconds} for s in d.slowest],
        } for d in report.days],
    }


CSV_COLUMNS = ("fecha", "estacion", "tickets", "items", "p50_segundos", "p90_segundos", "tickets_p50_segundos",
               "tickets_p90_segundos", "items_tarde", "tickets_tarde", "promedio_segundos", "platos_lentos")


def kitchen_speed_csv(report: ReporteDeCocina) -> str:
    """One line per station and day; the slowest dishes as `nombre (segundos s)`, joined by `; `."""
    def cell(day: DiaDeEstacion, column: str) -> object:
        if column == "platos_lentos":
            return "; ".join(f"{p['nombre'] or p['plato_id']} ({p['promedio_segundos']} s)" for p in day["platos_lentos"])
        return day[column]  # type: ignore[literal-required]

    return csv_text(CSV_COLUMNS, ([cell(day, c) for c in CSV_COLUMNS] for day in report["dias"]))
