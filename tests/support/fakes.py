"""In-memory stand-ins for the repositories, held to the same contract tests as the real ones."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from copy import deepcopy
from dataclasses import fields, replace
from datetime import datetime
from decimal import Decimal
from types import TracebackType
from typing import Any, TypeVar

from chalicelib.domain.audit import AuditEntry
from chalicelib.domain.caja import EXPENSE_TALLY, SALES_TALLY, Caja, Gasto
from chalicelib.domain.catalog import CatalogKey, Ingrediente, Plato, Producto, RecipeLine
from chalicelib.domain.connections import Connection, Subscriber
from chalicelib.domain.delivery import Customer, Driver
from chalicelib.domain.rollups import Counters, Facts, RollupKey
from chalicelib.domain.sales import Sale
from chalicelib.domain.tenancy import Branch, Tenant, User
from chalicelib.domain.throttle import Attempts
from chalicelib.errors import Conflict, NotFound, StaleCaja, StaleWrite, VersionConflict
from chalicelib.store.connections import subscription_key
from chalicelib.store.staging import StagedUnitOfWork

T = TypeVar("T", Producto, Ingrediente, Plato)

CONCURRENT_EDIT = "El elemento del catálogo fue modificado por otra petición; vuelva a intentarlo"


class TransactionCancelled(Exception):
    """What the fake raises where DynamoDB would cancel a TransactWriteItems."""


class FakeTransaction:
    """Collects (check, apply) pairs; on a clean exit runs every check, then every apply: all
    or nothing, like TransactWriteItems."""

    def __init__(self) -> None:
        self._ops: list[tuple[Callable[[], bool], Callable[[], None]]] = []

    def add(self, check: Callable[[], bool], apply: Callable[[], None]) -> None:
        self._ops.append((check, apply))

    def __enter__(self) -> FakeTransaction:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        if kind is not None:
            return
        if not all(check() for check, _ in self._ops):
            raise TransactionCancelled("ConditionalCheckFailed")
        for _, apply in self._ops:
            apply()


class InMemoryCatalog:
    """Memory implementation of chalicelib.services.ports.CatalogStore."""

    def __init__(self, audit: InMemoryAudit | None = None) -> None:
        self.audit = audit or InMemoryAudit()
        self._objects: dict[tuple[str, str, str], Any] = {}  # (tenant, kind, id) -> domain object
        self._lines: dict[tuple[str, str, str], RecipeLine] = {}  # (tenant, plato, ingrediente) -> line

    # --- generic --------------------------------------------------------------------------

    def _add(self, kind: str, obj: Any, message: str) -> None:
        key = (obj.tenant_id, kind, obj.id)
        if key in self._objects:
            raise Conflict(message)
        self._objects[key] = obj

    def _get(self, kind: str, tenant_id: str, object_id: str) -> Any:
        return self._objects.get((tenant_id, kind, object_id))

    def _list(self, kind: str, tenant_id: str) -> list[Any]:
        found = [o for (t, k, _), o in self._objects.items() if t == tenant_id and k == kind and not o.deleted]
        return sorted(found, key=lambda o: o.id)

    def _update(self, kind: str, before: T, after: T, audit: AuditEntry | None = None) -> None:
        if (before.tenant_id, before.id) != (after.tenant_id, after.id):
            raise ValueError("before and after must be the same catalog object")
        key = (before.tenant_id, kind, before.id)
        stored = self._objects.get(key)
        if stored is None or stored.deleted:
            raise Conflict(CONCURRENT_EDIT)
        changes: dict[str, Any] = {}
        for f in fields(before):
            if f.name in ("tenant_id", "id", "created_at", "updated_at"):
                continue
            old, new = getattr(before, f.name), getattr(after, f.name)
            if old != new:
                if f.name != "deleted_at" and getattr(stored, f.name) != old:
                    raise Conflict(CONCURRENT_EDIT)
                changes[f.name] = new
        if audit is not None:
            self.audit.add(audit)
        self._objects[key] = replace(stored, updated_at=after.updated_at, **changes)

    def _live(self, kind: str, tenant_id: str, object_id: str) -> bool:
        obj = self._get(kind, tenant_id, object_id)
        return obj is not None and not obj.deleted

    # --- productos ------------------------------------------------------------------------

    def add_product(self, producto: Producto) -> None:
        self._add("producto", producto, "El producto ya existe")

    def get_product(self, tenant_id: str, producto_id: str) -> Producto | None:
        found: Producto | None = self._get("producto", tenant_id, producto_id)
        return found

    def list_products(self, tenant_id: str) -> list[Producto]:
        return self._list("producto", tenant_id)

    def update_product(self, before: Producto, after: Producto, audit: AuditEntry | None = None) -> None:
        self._update("producto", before, after, audit)

    # --- ingredientes ---------------------------------------------------------------------

    def add_ingredient(self, ingrediente: Ingrediente) -> None:
        self._add("ingrediente", ingrediente, "El ingrediente ya existe")

    def get_ingredient(self, tenant_id: str, ingrediente_id: str) -> Ingrediente | None:
        found: Ingrediente | None = self._get("ingrediente", tenant_id, ingrediente_id)
        return found

    def get_ingredients(self, tenant_id: str, ingredient_ids: Iterable[str]) -> dict[str, Ingrediente]:
        found = (self.get_ingredient(tenant_id, i) for i in ingredient_ids)
        return {i.id: i for i in found if i is not None}

    def list_ingredients(self, tenant_id: str) -> list[Ingrediente]:
        return self._list("ingrediente", tenant_id)

    def update_ingredient(self, before: Ingrediente, after: Ingrediente) -> None:
        self._update("ingrediente", before, after)

    # --- platos ---------------------------------------------------------------------------

    def add_plato(self, plato: Plato) -> None:
        self._add("plato", plato, "El plato ya existe")

    def get_plato(self, tenant_id: str, plato_id: str) -> Plato | None:
        found: Plato | None = self._get("plato", tenant_id, plato_id)
        return found

    def list_platos(self, tenant_id: str) -> list[Plato]:
        return self._list("plato", tenant_id)

    def update_plato(self, before: Plato, after: Plato, audit: AuditEntry | None = None) -> None:
        self._update("plato", before, after, audit)

    # --- recipes --------------------------------------------------------------------------

    def recipe(self, tenant_id: str, plato_id: str) -> list[RecipeLine]:
        lines = [line for (t, p, _), line in self._lines.items() if t == tenant_id and p == plato_id]
        return sorted(lines, key=lambda line: line.ingrediente_id)

    def get_recipe_line(self, tenant_id: str, plato_id: str, ingrediente_id: str) -> RecipeLine | None:
        return self._lines.get((tenant_id, plato_id, ingrediente_id))

    def add_recipe_line(self, line: RecipeLine) -> None:
        if not self._live("plato", line.tenant_id, line.plato_id):
            raise NotFound(f"Plato con id {line.plato_id} no encontrado")
        if not self._live("ingrediente", line.tenant_id, line.ingrediente_id):
            raise NotFound(f"Ingrediente con id {line.ingrediente_id} no encontrado")
        key = (line.tenant_id, line.plato_id, line.ingrediente_id)
        if key in self._lines:
            raise Conflict(f"El ingrediente {line.ingrediente_id} ya está en la receta del plato {line.plato_id}")
        self._lines[key] = line

    def update_recipe_line(self, before: RecipeLine, after: RecipeLine) -> None:
        key = (before.tenant_id, before.plato_id, before.ingrediente_id)
        stored = self._lines.get(key)
        if stored is None or stored.cantidad != before.cantidad:
            raise Conflict(CONCURRENT_EDIT)
        self._lines[key] = replace(stored, cantidad=after.cantidad, updated_at=after.updated_at)

    def remove_recipe_line(self, tenant_id: str, plato_id: str, ingrediente_id: str) -> None:
        if self._lines.pop((tenant_id, plato_id, ingrediente_id), None) is None:
            raise NotFound(f"El ingrediente {ingrediente_id} no está en la receta del plato {plato_id}")

    # --- stock ----------------------------------------------------------------------------

    def add_stock_deductions(
        self, tx: FakeTransaction, tenant_id: str, productos: Mapping[str, Decimal], ingredientes: Mapping[str, Decimal],
        crossing: Mapping[str, bool] | None = None,
    ) -> None:
        for kind, attribute, amounts in (("producto", "stock", productos), ("ingrediente", "cantidad", ingredientes)):
            for object_id, qty in amounts.items():
                if qty:
                    expected = (crossing or {}).get(object_id) if kind == "ingrediente" else None
                    self._deduction(tx, (tenant_id, kind, object_id), attribute, Decimal(qty), expected)

    def stage_sold_out(self, tx: FakeTransaction, tenant_id: str, plato_id: str, now: datetime) -> None:
        key = (tenant_id, "plato", plato_id)
        tx.add(lambda: key in self._objects and not self._objects[key].agotado,
               lambda: self._objects.__setitem__(key, replace(self._objects[key], agotado=True, updated_at=now)))

    def platos_using(self, tenant_id: str, ingredient_ids: Iterable[str]) -> set[str]:
        wanted = set(ingredient_ids)
        return {plato for (t, plato, ingredient) in self._lines if t == tenant_id and ingredient in wanted}

    def _deduction(self, tx: FakeTransaction, key: tuple[str, str, str], attribute: str, qty: Decimal,
                   crossing: bool | None = None) -> None:
        def exists() -> bool:
            if key not in self._objects:
                return False
            stock = getattr(self._objects[key], attribute)
            return crossing is None or (0 <= stock < qty) == crossing

        def deduct() -> None:
            stored = self._objects[key]
            self._objects[key] = replace(stored, **{attribute: getattr(stored, attribute) - qty})

        tx.add(exists, deduct)


# --- sales, cajas, users, connections, and the unit of work -------------------------------------


class InMemorySales:
    """Memory implementation of chalicelib.services.ports.SaleStore."""

    def __init__(self) -> None:
        self._sales: dict[tuple[str, int], Sale] = {}

    def add(self, sale: Sale) -> None:
        key = (sale.tenant_id, sale.id)
        if key in self._sales:
            raise Conflict(f"La transacción {sale.id} ya existe")
        sale.version = 1
        self._sales[key] = deepcopy(sale)

    def get(self, tenant_id: str, tx_id: int) -> Sale | None:
        stored = self._sales.get((tenant_id, tx_id))
        return deepcopy(stored) if stored is not None else None

    def _may_write(self, sale: Sale) -> bool:
        stored = self._sales.get((sale.tenant_id, sale.id))
        if stored is None:
            return sale.version == 0
        return stored.version == sale.version and not (sale.closing and stored.estado == "cerrado")

    def _write(self, sale: Sale) -> None:
        sale.version += 1
        self._sales[(sale.tenant_id, sale.id)] = deepcopy(sale)

    def save(self, sale: Sale) -> None:
        if not self._may_write(sale):
            raise VersionConflict(sale.id)
        self._write(sale)

    def stage_save(self, tx: FakeTransaction, sale: Sale) -> None:
        tx.add(lambda: self._may_write(sale), lambda: self._write(sale))

    @staticmethod
    def decode_stream_image(image: dict[str, Any]) -> Sale:
        from chalicelib.store.sales import from_stream_image

        return from_stream_image(image)

    def _of_branch(self, tenant_id: str, branch_id: str) -> list[Sale]:
        found = [deepcopy(s) for (t, _), s in self._sales.items() if t == tenant_id and s.branch_id == branch_id]
        return sorted(found, key=lambda s: (s.created_at, s.id))

    def kitchen_queue(self, tenant_id: str, branch_id: str) -> list[Sale]:
        return [s for s in self._of_branch(tenant_id, branch_id) if s.in_kitchen_queue]

    def kds_active(self, tenant_id: str, branch_id: str) -> list[Sale]:
        return [s for s in self._of_branch(tenant_id, branch_id) if s.active_for_kitchen_display]

    def by_caja(self, tenant_id: str, caja_id: int) -> list[Sale]:
        found = [deepcopy(s) for (t, _), s in self._sales.items() if t == tenant_id and s.caja_id == caja_id]
        return sorted(found, key=lambda s: s.id)

    def by_branch(self, tenant_id: str, branch_id: str, limit: int) -> list[Sale]:
        return list(reversed(self._of_branch(tenant_id, branch_id)))[:limit]

    def deliveries(self, tenant_id: str, branch_id: str, limit: int) -> list[Sale]:
        return [s for s in reversed(self._of_branch(tenant_id, branch_id)) if s.entrega is not None][:limit]

    def active_deliveries(self, tenant_id: str, branch_id: str, estados: tuple[str, ...], limit: int) -> list[Sale]:
        found = self.deliveries(tenant_id, branch_id, len(self._sales))
        return [s for s in found if s.entrega and s.entrega.estado in estados][:limit]

    def awaiting_driver(self, offered_before: str, limit: int) -> list[Sale]:
        found = [deepcopy(s) for s in self._sales.values() if s.awaiting_driver and s.entrega and s.entrega.offered_at
                 and f"{s.entrega.offered_at}#{s.tenant_id}#{s.id:012d}" < offered_before]
        return sorted(found, key=lambda s: (s.entrega.offered_at if s.entrega else "", s.tenant_id, s.id))[:limit]

    def courses_due(self, due_before: str, limit: int) -> list[Sale]:
        due = [(s.pacing.due_at(s.held_items), s) for s in self._sales.values() if s.estado != "anulado"]
        found = sorted((f"{at}#{s.tenant_id}#{s.id:012d}", deepcopy(s)) for at, s in due if at)
        return [s for key, s in found if key < due_before][:limit]

    def by_customer(self, tenant_id: str, customer_id: int, limit: int) -> list[Sale]:
        found = [deepcopy(s) for (t, _), s in self._sales.items()
                 if t == tenant_id and s.entrega and s.entrega.customer_id == customer_id]
        return sorted(found, key=lambda s: (s.created_at, s.id), reverse=True)[:limit]


class InMemorySaleReads:
    """Memory implementation of chalicelib.services.ports.SaleReads, over the fakes it reads."""

    def __init__(self, sales: InMemorySales, catalog: InMemoryCatalog) -> None:
        self._sales, self._catalog = sales, catalog
        self.calls = 0

    def sale_and_catalog(self, tenant_id: str, tx_id: int, keys: Sequence[CatalogKey]) -> tuple[Sale | None, dict[CatalogKey, Any]]:
        self.calls += 1
        found = {key: self._catalog._get(key[0], tenant_id, key[1]) for key in keys}
        return self._sales.get(tenant_id, tx_id), {k: v for k, v in found.items() if v is not None}


CAJA_OPEN = "Ya existe una caja abierta en esta sucursal"
CAJA_CHANGED = "La caja cambió mientras se procesaba la operación"


class InMemoryCajas:
    """Memory implementation of chalicelib.services.ports.CajaStore (plus the sale tally the
    unit of work adds)."""

    def __init__(self, audit: InMemoryAudit | None = None) -> None:
        self.audit = audit or InMemoryAudit()
        self._cajas: dict[tuple[str, int], Caja] = {}
        self._locks: dict[tuple[str, str], int] = {}  # (tenant, branch) -> open caja id
        self._gastos: dict[tuple[str, int], list[Gasto]] = {}

    def get(self, tenant_id: str, caja_id: int) -> Caja | None:
        return self._cajas.get((tenant_id, caja_id))

    def get_open(self, tenant_id: str, branch_id: str) -> Caja | None:
        caja_id = self._locks.get((tenant_id, branch_id))
        caja = self.get(tenant_id, caja_id) if caja_id is not None else None
        return caja if caja is not None and caja.is_open else None

    def open_caja_id(self, tenant_id: str, branch_id: str) -> int | None:
        return self._locks.get((tenant_id, branch_id))

    def history(self, tenant_id: str, branch_id: str, limit: int) -> list[Caja]:
        found = [c for (t, _), c in self._cajas.items() if t == tenant_id and c.branch_id == branch_id]
        return sorted(found, key=lambda c: (c.opened_at, c.id), reverse=True)[:limit]

    def closed_opened_between(self, tenant_id: str, branch_id: str, since: str, until: str) -> list[Caja]:
        found = [c for (t, _), c in self._cajas.items()
                 if t == tenant_id and c.branch_id == branch_id and c.cerrada and since <= c.opened_at < until]
        return sorted(found, key=lambda c: (c.opened_at, c.id))

    def gastos(self, tenant_id: str, caja_id: int) -> list[Gasto]:
        return sorted(self._gastos.get((tenant_id, caja_id), []), key=lambda g: g.id)

    def open(self, caja: Caja) -> None:
        if (caja.tenant_id, caja.branch_id) in self._locks or (caja.tenant_id, caja.id) in self._cajas:
            raise Conflict(CAJA_OPEN)
        self._cajas[(caja.tenant_id, caja.id)] = replace(caja, version=1)
        self._locks[(caja.tenant_id, caja.branch_id)] = caja.id

    def _require_unchanged(self, before: Caja) -> Caja:
        stored = self.get(before.tenant_id, before.id)
        if stored is None or not stored.is_open or stored.version != before.version:
            raise StaleCaja(CAJA_CHANGED)
        return stored

    def _audit_first(self, entry: AuditEntry | None) -> None:
        if entry is not None:
            self.audit.add(entry)  # refused (Conflict) before anything else changes, as in one transaction

    def close(self, before: Caja, after: Caja, audit: AuditEntry | None = None) -> None:
        self._require_unchanged(before)
        if self._locks.get((before.tenant_id, before.branch_id)) != before.id:
            raise StaleCaja(CAJA_CHANGED)
        self._audit_first(audit)
        self._cajas[(after.tenant_id, after.id)] = replace(after, version=before.version + 1)
        del self._locks[(before.tenant_id, before.branch_id)]

    def add_arqueo(self, before: Caja, after: Caja, audit: AuditEntry | None = None) -> None:
        self._require_unchanged(before)
        self._audit_first(audit)
        self._cajas[(after.tenant_id, after.id)] = replace(after, version=before.version + 1)

    def add_gasto(self, gasto: Gasto) -> None:
        stored = self.get(gasto.tenant_id, gasto.caja_id)
        gastos = self._gastos.setdefault((gasto.tenant_id, gasto.caja_id), [])
        if stored is None or not stored.is_open or any(g.id == gasto.id for g in gastos):
            raise StaleCaja(CAJA_CHANGED)
        column = EXPENSE_TALLY[gasto.metodo_pago]
        self._bump(stored, column, gasto.monto)
        gastos.append(gasto)

    def _bump(self, stored: Caja, column: str, amount: Decimal) -> None:
        self._cajas[(stored.tenant_id, stored.id)] = replace(
            stored, **{column: getattr(stored, column) + amount}, version=stored.version + 1
        )

    def add_sale_tally(self, tx: FakeTransaction, tenant_id: str, caja_id: int, metodo_pago: str, monto: Decimal) -> None:
        column = SALES_TALLY[metodo_pago]

        def tally() -> None:
            stored = self.get(tenant_id, caja_id)
            assert stored is not None
            self._bump(stored, column, Decimal(monto))

        tx.add(lambda: self.get(tenant_id, caja_id) is not None, tally)


class InMemoryUsers:
    """Memory implementation of chalicelib.services.ports.UserStore."""

    def __init__(self, audit: InMemoryAudit | None = None) -> None:
        self.audit = audit or InMemoryAudit()
        self._users: dict[tuple[str, int], User] = {}
        self._usernames: dict[tuple[str, str], int] = {}

    def add(self, user: User, audit: AuditEntry | None = None) -> None:
        if (user.tenant_id, user.nombre_usuario) in self._usernames or (user.tenant_id, user.user_id) in self._users:
            raise Conflict("El nombre de usuario ya existe")
        if audit is not None:
            self.audit.add(audit)
        self._users[(user.tenant_id, user.user_id)] = user
        self._usernames[(user.tenant_id, user.nombre_usuario)] = user.user_id

    def get(self, tenant_id: str, user_id: int) -> User | None:
        return self._users.get((tenant_id, user_id))

    def get_by_username(self, tenant_id: str, username: str) -> User | None:
        user_id = self._usernames.get((tenant_id, username))
        return self.get(tenant_id, user_id) if user_id is not None else None

    def list(self, tenant_id: str) -> list[User]:
        return sorted((u for (t, _), u in self._users.items() if t == tenant_id), key=lambda u: u.user_id)

    def update(self, before: User, after: User, audit: AuditEntry | None = None) -> None:
        if self.get(before.tenant_id, before.user_id) != before:
            raise Conflict("El usuario fue modificado por otra petición")
        if after.nombre_usuario != before.nombre_usuario and (after.tenant_id, after.nombre_usuario) in self._usernames:
            raise Conflict("El nombre de usuario ya existe")
        if audit is not None:
            self.audit.add(audit)
        if after.nombre_usuario != before.nombre_usuario:
            del self._usernames[(before.tenant_id, before.nombre_usuario)]
            self._usernames[(after.tenant_id, after.nombre_usuario)] = after.user_id
        self._users[(after.tenant_id, after.user_id)] = after


class InMemoryConnections:
    """Memory implementation of chalicelib.services.ports.ConnectionStore."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self.clock = clock
        self._connected_at: dict[str, int] = {}
        self._connections: dict[str, Connection] = {}
        self._subscriptions: dict[str, dict[str, tuple[str, str, str | None]]] = {}  # id -> sk -> (channel, protocol, tag)
        self._queues: dict[str, list[str]] = {}
        self._rates: dict[tuple[str, int], int] = {}
        self.notices: list[tuple[str, str, str]] = []

    def add(self, c: Connection) -> None:
        self._connections[c.connection_id] = replace(c, tail="")
        self._connected_at[c.connection_id] = int(self.clock())

    def get(self, connection_id: str) -> Connection | None:
        return self._connections.get(connection_id)

    def enqueue(self, connection_id: str, packets: list[str]) -> None:
        self._queues.setdefault(connection_id, []).extend(packets)

    def add_notice(self, tenant: str, user_id: str, payload: str) -> None:
        self.notices.append((tenant, user_id, payload))

    @staticmethod
    def decode_notice(image: dict[str, Any]) -> tuple[str, str, str] | None:
        from chalicelib.store.connections import ConnectionRepository

        return ConnectionRepository.decode_notice(image)

    @staticmethod
    def decode_connection(image: dict[str, Any]) -> Connection | None:
        from chalicelib.store.connections import ConnectionRepository

        return ConnectionRepository.decode_connection(image)

    def take_queued(self, connection_id: str) -> list[str]:
        return self._queues.pop(connection_id, [])

    def count_message(self, connection_id: str, second: int) -> int:
        key = (connection_id, second)
        self._rates[key] = self._rates.get(key, 0) + 1
        return self._rates[key]

    def keep_tail(self, connection_id: str, tail: str) -> None:
        current = self._connections.get(connection_id)
        if current is None:
            raise Conflict(f"connection {connection_id} is gone")
        self._connections[connection_id] = replace(current, tail=tail)

    def tagged_subscriptions(self, connection_id: str) -> list[tuple[str, str | None]]:
        rows = sorted(self._subscriptions.get(connection_id, {}).items())
        return [(channel, tag) for _, (channel, _, tag) in rows]

    def subscribe(self, connection_id: str, channel_key: str, protocol: str = "json", tag: str | None = None) -> None:
        sk = subscription_key(channel_key, protocol, tag)
        self._subscriptions.setdefault(connection_id, {})[sk] = (channel_key, protocol, tag)

    def unsubscribe(self, connection_id: str, channel_key: str, protocol: str = "json", tag: str | None = None) -> None:
        self._subscriptions.get(connection_id, {}).pop(subscription_key(channel_key, protocol, tag), None)

    def subscriptions(self, connection_id: str) -> list[str]:
        return [channel for channel, _ in self.tagged_subscriptions(connection_id)]

    def subscribers(self, channel_key: str) -> list[str]:
        return [s.connection_id for s in self.subscribers_of(channel_key)]

    def subscribers_of(self, channel_key: str) -> list[Subscriber]:
        found = [
            Subscriber(cid, protocol, tag)
            for cid, rows in self._subscriptions.items()
            for channel, protocol, tag in rows.values()
            if channel == channel_key
        ]
        return sorted(found, key=lambda s: (s.connection_id, subscription_key(channel_key, s.protocol, s.tag)))

    def remove_gone(self, connection_id: str, now: float, settle_seconds: float) -> bool:
        connected_at = self._connected_at.get(connection_id)
        if connection_id in self._connections and connected_at is not None and connected_at > now - settle_seconds:
            return False
        self.remove(connection_id)
        return True

    def remove(self, connection_id: str) -> None:
        self._connected_at.pop(connection_id, None)
        self._connections.pop(connection_id, None)
        self._subscriptions.pop(connection_id, None)
        self._queues.pop(connection_id, None)


