"""What the services need from storage: one Protocol per aggregate's repository, and the unit
of work that commits a use case's writes together. Each has two implementations held to one
contract test: DynamoDB (chalicelib/store/) and memory (tests/support/fakes.py).

Conventions, as in chalicelib.domain.catalog.CatalogStore: `get*` return None for a missing or
foreign object; a write conditioned on what was read raises a StaleWrite subclass
(VersionConflict, StaleCaja) when the stored object changed, so the service re-reads and
retries; a uniqueness clash is a Conflict."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any, Protocol

from chalicelib.domain.audit import AuditEntry
from chalicelib.domain.caja import Caja, Gasto
from chalicelib.domain.catalog import CatalogKey
from chalicelib.domain.connections import Connection, Subscriber
from chalicelib.domain.sales import Sale
from chalicelib.domain.tenancy import Branch, Tenant, User
from chalicelib.domain.throttle import Attempts


class SaleStore(Protocol):
    def add(self, sale: Sale) -> None:
        """Conflict if the id is taken."""
        ...

    def get(self, tenant_id: str, tx_id: int) -> Sale | None: ...
    def save(self, sale: Sale) -> None:
        """Write the sale alone, if its stored version is still `sale.version` (and, when the
        sale is closing, if the stored one is not closed); VersionConflict otherwise. Bumps
        `sale.version`."""
        ...

    def decode_stream_image(self, image: dict[str, Any]) -> Sale:
        """The sale in one of the table stream's images (attribute-value JSON)."""
        ...

    def kitchen_queue(self, tenant_id: str, branch_id: str) -> list[Sale]:
        """Sales whose kitchen is pending, oldest first."""
        ...

    def kds_active(self, tenant_id: str, branch_id: str) -> list[Sale]:
        """Sales with kitchen items not yet served, oldest first."""
        ...

    def by_caja(self, tenant_id: str, caja_id: int) -> list[Sale]: ...
    def by_branch(self, tenant_id: str, branch_id: str, limit: int) -> list[Sale]:
        """A branch's sales, newest first, at most `limit`."""
        ...

    def deliveries(self, tenant_id: str, branch_id: str, limit: int) -> list[Sale]:
        """A branch's delivery orders, newest first."""
        ...

    def active_deliveries(self, tenant_id: str, branch_id: str, statuses: tuple[str, ...], limit: int) -> list[Sale]:
        """A branch's delivery orders in one of `estados`, newest first."""
        ...

    def by_customer(self, tenant_id: str, customer_id: int, limit: int) -> list[Sale]:
        """A customer's delivery orders, newest first."""
        ...

    def awaiting_driver(self, offered_before: str, limit: int) -> list[Sale]:
        """Unclaimed delivery orders of every tenant offered before `offered_before`, oldest offer first."""
        ...


class SaleReads(Protocol):
    """Reads that one request needs together, in one round trip."""

    def sale_and_catalog(self, tenant_id: str, tx_id: int, keys: Sequence[CatalogKey]) -> tuple[Sale | None, dict[CatalogKey, Any]]:
        """The sale (None if missing) and those of the catalog entries named by `keys` that
        exist (soft-deleted ones too), read consistently together (one BatchGetItem)."""
        ...


class CajaStore(Protocol):
    def get(self, tenant_id: str, caja_id: int) -> Caja | None: ...
    def get_open(self, tenant_id: str, branch_id: str) -> Caja | None: ...
    def open_caja_id(self, tenant_id: str, branch_id: str) -> int | None:
        """The id of the branch's open caja, from its open lock alone (one GetItem): the lock
        and the caja's state change in one transaction, so a lock is an open caja."""
        ...

    def history(self, tenant_id: str, branch_id: str, limit: int) -> list[Caja]:
        """Newest first."""
        ...

    def gastos(self, tenant_id: str, caja_id: int) -> list[Gasto]: ...
    def open(self, caja: Caja) -> None:
        """Conflict if the branch already has an open caja (one lock per branch)."""
        ...

    def close(self, before: Caja, after: Caja, audit: AuditEntry | None = None) -> None:
        """StaleCaja unless the caja is still open at `before.version`; frees the branch's lock.
        The audit entry, if any, is written with the change or not at all."""
        ...

    def add_arqueo(self, before: Caja, after: Caja, audit: AuditEntry | None = None) -> None:
        """StaleCaja unless the caja is still open at `before.version`. The audit entry, if any,
        is written with the change or not at all."""
        ...

    def add_gasto(self, gasto: Gasto) -> None:
        """StaleCaja if the caja is not open; tallies the expense and bumps the caja's version."""
        ...


class AuditStore(Protocol):
    def add(self, entry: AuditEntry) -> None: ...
    def between(self, tenant_id: str, since: datetime, until: datetime, limit: int) -> list[AuditEntry]:
        """The tenant's entries with desde <= at <= hasta, newest first, at most `limit`."""
        ...


