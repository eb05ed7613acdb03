"""What closing a sale consumes from stock: productos sold and the recipe ingredients of platos
and extras, each counted once however often the sale is closed and reopened."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal

from chalicelib.domain.money import ZERO
from chalicelib.domain.sales.lines import Item


@dataclass(frozen=True)
class RecipeUse:
    ingrediente_id: str
    cantidad: Decimal


@dataclass(frozen=True)
class StockDeduction:
    productos: dict[str, Decimal]
    ingredientes: dict[str, Decimal]

    @property
    def empty(self) -> bool:
        return not self.productos and not self.ingredientes


def consume(items: Iterable[Item], recipes: Mapping[str, Iterable[RecipeUse]]) -> StockDeduction:
    """What closing consumes, counting only what was never deducted before, and marks it
    deducted. Extras consume `extra.cantidad × item.cantidad`, consistent with the price."""
    products: dict[str, Decimal] = {}
    ingredients: dict[str, Decimal] = {}
    for item in items:
        if not item.stock_deducted:
            if item.producto_id:
                products[item.producto_id] = products.get(item.producto_id, ZERO) + item.cantidad
            if item.plato_id:
                for use in recipes.get(item.plato_id, ()):
                    ingredients[use.ingrediente_id] = ingredients.get(use.ingrediente_id, ZERO) + use.cantidad * item.cantidad
            item.stock_deducted = True
        for extra in item.extras:
            if extra.ingrediente_id and not extra.stock_deducted:
                amount = extra.cantidad * item.cantidad
                ingredients[extra.ingrediente_id] = ingredients.get(extra.ingrediente_id, ZERO) + amount
            extra.stock_deducted = True
    return StockDeduction(products, ingredients)


def below_zero(stock_before: Mapping[str, Decimal], ingredients: Mapping[str, Decimal]) -> dict[str, bool]:
    """For each deducted ingredient whose stock is known: does this deduction take it from zero or
    more to below zero? The write is conditioned on the answer staying true (store/catalog.py)."""
    return {i: stock_before[i] >= 0 and stock_before[i] - qty < 0 for i, qty in ingredients.items() if qty and i in stock_before}
