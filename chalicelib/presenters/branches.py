"""Output shape of a branch ("sucursal") and its settings."""

from __future__ import annotations

from chalicelib.domain.tenancy import Branch
from chalicelib.presenters.shapes import Money, Shape


class Sucursal(Shape):
    id: str
    nombre: str
    timezone: str
    tarifa_domicilio: Money
    minutos_tarde: int
    mesas: list[str]


class SucursalActual(Shape):
    """The caller's own branch, as any staff screen reads it (no delivery fee: that is the owner's)."""

    id: str
    nombre: str
    timezone: str
    minutos_tarde: int
    mesas: list[str]


def branch_out(branch: Branch) -> Sucursal:
    return {"id": branch.branch_id, "nombre": branch.nombre, "timezone": branch.timezone,
            "tarifa_domicilio": f"{branch.tarifa_domicilio:.2f}", "minutos_tarde": branch.late_minutes, "mesas": list(branch.mesas)}


def current_branch_out(branch: Branch) -> SucursalActual:
    return {"id": branch.branch_id, "nombre": branch.nombre, "timezone": branch.timezone, "minutos_tarde": branch.late_minutes,
            "mesas": list(branch.mesas)}
