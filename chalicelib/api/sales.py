"""/api/transacciones: the sale lifecycle of the Restaurante API (COMPAT A)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from chalicelib.api import schemas as v
from chalicelib.api.http import LIMIT, RequestContext, Surface, limit_query
from chalicelib.container import get_services
from chalicelib.domain import sales as domain
from chalicelib.domain.catalog import MAX_COURSE
from chalicelib.domain.money import PAYMENT_METHODS
from chalicelib.domain.sales import Sale
from chalicelib.errors import InvalidInput
from chalicelib.presenters import reports as report_view
from chalicelib.presenters import sales as sale_view
from chalicelib.presenters.reports import ItemEliminado, ResumenDeCaja, VentaDetallada
from chalicelib.presenters.sales import Extra, ExtraAgregado, Item, ItemAgregado, Pago, PagoRegistrado, Transaccion

if TYPE_CHECKING:
    from chalicelib.services.reports import CajaReports
    from chalicelib.services.sales import SaleService

surface = Surface("transacciones")

ITEM = {
    "plato_id": v.text(required=False, min_length=1, max_length=64),
    "producto_id": v.text(required=False, min_length=1, max_length=64),
    "cantidad": v.decimal(minimum=0, exclusive_minimum=True, maximum=10000, places=3),
    "notas": v.text(required=False, nullable=True, max_length=500),
    "curso": v.integer(required=False, minimum=0, maximum=MAX_COURSE),
}
HEADER = {
    "nro_reg": v.integer(minimum=1),
    "concepto": v.text(min_length=1, max_length=200),
    "mesa": v.text(required=False, nullable=True, max_length=50),
    "cliente": v.text(required=False, nullable=True, max_length=100),
    "tipo": v.text(required=False, min_length=1, max_length=30),
}
CREATE = {
    **HEADER,
    "caja_id": v.integer(required=False, nullable=True, minimum=1),
    "items": v.list_of(ITEM, required=False),
    "curso_marchado": v.integer(required=False, minimum=0, maximum=MAX_COURSE),
    "minutos_entre_cursos": v.integer(required=False, nullable=True, minimum=1, maximum=240),
    "rush": v.boolean(required=False),
}
RUSH = {"rush": v.boolean()}
EXTRA = {
    "ingrediente_id": v.text(required=False, min_length=1, max_length=64),
    "descripcion": v.text(required=False, min_length=1, max_length=200),
    "precio": v.money(minimum=0),
    "cantidad": v.decimal(minimum=0, exclusive_minimum=True, maximum=10000, places=3),
}
PAYMENT_BODY = {
    "metodo_pago": v.choice(*PAYMENT_METHODS),
    "monto": v.money(minimum=0, exclusive_minimum=True),
    "monto_recibido": v.money(required=False, nullable=True, minimum=0),
    "referencia_qr": v.text(required=False, nullable=True, max_length=100),
}


def _sales() -> SaleService:
    return get_services().sales


def _out(ctx: RequestContext, order: Sale) -> Transaccion:
    return sale_view.sale_out(order, _sales().timezone(ctx.tenant, order.branch_id))


def _once(ctx: RequestContext, tx_id: int, action: str, data: dict[str, Any], change: Callable[[], Any]) -> Any:
    """Run `change` once per Idempotency-Key when the request carries one (a retried payment or
    item answers what the first call answered); without the header, just run it."""
    key = ctx.headers.get("idempotency-key")
    if key is None:
        return change()
    if not 1 <= len(key) <= 128:
        raise InvalidInput("Idempotency-Key must be 1 to 128 characters long")
    return _sales().once(ctx.principal, tx_id, action, data, key, lambda: dict(change()), ctx.lambda_context)


def _tz(ctx: RequestContext) -> str:
    return _sales().timezone(ctx.tenant, ctx.branch)


@surface.route("/api/transacciones", ["POST"], permission="transacciones:write", status=201, body=CREATE, response=Transaccion)
def create(ctx: RequestContext) -> Transaccion:
    return _out(ctx, _sales().create(ctx.principal, ctx.branch, ctx.body()))


@surface.route(
    "/api/transacciones", ["GET"], permission="transacciones:read", query=limit_query(50, 200), response=list[Transaccion]
)
def list_recent(ctx: RequestContext) -> list[Transaccion]:
    tz = _tz(ctx)
    return [sale_view.sale_out(o, tz) for o in _sales().list_recent(ctx.principal, ctx.branch, ctx.limit())]


@surface.route("/api/transacciones/cocina/pendientes", ["GET"], permission="cocina:read", query=LIMIT, response=list[Transaccion])
def kitchen_queue(ctx: RequestContext) -> list[Transaccion]:
    tz = _tz(ctx)
    return [sale_view.sale_out(o, tz) for o in ctx.limited(_sales().kitchen_queue(ctx.principal, ctx.branch))]


@surface.route("/api/transacciones/{tx_id}", ["GET"], permission="transacciones:read", response=Transaccion)
def get_one(ctx: RequestContext, tx_id: str) -> Transaccion:
    return _out(ctx, _sales().get(ctx.principal, v.path_int(tx_id)))


@surface.route(
    "/api/transacciones/{tx_id}", ["PATCH"], permission="transacciones:write", body=HEADER, partial=True, response=Transaccion
)
def update(ctx: RequestContext, tx_id: str) -> Transaccion:
    return _out(ctx, _sales().update(ctx.principal, v.path_int(tx_id), ctx.body()))


@surface.route("/api/transacciones/{tx_id}", ["DELETE"], permission="transacciones:void", response=Transaccion)
def void(ctx: RequestContext, tx_id: str) -> Transaccion:
    return _out(ctx, _sales().void(ctx.principal, v.path_int(tx_id)))


@surface.route(
    "/api/transacciones/{tx_id}/items", ["POST"], permission="transacciones:write", status=201, body=ITEM, response=ItemAgregado
)
def add_item(ctx: RequestContext, tx_id: str) -> ItemAgregado | dict[str, Any]:  # or the stored answer of a replay
    number, data = v.path_int(tx_id), ctx.body()

    def added() -> ItemAgregado:
        order, item = _sales().add_item(ctx.principal, number, data)
        return sale_view.item_added(item, order, _sales().timezone(ctx.tenant, order.branch_id))

    return _once(ctx, number, "item", data, added)


@surface.route("/api/transacciones/{tx_id}/items", ["GET"], permission="transacciones:read", response=list[Item])
def list_items(ctx: RequestContext, tx_id: str) -> list[Item]:
    order = _sales().get(ctx.principal, v.path_int(tx_id))
    tz = _sales().timezone(ctx.tenant, order.branch_id)
    return [sale_view.item_out(i, order.id, tz) for i in order.items]


@surface.route("/api/transacciones/{tx_id}/items/{item_id}", ["DELETE"], permission="transacciones:write", response=Transaccion)
def remove_item(ctx: RequestContext, tx_id: str, item_id: str) -> Transaccion:
    return _out(ctx, _sales().remove_item(ctx.principal, v.path_int(tx_id), v.path_int(item_id, "itemId")))


@surface.route(
    "/api/transacciones/{tx_id}/items/{item_id}/extras",
    ["POST"],
    permission="transacciones:write",
    status=201,
    body=EXTRA,
    response=ExtraAgregado,
)
def add_extra(ctx: RequestContext, tx_id: str, item_id: str) -> ExtraAgregado | dict[str, Any]:  # or a replay's answer
    number, item_number, data = v.path_int(tx_id), v.path_int(item_id, "itemId"), ctx.body()

    def added() -> ExtraAgregado:
        order, extra = _sales().add_extra(ctx.principal, number, item_number, data)
        return sale_view.extra_added(extra, order.item(item_number), order, _sales().timezone(ctx.tenant, order.branch_id))

    return _once(ctx, number, f"extra:{item_number}", data, added)


@surface.route("/api/transacciones/{tx_id}/items/{item_id}/extras", ["GET"], permission="transacciones:read", response=list[Extra])
def list_extras(ctx: RequestContext, tx_id: str, item_id: str) -> list[Extra]:
    order = _sales().get(ctx.principal, v.path_int(tx_id))
    item = order.item(v.path_int(item_id, "itemId"))
    tz = _sales().timezone(ctx.tenant, order.branch_id)
    return [sale_view.extra_out(e, item.id, tz) for e in item.extras]


@surface.route(
    "/api/transacciones/{tx_id}/items/{item_id}/extras/{extra_id}",
    ["DELETE"],
    permission="transacciones:write",
    response=Transaccion,
)
def remove_extra(ctx: RequestContext, tx_id: str, item_id: str, extra_id: str) -> Transaccion:
    order = _sales().remove_extra(ctx.principal, v.path_int(tx_id), v.path_int(item_id, "itemId"), v.path_int(extra_id, "extraId"))
    return _out(ctx, order)


def _payment_out(ctx: RequestContext, order: Sale, payment: domain.Pago) -> PagoRegistrado:
    tz = _sales().timezone(ctx.tenant, order.branch_id)
    return sale_view.payment_recorded(payment, order, tz)


@surface.route(
    "/api/transacciones/{tx_id}/pagos", ["POST"], permission="pagos:create", status=201, body=PAYMENT_BODY, response=PagoRegistrado
)
def pay(ctx: RequestContext, tx_id: str) -> PagoRegistrado | dict[str, Any]:  # or the stored answer of a replay
    number, data = v.path_int(tx_id), ctx.body()
    return _once(ctx, number, "pago", data, lambda: _payment_out(ctx, *_sales().pay(ctx.principal, number, data)))


@surface.route("/api/transacciones/{tx_id}/pagos", ["GET"], permission="transacciones:read", response=list[Pago])
def list_payments(ctx: RequestContext, tx_id: str) -> list[Pago]:
    order = _sales().get(ctx.principal, v.path_int(tx_id))
    tz = _sales().timezone(ctx.tenant, order.branch_id)
    return [sale_view.payment_out(p, order.id, tz) for p in order.pagos]


@surface.route("/api/transacciones/{tx_id}/cocina/completar", ["PATCH"], permission="cocina:complete", response=Transaccion)
def complete_kitchen(ctx: RequestContext, tx_id: str) -> Transaccion:
    return _out(ctx, _sales().complete_kitchen(ctx.principal, v.path_int(tx_id)))


@surface.route(
    "/api/transacciones/{tx_id}/cursos/{curso}/marchar", ["POST"], permission="transacciones:fire", response=Transaccion
)
def fire_course(ctx: RequestContext, tx_id: str, curso: str) -> Transaccion:
    course = v.path_int(curso, "curso")
    if course > MAX_COURSE:
        raise InvalidInput(f"curso debe estar entre 0 y {MAX_COURSE}")
    return _out(ctx, _sales().fire_course(ctx.principal, v.path_int(tx_id), course))


@surface.route("/api/transacciones/{tx_id}/prioridad", ["POST"], permission="transacciones:rush", body=RUSH, response=Transaccion)
def set_rush(ctx: RequestContext, tx_id: str) -> Transaccion:
    return _out(ctx, _sales().set_rush(ctx.principal, v.path_int(tx_id), ctx.body()["rush"]))


@surface.route("/api/transacciones/{tx_id}/reabrir", ["POST"], permission="transacciones:reopen", status=201, response=Transaccion)
def reopen(ctx: RequestContext, tx_id: str) -> Transaccion:
    return _out(ctx, _sales().reopen(ctx.principal, v.path_int(tx_id)))


# --- per-caja reports -------------------------------------------------------------------------


def _reports() -> CajaReports:
    return get_services().caja_reports


def _caja_id(caja_id: str) -> int:
    return v.path_int(caja_id, "cajaId")


@surface.route("/api/transacciones/caja/{caja_id}", ["GET"], permission="reports:read", query=LIMIT, response=list[Transaccion])
def by_caja(ctx: RequestContext, caja_id: str) -> list[Transaccion]:
    tz = _tz(ctx)
    return [sale_view.sale_out(o, tz) for o in ctx.limited(_reports().sales_of(ctx.principal, _caja_id(caja_id)))]


@surface.route("/api/transacciones/caja/{caja_id}/resumen", ["GET"], permission="reports:read", response=ResumenDeCaja)
def caja_summary(ctx: RequestContext, caja_id: str) -> ResumenDeCaja:
    return report_view.summary_out(_reports().summary(ctx.principal, _caja_id(caja_id)))


@surface.route(
    "/api/transacciones/caja/{caja_id}/items-eliminados", ["GET"], permission="reports:read", response=list[ItemEliminado]
)
def removed_items(ctx: RequestContext, caja_id: str) -> list[ItemEliminado]:
    tz = _tz(ctx)
    return [report_view.removed_item_out(sale, item, tz) for sale, item in _reports().removed_items(ctx.principal, _caja_id(caja_id))]


@surface.route(
    "/api/transacciones/caja/{caja_id}/ventas-detalladas", ["GET"], permission="reports:read", response=list[VentaDetallada]
)
def detailed_sales(ctx: RequestContext, caja_id: str) -> list[VentaDetallada]:
    return [report_view.sales_line_out(line) for line in _reports().detailed_sales(ctx.principal, _caja_id(caja_id))]
