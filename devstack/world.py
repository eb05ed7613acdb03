"""A tenant with one user per role, provisioned through the service and logged in through the
API: the world the tests and the benches run against."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

ROLES_PASSWORDS = {
    "admin": "Admin123!",
    "cajero": "Cajero123!",
    "mesero": "Mesero123!",
    "cocina": "Cocina123!",
    "repartidor": "Repartidor123!",
}


def denominations(**given: int) -> dict[str, int]:
    """A cash count with every denomination (the ones not given are 0): `denominations(b100=1)`."""
    from chalicelib.domain.caja import counts_of

    return counts_of(given)


@dataclass
class TenantWorld:
    tenant: str
    branches: list[str]
    tokens: dict[str, str]  # role -> token (users of the first branch; admin has no fixed branch)


def provision_world(api: Any, tenant: str, branches: list[str]) -> TenantWorld:
    from chalicelib.container import get_services

    accounts = get_services().accounts
    accounts.provision_tenant(tenant, tenant.title(), [(b, b.title()) for b in branches], "admin", ROLES_PASSWORDS["admin"])
    tokens = {"admin": api.login("admin", ROLES_PASSWORDS["admin"], tenant)}
    for role, password in ROLES_PASSWORDS.items():
        if role == "admin":
            continue
        accounts.create_user(
            tenant,
            {"nombre": role.title(), "nombre_usuario": f"{role}1", "contrasena": password, "rol": role, "sucursal_id": branches[0]},
        )
        tokens[role] = api.login(f"{role}1", password, tenant)
    return TenantWorld(tenant, branches, tokens)
