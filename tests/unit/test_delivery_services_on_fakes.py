"""The delivery services (customer accounts, delivery orders, drivers) on the in-memory repositories (held to the DynamoDB contract in
tests/integration/test_delivery_contracts.py): a customer's order from placing to delivery, the
claim and release riding in the sale's unit of work, and refresh-token rotation. No AWS."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

import pytest

from chalicelib.auth import Principal, TokenService
from chalicelib.domain.tenancy import Tenant
from chalicelib.errors import Conflict, Unauthorized
from chalicelib.services.accounts import AccountService
from chalicelib.services.customer_accounts import CustomerAccounts
from chalicelib.services.delivery_orders import DeliveryOrders
from chalicelib.services.drivers import Drivers
from chalicelib.settings import load_settings
from tests.support.fakes import (
    FakeUnitOfWork,
    InMemoryCustomers,
    InMemoryDrivers,
    InMemoryRefreshTokens,
    InMemoryUsers,
)
from tests.unit.test_services_on_fakes import CAJERO, WHEN, Shop, shop_with_a_silpancho

DRIVER = Principal("9", "alpha", "centro", "repartidor")
OTHER_DRIVER = Principal("10", "alpha", "centro", "repartidor")


@dataclass
class Delivery:
    shop: Shop
    drivers: InMemoryDrivers = field(default_factory=InMemoryDrivers)
    refresh: InMemoryRefreshTokens = field(default_factory=InMemoryRefreshTokens)

    def service(self) -> Services:
        sales = self.shop.service()
        sales.unit_of_work = lambda: FakeUnitOfWork(self.shop.sales, self.shop.catalog, self.shop.cajas, self.drivers)
        users = InMemoryUsers()
        tokens = TokenService(load_settings({"COMANDA_STAGE": "local"}))
        accounts = AccountService(self.shop.tenants, users, tokens, "alpha")
        customers = CustomerAccounts(self.shop.tenants, InMemoryCustomers(users), users, self.refresh, tokens, accounts, None, "alpha",
                                     sleep=sales.sleep)
        orders = DeliveryOrders(sales, self.shop.sales, self.shop.cajas, self.shop.tenants, customers, sales.idempotency,
                                sleep=sales.sleep)
        drivers = Drivers(sales, self.shop.sales, self.shop.cajas, self.shop.tenants, self.drivers, None, sales.unit_of_work,
                          sleep=sales.sleep)
        return Services(customers, orders, drivers, tokens)


@dataclass
class Services:
    customers: CustomerAccounts
    orders: DeliveryOrders
    drivers: Drivers
    tokens: TokenService


World = tuple[Delivery, Services, Principal]


@pytest.fixture
def world() -> World:
    shop = shop_with_a_silpancho()
    shop.tenants.create_tenant(Tenant("alpha", "Alpha", "centro", WHEN), [])
    delivery = Delivery(shop)
    svc = delivery.service()
    customer = svc.customers.register("alpha", {"nombre": "Ana", "nombre_usuario": "ana", "email": "ana@x.co",
                                                "contrasena": "Cliente123!", "telefono": "700"})
    who = svc.tokens.verify(svc.customers.login("ana", "Cliente123!", "alpha")["access"])
    assert who.customer_id == customer.customer_id
    return delivery, svc, who


def test_an_order_goes_from_placed_to_delivered_and_the_driver_is_free_again(world: World) -> None:
    delivery, svc, who = world
    for driver in (DRIVER, OTHER_DRIVER):
        svc.drivers.set_driver_status(driver, "disponible")
    sale = svc.orders.place(who, {"sucursal_id": "centro", "items": [{"plato_id": "plato_1", "cantidad": 2}], "metodo_pago": "qr",
                           "direccion": {"calle": "A", "barrio": "B"}})
    for estado in ("aceptado", "preparando", "enviado"):
        svc.orders.set_status(CAJERO, sale.id, estado)
    svc.drivers.claim(DRIVER, sale.id)
    with pytest.raises(Conflict):
        svc.drivers.claim(OTHER_DRIVER, sale.id)
    assert svc.drivers.drivers.get("alpha", "9").estado == "ocupado"  # type: ignore[union-attr]
    assert svc.drivers.carrier_customer("alpha", "9") == who.customer_id and svc.drivers.carrier_customer("alpha", "10") is None
    svc.drivers.deliver(DRIVER, sale.id)
    svc.drivers.deliver(DRIVER, sale.id)
    done = delivery.shop.sales.get("alpha", sale.id)
    assert done is not None and done.estado == "cerrado" and done.monto_pagado == Decimal("50.00")
    assert delivery.shop.cajas.get("alpha", 1).ventas_qr == Decimal("50.00")  # type: ignore[union-attr]
    assert svc.drivers.drivers.get("alpha", "9").estado == "disponible"  # type: ignore[union-attr]


def test_a_refresh_token_works_once_and_its_replay_locks_the_family_out(world: World) -> None:
    _, svc, _ = world
    first = svc.customers.login("ana@x.co", "Cliente123!", "alpha")["refresh"]
    second = svc.customers.refresh(first)["refresh"]
    with pytest.raises(Unauthorized):
        svc.customers.refresh(first)
    with pytest.raises(Unauthorized):
        svc.customers.refresh(second)
