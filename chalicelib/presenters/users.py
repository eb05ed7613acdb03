"""Output shapes of staff users (COMPAT A: /api/usuarios, login and profile)."""

from __future__ import annotations

from chalicelib.domain.tenancy import User
from chalicelib.presenters.shapes import LocalTime, Shape
from chalicelib.presenters.time import local_time


class UsuarioBreve(Shape):
    id: int
    nombre: str
    nombre_usuario: str
    rol: str


class Usuario(UsuarioBreve):
    activo: bool
    sucursal_id: str | None
    creado_en: LocalTime | None
    actualizado_en: LocalTime | None


class Sesion(Shape):
    access_token: str
    usuario: UsuarioBreve


class Perfil(Usuario):
    tenant_id: str
    sucursal_actual: str | None


def user_brief(user: User) -> UsuarioBreve:
    return {"id": user.user_id, "nombre": user.nombre, "nombre_usuario": user.nombre_usuario, "rol": user.rol}


def user_out(user: User, tz: str) -> Usuario:
    return {
        **user_brief(user),
        "activo": user.activo,
        "sucursal_id": user.branch_id,
        "creado_en": local_time(user.created_at, tz),
        "actualizado_en": local_time(user.updated_at, tz),
    }


def session_out(token: str, user: User) -> Sesion:
    return {"access_token": token, "usuario": user_brief(user)}


def profile_out(user: User, tz: str, tenant_id: str, current_branch: str | None) -> Perfil:
    return {**user_out(user, tz), "tenant_id": tenant_id, "sucursal_actual": current_branch}
