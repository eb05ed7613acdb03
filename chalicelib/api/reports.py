"""/api/reportes: the owner's reports of the caller's branch (the token's branch, or an owner's
X-Branch-Id) over a range of the branch's local days, as JSON or, with `?formato=csv`, as a CSV
download. Permission `reports:sales` (admin): what the business sold is the owner's, not every
cashier's (`reports:read` is the per-caja reports a cashier closes with)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chalice import Response

from chalicelib.api import schemas as v
from chalicelib.api.http import RequestContext, Surface
from chalicelib.container import get_services
from chalicelib.domain.rollups import MAX_DAYS
from chalicelib.domain.sales_rollup import GROUPINGS
from chalicelib.presenters import sales_reports as view
from chalicelib.presenters.sales_reports import ReporteDeCajas, ReporteDeVentas

if TYPE_CHECKING:
    from chalicelib.services.sales_reports import SalesReports

surface = Surface("reportes")

PERMISSION = "reports:sales"
CSV = "text/csv"
DAY_PATTERN = r"^\d{4}-\d{2}-\d{2}$"
RANGE = {
    "desde": v.text(required=False, pattern=DAY_PATTERN, description="first local day, YYYY-MM-DD (default: hasta minus 6 days)"),
    "hasta": v.text(required=False, pattern=DAY_PATTERN,
                    description=f"last local day, YYYY-MM-DD, included (default: today); at most {MAX_DAYS} days in all"),
    "formato": v.choice("json", "csv", required=False, default="json",
                        description="csv: a download (UTF-8 with a byte order mark), one line per line of the report"),
}
SALES_QUERY = {**RANGE, "agrupar": v.choice(*GROUPINGS, required=False, default="dia",
                                           description="one line per local day (every day of the range), hour (all 24), "
                                                       "plato or producto, payment method, waiter or sale tipo")}


def _reports() -> SalesReports:
    return get_services().sales_reports


def csv_download(text: str, filename: str) -> Response:
    return Response(body=text, status_code=200, headers={
        "Content-Type": f"{CSV}; charset=utf-8", "Content-Disposition": f'attachment; filename="{filename}"'})


@surface.route("/api/reportes/ventas", ["GET"], permission=PERMISSION, query=SALES_QUERY, response=ReporteDeVentas,
               media_types=(CSV,))
def sales(ctx: RequestContext) -> ReporteDeVentas | Response:
    """Sales of the branch per day, hour, plato, method, waiter or tipo, from the stream-fed rollup"""
    params = ctx.params()
    found = _reports().sales(ctx.principal, ctx.branch, params["desde"], params["hasta"], params["agrupar"])
    out = view.sales_report_out(found.branch, found.report, found.names)
    if params["formato"] == "csv":
        name = f"ventas-{out['sucursal_id']}-{out['desde']}-{out['hasta']}-{out['agrupar']}.csv"
        return csv_download(view.sales_report_csv(out), name)
    return out


@surface.route("/api/reportes/cajas", ["GET"], permission=PERMISSION, query=RANGE, response=ReporteDeCajas, media_types=(CSV,))
def cajas(ctx: RequestContext) -> ReporteDeCajas | Response:
    """Closed cajas of the branch opened in the range: expected cash, counted cash and difference"""
    params = ctx.params()
    found = _reports().closed_cajas(ctx.principal, ctx.branch, params["desde"], params["hasta"])
    out = view.cajas_report_out(found.branch, found.days, found.cajas)
    if params["formato"] == "csv":
        return csv_download(view.cajas_report_csv(out), f"cajas-{out['sucursal_id']}-{out['desde']}-{out['hasta']}.csv")
    return out
