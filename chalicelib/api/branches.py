"""/api/sucursales: a tenant's branches and their settings, admin only, within the caller's tenant.
A change reaches the branch's screens on `venue:<branch>` (STOMP `/venue/{tenant}/{branch}`)."""

from __future__ import annotations

from chalicelib.api import schemas as v
from chalicelib.api.http import LIMIT, RequestContext, Surface
from chalicelib.container import get_services
from chalicelib.presenters.branches import Sucursal, branch_out

surface = Surface("sucursales")

BRANCH_FIELDS = {
    "nombre": v.text(min_length=1, max_length=100),
    "timezone": v.text(min_length=1, max_length=64),
    "tarifa_domicilio": v.money(minimum=0, maximum=1000000),
    "minutos_tarde": v.integer(minimum=1, maximum=240),
}


@surface.route("/api/sucursales", ["GET"], permission="sucursales:manage", query=LIMIT, response=list[Sucursal])
def list_all(ctx: RequestContext) -> list[Sucursal]:
    return [branch_out(b) for b in ctx.limited(get_services().accounts.list_branches(ctx.tenant))]


@surface.route(
    "/api/sucursales/{sucursal_id}", ["PATCH"], permission="sucursales:manage", body=BRANCH_FIELDS, partial=True, response=Sucursal
)
def update(ctx: RequestContext, sucursal_id: str) -> Sucursal:
    changes = ctx.body()
    return branch_out(get_services().accounts.update_branch(ctx.tenant, sucursal_id, changes))
