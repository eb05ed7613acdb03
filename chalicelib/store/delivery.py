"""Customers, driver profiles and refresh tokens (table: `users`, beside the staff users).

- `CUSTOMER#<id>`: a customer account with its addresses (a JSON document); its username is
  reserved in the same `USERNAME#` namespace as staff usernames (kind `customer`), so one login
  route serves both, and its e-mail in `EMAIL#<email>`.
- `DRIVER#<user id>`: a driver's profile (estado, the order it carries). The claim stages a
  conditional update of this row in the same TransactWriteItems as the order.
- `REFRESH#<sha256 of the token>` and `FAMILY#<id>`: stored, single-use refresh tokens.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from pynamodb.attributes import BooleanAttribute, NumberAttribute, UnicodeAttribute, VersionAttribute
from pynamodb.exceptions import PutError, TransactWriteError
from pynamodb.transactions import TransactWrite

from chalicelib.domain.delivery import DRIVER_AVAILABLE, DRIVER_BUSY, Address, Customer, Driver
from chalicelib.errors import Conflict, StaleWrite
from chalicelib.settings import Settings
from chalicelib.store.base import Record, bound, conflict_on_condition, is_condition_failure, transaction
from chalicelib.store.users import UsernameRecord, username_sk


class CustomerRecord(Record):
    customer_id = NumberAttribute()
    nombre = UnicodeAttribute()
    nombre_usuario = UnicodeAttribute()
    email = UnicodeAttribute()
    telefono = UnicodeAttribute()
    password_hash = UnicodeAttribute()
    created_at = UnicodeAttribute()
    addresses = UnicodeAttribute()
    next_address_id = NumberAttribute()
    version = VersionAttribute()


class EmailRecord(Record):
    customer_id = NumberAttribute()


class DriverRecord(Record):
    user_id = UnicodeAttribute()
    branch_id = UnicodeAttribute()
    estado = UnicodeAttribute()
    pedido_id = NumberAttribute(null=True)


class RefreshRecord(Record):
    family = UnicodeAttribute()
    subject = UnicodeAttribute()  # "staff:<id>" or "customer:<id>"
    used = BooleanAttribute()
    expires_at = NumberAttribute()
    ttl = NumberAttribute(null=True)  # the table's TTL attribute: DynamoDB drops the row once it is expired


class FamilyRecord(Record):
    revoked = BooleanAttribute()
    ttl = NumberAttribute(null=True)


def customer_sk(customer_id: int) -> str:
    return f"CUSTOMER#{customer_id:010d}"


def email_sk(email: str) -> str:
    return f"EMAIL#{email.lower()}"


def driver_sk(user_id: str) -> str:
    return f"DRIVER#{user_id}"


class StaleCustomer(StaleWrite):
    pass


class StaleDriver(StaleWrite):
    pass


def _addresses(doc: str) -> tuple[Address, ...]:
    return tuple(
        Address(a["id"], a["calle"], a["barrio"], a.get("referencia"),
                None if a.get("latitud") is None else Decimal(a["latitud"]),
                None if a.get("longitud") is None else Decimal(a["longitud"]))
        for a in json.loads(doc)
    )


def _customer(r: CustomerRecord) -> Customer:
    return Customer(
        tenant_id=r.pk, customer_id=int(r.customer_id), nombre=r.nombre, nombre_usuario=r.nombre_usuario, email=r.email,
        telefono=r.telefono, password_hash=r.password_hash, created_at=r.created_at, addresses=_addresses(r.addresses),
        next_address_id=int(r.next_address_id), version=int(r.version or 0),
    )


def _customer_record(c: Customer, cls: type[CustomerRecord]) -> CustomerRecord:
    record = cls(
        c.tenant_id, customer_sk(c.customer_id), customer_id=c.customer_id, nombre=c.nombre, nombre_usuario=c.nombre_usuario,
        email=c.email, telefono=c.telefono, password_hash=c.password_hash, created_at=c.created_at,
        addresses=json.dumps([{"id": a.id, **a.as_dict()} for a in c.addresses], ensure_ascii=False),
        next_address_id=c.next_address_id,
    )
    if c.version:
        record.version = c.version
    return record


class CustomerRepository:
    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self.CustomerRecord = bound(CustomerRecord, "users", settings)
        self.EmailRecord = bound(EmailRecord, "users", settings)
        self.UsernameRecord = bound(UsernameRecord, "users", settings)

    def add(self, customer: Customer) -> None:
        """Conflict if the username (staff or customer) or the e-mail is taken in the tenant."""
        with conflict_on_condition("El nombre de usuario o el email ya existe"), transaction(self._settings) as tx:
            tx.save(self.UsernameRecord(customer.tenant_id, username_sk(customer.nombre_usuario), user_id=customer.customer_id,
                                        kind="customer"), condition=self.UsernameRecord.pk.does_not_exist())
            tx.save(self.EmailRecord(customer.tenant_id, email_sk(customer.email), customer_id=customer.customer_id),
                    condition=self.EmailRecord.pk.does_not_exist())
            tx.save(_customer_record(customer, self.CustomerRecord), condition=self.CustomerRecord.pk.does_not_exist())

    def get(self, tenant_id: str, customer_id: int) -> Customer | None:
        try:
            return _customer(self.CustomerRecord.get(tenant_id, customer_sk(customer_id), consistent_read=True))
        except self.CustomerRecord.DoesNotExist:
            return None

    def get_by_login(self, tenant_id: str, login: str) -> Customer | None:
        """By username, or by e-mail when `login` has an @."""
        try:
            if "@" in login:
                return self.get(tenant_id, int(self.EmailRecord.get(tenant_id, email_sk(login)).customer_id))
            reservation = self.UsernameRecord.get(tenant_id, username_sk(login))
        except (self.EmailRecord.DoesNotExist, self.UsernameRecord.DoesNotExist):
            return None
        return self.get(tenant_id, int(reservation.user_id)) if reservation.kind == "customer" else None

    def save(self, customer: Customer) -> Customer:
        """StaleCustomer unless the stored customer is still at `customer.version`; returns it at its new version."""
        record = _customer_record(customer, self.CustomerRecord)
        try:
            record.save()
        except PutError as exc:
            if is_condition_failure(exc):
                raise StaleCustomer("El cliente cambió mientras se procesaba la operación") from exc
            raise
        return _customer(record)


class DriverRepository:
    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self.DriverRecord = bound(DriverRecord, "users", settings)

    def get(self, tenant_id: str, user_id: str) -> Driver | None:
        try:
            r = self.DriverRecord.get(tenant_id, driver_sk(user_id), consistent_read=True)
        except self.DriverRecord.DoesNotExist:
            return None
        return Driver(r.pk, r.user_id, r.branch_id, r.estado, None if r.pedido_id is None else int(r.pedido_id))

    def put(self, before: Driver | None, after: Driver) -> None:
        """StaleDriver unless the stored profile is still `before` (absent when None)."""
        record = self.DriverRecord(after.tenant_id, driver_sk(after.user_id), user_id=after.user_id, branch_id=after.branch_id,
                                   estado=after.estado, pedido_id=after.pedido_id)
        cls = self.DriverRecord
        if before is None:
            condition = cls.pk.does_not_exist()
        else:
            same_order = cls.pedido_id.does_not_exist() if before.pedido_id is None else cls.pedido_id == before.pedido_id
            condition = (cls.estado == before.estado) & same_order
        try:
            record.save(condition=condition)
        except PutError as exc:
            if is_condition_failure(exc):
                raise StaleDriver("El repartidor cambió mientras se procesaba la operación") from exc
            raise

    def stage_claim(self, tx: TransactWrite, tenant_id: str, user_id: str, order_id: int) -> None:
        """In the caller's transaction: the driver, disponible, becomes ocupado with the order."""
        cls = self.DriverRecord
        tx.update(cls(tenant_id, driver_sk(user_id)), actions=[cls.estado.set(DRIVER_BUSY), cls.pedido_id.set(order_id)],
                  condition=(cls.estado == DRIVER_AVAILABLE) & cls.pedido_id.does_not_exist())

    def stage_release(self, tx: TransactWrite, tenant_id: str, user_id: str, order_id: int) -> None:
        """In the caller's transaction: the driver carrying `pedido_id` is disponible again."""
        cls = self.DriverRecord
        tx.update(cls(tenant_id, driver_sk(user_id)), actions=[cls.estado.set(DRIVER_AVAILABLE), cls.pedido_id.remove()],
                  condition=cls.pedido_id == order_id)


