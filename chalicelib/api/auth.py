"""POST /api/auth/login, GET /api/auth/profile."""

from __future__ import annotations

from chalicelib.api import schemas as v
from chalicelib.api.http import RequestContext, Surface
from chalicelib.api.responses import Mensaje
from chalicelib.container import get_services
from chalicelib.presenters.users import Perfil, Sesion, profile_out, session_out

surface = Surface("auth")

LOGIN = {
    "nombre_usuario": v.text(min_length=1, max_length=64),
    "contrasena": v.text(min_length=1, max_length=256),
    "tenant": v.text(required=False, min_length=1, max_length=64),
}


@surface.route("/api/auth/login", ["POST"], permission=None, status=201, body=LOGIN, response=Sesion)
def login(ctx: RequestContext) -> Sesion:
    body = ctx.body()
    token, user = get_services().accounts.login(
        body["nombre_usuario"], body["contrasena"], body.get("tenant") or ctx.headers.get("x-tenant-id")
    )
    return session_out(token, user)


@surface.route("/api/auth/profile", ["GET"], permission="profile:read", response=Perfil)
def profile(ctx: RequestContext) -> Perfil:
    user = get_services().accounts.profile(ctx.principal)
    return profile_out(user, get_services().settings.default_timezone, ctx.tenant, ctx.principal.branch)


@surface.route("/api/auth/logout", ["POST"], permission="profile:read", body={}, response=Mensaje)
def logout(ctx: RequestContext) -> Mensaje:
    ctx.body()
    get_services().accounts.logout(ctx.principal)
    return {"message": "Sesión cerrada"}


PASSWORD_CHANGE = {
    "contrasena_actual": v.text(min_length=1, max_length=256),
    "contrasena_nueva": v.text(min_length=6, max_length=128),
}


@surface.route("/api/auth/password", ["POST"], permission="profile:read", body=PASSWORD_CHANGE, response=Sesion)
def change_password(ctx: RequestContext) -> Sesion:
    body = ctx.body()
    token, user = get_services().accounts.change_password(ctx.principal, body["contrasena_actual"], body["contrasena_nueva"])
    return session_out(token, user)
