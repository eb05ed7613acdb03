"""Delivery use cases (GastroMovil): customer accounts and their tokens, placing an order (a sale
of tipo `delivery`), the enforced state machine, driver profiles, the atomic claim and delivery.

Order changes go through SaleService._change: read -> pure domain method -> one unit of work
(the sale, the driver row the change claims or frees, the stock and caja tallies a delivery
closes with) -> retry on conflict."""

from __future__ import annotations

import hashlib
import secrets
import time
from dataclasses import replace
from datetime import timedelta
from typing import Any

from chalicelib.auth import CUSTOMER_PREFIX, Principal, TokenService, hash_password, verify_password
from chalicelib.domain import delivery as d
from chalicelib.domain.clock import iso, utc_now
from chalicelib.domain.delivery import Customer, Driver, Entrega
from chalicelib.domain.sales import Sale, home_delivery
from chalicelib.domain.tenancy import CUSTOMER_ROLE
from chalicelib.errors import Conflict, InvalidInput, NotFound, Unauthorized
from chalicelib.services.accounts import BAD_CREDENTIALS, AccountService
from chalicelib.services.ports import CustomerStore, DriverStore, PositionStore, RefreshTokenStore
from chalicelib.services.retry import retry_on_conflict
from chalicelib.services.sales import SaleService, Tally

REFRESH_TTL_SECONDS = 7 * 24 * 3600
LIST_LIMIT = 200


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