class InMemoryDrivers:
    """Memory implementation of chalicelib.services.ports.DriverStore (plus the claim and
    release the unit of work stages)."""

    def __init__(self) -> None:
        self._drivers: dict[tuple[str, str], Driver] = {}

    def get(self, tenant_id: str, user_id: str) -> Driver | None:
        return self._drivers.get((tenant_id, user_id))

    def put(self, before: Driver | None, after: Driver) -> None:
        stored = self.get(after.tenant_id, after.user_id)
        same = stored is None if before is None else (
            stored is not None and stored.estado == before.estado and stored.pedido_id == before.pedido_id)
        if not same:
            raise StaleWrite("El repartidor cambió mientras se procesaba la operación")
        self._drivers[(after.tenant_id, after.user_id)] = after

    def stage_claim(self, tx: FakeTransaction, tenant_id: str, user_id: str, pedido_id: int) -> None:
        def check() -> bool:
            d = self.get(tenant_id, user_id)
            return d is not None and d.estado == "disponible" and d.pedido_id is None

        def apply() -> None:
            d = self._drivers[(tenant_id, user_id)]
            self._drivers[(tenant_id, user_id)] = replace(d, estado="ocupado", pedido_id=pedido_id)

        tx.add(check, apply)

    def stage_release(self, tx: FakeTransaction, tenant_id: str, user_id: str, pedido_id: int) -> None:
        def check() -> bool:
            d = self.get(tenant_id, user_id)
            return d is not None and d.pedido_id == pedido_id

        def apply() -> None:
            d = self._drivers[(tenant_id, user_id)]
            self._drivers[(tenant_id, user_id)] = replace(d, estado="disponible", pedido_id=None)

        tx.add(check, apply)


