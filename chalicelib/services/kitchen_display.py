"""The kitchen display's use cases (COMPAT B) over the same sales: the active orders, an item
moved by UUID, bump, recall, and a customer's session token. Every change goes through the sale
path's own use cases (services/sales.py)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chalicelib.auth import CUSTOMER_ROLE, Principal
from chalicelib.domain.sales import ITEM_PENDING, ITEM_PREPARING, ITEM_READY, ITEM_SERVED
from chalicelib.domain.sales.pacing import rush_first
from chalicelib.errors import Forbidden, NotFound

if TYPE_CHECKING:
    from chalicelib.auth import TokenService
    from chalicelib.domain.sales import Item, Sale
    from chalicelib.services.ports import SaleStore
    from chalicelib.services.sales import SaleService


class KitchenDisplayService:
    """The KDS surface's use cases, over the same sales."""

    RECENT_FOR_LOOKUP = 100

    def __init__(self, sales: SaleService, sale_store: SaleStore, tokens: TokenService, recall_window_minutes: int) -> None:
        self.sales = sales  # the item and kitchen moves: the sale path's own use cases
        self.sale_store = sale_store
        self.tokens = tokens
        self.recall_window_seconds = recall_window_minutes * 60

    def active_orders(self, who: Principal, branch_id: str, status: str | None, station: str | None,
                      include_held: bool = False) -> list[Sale]:
        """Rush orders first; an order whose every item is held shows only with `include_held`."""
        orders = rush_first(self.sale_store.kds_active(who.tenant, branch_id))
        if not include_held:
            orders = [o for o in orders if o.fired_items]
        if status is not None:
            orders = [o for o in orders if o.kds_status == status]
        if station is not None:
            orders = [o for o in orders if any(i.estacion == station for i in o.kitchen_items if include_held or i.fired)]
        return orders

    def _order_of_item(self, who: Principal, branch_id: str, item_uuid: str) -> Sale:
        """Items of active orders, then of the branch's recent sales (served items of
        finished orders): two bounded Queries, never a Scan."""
        for candidates in (
            lambda: self.sale_store.kds_active(who.tenant, branch_id),
            lambda: self.sale_store.by_branch(who.tenant, branch_id, self.RECENT_FOR_LOOKUP),
        ):
            for order in candidates():
                if any(i.uuid == item_uuid for i in order.items):
                    return order
        raise NotFound(f"Item {item_uuid} no encontrado")

    def set_item_status(self, who: Principal, branch_id: str, item_uuid: str, status: str) -> tuple[Sale, Item]:
        if status in (ITEM_PREPARING, ITEM_READY, ITEM_PENDING) and not who.can("orders:prepare"):
            raise Forbidden(f"El rol {who.role} no puede pasar items a {status}")
        if status == ITEM_SERVED and not who.can("orders:serve"):
            raise Forbidden(f"El rol {who.role} no puede marcar items como servidos")
        order = self._order_of_item(who, branch_id, item_uuid)
        return self.sales.set_item_status(who, order.id, item_uuid, status)

    def bump(self, who: Principal, tx_id: int) -> Sale:
        return self.sales.complete_kitchen(who, tx_id)

    def recall(self, who: Principal, tx_id: int) -> Sale:
        return self.sales.recall_kitchen(who, tx_id, self.recall_window_seconds)

    def customer_token(self, who: Principal, tx_id: int, ttl_seconds: int = 4 * 3600) -> tuple[str, Sale, int]:
        order = self.sales.get(who, tx_id)
        principal = Principal(user_id=f"session:{order.session_id}", tenant=order.tenant_id, branch=order.branch_id,
                              role=CUSTOMER_ROLE, kind="customer", session=order.session_id)
        return self.tokens.issue(principal, ttl_seconds), order, ttl_seconds
