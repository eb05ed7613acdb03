"""DeliveryService on the in-memory repositories (held to the DynamoDB contract in
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
from chalicelib.services.delivery import DeliveryService
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

    def service(self) -> DeliveryService:
        sales = self.shop.service()
        sales.unit_of_work = lambda: FakeUnitOfWork(self.shop.sales, self.shop.catalog, self.shop.cajas, self.drivers)
        users = InMemoryUsers()
        tokens = TokenService(load_settings({"COMANDA_STAGE": "local"}))
        accounts = AccountService(self.shop.tenants, users, tokens, "alpha")
        return DeliveryService(sales, accounts, InMemoryCustomers(users), self.drivers, self.refresh, tokens)


World = tuple[Delivery, DeliveryService, Principal]


@pytest.fixture
def world() -> World:
    shop = shop_with_a_silpancho()
    shop.tenants.create_tenant(Tenant("alpha", "Alpha", "centro", WHEN), [])
    delivery = Delivery(shop)
    svc = delivery.service()
    customer = svc.register("alpha", {"nombre": "Ana", "nombre_usuario": "ana", "email": "ana@x.co", "contrasena": "Cliente123!",
                                      "telefono": "700"})
    who = svc.tokens.verify(svc.login("ana", "Cliente123!", "alpha")["access"])
    assert who.customer_id == customer.customer_id
    return delivery, svc, who


def test_an_order_goes_from_placed_to_delivered_and_the_driver_is_free_again(world: World) -> None:
    delivery, svc, who = world
    for driver in (DRIVER, OTHER_DRIVER):
        svc.set_driver_status(driver, "disponible")
    sale = svc.place(who, {"sucursal_id": "centro", "items": [{"plato_id": "plato_1", "cantidad": 2}], "metodo_pago": "qr",
                           "direccion": {"calle": "A", "barrio": "B"}})
    for estado in ("aceptado", "preparando", "enviado"):
        svc.set_status(CAJERO, sale.id, estado)
    svc.claim(DRIVER, sale.id)
    with pytest.raises(Conflict):
        svc.claim(OTHER_DRIVER, sale.id)
    assert svc.drivers.get("alpha", "9").estado == "ocupado"  # type: ignore[union-attr]
    assert svc.carrier_customer("alpha", "9") == who.customer_id and svc.carrier_customer("alpha", "10") is None
    svc.deliver(DRIVER, sale.id)
    svc.deliver(DRIVER, sale.id)
    done = delivery.shop.sales.get("alpha", sale.id)
    assert done is not None and done.estado == "cerrado" and done.monto_pagado == Decimal("50.00")
    assert delivery.shop.cajas.get("alpha", 1).ventas_qr == Decimal("50.00")  # type: ignore[union-attr]
    assert svc.drivers.get("alpha", "9").estado == "disponible"  # type: ignore[union-attr]


def test_a_refresh_token_works_once_and_its_replay_locks_the_family_out(world: World) -> None:
    _, svc, _ = world
    first = svc.login("ana@x.co", "Cliente123!", "alpha")["refresh"]
    second = svc.refresh(first)["refresh"]
    with pytest.raises(Unauthorized):
        svc.refresh(first)
    with pytest.raises(Unauthorized):
        svc.refresh(second)
