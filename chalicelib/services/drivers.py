"""Delivery drivers (GastroMovil): their status, the atomic claim of an order, handing it over
(paid into the branch's open caja and closed, in one write) and their live position."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from chalicelib.auth import Principal
from chalicelib.domain import delivery as d
from chalicelib.domain.clock import iso, utc_now
from chalicelib.domain.delivery import Driver
from chalicelib.domain.sales import Sale, home_delivery
from chalicelib.errors import Conflict, InvalidInput, NotFound
from chalicelib.services.ports import CajaStore, DriverStore, PositionStore, SaleStore, TenantStore, UnitOfWork
from chalicelib.services.retry import retry_on_conflict
from chalicelib.services.sales import SaleService, Tally


class Drivers:
    def __init__(self, sales: SaleService, sale_store: SaleStore, cajas: CajaStore, tenants: TenantStore, drivers: DriverStore,
                 positions: PositionStore | None, unit_of_work: Callable[[], UnitOfWork],
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.sales = sales  # persist: the sale path's own write
        self.sale_store = sale_store
        self.cajas = cajas
        self.tenants = tenants
        self.drivers = drivers
        self.positions = positions
        self.unit_of_work = unit_of_work
        self.sleep = sleep

    def driver(self, who: Principal) -> Driver:
        if not who.branch:
            raise InvalidInput("Este repartidor no tiene sucursal asignada")
        return self.drivers.get(who.tenant, who.user_id) or Driver(who.tenant, who.user_id, who.branch)

    def set_driver_status(self, who: Principal, status: str) -> Driver:
        def attempt() -> Driver:
            before = self.drivers.get(who.tenant, who.user_id)
            current = before or self.driver(who)
            after = replace(current.set_status(status), branch_id=who.branch or current.branch_id)
            self.drivers.put(before, after)
            return after

        return retry_on_conflict(attempt, "El repartidor está muy solicitado; intente de nuevo", sleep=self.sleep)

    def driver_available(self, tenant_id: str, user_id: str) -> bool:
        driver = self.drivers.get(tenant_id, user_id)
        return driver is not None and driver.estado == d.DRIVER_AVAILABLE

    def carrier_customer(self, tenant_id: str, driver_id: str) -> int | None:
        """The customer whose order this driver carries now (None when it carries none)."""
        driver = self.drivers.get(tenant_id, driver_id)
        if driver is None or driver.pedido_id is None:
            return None
        sale = self.sale_store.get(tenant_id, driver.pedido_id)
        if sale is None or sale.entrega is None or sale.entrega.repartidor_id != driver_id or sale.entrega.estado != d.ON_THE_WAY:
            return None
        return sale.entrega.customer_id

    def record_position(self, tenant_id: str, driver_id: str, latitude: Any, longitude: Any, at_ms: int | None = None) -> bool:
        """A driver's position: validated, stored as its last one (with a TTL) unless a newer one is stored."""
        lat, lon = d.check_coordinates(latitude, longitude)
        assert self.positions is not None
        return self.positions.put_if_newer(tenant_id, driver_id, lat, lon, at_ms if at_ms is not None else time.time_ns() // 10**6)

    def claim(self, who: Principal, pk: int) -> Sale:
        """The atomic claim: in one transaction the order (enviado, no driver) gets the driver and
        the driver (disponible) becomes ocupado. Any loser gets 409 and nothing changes."""
        sale = self._driver_order(who, pk)
        if sale.entrega is not None and sale.entrega.repartidor_id is not None:
            raise Conflict(f"El pedido #{pk} ya fue tomado")

        def attempt() -> Sale:
            driver = self.driver(who)
            if driver.estado != d.DRIVER_AVAILABLE:
                raise Conflict("El repartidor debe estar disponible para tomar un pedido")
            current = self._driver_order(who, pk)
            home_delivery.claim(current, who.user_id, iso(utc_now()))
            uow = self.unit_of_work()
            uow.save_sale(current)
            uow.claim_driver(who.tenant, who.user_id, pk)
            uow.commit()
            return current

        return retry_on_conflict(attempt, f"El pedido #{pk} ya fue tomado", attempts=8, sleep=self.sleep)

    def _driver_order(self, who: Principal, pk: int) -> Sale:
        sale = self.sale_store.get(who.tenant, pk)
        if sale is None or sale.entrega is None or sale.branch_id != who.branch:
            raise NotFound(f"Pedido con id {pk} no encontrado")
        return sale

    def deliver(self, who: Principal, pk: int) -> Sale:
        """The assigned driver hands it over: paid into the branch's open caja, closed (stock consumed
        once), the driver disponible again, all in one transaction. A retry changes nothing."""
        payment_id = self.tenants.next_id(who.tenant, "pago")

        def attempt() -> Sale:
            sale = self._driver_order(who, pk)
            caja = self.cajas.get_open(who.tenant, sale.branch_id)
            payment = home_delivery.deliver(sale, who.user_id, payment_id=payment_id, caja_id=caja.id if caja else None,
                                            now=iso(utc_now()))
            if payment is None and sale.entrega is not None and sale.entrega.estado == d.DELIVERED:
                return sale
            tallies = Tally.of([payment])
            self.sales.persist(sale, tallies, release_driver=(who.user_id, pk))
            return sale

        return retry_on_conflict(attempt, f"El pedido #{pk} está muy solicitado; intente de nuevo", sleep=self.sleep)
