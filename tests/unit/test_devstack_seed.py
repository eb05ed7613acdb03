"""The demo seed, against in-memory fakes of the services it uses: complete and idempotent."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from devstack.aws import apply_local_defaults, is_local_endpoint
from devstack.gateway import request_headers
from devstack.seed import CREDENTIALS, DEMO_MESAS, seed_demo


@dataclass
class Made:
    id: int
    data: dict[str, Any]


class FakeTenants:
    def __init__(self) -> None:
        self.tenants: dict[str, str] = {}

    def get_tenant(self, tenant_id: str) -> str | None:
        return self.tenants.get(tenant_id)


class FakeUsers:
    def __init__(self) -> None:
        self.by_name: dict[tuple[str, str], dict[str, Any]] = {}

    def get_by_username(self, tenant: str, username: str) -> dict[str, Any] | None:
        return self.by_name.get((tenant, username))


class FakeAccounts:
    def __init__(self) -> None:
        self.tenants = FakeTenants()
        self.users = FakeUsers()
        self.branch_changes: list[tuple[str, str, dict[str, Any]]] = []

    def provision_tenant(self, tenant_id: str, nombre: str, branches: list[tuple[str, str]], admin: str, password: str) -> None:
        self.tenants.tenants.setdefault(tenant_id, nombre)
        self.users.by_name.setdefault((tenant_id, admin), {"rol": "admin", "contrasena": password, "sucursal_id": None})

    def update_branch(self, tenant_id: str, branch_id: str, changes: dict[str, Any]) -> None:
        self.branch_changes.append((tenant_id, branch_id, changes))

    def create_user(self, tenant_id: str, data: dict[str, Any]) -> None:
        assert (tenant_id, data["nombre_usuario"]) not in self.users.by_name, "duplicate user"
        self.users.by_name[(tenant_id, data["nombre_usuario"])] = data


class FakeCatalog:
    def __init__(self) -> None:
        self.rows: list[tuple[str, Made]] = []
        self.recipes: list[tuple[int, dict[str, Any]]] = []

    def _make(self, kind: str, data: dict[str, Any]) -> Made:
        made = Made(len(self.rows) + 1, data)
        self.rows.append((kind, made))
        return made

    def of(self, kind: str) -> list[Made]:
        return [m for k, m in self.rows if k == kind]

    def list_products(self, tenant_id: str) -> list[Made]:
        return self.of("producto")

    def create_product(self, tenant_id: str, data: dict[str, Any]) -> Made:
        return self._make("producto", data)

    def create_ingredient(self, tenant_id: str, data: dict[str, Any]) -> Made:
        return self._make("ingrediente", data)

    def create_plato(self, tenant_id: str, data: dict[str, Any]) -> Made:
        return self._make("plato", data)

    def add_recipe_line(self, tenant_id: str, plato_id: int, data: dict[str, Any]) -> None:
        self.recipes.append((plato_id, data))


class FakeServices:
    def __init__(self) -> None:
        self.accounts = FakeAccounts()
        self.catalog = FakeCatalog()


def test_a_first_seed_creates_the_tenant_every_role_and_the_catalog() -> None:
    services = FakeServices()
    report = seed_demo(services)
    assert report.tenant_created and report.catalog_created
    users = services.accounts.users.by_name
    assert {name for _, name in users} == {"admin", "cajero1", "mesero1", "cocina1", "repartidor1"}
    assert users[("demo", "cocina1")]["rol"] == "cocina"
    assert users[("demo", "cocina1")]["sucursal_id"] == "centro"
    assert users[("demo", "cajero1")]["contrasena"] == "Cajero123!"
    assert set(CREDENTIALS) == {name for _, name in users}


def test_the_demo_catalog_has_recipes_a_grill_plato_and_a_drink() -> None:
    services = FakeServices()
    seed_demo(services)
    catalog = services.catalog
    assert len(catalog.of("ingrediente")) == 3 and len(catalog.of("plato")) == 3 and len(catalog.of("producto")) == 3
    assert {p.data["estacion"] for p in catalog.of("plato")} >= {"cocina", "parrilla"}
    ingredient_ids = {m.id for m in catalog.of("ingrediente")}
    plato_ids = {m.id for m in catalog.of("plato")}
    assert {plato for plato, _ in catalog.recipes} == plato_ids
    assert all(line["ingrediente_id"] in ingredient_ids and line["cantidad"] >= Decimal("0.01") for _, line in catalog.recipes)
    assert all(isinstance(p.data["precio"], Decimal) for p in catalog.of("producto") + catalog.of("plato"))
    assert any("Coca-Cola" in p.data["nombre"] for p in catalog.of("producto"))


def test_a_new_demo_tenant_gets_its_branch_s_tables_and_a_second_seed_leaves_them_alone() -> None:
    services = FakeServices()
    seed_demo(services)
    assert services.accounts.branch_changes == [("demo", "centro", {"mesas": list(DEMO_MESAS)})]
    assert "5" in DEMO_MESAS and len(set(DEMO_MESAS)) == len(DEMO_MESAS)
    seed_demo(services)
    assert len(services.accounts.branch_changes) == 1, "an owner's later change of the tables is kept"


def test_a_second_seed_creates_nothing() -> None:
    services = FakeServices()
    seed_demo(services)
    rows, recipes = len(services.catalog.rows), len(services.catalog.recipes)
    report = seed_demo(services)
    assert not report.tenant_created and report.users_created == [] and not report.catalog_created
    assert (len(services.catalog.rows), len(services.catalog.recipes)) == (rows, recipes)
    assert report.summary() == "demo data already present (nothing created)"


def test_local_defaults_never_override_what_the_user_set() -> None:
    env = {"COMANDA_TABLE_PREFIX": "mine", "AWS_DEFAULT_REGION": "eu-west-1"}
    apply_local_defaults(env)
    assert env["COMANDA_TABLE_PREFIX"] == "mine"
    assert env["COMANDA_STAGE"] == "local" and env["COMANDA_DEFAULT_TENANT"] == "demo"
    assert env["AWS_REGION"] == "eu-west-1"


def test_only_loopback_style_endpoints_get_dummy_credentials() -> None:
    assert is_local_endpoint("http://localhost:4566")
    assert is_local_endpoint("http://127.0.0.1:5000")
    assert not is_local_endpoint("https://dynamodb.us-east-1.amazonaws.com")


def test_repeated_request_headers_are_joined_like_api_gateway() -> None:
    from multidict import CIMultiDict

    raw = CIMultiDict([("Accept", "a"), ("Accept", "b"), ("X-One", "1")])
    assert request_headers(raw) == {"Accept": "a, b", "X-One": "1"}
