"""/api/usuarios: user administration, admin only, always within the caller's tenant."""

from __future__ import annotations

from chalicelib.api import schemas as v
from chalicelib.api.http import LIMIT, RequestContext, Surface
from chalicelib.api.responses import Eliminado
from chalicelib.auth import ROLES
from chalicelib.container import get_services
from chalicelib.domain.tenancy import USERNAME_PATTERN
from chalicelib.presenters.users import Usuario, user_out

surface = Surface("usuarios")

USER_FIELDS = {
    "nombre": v.text(min_length=1, max_length=100),
    "nombre_usuario": v.text(min_length=3, max_length=30, pattern=USERNAME_PATTERN),
    "contrasena": v.text(min_length=6, max_length=128),
    "rol": v.choice(*ROLES),
    "sucursal_id": v.text(required=False, nullable=True, min_length=1, max_length=64),
    "activo": v.boolean(required=False),
}


def _tz() -> str:
    return get_services().settings.default_timezone


@surface.route("/api/usuarios", ["POST"], permission="usuarios:manage", status=201, body=USER_FIELDS, response=Usuario)
def create(ctx: RequestContext) -> Usuario:
    return user_out(get_services().accounts.create_user(ctx.tenant, ctx.body()), _tz())


@surface.route("/api/usuarios", ["GET"], permission="usuarios:manage", query=LIMIT, response=list[Usuario])
def list_all(ctx: RequestContext) -> list[Usuario]:
    return [user_out(u, _tz()) for u in ctx.limited(get_services().accounts.list_users(ctx.tenant))]


@surface.route("/api/usuarios/{user_id}", ["GET"], permission="usuarios:manage", response=Usuario)
def get_one(ctx: RequestContext, user_id: str) -> Usuario:
    return user_out(get_services().accounts.get_user(ctx.tenant, v.path_int(user_id)), _tz())


@surface.route("/api/usuarios/{user_id}", ["PATCH"], permission="usuarios:manage", body=USER_FIELDS, partial=True, response=Usuario)
def update(ctx: RequestContext, user_id: str) -> Usuario:
    data = ctx.body()
    return user_out(get_services().accounts.update_user(ctx.tenant, v.path_int(user_id), data), _tz())


@surface.route("/api/usuarios/{user_id}", ["DELETE"], permission="usuarios:manage", response=Eliminado)
def delete(ctx: RequestContext, user_id: str) -> Eliminado:
    user = get_services().accounts.delete_user(ctx.principal, v.path_int(user_id))
    return {"message": f"Usuario {user.user_id} eliminado", "id": user.user_id}