class DeliveryService:
    def __init__(self, sales: SaleService, accounts: AccountService, customers: CustomerStore, drivers: DriverStore,
                 refresh_tokens: RefreshTokenStore, tokens: TokenService, positions: PositionStore | None = None) -> None:
        self.positions = positions
        self.sales = sales
        self.accounts = accounts
        self.customers = customers
        self.drivers = drivers
        self.refresh_tokens = refresh_tokens
        self.tokens = tokens

    # --- customers and tokens -------------------------------------------------------------

    def _tenant(self, tenant_id: str | None) -> str:
        tenant_id = tenant_id or self.accounts.default_tenant
        if not tenant_id:
            raise InvalidInput(["tenant is required (body field tenant or header X-Tenant-Id)"])
        return tenant_id

    def register(self, tenant_id: str | None, data: dict[str, Any]) -> Customer:
        tenant = self._tenant(tenant_id)
        if self.accounts.tenants.get_tenant(tenant) is None:
            raise NotFound("Restaurante no encontrado")
        customer = Customer(
            tenant_id=tenant, customer_id=self.accounts.tenants.next_id(tenant, "cliente"), nombre=data["nombre"],
            nombre_usuario=data["nombre_usuario"], email=data["email"].lower(), telefono=data["telefono"],
            password_hash=hash_password(data["contrasena"]), created_at=iso(utc_now()),
        )
        self.customers.add(customer)
        return customer

    def _customer_principal(self, c: Customer) -> Principal:
        return Principal(user_id=f"{CUSTOMER_PREFIX}{c.customer_id}", tenant=c.tenant_id, branch=None, role=CUSTOMER_ROLE,
                         name=c.display_name, kind="customer")

    def login(self, username: str, password: str, tenant_id: str | None) -> dict[str, str]:
        """Staff or customer, by username (or a customer's e-mail): an access token and a stored refresh token."""
        tenant = self._tenant(tenant_id)
        customer = self.customers.get_by_login(tenant, username) if self.accounts.tenants.get_tenant(tenant) else None
        if customer is not None:
            def check() -> None:
                if not verify_password(password, customer.password_hash):
                    raise Unauthorized(BAD_CREDENTIALS)

            throttle = self.accounts.throttle  # one count per name, staff or customer (they share the names)
            throttle.guard(tenant, username, check) if throttle else check()
            principal = self._customer_principal(customer)
            access = self.tokens.issue(principal)
            subject = f"customer:{customer.customer_id}"
        else:
            access, user = self.accounts.login(username, password, tenant)
            subject = f"staff:{user.user_id}"
        return {"refresh": self._new_refresh(tenant, secrets.token_hex(16), subject), "access": access}

    def _new_refresh(self, tenant: str, family: str, subject: str) -> str:
        secret = secrets.token_urlsafe(32)
        self.refresh_tokens.add(tenant, _digest(secret), family, subject, int(time.time()) + REFRESH_TTL_SECONDS)
        return f"{tenant}.{secret}"

    def refresh(self, token: str) -> dict[str, str]:
        """Single use: the token is spent and a successor returned. A spent token presented again
        revokes its whole family (someone holds a stolen copy)."""
        tenant, _, secret = token.partition(".")
        stored = self.refresh_tokens.get(tenant, _digest(secret)) if tenant and secret else None
        if stored is None or stored["expires_at"] < time.time():
            raise Unauthorized("Refresh token inválido")
        family, subject = stored["family"], stored["subject"]
        if stored["used"] or self.refresh_tokens.family_revoked(tenant, family):
            self.refresh_tokens.revoke_family(tenant, family, int(time.time()) + REFRESH_TTL_SECONDS)
            raise Unauthorized("Refresh token inválido")
        principal = self._subject_principal(tenant, subject)
        new_secret = secrets.token_urlsafe(32)
        try:
            self.refresh_tokens.rotate(tenant, _digest(secret), _digest(new_secret), family, subject,
                                       int(time.time()) + REFRESH_TTL_SECONDS)
        except Conflict as exc:
            self.refresh_tokens.revoke_family(tenant, family, int(time.time()) + REFRESH_TTL_SECONDS)
            raise Unauthorized("Refresh token inválido") from exc
        return {"access": self.tokens.issue(principal), "refresh": f"{tenant}.{new_secret}"}

    def _subject_principal(self, tenant: str, subject: str) -> Principal:
        kind, _, ident = subject.partition(":")
        if kind == "customer":
            customer = self.customers.get(tenant, int(ident))
            if customer is None:
                raise Unauthorized("Refresh token inválido")
            return self._customer_principal(customer)
        user = self.accounts.users.get(tenant, int(ident))
        t = self.accounts.tenants.get_tenant(tenant)
        if user is None or user.deleted or not user.activo or t is None:
            raise Unauthorized("Refresh token inválido")
        return Principal(user_id=str(user.user_id), tenant=tenant, branch=user.branch_id or t.default_branch, role=user.rol,
                         name=user.nombre)

    def me(self, who: Principal) -> Customer:
        assert who.customer_id is not None
        customer = self.customers.get(who.tenant, who.customer_id)
        if customer is None:
            raise Unauthorized("Unauthorized")
        return customer

    def add_address(self, who: Principal, data: dict[str, Any]) -> d.Address:
        def attempt() -> d.Address:
            customer, address = self.me(who).with_address(data["calle"], data["barrio"], data.get("referencia"),
                                                          data.get("latitud"), data.get("longitud"))
            self.customers.save(customer)
            return address

        return retry_on_conflict(attempt, "El cliente está muy solicitado; intente de nuevo", sleep=self.sales.sleep)

    # --- placing an order ------------------------------------------------------------------

    def place(self, who: Principal, data: dict[str, Any]) -> Sale:
        customer = self.me(who)
        branch = self.accounts.tenants.get_branch(who.tenant, data["sucursal_id"])
        if branch is None:
            raise InvalidInput(["sucursal_id does not exist"])
        if not data["items"]:
            raise InvalidInput(["items must contain at least 1 elements"])
        address = self._address(customer, data)
        now = iso(utc_now())
        open_caja = self.sales.cajas.get_open(who.tenant, branch.branch_id)
        header = {"nro_reg": 1, "concepto": f"Domicilio {customer.display_name}", "cliente": customer.display_name, "tipo": "delivery"}
        delivery = Entrega(estado=d.PENDING, customer_id=customer.customer_id, cliente_nombre=customer.display_name,
                           direccion=address, metodo_pago=data["metodo_pago"], notas=data.get("notas"))
        sale = Sale.new(tenant_id=who.tenant, sale_id=self.accounts.tenants.next_id(who.tenant, "transaccion"),
                        branch_id=branch.branch_id, header=header, caja_id=open_caja.id if open_caja else None, user_id=who.user_id,
                        user_name=customer.display_name, now=now, delivery=delivery)
        for index, line in enumerate(data["items"]):
            try:
                self.sales.apply_item(sale, line, now)
            except (NotFound, InvalidInput) as exc:
                raise InvalidInput([f"items.{index}: {exc.message}"]) from exc
        home_delivery.add_fee(sale, branch.tarifa_domicilio, now)
        self.sales.repo.add(sale)
        return sale

    def place_once(self, who: Principal, data: dict[str, Any], key: str | None, render: Any, lambda_context: Any = None) -> Any:
        if not key:
            return render(self.place(who, data))
        fingerprint = {"pedido": {k: str(v) for k, v in sorted(data.items())}, "cliente": who.user_id}
        return self.sales.idempotency.run(f"{who.tenant}#pedido#{who.user_id}#{key}", fingerprint,
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
        sale = self.sales.repo.get(who.tenant, pk)
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
        return self.sales.repo.deliveries(who.tenant, branch_id, LIST_LIMIT)

    def active_for_branch(self, who: Principal, branch_id: str) -> list[Sale]:
        return self.sales.repo.active_deliveries(who.tenant, branch_id, d.ACTIVE_STATES, LIST_LIMIT)

    def mine(self, who: Principal) -> list[Sale]:
        assert who.customer_id is not None
        return self.sales.repo.by_customer(who.tenant, who.customer_id, LIST_LIMIT)

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

        return retry_on_conflict(attempt, f"El pedido #{pk} está muy solicitado; intente de nuevo", sleep=self.sales.sleep)

    # --- drivers ---------------------------------------------------------------------------

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

        return retry_on_conflict(attempt, "El repartidor está muy solicitado; intente de nuevo", sleep=self.sales.sleep)

    def restaurant_name(self, tenant_id: str, branch_id: str) -> str:
        """The branch's name as GastroMovil frames show the restaurant (its id when it has none)."""
        branch = self.sales.tenants.get_branch(tenant_id, branch_id)
        return branch.nombre if branch else branch_id

    def driver_available(self, tenant_id: str, user_id: str) -> bool:
        driver = self.drivers.get(tenant_id, user_id)
        return driver is not None and driver.estado == d.DRIVER_AVAILABLE

    def carrier_customer(self, tenant_id: str, driver_id: str) -> int | None:
        """The customer whose order this driver carries now (None when it carries none)."""
        driver = self.drivers.get(tenant_id, driver_id)
        if driver is None or driver.pedido_id is None:
            return None
        sale = self.sales.repo.get(tenant_id, driver.pedido_id)
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
            uow = self.sales.unit_of_work()
            uow.save_sale(current)
            uow.claim_driver(who.tenant, who.user_id, pk)
            uow.commit()
            return current

        return retry_on_conflict(attempt, f"El pedido #{pk} ya fue tomado", attempts=8, sleep=self.sales.sleep)

    def _driver_order(self, who: Principal, pk: int) -> Sale:
        sale = self.sales.repo.get(who.tenant, pk)
        if sale is None or sale.entrega is None or sale.branch_id != who.branch:
            raise NotFound(f"Pedido con id {pk} no encontrado")
        return sale

    def deliver(self, who: Principal, pk: int) -> Sale:
        """The assigned driver hands it over: paid into the branch's open caja, closed (stock consumed
        once), the driver disponible again, all in one transaction. A retry changes nothing."""
        payment_id = self.sales.tenants.next_id(who.tenant, "pago")

        def attempt() -> Sale:
            sale = self._driver_order(who, pk)
            caja = self.sales.cajas.get_open(who.tenant, sale.branch_id)
            payment = home_delivery.deliver(sale, who.user_id, payment_id=payment_id, caja_id=caja.id if caja else None,
                                            now=iso(utc_now()))
            if payment is None and sale.entrega is not None and sale.entrega.estado == d.DELIVERED:
                return sale
            tallies = Tally.of([payment])
            self.sales.persist(sale, tallies, release_driver=(who.user_id, pk))
            return sale

        return retry_on_conflict(attempt, f"El pedido #{pk} está muy solicitado; intente de nuevo", sleep=self.sales.sleep)

    def reoffer_due(self, minutes: int, limit: int = 100) -> list[Sale]:
        """Orders still unclaimed `minutes` after they were offered are offered again (the stream
        sends pedido_disponible to the available drivers). One Query of the sparse awaiting-driver index."""
        now = utc_now()
        cutoff = iso(now - timedelta(minutes=minutes))
        out = []
        for sale in self.sales.repo.awaiting_driver(cutoff, limit):
            home_delivery.reoffer(sale, iso(now))
            try:
                self.sales.persist(sale, [])
            except Conflict:
                continue  # claimed or changed meanwhile: nothing to re-offer
            out.append(sale)
        return out
