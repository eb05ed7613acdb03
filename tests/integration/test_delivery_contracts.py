"""The delivery repositories' contracts, DynamoDB (moto) and memory held to the same checks:
delivery queries on sales, customers, driver profiles with the claim and release the unit of
work stages, and refresh tokens."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import pytest

from chalicelib.domain.delivery import Customer, Driver, Entrega
from chalicelib.domain.sales import Sale, home_delivery
from chalicelib.domain.tenancy import User
from chalicelib.errors import Conflict, StaleWrite, VersionConflict
from tests.integration.test_repository_contracts import WHEN, a_sale, kinds, settings
from tests.support.fakes import (
    FakeUnitOfWork,
    InMemoryCajas,
    InMemoryCatalog,
    InMemoryCustomers,
    InMemoryDrivers,
    InMemoryRefreshTokens,
    InMemorySales,
    InMemoryUsers,
)


def a_delivery(sale_id: int, estado: str = "pendiente", customer: int = 1, branch: str = "centro", minute: int = 35) -> Sale:
    entrega = Entrega(estado=estado, customer_id=customer, cliente_nombre="Ana", direccion={"calle": "A", "barrio": "B"},
                      metodo_pago="efectivo")
    return replace(a_sale(sale_id, branch=branch, created_at=f"2026-03-18T12:{minute}:00.000000Z"), tipo="delivery", entrega=entrega)


@pytest.fixture(params=["dynamodb", "memory"])
def sales(request: pytest.FixtureRequest) -> Any:
    if kinds(request) == "memory":
        return InMemorySales()
    from chalicelib.store.sales import SaleRepository

    return SaleRepository(settings())


def test_delivery_orders_list_newest_first_by_branch_by_state_and_by_customer(sales: Any) -> None:
    sales.add(a_sale(1))  # a table's sale: never a delivery order
    sales.add(a_delivery(2, "pendiente", customer=1, minute=36))
    sales.add(a_delivery(3, "entregado", customer=2, minute=37))
    sales.add(a_delivery(4, "enviado", customer=1, minute=38))
    sales.add(a_delivery(5, "pendiente", customer=1, branch="norte", minute=39))
    assert [s.id for s in sales.deliveries("alpha", "centro", 10)] == [4, 3, 2]
    assert [s.id for s in sales.deliveries("alpha", "centro", 2)] == [4, 3]
    assert [s.id for s in sales.active_deliveries("alpha", "centro", ("pendiente", "enviado"), 10)] == [4, 2]
    assert [s.id for s in sales.by_customer("alpha", 1, 10)] == [5, 4, 2]
    assert sales.by_customer("beta", 1, 10) == [] and sales.deliveries("beta", "centro", 10) == []
    stored = sales.get("alpha", 4)
    assert stored.entrega == a_delivery(4, "enviado").entrega


@pytest.fixture(params=["dynamodb", "memory"])
def customers(request: pytest.FixtureRequest) -> tuple[Any, Any]:
    if kinds(request) == "memory":
        users = InMemoryUsers()
        return InMemoryCustomers(users), users
    from chalicelib.store.audit import AuditRepository
    from chalicelib.store.delivery import CustomerRepository
    from chalicelib.store.users import UserRepository

    return CustomerRepository(settings()), UserRepository(settings(), AuditRepository(settings()))


def a_customer(customer_id: int = 1, username: str = "ana", email: str = "ana@example.com") -> Customer:
    return Customer("alpha", customer_id, "Ana", username, email, "700", "hash", "2026-03-18T12:35:00Z")


def test_a_customer_is_found_by_username_or_email_and_names_are_unique_with_staff(customers: tuple[Any, Any]) -> None:
    store, users = customers
    users.add(User("alpha", 1, "Cajero", "cajero1", "cajero", "centro", "h", True, WHEN, WHEN))
    store.add(a_customer())
    assert store.get_by_login("alpha", "ana").customer_id == 1
    assert store.get_by_login("alpha", "ANA@example.com").customer_id == 1
    assert store.get_by_login("beta", "ana") is None and store.get_by_login("alpha", "cajero1") is None
    assert users.get_by_username("alpha", "ana") is None  # a customer's name never logs in as staff
    clashes = (a_customer(2, "ana", "otra@example.com"), a_customer(3, "otra", "ana@example.com"), a_customer(4, "cajero1", "x@y.co"))
    for clash in clashes:
        with pytest.raises(Conflict):
            store.add(clash)


def test_saving_a_customer_over_a_stale_read_is_refused(customers: tuple[Any, Any]) -> None:
    store, _ = customers
    store.add(a_customer())
    first, second = store.get("alpha", 1), store.get("alpha", 1)
    saved = store.save(first.with_address("Calle 1", "Centro", None, None, None)[0])
    assert [a.calle for a in saved.addresses] == ["Calle 1"]
    with pytest.raises(StaleWrite):
        store.save(second.with_address("Calle 2", "Centro", None, None, None)[0])
    assert [a.calle for a in store.get("alpha", 1).addresses] == ["Calle 1"]


@dataclass
class World:
    sales: Any
    drivers: Any
    unit_of_work: Callable[[], Any]


@pytest.fixture(params=["dynamodb", "memory"])
def world(request: pytest.FixtureRequest) -> World:
    if kinds(request) == "memory":
        sales, catalog, cajas, drivers = InMemorySales(), InMemoryCatalog(), InMemoryCajas(), InMemoryDrivers()
        return World(sales, drivers, lambda: FakeUnitOfWork(sales, catalog, cajas, drivers))
    from chalicelib.store.audit import AuditRepository
    from chalicelib.store.cajas import CajaRepository
    from chalicelib.store.catalog import CatalogRepository
    from chalicelib.store.delivery import DriverRepository
    from chalicelib.store.sales import SaleRepository
    from chalicelib.store.unit_of_work import DynamoUnitOfWork

    s = settings()
    audit = AuditRepository(s)
    sales, drivers, catalog, cajas = SaleRepository(s), DriverRepository(s), CatalogRepository(s, audit), CajaRepository(s, audit)
    return World(sales, drivers, lambda: DynamoUnitOfWork(s, sales, catalog, cajas, drivers, audit))


def claim(world: World, sale_id: int, driver: str) -> None:
    sale = world.sales.get("alpha", sale_id)
    home_delivery.claim(sale, driver, "2026-03-18T12:40:00Z")
    uow = world.unit_of_work()
    uow.save_sale(sale)
    uow.claim_driver("alpha", driver, sale_id)
    uow.commit()


def test_a_claim_needs_an_available_driver_and_writes_order_and_driver_together(world: World) -> None:
    world.sales.add(a_delivery(1, "enviado"))
    world.sales.add(a_delivery(2, "enviado"))
    with pytest.raises(VersionConflict):
        claim(world, 1, "9")  # no profile: not available
    assert world.sales.get("alpha", 1).entrega.repartidor_id is None
    world.drivers.put(None, Driver("alpha", "9", "centro", "disponible"))
    with pytest.raises(StaleWrite):
        world.drivers.put(None, Driver("alpha", "9", "centro", "inactivo"))
    claim(world, 1, "9")
    assert world.drivers.get("alpha", "9") == Driver("alpha", "9", "centro", "ocupado", 1)
    with pytest.raises(VersionConflict):
        claim(world, 2, "9")  # busy: the second order stays unclaimed
    assert world.sales.get("alpha", 2).entrega.repartidor_id is None
    sale = world.sales.get("alpha", 1)
    home_delivery.move(sale, "cancelado", "2026-03-18T12:41:00Z")
    uow = world.unit_of_work()
    uow.save_sale(sale)
    uow.release_driver("alpha", "9", 1)
    uow.commit()
    assert world.drivers.get("alpha", "9") == Driver("alpha", "9", "centro", "disponible", None)


@pytest.fixture(params=["dynamodb", "memory"])
def refresh(request: pytest.FixtureRequest) -> Any:
    if kinds(request) == "memory":
        return InMemoryRefreshTokens()
    from chalicelib.store.delivery import RefreshTokenRepository

    return RefreshTokenRepository(settings())


def test_a_refresh_token_rotates_once_and_a_revoked_family_rotates_no_more(refresh: Any) -> None:
    refresh.add("alpha", "d1", "fam", "customer:1", 2_000_000_000)
    refresh.rotate("alpha", "d1", "d2", "fam", "customer:1", 2_000_000_000)
    assert refresh.get("alpha", "d1")["used"] is True and refresh.get("alpha", "d2")["used"] is False
    with pytest.raises(Conflict):
        refresh.rotate("alpha", "d1", "d3", "fam", "customer:1", 2_000_000_000)
    assert refresh.get("alpha", "d3") is None
    refresh.revoke_family("alpha", "fam", 2_000_600_000)
    assert refresh.family_revoked("alpha", "fam") and not refresh.family_revoked("beta", "fam")
    with pytest.raises(Conflict):
        refresh.rotate("alpha", "d2", "d4", "fam", "customer:1", 2_000_000_000)
    assert refresh.get("beta", "d2") is None


def test_stored_refresh_tokens_and_revoked_families_expire_by_the_tables_ttl(aws: None) -> None:
    from chalicelib.store.delivery import RefreshTokenRepository

    repo = RefreshTokenRepository(settings())
    repo.add("alpha", "d1", "fam", "customer:1", 2_000_000_000)
    repo.rotate("alpha", "d1", "d2", "fam", "customer:1", 2_000_100_000)
    repo.revoke_family("alpha", "fam", 2_000_600_000)
    assert repo.RefreshRecord.get("alpha", "REFRESH#d1").ttl == 2_000_000_000
    assert repo.RefreshRecord.get("alpha", "REFRESH#d2").ttl == 2_000_100_000
    assert repo.FamilyRecord.get("alpha", "FAMILY#fam").ttl == 2_000_600_000
