"""Delivery customers (GastroMovil): registration, login (a customer, or staff through the staff
accounts, by the same names), single-use refresh tokens with family revocation, and addresses."""

from __future__ import annotations

import hashlib
import secrets
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from chalicelib.auth import CUSTOMER_PREFIX, Principal, TokenService, hash_password, verify_password
from chalicelib.domain import delivery as d
from chalicelib.domain.clock import iso, utc_now
from chalicelib.domain.delivery import Customer
from chalicelib.domain.tenancy import CUSTOMER_ROLE
from chalicelib.errors import Conflict, InvalidInput, NotFound, Unauthorized
from chalicelib.services.accounts import BAD_CREDENTIALS
from chalicelib.services.ports import CustomerStore, RefreshTokenStore, TenantStore, UserStore
from chalicelib.services.retry import retry_on_conflict

if TYPE_CHECKING:
    from chalicelib.services.accounts import AccountService
    from chalicelib.services.throttle import LoginThrottle

REFRESH_TTL_SECONDS = 7 * 24 * 3600


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


class CustomerAccounts:
    def __init__(self, tenants: TenantStore, customers: CustomerStore, users: UserStore, refresh_tokens: RefreshTokenStore,
                 tokens: TokenService, staff: AccountService, throttle: LoginThrottle | None, default_tenant: str | None,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.tenants = tenants
        self.customers = customers
        self.users = users
        self.refresh_tokens = refresh_tokens
        self.tokens = tokens
        self.staff = staff
        self.throttle = throttle
        self.default_tenant = default_tenant
        self.sleep = sleep

    def _tenant(self, tenant_id: str | None) -> str:
        tenant_id = tenant_id or self.default_tenant
        if not tenant_id:
            raise InvalidInput(["tenant is required (body field tenant or header X-Tenant-Id)"])
        return tenant_id

    def register(self, tenant_id: str | None, data: dict[str, Any]) -> Customer:
        tenant = self._tenant(tenant_id)
        if self.tenants.get_tenant(tenant) is None:
            raise NotFound("Restaurante no encontrado")
        customer = Customer(
            tenant_id=tenant, customer_id=self.tenants.next_id(tenant, "cliente"), nombre=data["nombre"],
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
        customer = self.customers.get_by_login(tenant, username) if self.tenants.get_tenant(tenant) else None
        if customer is not None:
            def check() -> None:
                if not verify_password(password, customer.password_hash):
                    raise Unauthorized(BAD_CREDENTIALS)

            throttle = self.throttle  # one count per name, staff or customer (they share the names)
            throttle.guard(tenant, username, check) if throttle else check()
            principal = self._customer_principal(customer)
            access = self.tokens.issue(principal)
            subject = f"customer:{customer.customer_id}"
        else:
            access, user = self.staff.login(username, password, tenant)
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
        user = self.users.get(tenant, int(ident))
        t = self.tenants.get_tenant(tenant)
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

        return retry_on_conflict(attempt, "El cliente está muy solicitado; intente de nuevo", sleep=self.sleep)
