"""Users and their per-tenant username reservations (table: `users`)."""

from __future__ import annotations

from pynamodb.attributes import (
    BooleanAttribute,
    NumberAttribute,
    UnicodeAttribute,
    UnicodeSetAttribute,
    UTCDateTimeAttribute,
    VersionAttribute,
)

from chalicelib.domain.audit import AuditEntry
from chalicelib.domain.tenancy import User
from chalicelib.errors import Conflict
from chalicelib.settings import Settings
from chalicelib.store.audit import AuditRepository
from chalicelib.store.base import Record, bound, conflict_on_condition, transaction


class UserRecord(Record):
    user_id = NumberAttribute()
    nombre = UnicodeAttribute()
    nombre_usuario = UnicodeAttribute()
    rol = UnicodeAttribute()
    branch_id = UnicodeAttribute(null=True)
    password_hash = UnicodeAttribute()
    activo = BooleanAttribute()
    created_at = UTCDateTimeAttribute()
    updated_at = UTCDateTimeAttribute()
    deleted_at = UTCDateTimeAttribute(null=True)
    token_version = NumberAttribute(null=True)  # absent on rows written before revocable sessions: 0
    revoked_tokens = UnicodeSetAttribute(null=True)
    version = VersionAttribute()


class UsernameRecord(Record):
    user_id = NumberAttribute()
    kind = UnicodeAttribute(null=True)  # "customer" for a customer account's username; staff otherwise


def user_sk(user_id: int) -> str:
    return f"USER#{user_id:010d}"


def username_sk(username: str) -> str:
    return f"USERNAME#{username}"


def _to_domain(r: UserRecord) -> User:
    return User(
        tenant_id=r.pk,
        user_id=int(r.user_id),
        nombre=r.nombre,
        nombre_usuario=r.nombre_usuario,
        rol=r.rol,
        branch_id=r.branch_id,
        password_hash=r.password_hash,
        activo=r.activo,
        created_at=r.created_at,
        updated_at=r.updated_at,
        deleted_at=r.deleted_at,
        token_version=int(r.token_version or 0),
        revoked_tokens=frozenset(r.revoked_tokens or ()),
    )


def _to_record(u: User, cls: type[UserRecord]) -> UserRecord:
    return cls(
        u.tenant_id,
        user_sk(u.user_id),
        user_id=u.user_id,
        nombre=u.nombre,
        nombre_usuario=u.nombre_usuario,
        rol=u.rol,
        branch_id=u.branch_id,
        password_hash=u.password_hash,
        activo=u.activo,
        created_at=u.created_at,
        updated_at=u.updated_at,
        deleted_at=u.deleted_at,
        token_version=u.token_version,
        revoked_tokens=set(u.revoked_tokens) or None,
    )


class UserRepository:
    """Usernames are unique per tenant: the user and its reservation are written together."""

    def __init__(self, settings: Settings, audit: AuditRepository) -> None:
        """`audit`: the process's one audit repository, whose entries this one writes with its changes."""
        self._settings = settings
        self.UserRecord = bound(UserRecord, "users", settings)
        self.UsernameRecord = bound(UsernameRecord, "users", settings)
        self._audit = audit

    def add(self, user: User, audit: AuditEntry | None = None) -> None:
        with conflict_on_condition("El nombre de usuario ya existe"), transaction(self._settings) as tx:
            if audit is not None:
                self._audit.stage(tx, audit)
            tx.save(
                self.UsernameRecord(user.tenant_id, username_sk(user.nombre_usuario), user_id=user.user_id),
                condition=self.UsernameRecord.pk.does_not_exist(),
            )
            tx.save(_to_record(user, self.UserRecord), condition=self.UserRecord.pk.does_not_exist())

    def get(self, tenant_id: str, user_id: int) -> User | None:
        try:
            return _to_domain(self.UserRecord.get(tenant_id, user_sk(user_id), consistent_read=True))
        except self.UserRecord.DoesNotExist:
            return None

    def get_by_username(self, tenant_id: str, username: str) -> User | None:
        try:
            reservation = self.UsernameRecord.get(tenant_id, username_sk(username))
        except self.UsernameRecord.DoesNotExist:
            return None
        if reservation.kind == "customer":
            return None
        return self.get(tenant_id, int(reservation.user_id))

    def list(self, tenant_id: str) -> list[User]:
        return [_to_domain(r) for r in self.UserRecord.query(tenant_id, self.UserRecord.sk.startswith("USER#"))]

    def update(self, before: User, after: User, audit: AuditEntry | None = None) -> None:
        """Save `after` if the stored user is still `before`; moves the username reservation
        when it changed; records the audit entry in the same transaction."""
        current = self.UserRecord.get(before.tenant_id, user_sk(before.user_id), consistent_read=True)
        record = _to_record(after, self.UserRecord)
        record.version = current.version
        if _to_domain(current) != before:
            raise Conflict("El usuario fue modificado por otra petición")
        renamed = after.nombre_usuario != before.nombre_usuario
        refused = "El nombre de usuario ya existe" if renamed else "El usuario fue modificado por otra petición"
        with conflict_on_condition(refused), transaction(self._settings) as tx:
            if renamed:
                tx.save(
                    self.UsernameRecord(after.tenant_id, username_sk(after.nombre_usuario), user_id=after.user_id),
                    condition=self.UsernameRecord.pk.does_not_exist(),
                )
                tx.delete(
                    self.UsernameRecord(before.tenant_id, username_sk(before.nombre_usuario)),
                    condition=self.UsernameRecord.user_id == before.user_id,
                )
            tx.save(record)
            if audit is not None:
                self._audit.stage(tx, audit)