class InMemoryCustomers:
    """Memory implementation of chalicelib.services.ports.CustomerStore; `users` shares the
    username namespace with staff, as the `USERNAME#` reservations do in DynamoDB."""

    def __init__(self, users: InMemoryUsers | None = None) -> None:
        self._users = users or InMemoryUsers()
        self._customers: dict[tuple[str, int], Customer] = {}
        self._logins: dict[tuple[str, str], int] = {}

    def add(self, customer: Customer) -> None:
        t = customer.tenant_id
        taken = ((t, customer.nombre_usuario) in self._logins or (t, customer.email.lower()) in self._logins
                 or self._users.get_by_username(t, customer.nombre_usuario) is not None)
        if taken:
            raise Conflict("El nombre de usuario o el email ya existe")
        self._customers[(t, customer.customer_id)] = replace(customer, version=1)
        self._logins[(t, customer.nombre_usuario)] = customer.customer_id
        self._logins[(t, customer.email.lower())] = customer.customer_id

    def get(self, tenant_id: str, customer_id: int) -> Customer | None:
        return self._customers.get((tenant_id, customer_id))

    def get_by_login(self, tenant_id: str, login: str) -> Customer | None:
        customer_id = self._logins.get((tenant_id, login.lower() if "@" in login else login))
        return None if customer_id is None else self.get(tenant_id, customer_id)

    def save(self, customer: Customer) -> Customer:
        stored = self.get(customer.tenant_id, customer.customer_id)
        if stored is None or stored.version != customer.version:
            raise StaleWrite("El cliente cambió mientras se procesaba la operación")
        saved = replace(customer, version=customer.version + 1)
        self._customers[(customer.tenant_id, customer.customer_id)] = saved
        return saved


