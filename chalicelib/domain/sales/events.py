"""What a change to a sale recorded, for the use case that persists it to act on (as
cosmicpython's `Product.events`): the aggregate appends, the service reads."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SaleClosed:
    """This change closed the sale: its stock is consumed in the same write, and the write must
    find the stored sale still open."""

    sale_id: int


SaleEvent = SaleClosed
