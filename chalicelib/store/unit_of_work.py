"""The unit of work on DynamoDB: one use case's writes, committed as one conditional write.

A sale change alone is one conditional PutItem. With the stock it consumes and the caja
tallies it moves, it is one TransactWriteItems: all or nothing, and any failed condition
(the sale changed since it was read, a missing caja) is a VersionConflict, which the service
retries on fresh state."""

from __future__ import annotations

from pynamodb.exceptions import TransactWriteError
from pynamodb.transactions import TransactWrite

from chalicelib.errors import Busy, VersionConflict, is_busy
from chalicelib.settings import Settings
from chalicelib.store.audit import AuditRepository
from chalicelib.store.base import is_condition_failure, transaction
from chalicelib.store.cajas import CajaRepository
from chalicelib.store.catalog import CatalogRepository
from chalicelib.store.delivery import DriverRepository
from chalicelib.store.sales import SaleRepository
from chalicelib.store.staging import StagedUnitOfWork


class DynamoUnitOfWork(StagedUnitOfWork[TransactWrite]):
    def __init__(self, settings: Settings, sales: SaleRepository, catalog: CatalogRepository, cajas: CajaRepository,
                 drivers: DriverRepository, audit: AuditRepository) -> None:
        super().__init__(catalog, cajas, drivers, audit)
        self._settings = settings
        self._sales = sales

    def commit(self) -> None:
        sale = self._staged_sale()
        if not self._writes:
            self._sales.save(sale)
            return
        try:
            with transaction(self._settings) as tx:
                committed = self._sales.stage_save(tx, sale)
                self._stage_all(tx)
        except TransactWriteError as exc:
            if is_condition_failure(exc):
                raise VersionConflict(sale.id) from exc
            if is_busy(exc):
                raise Busy() from exc
            raise
        committed()
