"""Output shape of the kitchen speed report (`GET /api/reportes/cocina`)."""

from __future__ import annotations

from chalicelib.domain.kitchen_pace import KitchenSpeed
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
