"""GET /api/reportes/cocina?desde=&hasta=&estacion=: the kitchen's speed of service per station
and day, in the branch's time zone, from the stream-fed rollup (admin, cocina)."""

from __future__ import annotations

from chalicelib.api import schemas as v
from chalicelib.api.http import RequestContext, Surface
from chalicelib.container import get_services
from chalicelib.domain.catalog import STATION_PATTERN
from chalicelib.presenters.kitchen_report import ReporteDeCocina, kitchen_speed_out

surface = Surface("reportes-cocina")

DAY = r"^\d{4}-\d{2}-\d{2}$"
QUERY = {
    "desde": v.text(required=False, pattern=DAY, description="first local day, YYYY-MM-DD (default: today)"),
    "hasta": v.text(required=False, pattern=DAY, description="last local day, included (default: today)"),
    "estacion": v.text(required=False, pattern=STATION_PATTERN, description="only this kitchen station"),
}


@surface.route("/api/reportes/cocina", ["GET"], permission="reportes:cocina", query=QUERY, response=ReporteDeCocina)
def kitchen_speed(ctx: RequestContext) -> ReporteDeCocina:
    params = ctx.params()
    report = get_services().kitchen_reports.speed(ctx.principal, ctx.branch, params["desde"], params["hasta"], params["estacion"])
    return kitchen_speed_out(report)
