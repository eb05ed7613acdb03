"""The staging every unit of work shares: a use case's sale change and the writes that ride with
it (stock it consumes, caja tallies, the driver it claims or frees, audit entries), kept in order
for one all-or-nothing commit. The DynamoDB unit of work (store/unit_of_work.py) commits them as
one TransactWriteItems; the memory one in the tests as one checked batch. Pure."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any, Generic, Protocol, TypeVar

from chalicelib.domain.audit import AuditEntry
from chalicelib.domain.sales import Sale

Tx = TypeVar("Tx")
Tx_contra = TypeVar("Tx_contra", contravariant=True)


class StockWrites(Protocol[Tx_contra]):
    def add_stock_deductions(self, tx: Tx_contra, tenant_id: str, products: Mapping[str, Decimal],
                             ingredients: Mapping[str, Decimal], crossing: Mapping[str, bool] | None = None) -> Any: ...
    def stage_sold_out(self, tx: Tx_contra, tenant_id: str, plato_id: str, now: datetime) -> Any: ...


class TallyWrites(Protocol[Tx_contra]):
    def add_sale_tally(self, tx: Tx_contra, tenant_id: str, caja_id: int, payment_method: str, amount: Decimal) -> Any: ...


class DriverWrites(Protocol[Tx_contra]):
    def stage_claim(self, tx: Tx_contra, tenant_id: str, user_id: str, order_id: int) -> Any: ...
    def stage_release(self, tx: Tx_contra, tenant_id: str, user_id: str, order_id: int) -> Any: ...


class AuditWrites(Protocol[Tx_contra]):
    def stage(self, tx: Tx_contra, entry: AuditEntry) -> Any: ...


class StagedUnitOfWork(Generic[Tx]):
    def __init__(self, catalog: StockWrites[Tx], cajas: TallyWrites[Tx], drivers: DriverWrites[Tx], audit: AuditWrites[Tx]) -> None:
        self._catalog = catalog
        self._cajas = cajas
        self._drivers = drivers
        self._audit = audit
        self._sale: Sale | None = None
        self._writes: list[Callable[[Tx], Any]] = []

    def save_sale(self, sale: Sale) -> None:
        self._sale = sale

    def deduct_stock(self, tenant_id: str, products: Mapping[str, Decimal], ingredients: Mapping[str, Decimal],
                     crossing: Mapping[str, bool] | None = None) -> None:
        """`crossing`: whether the deduction takes each ingredient below zero, as read; the commit
        fails (and the use case retries) if that is no longer so."""
        self._writes.append(lambda tx: self._catalog.add_stock_deductions(tx, tenant_id, products, ingredients, crossing))

    def mark_sold_out(self, tenant_id: str, plato_id: str, now: datetime) -> None:
        """Mark the plato agotado, on condition that it was not (so two racing closes mark it once)."""
        self._writes.append(lambda tx: self._catalog.stage_sold_out(tx, tenant_id, plato_id, now))

    def tally_sale(self, tenant_id: str, caja_id: int, payment_method: str, amount: Decimal) -> None:
        self._writes.append(lambda tx: self._cajas.add_sale_tally(tx, tenant_id, caja_id, payment_method, amount))

    def claim_driver(self, tenant_id: str, user_id: str, order_id: int) -> None:
        self._writes.append(lambda tx: self._drivers.stage_claim(tx, tenant_id, user_id, order_id))

    def release_driver(self, tenant_id: str, user_id: str, order_id: int) -> None:
        self._writes.append(lambda tx: self._drivers.stage_release(tx, tenant_id, user_id, order_id))

    def record(self, entry: AuditEntry) -> None:
        self._writes.append(lambda tx: self._audit.stage(tx, entry))

    def _staged_sale(self) -> Sale:
        if self._sale is None:
            raise ValueError("a unit of work commits a sale change")
        return self._sale

    def _stage_all(self, tx: Tx) -> None:
        for write in self._writes:
            write(tx)
