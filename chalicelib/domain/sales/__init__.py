"""The sale ("transacción") aggregate, split by concern: `sale` (the aggregate and its state
machines), `lines` (items, extras, payments), `stock` (what closing consumes), `events` (what a
change recorded, for the use case to act on) and `home_delivery` (a delivery sale's side of the
delivery state machine, which lives on the delivery entity)."""

from chalicelib.domain.sales.lines import (
    ITEM_FLOW,
    ITEM_PENDING,
    ITEM_PREPARING,
    ITEM_READY,
    ITEM_SERVED,
    NEXT_ITEM_STATUS,
    Extra,
    Item,
    Pago,
)
from chalicelib.domain.sales.sale import (
    CLOSED,
    KITCHEN_DONE,
    KITCHEN_PENDING,
    KITCHEN_VOIDED,
    OPEN,
    PENDING,
    VOIDED,
    Sale,
)
from chalicelib.domain.sales.stock import RecipeUse, StockDeduction, consume

__all__ = [
    "OPEN", "VOIDED", "CLOSED", "KITCHEN_VOIDED", "KITCHEN_PENDING", "KITCHEN_DONE", "ITEM_FLOW", "ITEM_PENDING",
    "ITEM_PREPARING", "ITEM_READY", "ITEM_SERVED", "NEXT_ITEM_STATUS", "PENDING", "Extra", "Item", "Pago", "RecipeUse", "Sale",
    "StockDeduction", "consume",
]