class RefreshTokenRepository:
    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self.RefreshRecord = bound(RefreshRecord, "users", settings)
        self.FamilyRecord = bound(FamilyRecord, "users", settings)

    def add(self, tenant_id: str, digest: str, family: str, subject: str, expires_at: int) -> None:
        self.RefreshRecord(tenant_id, f"REFRESH#{digest}", family=family, subject=subject, used=False,
                           expires_at=expires_at, ttl=expires_at).save(condition=self.RefreshRecord.pk.does_not_exist())

    def get(self, tenant_id: str, digest: str) -> dict[str, Any] | None:
        try:
            r = self.RefreshRecord.get(tenant_id, f"REFRESH#{digest}", consistent_read=True)
        except self.RefreshRecord.DoesNotExist:
            return None
        return {"family": r.family, "subject": r.subject, "used": r.used, "expires_at": int(r.expires_at)}

    def family_revoked(self, tenant_id: str, family: str) -> bool:
        try:
            return bool(self.FamilyRecord.get(tenant_id, f"FAMILY#{family}", consistent_read=True).revoked)
        except self.FamilyRecord.DoesNotExist:
            return False

    def rotate(self, tenant_id: str, old_digest: str, new_digest: str, family: str, subject: str, expires_at: int) -> None:
        """Mark the old token used and store its successor, in one transaction: Conflict if the old
        one was already used or its family is revoked."""
        old = self.RefreshRecord(tenant_id, f"REFRESH#{old_digest}")
        fam = self.FamilyRecord(tenant_id, f"FAMILY#{family}")
        try:
            with transaction(self._settings) as tx:
                tx.update(old, actions=[self.RefreshRecord.used.set(True)], condition=self.RefreshRecord.used == False)  # noqa: E712
                tx.condition_check(self.FamilyRecord, fam.pk, fam.sk, condition=self.FamilyRecord.pk.does_not_exist())
                tx.save(self.RefreshRecord(tenant_id, f"REFRESH#{new_digest}", family=family, subject=subject, used=False,
                                           expires_at=expires_at, ttl=expires_at), condition=self.RefreshRecord.pk.does_not_exist())
        except TransactWriteError as exc:
            if is_condition_failure(exc):
                raise Conflict("Refresh token ya usado") from exc
            raise

    def revoke_family(self, tenant_id: str, family: str, until: int) -> None:
        """Refuse the family's tokens; the mark is kept until `until`, when every token of the family has expired."""
        self.FamilyRecord(tenant_id, f"FAMILY#{family}", revoked=True, ttl=until).save()


