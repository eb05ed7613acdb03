"""Tenants (restaurants), their branches, and users."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal

from chalicelib.errors import InvalidInput

ROLES = ("admin", "cajero", "mesero", "cocina", "repartidor")
CUSTOMER_ROLE = "cliente"  # session-bound customer tokens; no permissions at all

USERNAME_PATTERN = r"^[a-z0-9_]+$"
SLUG_PATTERN = r"^[a-z0-9][a-z0-9-]{1,38}[a-z0-9]$"


@dataclass(frozen=True)
class Tenant:
    tenant_id: str
    nombre: str
    default_branch: str
    created_at: datetime


DEFAULT_LATE_MINUTES = 20
MAX_MESAS = 200  # the tables a branch may list in its settings
MAX_MESA_LENGTH = 50  # as long as a sale's `mesa`


@dataclass(frozen=True)
class Branch:
    tenant_id: str
    branch_id: str
    nombre: str
    timezone: str = "America/La_Paz"
    tarifa_domicilio: Decimal = Decimal(0)  # the delivery fee added to each delivery order
    late_minutes: int = DEFAULT_LATE_MINUTES  # a kitchen ticket older than this is late (displays, speed report)
    mesas: tuple[str, ...] = ()  # the branch's tables, in the order its floor shows them (point of sale)


@dataclass(frozen=True)
class User:
    tenant_id: str
    user_id: int
    nombre: str
    nombre_usuario: str
    rol: str
    branch_id: str | None
    password_hash: str
    activo: bool
    created_at: datetime
    updated_at: datetime
    deleted_at: datetime | None = None
    token_version: int = 0  # tokens carry it; bumping it revokes every token issued before
    revoked_tokens: frozenset[str] = frozenset()  # `<exp>:<jti>` of logged-out tokens not yet expired

    @property
    def deleted(self) -> bool:
        return self.deleted_at is not None

    @property
    def may_sign_in(self) -> bool:
        return self.activo and not self.deleted

    def revoking_sessions(self) -> User:
        return replace(self, token_version=self.token_version + 1, revoked_tokens=frozenset())

    def with_token_revoked(self, token_id: str, expires_at: int, now: int) -> User:
        """Adds the token to the revoked ones, dropping those that have expired anyway."""
        alive = {entry for entry in self.revoked_tokens if int(entry.partition(":")[0]) > now}
        return replace(self, revoked_tokens=frozenset(alive | {f"{expires_at}:{token_id}"}))

    def has_revoked(self, token_id: str) -> bool:
        return any(entry.partition(":")[2] == token_id for entry in self.revoked_tokens)

    def with_changes(self, now: datetime, **changes: object) -> User:
        return replace(self, updated_at=now, **changes)  # type: ignore[arg-type]

    def soft_deleted(self, now: datetime) -> User:
        return replace(self, activo=False, deleted_at=now, updated_at=now)


def check_slug(value: str, what: str) -> str:
    if not re.fullmatch(SLUG_PATTERN, value):
        raise InvalidInput(f"{what} must match {SLUG_PATTERN}")
    return value


def check_role(role: str) -> str:
    if role not in ROLES:
        raise InvalidInput(f"rol must be one of the following values: {', '.join(ROLES)}")
    return role


def check_timezone(name: str) -> None:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError) as exc:
        raise InvalidInput(f"timezone must be an IANA time zone such as America/La_Paz, got {name!r}") from exc


def check_mesas(names: object) -> tuple[str, ...]:
    """A branch's list of tables: at most MAX_MESAS distinct names of 1 to MAX_MESA_LENGTH characters, trimmed, in order."""
    if not isinstance(names, (list, tuple)):
        raise InvalidInput(["mesas must be an array"])
    if len(names) > MAX_MESAS:
        raise InvalidInput([f"mesas must contain no more than {MAX_MESAS} elements"])
    checked: list[str] = []
    for name in names:
        if not isinstance(name, str) or not 1 <= len(name.strip()) <= MAX_MESA_LENGTH:
            raise InvalidInput([f"each value in mesas must be a text of 1 to {MAX_MESA_LENGTH} characters"])
        if name.strip() in checked:
            raise InvalidInput([f"mesas must not repeat a table ({name.strip()})"])
        checked.append(name.strip())
    return tuple(checked)
