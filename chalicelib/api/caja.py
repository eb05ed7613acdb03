"""/api/caja: the cash shift of the caller's branch (COMPAT A, "Caja"); admin or cajero.

The branch is the caller's (token `branch`, or an admin's X-Branch-Id). Money is rendered as
2-decimal strings, dates as `HH:mm - dd/MM/yyyy` in the branch's time zone."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chalicelib.api import schemas as v
from chalicelib.api.http import LIMIT, RequestContext, Surface, limit_query
from chalicelib.container import get_services
from chalicelib.domain.caja import DENOMINATION_NAMES
from chalicelib.domain.money import PAYMENT_METHODS
from chalicelib.presenters import caja as caja_view
from chalicelib.presenters.caja import Caja, CajaCerrada, CajaConArqueo, CajaDetalle, CajaYResumen, Gasto, caja_out, gasto_out

if TYPE_CHECKING:
    from chalicelib.services.caja import CajaService

surface = Surface("caja")

PERMISSION = "caja:operate"

COUNTS: dict[str, v.Field] = {name: v.integer(required=False, minimum=0, maximum=1_000_000, default=0) for name in DENOMINATION_NAMES}
OPEN_BODY = COUNTS
CLOSE_BODY = {**COUNTS, "cierre_obs": v.text(required=False, nullable=True, max_length=500)}
ARQUEO = {**COUNTS, "observacion": v.text(required=False, nullable=True, max_length=500)}
GASTO = {
    "descripcion": v.text(min_length=1, max_length=200),
    "metodo_pago": v.choice(*PAYMENT_METHODS),
    "monto": v.money(minimum=0, exclusive_minimum=True),
}


def _cajas() -> CajaService:
    return get_services().caja


def _tz(ctx: RequestContext, branch_id: str | None = None) -> str:
    return _cajas().timezone(ctx.tenant, branch_id or ctx.branch)


# --- routes -----------------------------------------------------------------------------------


@surface.route("/api/caja/abrir", ["POST"], permission=PERMISSION, status=201, body=OPEN_BODY, response=Caja)
def open_caja(ctx: RequestContext) -> Caja:
    caja = _cajas().open(ctx.principal, ctx.branch, ctx.body())
    return caja_out(caja, _tz(ctx, caja.branch_id))


@surface.route("/api/caja/actual", ["GET"], permission=PERMISSION, response=Caja | None)
def actual(ctx: RequestContext) -> Caja | None:
    caja = _cajas().current(ctx.principal, ctx.branch)
    return None if caja is None else caja_out(caja, _tz(ctx, caja.branch_id))


@surface.route("/api/caja/gastos", ["POST"], permission=PERMISSION, status=201, body=GASTO, response=Gasto)
def record_gasto(ctx: RequestContext) -> Gasto:
    data = ctx.body()
    return gasto_out(_cajas().add_gasto(ctx.principal, ctx.branch, data), _tz(ctx))


CAJA_QUERY = {
    "caja_id": v.integer(required=False, minimum=1, maximum=10**12, description="a caja of the branch (default: the open one)"),
    **LIMIT,
}


@surface.route("/api/caja/gastos/historial", ["GET"], permission=PERMISSION, query=CAJA_QUERY, response=list[Gasto])
def gasto_history(ctx: RequestContext) -> list[Gasto]:
    caja_id = ctx.params()["caja_id"]
    gastos = _cajas().gastos(ctx.principal, ctx.branch, caja_id)
    tz = _tz(ctx)
    return [gasto_out(g, tz) for g in ctx.limited(gastos)]


@surface.route("/api/caja/resumen", ["GET"], permission=PERMISSION, response=CajaYResumen)
def summary(ctx: RequestContext) -> CajaYResumen:
    caja = _cajas().require_open(ctx.principal, ctx.branch)
    return caja_view.summary_of(caja, _tz(ctx, caja.branch_id))


@surface.route("/api/caja/cerrar", ["POST"], permission=PERMISSION, body=CLOSE_BODY, response=CajaCerrada)
def close_caja(ctx: RequestContext) -> CajaCerrada:
    data = ctx.body()
    caja = _cajas().close(ctx.principal, ctx.branch, data, data.get("cierre_obs"))
    return caja_view.closed(caja, _tz(ctx, caja.branch_id))


@surface.route("/api/caja/{caja_id}/arqueo", ["PATCH"], permission=PERMISSION, body=ARQUEO, response=CajaConArqueo)
def arqueo(ctx: RequestContext, caja_id: str) -> CajaConArqueo:
    data = ctx.body()
    caja, recorded = _cajas().arqueo(ctx.principal, v.path_int(caja_id), data, data.get("observacion"))
    tz = _tz(ctx, caja.branch_id)
    return caja_view.with_arqueo(caja, recorded, tz)


@surface.route("/api/caja/historial", ["GET"], permission=PERMISSION, query=limit_query(20, 100), response=list[Caja])
def caja_history(ctx: RequestContext) -> list[Caja]:
    tz = _tz(ctx)
    return [caja_out(c, tz) for c in _cajas().history(ctx.principal, ctx.branch, ctx.limit())]


@surface.route("/api/caja/{caja_id}/detalle", ["GET"], permission=PERMISSION, response=CajaDetalle)
def caja_detail(ctx: RequestContext, caja_id: str) -> CajaDetalle:
    found = _cajas().detail(ctx.principal, v.path_int(caja_id))
    tz = _tz(ctx, found.caja.branch_id)
    return caja_view.detail(found.caja, found.gastos, tz)
