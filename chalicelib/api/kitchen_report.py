"""GET /api/reportes/cocina?desde=&hasta=&estacion=: the kitchen's speed of service per station
and day, in the branch's time zone, from the stream-fed rollup (admin, cocina)."""

from __future__ import annotations

from chalice import Response

from chalicelib.api import schemas as v
from chalicelib.api.http import RequestContext, Surface
from chalicelib.api.reports import CSV, csv_download
from chalicelib.container import get_services
from chalicelib.domain.catalog import STATION_PATTERN
from chalicelib.presenters.kitchen_report import ReporteDeCocina, kitchen_speed_csv, kitchen_speed_out

surface = Surface("reportes-cocina")

DAY = r"^\d{4}-\d{2}-\d{2}$"
QUERY = {
    "desde": v.text(required=False, pattern=DAY, description="first local day, YYYY-MM-DD (default: today)"),
    "hasta": v.text(required=False, pattern=DAY, description="last local day, included (default: today)"),
    "estacion": v.text(required=False, pattern=STATION_PATTERN, description="only this kitchen station"),
    "formato": v.choice("json", "csv", required=False, default="json",
                        description="csv: a download (UTF-8 with a byte order mark), one line per station and day"),
}


@surface.route("/api/reportes/cocina", ["GET"], permission="reports:kitchen", query=QUERY, response=ReporteDeCocina,
               media_types=(CSV,))
def kitchen_speed(ctx: RequestContext) -> ReporteDeCocina | Response:
    """Speed of service per station and local day, from the stream-fed rollup"""
    params = ctx.params()
    report = get_services().kitchen_reports.speed(ctx.principal, ctx.branch, params["desde"], params["hasta"], params["estacion"])
    out = kitchen_speed_out(report)
    if params["formato"] == "csv":
        return csv_download(kitchen_speed_csv(out), f"cocina-{out['sucursal_id']}-{out['desde']}-{out['hasta']}.csv")
    return out
