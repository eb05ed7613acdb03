"""Output shape of a branch ("sucursal") and its settings."""

from __future__ import annotations

from typing import Any

from chalicelib.domain.tenancy import Branch


def branch_out(branch: Branch) -> dict[str, Any]:
    return {"id": branch.branch_id, "nombre": branch.nombre, "timezone": branch.timezone,
            "tarifa_domicilio": f"{branch.tarifa_domicilio:.2f}"}