class PositionRecord(Record):
    """A driver's last position (table `connections`, pk `POSITION#<tenant>#<driver>`): a row with
    a TTL whose stream record carries it to the driver's followers."""

    latitud = UnicodeAttribute()
    longitud = UnicodeAttribute()
    at = NumberAttribute()
    ttl = NumberAttribute()


POSITION_TTL_SECONDS = 3600


def position_key(tenant_id: str, driver_id: str) -> str:
    return f"POSITION#{tenant_id}#{driver_id}"


class PositionRepository:
    def __init__(self, settings: Settings) -> None:
        self.PositionRecord = bound(PositionRecord, "connections", settings)

    def put_if_newer(self, tenant_id: str, driver_id: str, latitude: Decimal, longitude: Decimal, at_ms: int) -> bool:
        """Store the position unless the stored one is as new or newer; False when dropped."""
        cls = self.PositionRecord
        record = cls(position_key(tenant_id, driver_id), "POSITION", latitud=str(latitude), longitud=str(longitude), at=at_ms,
                     ttl=at_ms // 1000 + POSITION_TTL_SECONDS)
        try:
            record.save(condition=cls.pk.does_not_exist() | (cls.at < at_ms))
        except PutError as exc:
            if is_condition_failure(exc):
                return False
            raise
        return True

    def get(self, tenant_id: str, driver_id: str) -> tuple[Decimal, Decimal, int] | None:
        try:
            r = self.PositionRecord.get(position_key(tenant_id, driver_id), "POSITION", consistent_read=True)
        except self.PositionRecord.DoesNotExist:
            return None
        return Decimal(r.latitud), Decimal(r.longitud), int(r.at)

    @staticmethod
    def decode(image: dict[str, Any]) -> tuple[str, str, Decimal, Decimal] | None:
        """(tenant, driver, latitud, longitud) of a position row's stream image; None for any other row."""
        prefix, _, rest = image.get("pk", {}).get("S", "").partition("#")
        tenant, _, driver = rest.partition("#")
        if prefix != "POSITION" or not tenant or not driver or "latitud" not in image:
            return None
        return tenant, driver, Decimal(image["latitud"]["S"]), Decimal(image["longitud"]["S"])
