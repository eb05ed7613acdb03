"""The unit of work on DynamoDB: one use case's writes, committed as one conditional write.

A sale change alone is one conditional PutItem. With the stock it consumes and the caja
tallies it moves, it is one TransactWriteItems: all or nothing, and any failed condition
(the sale changed since it was read, a missing caja) is a VersionConflict, which the service
retries on fresh state."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import Decimal

from pynamodb.exceptions import TransactWriteError
from pynamodb.transactions import TransactWrite

from chalicelib.domain.audit import AuditEntry
from chalicelib.domain.sales import Sale
from chalicelib.errors import Busy, VersionConflict, is_busy
from chalicelib.settings import Settings
from chalicelib.store.audit import AuditRepository
from chalicelib.store.base import is_condition_failure, transaction
from chalicelib.store.cajas import CajaRepository
from chalicelib.store.catalog import CatalogRepository
from chalicelib.store.delivery import DriverRepository
from chalicelib.store.sales import SaleRepository


class DynamoUnitOfWork:
    def __init__(self, settings: Settings, sales: SaleRepository, catalog: CatalogRepository, cajas: CajaRepository,
                 drivers: DriverRepository, audit: AuditRepository) -> None:
        self._settings = settings
        self._drivers = drivers
        self._audit = audit
        self._sales = sales
        self._catalog = catalog
        self._cajas = cajas
        self._sale: Sale | None = None
        self._writes: list[Callable[[TransactWrite], None]] = []

    def save_sale(self, sale: Sale) -> None:
        self._sale = sale

    def deduct_stock(self, tenant_id: str, products: Mapping[str, Decimal], ingredients: Mapping[str, Decimal]) -> None:
        self._writes.append(lambda tx: self._catalog.add_stock_deductions(tx, tenant_id, products, ingredients))

    def tally_sale(self, tenant_id: str, caja_id: int, payment_method: str, amount: Decimal) -> None:
        self._writes.append(lambda tx: self._cajas.add_sale_tally(tx, tenant_id, caja_id, payment_method, amount))

    def claim_driver(self, tenant_id: str, user_id: str, order_id: int) -> None:
        self._writes.append(lambda tx: self._drivers.stage_claim(tx, tenant_id, user_id, order_id))

    def release_driver(self, tenant_id: str, user_id: str, order_id: int) -> None:
        self._writes.append(lambda tx: self._drivers.stage_release(tx, tenant_id, user_id, order_id))

    def record(self, entry: AuditEntry) -> None:
        self._writes.append(lambda tx: self._audit.stage(tx, entry))

    def commit(self) -> None:
        sale = self._sale
        if sale is None:
            raise ValueError("a unit of work commits a sale change")
        if not self._writes:
            self._sales.save(sale)
            return
        try:
            with transaction(self._settings) as tx:
                committed = self._sales.stage_save(tx, sale)
                for write in self._writes:
                    write(tx)
        except TransactWriteError as exc:
            if is_condition_failure(exc):
                raise VersionConflict(sale.id) from exc
            if is_busy(exc):
                raise Busy() from exc
            raise
        committed()
