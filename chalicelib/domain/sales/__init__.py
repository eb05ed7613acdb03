"""The sale ("transacción") aggregate, split by concern: `sale` (the aggregate and its state
machines), `lines` (items, extras, payments), `stock` (what closing consumes)."""

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
    ABIERTO,
    ANULADO,
    CERRADO,
    COCINA_ANULADO,
    COCINA_PENDIENTE,
    COCINA_TERMINADO,
    PENDIENTE,
    Sale,
)
from chalicelib.domain.sales.stock import RecipeUse, StockDeduction, consume

__all__ = [
    "ABIERTO", "ANULADO", "CERRADO", "COCINA_ANULADO", "COCINA_PENDIENTE", "COCINA_TERMINADO", "ITEM_FLOW", "ITEM_PENDING",
    "ITEM_PREPARING", "ITEM_READY", "ITEM_SERVED", "NEXT_ITEM_STATUS", "PENDIENTE", "Extra", "Item", "Pago", "RecipeUse", "Sale",
    "StockDeduction", "consume",
]