class InMemoryRefreshTokens:
    """Memory implementation of chalicelib.services.ports.RefreshTokenStore."""

    def __init__(self) -> None:
        self._tokens: dict[tuple[str, str], dict[str, Any]] = {}
        self._revoked: set[tuple[str, str]] = set()

    def add(self, tenant_id: str, digest: str, family: str, subject: str, expires_at: int) -> None:
        if (tenant_id, digest) in self._tokens:
            raise Conflict("Refresh token duplicado")
        self._tokens[(tenant_id, digest)] = {"family": family, "subject": subject, "used": False, "expires_at": expires_at}

    def get(self, tenant_id: str, digest: str) -> dict[str, Any] | None:
        found = self._tokens.get((tenant_id, digest))
        return dict(found) if found else None

    def family_revoked(self, tenant_id: str, family: str) -> bool:
        return (tenant_id, family) in self._revoked

    def rotate(self, tenant_id: str, old_digest: str, new_digest: str, family: str, subject: str, expires_at: int) -> None:
        old = self._tokens.get((tenant_id, old_digest))
        if old is None or old["used"] or self.family_revoked(tenant_id, family) or (tenant_id, new_digest) in self._tokens:
            raise Conflict("Refresh token ya usado")
        old["used"] = True
        self.add(tenant_id, new_digest, family, subject, expires_at)

    def revoke_family(self, tenant_id: str, family: str, until: int) -> None:
        self._revoked.add((tenant_id, family))


