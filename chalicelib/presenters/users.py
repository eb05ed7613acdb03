"""Output shapes of staff users (COMPAT A: /api/usuarios, login and profile)."""

from __future__ import annotations

from typing import Any

from chalicelib.domain.tenancy import User
from chalicelib.presenters.time import local_time


def user_brief(user: User) -> dict[str, Any]:
    return {"id": user.user_id, "nombre": user.nombre, "nombre_usuario": user.nombre_usuario, "rol": user.rol}


def user_out(user: User, tz: str) -> dict[str, Any]:
    return {
        **user_brief(user),
        "activo": user.activo,
        "sucursal_id": user.branch_id,
        "creado_en": local_time(user.created_at, tz),
        "actualizado_en": local_time(user.updated_at, tz),
    }
