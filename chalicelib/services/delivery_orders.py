"""Delivery orders (GastroMovil): placing one (a sale of tipo `delivery`, with the branch's
delivery fee), reading them as their branch, customer or driver may, the restaurant's moves of
the enforced state machine, and re-offering orders no driver claimed.

Order changes are read -> pure domain step (domain/sales/home_delivery.py) -> SaleService.persist
(the sale, the driver a cancel frees, stock and tallies in one unit of work) -> retry on conflict."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from chalicelib.auth import Principal
from chalicelib.domain import delivery as d
from chalicelib.domain.clock import iso, utc_now
from chalicelib.domain.delivery import Customer, Entrega
from chalicelib.domain.sales import Sale, home_delivery
from chalicelib.errors import Conflict, InvalidInput, NotFound
from chalicelib.services.ports import CajaStore, SaleStore, TenantStore
from chalicelib.services.retry import retry_on_conflict

if TYPE_CHECKING:
    from chalicelib.services.customer_accounts import CustomerAccounts
    from chalicelib.services.idempotency import IdempotentCommands
    from chalicelib.services.sales import SaleService

LIST_LIMIT = 200


class DeliveryOrders:
    def __init__(self, sales: SaleService, sale_store: SaleStore, cajas: CajaStore, tenants: TenantStore,
                 customers: CustomerAccounts, idempotency: IdempotentCommands, sleep: Callable[[float], None] = time.sleep) -> None:
        self.sales = sales  # apply_item and persist: the sale path's own steps
        self.sale_store = sale_store
        self.cajas = cajas
        self.tenants = tenants
        self.customers = customers
        self.idempotency = idempotency
        self.sleep = sleep

    def place(self, who: Principal, data: dict[str, Any]) -> Sale:
        customer = self.customers.me(who)
        branch = self.tenants.get_branch(who.tenant, data["sucursal_id"])
        if branch is None:
            raise InvalidInput(["sucursal_id does not exist"])
        if not data["items"]:
            raise InvalidInput(["items must contain at least 1 elements"])
        address = self._address(customer, data)
        now = iso(utc_now())
        open_caja = self.cajas.get_open(who.tenant, branch.branch_id)
        header = {"nro_reg": 1, "concepto": f"Domicilio {customer.display_name}", "cliente": customer.display_name, "tipo": "delivery"}
        delivery = Entrega(estado=d.PENDING, customer_id=customer.customer_id, cliente_nombre=customer.display_name,
                           direccion=address, metodo_pago=data["metodo_pago"], notas=data.get("notas"))
        sale = Sale.new(tenant_id=who.tenant, sale_id=self.tenants.next_id(who.tenant, "transaccion"),
                        branch_id=branch.branch_id, header=header, caja_id=open_caja.id if open_caja else None, user_id=who.user_id,
                        user_name=customer.display_name, now=now, delivery=delivery)
        for index, line in enumerate(data["items"]):
            try:
                self.sales.apply_item(sale, line, now)
            except (NotFound, InvalidInput) as exc:
                raise InvalidInput([f"items.{index}: {exc.message}"]) from exc
        home_delivery.add_fee(sale, branch.tarifa_domicilio, now)
        self.sale_store.add(sale)
        return sale

    def place_once(self, who: Principal, data: dict[str, Any], key: str | None, render: Any, lambda_context: Any = None) -> Any:
        if not key:
            return render(self.place(who, data))
        fingerprint = {"pedido": {k: str(v) for k, v in sorted(data.items())}, "cliente": who.user_id}
        return self.idempotency.run(f"{who.tenant}#pedido#{who.user_id}#{key}", fingerprint,
                                          lambda: render(self.place(who, data)), lambda_context)

    @staticmethod
    def _address(customer: Customer, data: dict[str, Any]) -> dict[str, Any]:
        if data.get("direccion_id") is not None:
            address = customer.address(data["direccion_id"])
            if address is None:
                raise InvalidInput(["direccion_id does not exist"])
            return address.as_dict()
        given = data.get("direccion")
        if not given:
            raise InvalidInput(["direccion should not be empty (or give direccion_id)"])
        _, address = customer.with_address(given["calle"], given["barrio"], given.get("referencia"), given.get("latitud"),
                                           given.get("longitud"))
        return address.as_dict()

    # --- reading ---------------------------------------------------------------------------

    def order(self, who: Principal, pk: int) -> Sale:
        """A delivery order the caller may see: staff of its branch, its customer, its driver."""
        sale = self.sale_store.get(who.tenant, pk)
        if sale is None or sale.entrega is None or sale.tenant_id != who.tenant:
            raise NotFound(f"Pedido con id {pk} no encontrado")
        if who.customer_id is not None:
            visible = sale.entrega.customer_id == who.customer_id
        else:
            visible = who.kind == "staff" and (who.role == "admin" or sale.branch_id == who.branch)
        if not visible:
            raise NotFound(f"Pedido con id {pk} no encontrado")
        return sale

    def for_branch(self, who: Principal, branch_id: str) -> list[Sale]:
        return self.sale_store.deliveries(who.tenant, branch_id, LIST_LIMIT)

    def active_for_branch(self, who: Principal, branch_id: str) -> list[Sale]:
        return self.sale_store.active_deliveries(who.tenant, branch_id, d.ACTIVE_STATES, LIST_LIMIT)

    def mine(self, who: Principal) -> list[Sale]:
        assert who.customer_id is not None
        return self.sale_store.by_customer(who.tenant, who.customer_id, LIST_LIMIT)

    # --- the state machine -----------------------------------------------------------------

    def set_status(self, who: Principal, pk: int, status: str) -> Sale:
        """A move of the state machine; cancelling an order that has a driver frees the driver in the same write."""
        self.order(who, pk)
        by_customer = who.customer_id is not None

        def attempt() -> Sale:
            sale = self.order(who, pk)
            freed = home_delivery.move(sale, status, iso(utc_now()), by_customer=by_customer)
            self.sales.persist(sale, [], release_driver=(freed, pk) if freed else None)
            return sale

        return retry_on_conflict(attempt, f"El pedido #{pk} está muy solicitado; intente de nuevo", sleep=self.sleep)

    def restaurant_name(self, tenant_id: str, branch_id: str) -> str:
        """The branch's name as GastroMovil frames show the restaurant (its id when it has none)."""
        branch = self.tenants.get_branch(tenant_id, branch_id)
        return branch.nombre if branch else branch_id

    def reoffer_due(self, minutes: int, limit: int = 100) -> list[Sale]:
        """Orders still unclaimed `minutes` after they were offered are offered again (the stream
        sends pedido_disponible to the available drivers). One Query of the sparse awaiting-driver index."""
        now = utc_now()
        cutoff = iso(now - timedelta(minutes=minutes))
        out = []
        for sale in self.sale_store.awaiting_driver(cutoff, limit):
            home_delivery.reoffer(sale, iso(now))
            try:
                self.sales.persist(sale, [])
            except Conflict:
                continue  # claimed or changed meanwhile: nothing to re-offer
            out.append(sale)
        return out
