"""Use cases of the sale lifecycle: create, items, extras, payments, kitchen, close, void,
reopen (the per-caja reports are services/reports.py).

Every change is read -> pure domain method -> one unit of work (the sale, the stock its
closing consumes, the caja tallies its payments move), committed as one conditional write.
A conflict re-reads and re-applies the change (services/retry.py)."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any, TypeVar

from chalicelib import metrics
from chalicelib.auth import Principal
from chalicelib.domain import audit as actions
from chalicelib.domain.clock import iso, utc_now
from chalicelib.domain.sales import VOIDED, Item, Pago, RecipeUse, Sale
from chalicelib.domain.sales.pacing import rush_first
from chalicelib.domain.sales.stock import below_zero
from chalicelib.errors import Conflict, InvalidInput, NotFound
from chalicelib.services.catalog_cache import CatalogCache
from chalicelib.services.ports import CajaStore, CatalogStore, SaleReads, SaleStore, TenantStore, UnitOfWork
from chalicelib.services.retry import retry_on_conflict

if TYPE_CHECKING:
    from chalicelib.domain.audit import AuditEntry
    from chalicelib.domain.catalog import CatalogKey
    from chalicelib.services.audit import AuditTrail
    from chalicelib.services.idempotency import IdempotentCommands
    from chalicelib.services.zones import BranchTimezones

T = TypeVar("T")
MAX_ATTEMPTS = 40


@dataclass(frozen=True)
class Tally:
    caja_id: int
    metodo_pago: str
    monto: Decimal

    @staticmethod
    def of(payments: Sequence[Pago | None], sign: int = 1) -> list[Tally]:
        """What `payments` move in their cajas (taken back out with sign -1); a payment with no caja moves nothing."""
        return [Tally(p.caja_id, p.metodo_pago, sign * p.monto) for p in payments if p is not None and p.caja_id is not None]


class SaleService:
    def __init__(
        self,
        repo: SaleStore,
        catalog: CatalogStore,
        cajas: CajaStore,
        tenants: TenantStore,
        idempotency: IdempotentCommands,
        zones: BranchTimezones,
        unit_of_work: Callable[[], UnitOfWork],
        audit: AuditTrail | None = None,
        reads: SaleReads | None = None,
        catalog_cache: CatalogCache | None = None,
    ) -> None:
        """`reads` batches the sale with the catalog entries a change needs (without it they are
        read one by one); `catalog_cache` is shared with this process's CatalogService, which
        forgets what it changes."""
        self.audit = audit
        self.reads = reads
        self.catalog_cache = catalog_cache or CatalogCache()
        self.repo = repo
        self.unit_of_work = unit_of_work
        self.catalog = catalog
        self.cajas = cajas
        self.tenants = tenants
        self.idempotency = idempotency
        self.zones = zones
        self.sleep: Callable[[float], None] = time.sleep

    # --- reading ---------------------------------------------------------------------------

    def timezone(self, tenant_id: str, branch_id: str) -> str:
        return self.zones(tenant_id, branch_id)

    def get(self, who: Principal, tx_id: int) -> Sale:
        order = self.repo.get(who.tenant, tx_id)
        if order is None or not _may_see(who, order):
            raise NotFound(f"Transacción con id {tx_id} no encontrada")
        return order

    def list_recent(self, who: Principal, branch_id: str, limit: int) -> list[Sale]:
        return self.repo.by_branch(who.tenant, branch_id, limit)

    def find(self, tenant_id: str, sale_id: int) -> Sale | None:
        """The sale, or None: a lookup for the socket edge's channel checks (no permission of its own)."""
        return self.repo.get(tenant_id, sale_id)

    def kitchen_queue(self, who: Principal, branch_id: str) -> list[Sale]:
        return rush_first(self.repo.kitchen_queue(who.tenant, branch_id))

    # --- creating --------------------------------------------------------------------------

    def create(self, who: Principal, branch_id: str, data: dict[str, Any]) -> Sale:
        open_caja_id = self.cajas.open_caja_id(who.tenant, branch_id)
        caja_id = data.get("caja_id")
        if caja_id is not None and open_caja_id != caja_id:
            raise InvalidInput(f"caja_id {caja_id} no es la caja abierta de esta sucursal")
        now = iso(utc_now())
        order = Sale.new(tenant_id=who.tenant, sale_id=self.tenants.next_id(who.tenant, "transaccion"), branch_id=branch_id,
                         header=data, caja_id=open_caja_id, user_id=who.user_id, user_name=who.name, now=now)
        for line in data.get("items") or []:
            self.apply_item(order, line, now)
        self.repo.add(order)
        metrics.count(metrics.ORDERS_CREATED)
        return order

    # --- changing --------------------------------------------------------------------------

    def _change(
        self, who: Principal, tx_id: int, change: Callable[[Sale], T], tallies: Callable[[Sale, T], list[Tally]] | None = None,
        audited: Callable[[Sale, T], tuple[str, dict[str, object]]] | None = None,
        catalog: Sequence[CatalogKey] = (),
    ) -> tuple[Sale, T]:
        """`audited` names the action and its details: an audit entry committed with the change.
        `catalog`: entries `change` will look up (`catalog_entry`), read with the sale."""
        def attempt() -> tuple[Sale, T]:
            sale = self._read(who, tx_id, catalog)
            result = change(sale)
            entries = []
            if audited is not None and self.audit is not None:
                action, detail = audited(sale, result)
                entries.append(self.audit.entry(sale.tenant_id, action, f"transaccion:{sale.id}", detail))
            self._persist(sale, tallies(sale, result) if tallies else [], entries)
            return sale, result

        return retry_on_conflict(attempt, f"La transacción {tx_id} está muy solicitada; intente de nuevo",
                                 attempts=MAX_ATTEMPTS, sleep=self.sleep)

    def _read(self, who: Principal, tx_id: int, catalog: Sequence[CatalogKey]) -> Sale:
        """The sale, and into the catalog cache the entries it does not hold yet, in one read."""
        missing = [k for k in catalog if self.catalog_cache.get(who.tenant, k) is None]
        if not missing or self.reads is None:
            return self.get(who, tx_id)
        generation = self.catalog_cache.generation()
        order, entries = self.reads.sale_and_catalog(who.tenant, tx_id, missing)
        for key, entry in entries.items():
            self.catalog_cache.put(who.tenant, key, entry, generation)
        if order is None or not _may_see(who, order):
            raise NotFound(f"Transacción con id {tx_id} no encontrada")
        return order

    def catalog_entry(self, tenant_id: str, key: CatalogKey) -> Any:
        """A plato, producto or ingrediente (soft-deleted too), or None: from the cache when it
        is fresh (services/catalog_cache.py says how fresh), else read and cached."""
        cached = self.catalog_cache.get(tenant_id, key)
        if cached is not None:
            return cached
        generation = self.catalog_cache.generation()
        kind, object_id = key
        get = {"plato": self.catalog.get_plato, "producto": self.catalog.get_product,
               "ingrediente": self.catalog.get_ingredient}[kind]
        entry = get(tenant_id, object_id)
        if entry is not None:
            self.catalog_cache.put(tenant_id, key, entry, generation)
        return entry

    def _persist(self, sale: Sale, tallies: list[Tally], entries: list[AuditEntry] | None = None) -> None:
        self.persist(sale, tallies, entries=entries)

    def persist(self, sale: Sale, tallies: list[Tally], release_driver: tuple[str, int] | None = None,
                entries: list[AuditEntry] | None = None) -> None:
        """The sale, the stock its closing consumes, its caja tallies, the driver it frees and its
        audit entries, in one unit of work."""
        uow = self.unit_of_work()
        uow.save_sale(sale)
        if release_driver is not None:
            uow.release_driver(sale.tenant_id, *release_driver)
        for entry in entries or []:
            uow.record(entry)
        sold_out: set[str] = set()
        if sale.closing:  # the change recorded SaleClosed: its stock is consumed in this write
            sold_out = self._stage_stock(uow, sale)
        for tally in tallies:
            uow.tally_sale(sale.tenant_id, tally.caja_id, tally.metodo_pago, tally.monto)
        uow.commit()
        for plato_id in sold_out:
            self.catalog_cache.forget(sale.tenant_id, plato_id)

    def _stage_stock(self, uow: UnitOfWork, sale: Sale) -> set[str]:
        """What closing consumes, and the platos it leaves without an ingredient: an ingredient
        this close takes below zero marks agotado every plato that uses it, in the same write.
        Returns the platos marked."""
        recipes = {p: [RecipeUse(r.ingrediente_id, r.cantidad) for r in self.catalog.recipe(sale.tenant_id, p)]
                   for p in sale.plato_ids_to_deduct()}
        deduction = sale.stock_to_deduct(recipes)
        if deduction.empty:
            return set()
        stock = {i.id: i.cantidad for i in self.catalog.get_ingredients(sale.tenant_id, deduction.ingredientes).values()}
        crossing = below_zero(stock, deduction.ingredientes)
        uow.deduct_stock(sale.tenant_id, deduction.productos, deduction.ingredientes, crossing)
        emptied = [i for i, crosses in crossing.items() if crosses]
        if not emptied:
            return set()
        using = sorted(self.catalog.platos_using(sale.tenant_id, emptied))
        found = (self.catalog.get_plato(sale.tenant_id, plato_id) for plato_id in using)
        platos = [p for p in found if p is not None and not p.agotado]
        now = utc_now()
        for plato in platos:
            uow.mark_sold_out(sale.tenant_id, plato.id, now)
        return {p.id for p in platos}

    def update(self, who: Principal, tx_id: int, changes: dict[str, Any]) -> Sale:
        return self._change(who, tx_id, lambda o: o.update_header(changes, iso(utc_now())))[0]

    @staticmethod
    def item_source(data: dict[str, Any]) -> CatalogKey:
        plato_id, product_id = data.get("plato_id"), data.get("producto_id")
        if (plato_id is None) == (product_id is None):
            raise InvalidInput("Debe indicar exactamente uno de plato_id o producto_id")
        return ("plato", str(plato_id)) if plato_id is not None else ("producto", str(product_id))

    def apply_item(self, order: Sale, data: dict[str, Any], now: str) -> Any:
        self.item_source(data)
        plato_id, product_id = data.get("plato_id"), data.get("producto_id")
        if plato_id is not None:
            plato = self.catalog_entry(order.tenant_id, ("plato", plato_id))
            if plato is None or plato.deleted:
                raise NotFound(f"Plato con id {plato_id} no encontrado")
            if plato.agotado:
                raise Conflict(f"Plato agotado: {plato.nombre}")
            name, price, station = plato.nombre, plato.precio, getattr(plato, "estacion", None)
            course = data["curso"] if data.get("curso") is not None else plato.curso
        else:
            assert product_id is not None
            product = self.catalog_entry(order.tenant_id, ("producto", product_id))
            if product is None or product.deleted:
                raise NotFound(f"Producto con id {product_id} no encontrado")
            name, price, station, course = product.nombre, product.precio, None, 0
        return order.add_item(
            plato_id=plato_id, product_id=product_id, name=name, unit_price=price,
            quantity=data["cantidad"], notes=data.get("notas"), station=station, now=now, course=course,
        )

    def add_item(self, who: Principal, tx_id: int, data: dict[str, Any]) -> tuple[Sale, Any]:
        return self._change(who, tx_id, lambda o: self.apply_item(o, data, iso(utc_now())), catalog=[self.item_source(data)])

    def remove_item(self, who: Principal, tx_id: int, item_id: int) -> Sale:
        def audited(order: Sale, item: Item) -> tuple[str, dict[str, object]]:
            return actions.ITEM_REMOVED, {"item_id": item.id, "nombre": item.nombre, "cantidad": item.cantidad,
                                          "subtotal": item.subtotal, "monto_total": order.monto_total}

        return self._change(who, tx_id, lambda o: o.remove_item(item_id, who.user_id, iso(utc_now())), audited=audited)[0]

    def add_extra(self, who: Principal, tx_id: int, item_id: int, data: dict[str, Any]) -> tuple[Sale, Any]:
        ingrediente_id = data.get("ingrediente_id")
        wanted: list[CatalogKey] = [("ingrediente", ingrediente_id)] if ingrediente_id is not None else []

        def change(order: Sale) -> Any:
            name = None
            if ingrediente_id is not None:
                ingredient = self.catalog_entry(who.tenant, ("ingrediente", ingrediente_id))
                if ingredient is None or ingredient.deleted:
                    raise NotFound(f"Ingrediente con id {ingrediente_id} no encontrado")
                name = ingredient.nombre
            return order.add_extra(
                item_id, ingredient_id=ingrediente_id, description=data.get("descripcion"), price=data["precio"],
                quantity=data["cantidad"], now=iso(utc_now()), ingredient_name=name,
            )

        return self._change(who, tx_id, change, catalog=wanted)

    def remove_extra(self, who: Principal, tx_id: int, item_id: int, extra_id: int) -> Sale:
        return self._change(who, tx_id, lambda o: o.remove_extra(item_id, extra_id, iso(utc_now())))[0]

    def complete_kitchen(self, who: Principal, tx_id: int) -> Sale:
        return self._change(who, tx_id, lambda o: o.complete_kitchen(iso(utc_now())))[0]

    def set_item_status(self, who: Principal, tx_id: int, item_uuid: str, status: str) -> tuple[Sale, Item]:
        changed = self._change(who, tx_id, lambda o: o.set_item_status(item_uuid, status, iso(utc_now())))
        metrics.count(metrics.ITEM_STATUS_CHANGES)
        return changed

    def fire_course(self, who: Principal, tx_id: int, course: int) -> Sale:
        return self._change(who, tx_id, lambda o: o.fire_course(course, iso(utc_now())))[0]

    def set_rush(self, who: Principal, tx_id: int, rush: bool) -> Sale:
        return self._change(who, tx_id, lambda o: o.set_rush(rush, iso(utc_now())))[0]

    def fire_due_courses(self, limit: int = 100) -> list[Sale]:
        """The scheduled sweep: sales whose delay between courses has elapsed get their next
        course fired. One Query of the sparse courses-due index; a sale changed meanwhile is
        re-read and re-checked."""
        fired = []
        for due in self.repo.courses_due(iso(utc_now()), limit):
            def attempt(tenant_id: str = due.tenant_id, sale_id: int = due.id) -> Sale | None:
                order = self.repo.get(tenant_id, sale_id)
                if order is None or order.estado == VOIDED or not order.fire_due_course(iso(utc_now())):
                    return None
                self._persist(order, [])
                return order

            order = retry_on_conflict(attempt, f"La transacción {due.id} está muy solicitada", attempts=MAX_ATTEMPTS,
                                      sleep=self.sleep)
            if order is not None:
                fired.append(order)
        return fired

    def recall_kitchen(self, who: Principal, tx_id: int, window_seconds: int) -> Sale:
        return self._change(who, tx_id, lambda o: o.recall(iso(utc_now()), window_seconds))[0]

    def reopen(self, who: Principal, tx_id: int) -> Sale:
        return self._change(who, tx_id, lambda o: o.reopen(iso(utc_now())),
                            audited=lambda o, _: (actions.SALE_REOPENED, {"monto_total": o.monto_total}))[0]

    def void(self, who: Principal, tx_id: int) -> Sale:
        def untally(order: Sale, payments: list[Pago]) -> list[Tally]:
            return Tally.of(payments, sign=-1)

        def audited(order: Sale, payments: list[Pago]) -> tuple[str, dict[str, object]]:
            returned = sum((p.monto for p in payments), Decimal(0))
            return actions.SALE_VOIDED, {"monto_total": order.monto_total, "pagos_devueltos": returned}

        return self._change(who, tx_id, lambda o: o.void(iso(utc_now())), untally, audited)[0]

    def pay(self, who: Principal, tx_id: int, data: dict[str, Any]) -> tuple[Sale, Pago]:
        payment_id = self.tenants.next_id(who.tenant, "pago")

        def change(order: Sale) -> Pago:
            return order.add_payment(
                payment_id=payment_id, payment_method=data["metodo_pago"], amount=data["monto"],
                amount_received=data.get("monto_recibido"), qr_reference=data.get("referencia_qr"),
                user_id=who.user_id, now=iso(utc_now()),
            )

        def tally(order: Sale, payment: Pago) -> list[Tally]:
            return Tally.of([payment])

        paid = self._change(who, tx_id, change, tally)
        metrics.count(metrics.PAYMENTS)
        return paid

    def once(
        self,
        who: Principal,
        tx_id: int,
        action: str,
        data: dict[str, Any],
        key: str,
        command: Callable[[], dict[str, Any]],
        lambda_context: Any = None,
    ) -> dict[str, Any]:
        """`command` (a change to the sale, rendered) guarded by an Idempotency-Key scoped to the
        tenant: a retry with the same key and body answers what the first call answered; the same
        key with another body or action is refused."""
        self.get(who, tx_id)
        body = {k: str(v) if v is not None else None for k, v in sorted(data.items())}
        fingerprint = {"transaccion": tx_id, "accion": action, "body": body}
        return self.idempotency.run(f"{who.tenant}#{key}", fingerprint, command, lambda_context)


def _may_see(who: Principal, order: Sale) -> bool:
    """Tenant always; branch too, except for the owner (admin), who sees every branch."""
    if order.tenant_id != who.tenant:
        return False
    return who.role == "admin" or who.branch is None or order.branch_id == who.branch
