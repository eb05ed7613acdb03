"""/api/sucursales: a tenant's branches and their settings, admin only, within the caller's tenant;
`/api/sucursales/actual`: the caller's own branch, for every staff screen (the point of sale's tables).
A change reaches the branch's screens on `venue:<branch>` (STOMP `/venue/{tenant}/{branch}`)."""

from __future__ import annotations

from chalicelib.api import schemas as v
from chalicelib.api.http import LIMIT, RequestContext, Surface
from chalicelib.container import get_services
from chalicelib.domain.tenancy import MAX_MESA_LENGTH, MAX_MESAS
from chalicelib.presenters.branches import Sucursal, SucursalActual, branch_out, current_branch_out

surface = Surface("sucursales")

BRANCH_FIELDS = {
    "nombre": v.text(min_length=1, max_length=100),
    "timezone": v.text(min_length=1, max_length=64),
    "tarifa_domicilio": v.money(minimum=0, maximum=1000000),
    "minutos_tarde": v.integer(minimum=1, maximum=240),
    "mesas": v.texts(min_length=1, max_length=MAX_MESA_LENGTH, max_items=MAX_MESAS,
                     description="the branch's tables, in the order the point of sale's floor shows them"),
}


@surface.route("/api/sucursales", ["GET"], permission="sucursales:manage", query=LIMIT, response=list[Sucursal])
def list_all(ctx: RequestContext) -> list[Sucursal]:
    return [branch_out(b) for b in ctx.limited(get_services().accounts.list_branches(ctx.tenant))]


@surface.route("/api/sucursales/actual", ["GET"], permission="sucursales:read", response=SucursalActual)
def current(ctx: RequestContext) -> SucursalActual:
    return current_branch_out(get_services().accounts.get_branch(ctx.tenant, ctx.branch))


@surface.route(
    "/api/sucursales/{sucursal_id}", ["PATCH"], permission="sucursales:manage", body=BRANCH_FIELDS, partial=True, response=Sucursal
)
def update(ctx: RequestContext, sucursal_id: str) -> Sucursal:
    changes = ctx.body()
    return branch_out(get_services().accounts.update_branch(ctx.tenant, sucursal_id, changes))
