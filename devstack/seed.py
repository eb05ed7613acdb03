"""Demo data for the local stack: tenant `demo`, one user per role and a small catalog.

Idempotent: every step first looks for what it would create, so restarting the stack against
the same tables duplicates nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

DEMO_TENANT = "demo"
DEMO_TENANT_NAME = "Restaurante Demo"
DEMO_BRANCH = ("centro", "Sucursal Centro")
# The demo branch's tables (its `mesas` setting): what the point of sale's floor shows.
DEMO_MESAS: tuple[str, ...] = (*(str(n) for n in range(1, 11)), "Terraza 1", "Terraza 2", "Barra")
ADMIN = ("admin", "Admin123!")

# (nombre_usuario, contrasena, rol, nombre)
DEMO_USERS: tuple[tuple[str, str, str, str], ...] = (
    ("cajero1", "Cajero123!", "cajero", "Cajero Uno"),
    ("mesero1", "Mesero123!", "mesero", "Mesero Uno"),
    ("cocina1", "Cocina123!", "cocina", "Cocina Uno"),
    ("repartidor1", "Repartidor123!", "repartidor", "Repartidor Uno"),
)

# Everyone the banner lists: username -> (password, role)
CREDENTIALS: dict[str, tuple[str, str]] = {ADMIN[0]: (ADMIN[1], "admin"), **{u: (p, r) for u, p, r, _ in DEMO_USERS}}

INGREDIENTES: tuple[dict[str, Any], ...] = (
    {"nombre": "Carne de res", "unidad": "kg", "cantidad": Decimal("20.000"), "cantidad_minima": Decimal("5.000")},
    {"nombre": "Papa", "unidad": "kg", "cantidad": Decimal("30.000"), "cantidad_minima": Decimal("8.000")},
    {"nombre": "Arroz", "unidad": "kg", "cantidad": Decimal("25.000"), "cantidad_minima": Decimal("5.000")},
)

# (plato, [(ingrediente nombre, cantidad por plato)])
PLATOS: tuple[tuple[dict[str, Any], tuple[tuple[str, Decimal], ...]], ...] = (
    (
        {"nombre": "Silpancho", "precio": Decimal("35.00"), "estacion": "cocina"},
        (("Carne de res", Decimal("0.150")), ("Papa", Decimal("0.200")), ("Arroz", Decimal("0.150"))),
    ),
    (
        {"nombre": "Churrasco", "precio": Decimal("55.00"), "estacion": "parrilla"},
        (("Carne de res", Decimal("0.300")), ("Papa", Decimal("0.250"))),
    ),
    (
        {"nombre": "Pique macho", "precio": Decimal("70.00"), "estacion": "cocina"},
        (("Carne de res", Decimal("0.250")), ("Papa", Decimal("0.300"))),
    ),
)

PRODUCTOS: tuple[dict[str, Any], ...] = (
    {"nombre": "Coca-Cola 500ml", "precio": Decimal("8.00"), "stock": 48, "unidad": "botella"},
    {"nombre": "Agua mineral 600ml", "precio": Decimal("6.00"), "stock": 36, "unidad": "botella"},
    {"nombre": "Empanada salteña", "precio": Decimal("9.50"), "stock": 40, "unidad": "unidad"},
)


@dataclass
class SeedReport:
    tenant_created: bool = False
    users_created: list[str] = field(default_factory=list)
    catalog_created: bool = False

    def summary(self) -> str:
        if not (self.tenant_created or self.users_created or self.catalog_created):
            return "demo data already present (nothing created)"
        parts = []
        if self.tenant_created:
            parts.append(f"tenant {DEMO_TENANT}")
        if self.users_created:
            parts.append("users " + ", ".join(self.users_created))
        if self.catalog_created:
            parts.append(f"catalog ({len(INGREDIENTES)} ingredientes, {len(PLATOS)} platos, {len(PRODUCTOS)} productos)")
        return "seeded " + "; ".join(parts)


def seed_demo(services: Any) -> SeedReport:
    """Seed through the app's own services (`chalicelib.container.Services`), never raw tables."""
    report = SeedReport()
    accounts = services.accounts
    report.tenant_created = accounts.tenants.get_tenant(DEMO_TENANT) is None
    accounts.provision_tenant(DEMO_TENANT, DEMO_TENANT_NAME, [DEMO_BRANCH], ADMIN[0], ADMIN[1])
    if report.tenant_created:  # a new tenant only: never overwrite the tables an owner has since set
        accounts.update_branch(DEMO_TENANT, DEMO_BRANCH[0], {"mesas": list(DEMO_MESAS)})
    for username, password, role, nombre in DEMO_USERS:
        if accounts.users.get_by_username(DEMO_TENANT, username) is None:
            accounts.create_user(
                DEMO_TENANT,
                {"nombre": nombre, "nombre_usuario": username, "contrasena": password, "rol": role, "sucursal_id": DEMO_BRANCH[0]},
            )
            report.users_created.append(username)
    report.catalog_created = seed_catalog(services.catalog)
    return report


def seed_catalog(catalog: Any) -> bool:
    """Create the demo catalog unless the tenant already has productos. Returns True if created."""
    if list(catalog.list_products(DEMO_TENANT)):
        return False
    ingredientes = {data["nombre"]: catalog.create_ingredient(DEMO_TENANT, dict(data)) for data in INGREDIENTES}
    for plato_data, recipe in PLATOS:
        plato = catalog.create_plato(DEMO_TENANT, dict(plato_data))
        for nombre, cantidad in recipe:
            catalog.add_recipe_line(DEMO_TENANT, plato.id, {"ingrediente_id": ingredientes[nombre].id, "cantidad": cantidad})
    # Productos last: their presence is what marks the catalog as seeded.
    for data in PRODUCTOS:
        catalog.create_product(DEMO_TENANT, dict(data))
    return True