class FakeUnitOfWork(StagedUnitOfWork[FakeTransaction]):
    """Memory implementation of chalicelib.services.ports.UnitOfWork, on the same staging as the
    DynamoDB one: every staged write's condition is checked before any is applied, like one
    TransactWriteItems."""

    def __init__(self, sales: InMemorySales, catalog: InMemoryCatalog, cajas: InMemoryCajas,
                 drivers: InMemoryDrivers | None = None, audit: InMemoryAudit | None = None) -> None:
        super().__init__(catalog, cajas, drivers or InMemoryDrivers(), audit or InMemoryAudit())
        self._sales = sales
        self.commits = 0

    def commit(self) -> None:
        sale = self._staged_sale()
        try:
            with FakeTransaction() as tx:
                self._sales.stage_save(tx, sale)
                self._stage_all(tx)
        except TransactionCancelled as exc:
            raise VersionConflict(sale.id) from exc
        self.commits += 1


class InMemoryTenants:
    """Memory implementation of chalicelib.services.ports.TenantStore."""

    def __init__(self) -> None:
        self._tenants: dict[str, Tenant] = {}
        self._branches: dict[tuple[str, str], Branch] = {}
        self._counters: dict[tuple[str, str], int] = {}

    def create_tenant(self, tenant: Tenant, branches: list[Branch]) -> None:
        if tenant.tenant_id in self._tenants:
            raise Conflict("El restaurante ya existe")
        self._tenants[tenant.tenant_id] = tenant
        for branch in branches:
            self._branches[(branch.tenant_id, branch.branch_id)] = branch

    def get_tenant(self, tenant_id: str) -> Tenant | None:
        return self._tenants.get(tenant_id)

    def add_branch(self, branch: Branch) -> None:
        if (branch.tenant_id, branch.branch_id) in self._branches:
            raise Conflict("La sucursal ya existe")
        self._branches[(branch.tenant_id, branch.branch_id)] = branch

    def get_branch(self, tenant_id: str, branch_id: str) -> Branch | None:
        return self._branches.get((tenant_id, branch_id))

    def list_branches(self, tenant_id: str) -> list[Branch]:
        return sorted((b for (t, _), b in self._branches.items() if t == tenant_id), key=lambda b: b.branch_id)

    def replace_branch(self, branch: Branch) -> None:
        if (branch.tenant_id, branch.branch_id) not in self._branches:
            raise NotFound("Sucursal no encontrada")
        self._branches[(branch.tenant_id, branch.branch_id)] = branch

    def next_id(self, tenant_id: str, counter: str, count: int = 1) -> int:
        last = self._counters.get((tenant_id, counter), 0) + count
        self._counters[(tenant_id, counter)] = last
        return last