class AttemptStore(Protocol):
    """Failed-attempt counters, shared by every instance."""

    def get(self, scope: str, name: str) -> Attempts | None: ...
    def add_failure(self, scope: str, name: str, now: int, window_seconds: int) -> Attempts:
        """Atomically count a failure in the window still open at `now`, or open a new one."""
        ...

    def clear(self, scope: str, name: str) -> None: ...


class UserStore(Protocol):
    def add(self, user: User, audit: AuditEntry | None = None) -> None:
        """Conflict if the username is taken in the tenant. The audit entry, if any, is written
        with the user or not at all (likewise for update)."""
        ...

    def get(self, tenant_id: str, user_id: int) -> User | None: ...
    def get_by_username(self, tenant_id: str, username: str) -> User | None: ...
    def list(self, tenant_id: str) -> list[User]: ...
    def update(self, before: User, after: User, audit: AuditEntry | None = None) -> None:
        """Conflict if the stored user is no longer `before`, or the new username is taken."""
        ...


class TenantStore(Protocol):
    def create_tenant(self, tenant: Tenant, branches: list[Branch]) -> None:
        """Conflict if the tenant exists."""
        ...

    def get_tenant(self, tenant_id: str) -> Tenant | None: ...
    def add_branch(self, branch: Branch) -> None:
        """Conflict if the branch exists."""
        ...

    def get_branch(self, tenant_id: str, branch_id: str) -> Branch | None: ...
    def list_branches(self, tenant_id: str) -> list[Branch]: ...
    def replace_branch(self, branch: Branch) -> None:
        """NotFound if the branch does not exist."""
        ...

    def next_id(self, tenant_id: str, counter: str, count: int = 1) -> int:
        """Atomically reserve `count` ids; returns the last one reserved."""
        ...


class ConnectionStore(Protocol):
    """WebSocket connections and their channel subscriptions. A subscription is unique per
    (connection, channel, protocol, tag); `subscribers_of` is one indexed read per channel."""

    def add(self, c: Connection) -> None: ...
    def get(self, connection_id: str) -> Connection | None: ...
    def remove(self, connection_id: str) -> None:
        """The connection, its subscriptions and its queued packets; a missing one is no error."""
        ...

    def remove_gone(self, connection_id: str, now: float, settle_seconds: float) -> bool:
        """`remove` a connection API Gateway answered 410 for, unless it connected less than
        `settle_seconds` before `now` (its $connect may not have returned yet). True if removed."""
        ...

    def subscribe(self, connection_id: str, channel_key: str, protocol: str = "json", tag: str | None = None) -> None: ...
    def unsubscribe(self, connection_id: str, channel_key: str, protocol: str = "json", tag: str | None = None) -> None: ...
    def subscriptions(self, connection_id: str) -> list[str]: ...
    def tagged_subscriptions(self, connection_id: str) -> list[tuple[str, str | None]]: ...
    def subscribers(self, channel_key: str) -> list[str]: ...
    def subscribers_of(self, channel_key: str) -> list[Subscriber]: ...
    def count_message(self, connection_id: str, second: int) -> int:
        """Count one message received from the connection during `second`; returns the count."""
        ...

    def keep_tail(self, connection_id: str, tail: str) -> None:
        """Fails if the connection is gone."""
        ...

    def enqueue(self, connection_id: str, packets: list[str]) -> None: ...
    def take_queued(self, connection_id: str) -> list[str]:
        """The queued packets, oldest first, removed from the queue."""
        ...

    def add_notice(self, tenant: str, user_id: str, payload: str) -> None: ...
    def decode_connection(self, image: dict[str, Any]) -> Connection | None:
        """The connection if the stream image is a connection row, else None."""
        ...

    def decode_notice(self, image: dict[str, Any]) -> tuple[str, str, str] | None:
        """(tenant, user id, payload) if the stream image is a notice row, else None."""
        ...


class UnitOfWork(Protocol):
    """One use case's writes, committed together by `commit` or not at all."""

    def save_sale(self, sale: Sale) -> None: ...
    def deduct_stock(self, tenant_id: str, products: Mapping[str, Decimal], ingredients: Mapping[str, Decimal]) -> None: ...
    def tally_sale(self, tenant_id: str, caja_id: int, payment_method: str, amount: Decimal) -> None: ...
    def claim_driver(self, tenant_id: str, user_id: str, order_id: int) -> None:
        """The driver, disponible with no order, becomes ocupado carrying `pedido_id`."""
        ...

    def release_driver(self, tenant_id: str, user_id: str, order_id: int) -> None:
        """The driver carrying `pedido_id` becomes disponible."""
        ...

    def record(self, entry: AuditEntry) -> None:
        """An audit entry, committed with the rest."""
        ...

    def commit(self) -> None:
        """VersionConflict if the sale changed since it was read or any write's condition failed."""
        ...
