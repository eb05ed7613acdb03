"""A tenant with one user per role, provisioned through the service and logged in through the
API: the world the tests and the benches run against."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from devstack.client import JsonClient

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


# --- a day of service over the API (the e2e tests and bench/service_day.py) ---

SEED_CAJA = denominations(b100=10, b50=4, m5=2)  # the drawer a demo caja opens with


def open_caja(cashier: JsonClient) -> int:
    current = cashier.get("/api/caja/actual").body
    if current:
        return int(current["id"])
    reply = cashier.post("/api/caja/abrir", SEED_CAJA)
    assert reply.status == 201, reply
    return int(reply.body["id"])


def platos(client: JsonClient) -> list[dict[str, Any]]:
    reply = client.get("/api/platos")
    assert reply.status == 200, reply
    body = reply.body
    return list(body if isinstance(body, list) else body["platos"])


def complete_sale(cashier: JsonClient, menu: list[dict[str, Any]], table: int) -> dict[str, int]:
    """One whole table sale; returns the status of every call by route, so a caller can count 4xx/5xx."""
    statuses: dict[str, int] = {}
    created = cashier.post("/api/transacciones", {"nro_reg": table, "concepto": f"Mesa {table}", "mesa": f"Mesa {table}"})
    statuses["create"] = created.status
    if created.status != 201:
        return statuses
    sale = created.body["id"]
    for i in range(3):
        added = cashier.post(f"/api/transacciones/{sale}/items", {"plato_id": menu[i % len(menu)]["id"], "cantidad": 1})
        statuses[f"item{i}"] = added.status
    statuses["complete"] = cashier.patch(f"/api/transacciones/{sale}/cocina/completar").status
    total = cashier.get(f"/api/transacciones/{sale}").body["monto_total"]
    paid = cashier.post(f"/api/transacciones/{sale}/pagos", {"metodo_pago": "efectivo", "monto": total, "monto_recibido": total})
    statuses["pay"] = paid.status
    return statuses