class InMemoryAttempts:
    """Memory implementation of chalicelib.services.ports.AttemptStore."""

    def __init__(self) -> None:
        self._rows: dict[tuple[str, str], Attempts] = {}

    def get(self, scope: str, name: str) -> Attempts | None:
        return self._rows.get((scope, name))

    def add_failure(self, scope: str, name: str, now: int, window_seconds: int) -> Attempts:
        seen = self._rows.get((scope, name))
        if seen is not None and seen.window_ends > now:
            counted = Attempts(seen.failures + 1, seen.window_ends)
        else:
            counted = Attempts(1, now + window_seconds)
        self._rows[(scope, name)] = counted
        return counted

    def clear(self, scope: str, name: str) -> None:
        self._rows.pop((scope, name), None)


class InMemoryAudit:
    """Memory implementation of chalicelib.services.ports.AuditStore."""

    def __init__(self) -> None:
        self.entries: dict[tuple[str, str], AuditEntry] = {}

    def add(self, entry: AuditEntry) -> None:
        if (entry.tenant_id, entry.entry_id) in self.entries:
            raise Conflict("audit entry exists")
        self.entries[(entry.tenant_id, entry.entry_id)] = entry

    def stage(self, tx: FakeTransaction, entry: AuditEntry) -> None:
        tx.add(lambda: (entry.tenant_id, entry.entry_id) not in self.entries, lambda: self.add(entry))

    def between(self, tenant_id: str, since: datetime, until: datetime, limit: int) -> list[AuditEntry]:
        found = [e for (t, _), e in self.entries.items() if t == tenant_id and since <= e.at <= until]
        return sorted(found, key=lambda e: e.entry_id, reverse=True)[:limit]


class InMemoryRollups:
    """Memory implementation of chalicelib.services.ports.RollupStore."""

    def __init__(self) -> None:
        self.rows: dict[tuple[str, RollupKey], Counters] = {}
        self.applied: set[tuple[str, str]] = set()

    def apply_once(self, tenant_id: str, event_id: str, delta: Facts) -> bool:
        if (tenant_id, event_id) in self.applied:
            return False
        self.applied.add((tenant_id, event_id))
        for key, counters in delta.items():
            row = self.rows.setdefault((tenant_id, key), {})
            for name, value in counters.items():
                row[name] = row.get(name, Decimal(0)) + value
        return True

    def days(self, tenant_id: str, branch_id: str, report: str, since: str, until: str) -> dict[RollupKey, Counters]:
        return {key: dict(counters) for (tenant, key), counters in self.rows.items()
                if tenant == tenant_id and key.branch_id == branch_id and key.report == report and since <= key.day <= until}

    def forget_day(self, tenant_id: str, branch_id: str, report: str, day: str) -> int:
        doomed = [k for k in self.rows if k[0] == tenant_id and k[1].branch_id == branch_id and k[1].report == report
                  and k[1].day == day]
        for k in doomed:
            del self.rows[k]
        return len(doomed)
