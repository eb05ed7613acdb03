"""API output shapes for the Restaurante surface (COMPAT A): explicit mapping from domain
objects, dates as `HH:mm - dd/MM/yyyy` in the branch's zone, money as 2-decimal strings."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from chalicelib.domain.clock import iso, render_local
from chalicelib.domain.tenancy import User


def local_time(moment: datetime | str | None, tz: str) -> str | None:
    if moment is None:
        return None
    return render_local(moment if isinstance(moment, str) else iso(moment), tz)


def usuario_brief(user: User) -> dict[str, Any]:
    return {"id": user.user_id, "nombre": user.nombre, "nombre_usuario": user.nombre_usuario, "rol": user.rol}


def usuario(user: User, tz: str) -> dict[str, Any]:
    return {
        **usuario_brief(user),
        "activo": user.activo,
        "sucursal_id": user.branch_id,
        "creado_en": local_time(user.created_at, tz),
        "actualizado_en": local_time(user.updated_at, tz),
    }
