"""Reports: what a caja sold, computed from its sales (the coming sales reports sit here too).

Each report reads the caja's sales once through the sale store; another tenant's caja, or one
that does not exist, is not found."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chalicelib.domain import reports
from chalicelib.errors import NotFound

if TYPE_CHECKING:
    from chalicelib.auth import Principal
    from chalicelib.domain.reports import SalesLine, SalesSummary
    from chalicelib.domain.sales import Item, Sale
    from chalicelib.services.ports import CajaStore, SaleStore


class CajaReports:
    def __init__(self, sales: SaleStore, cajas: CajaStore) -> None:
        self.sales = sales
        self.cajas = cajas

    def sales_of(self, who: Principal, caja_id: int) -> list[Sale]:
        if self.cajas.get(who.tenant, caja_id) is None:
            raise NotFound(f"Caja con id {caja_id} no encontrada")
        return self.sales.by_caja(who.tenant, caja_id)

    def summary(self, who: Principal, caja_id: int) -> SalesSummary:
        return reports.summarise(self.sales_of(who, caja_id))

    def removed_items(self, who: Principal, caja_id: int) -> list[tuple[Sale, Item]]:
        return reports.removed_items(self.sales_of(who, caja_id))

    def detailed_sales(self, who: Principal, caja_id: int) -> list[SalesLine]:
        return reports.detailed_sales(self.sales_of(who, caja_id))
