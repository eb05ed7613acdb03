"""Output shapes of the catalog (COMPAT A): productos, ingredientes, platos and recipe lines."""

from __future__ import annotations

from typing import Any

from chalicelib.domain.catalog import Ingrediente, Plato, Producto, RecipeEntry
from chalicelib.domain.money import money_str, qty_str
from chalicelib.presenters.time import local_time


def _times(obj: Producto | Ingrediente | Plato, tz: str) -> dict[str, Any]:
    return {"activo": obj.activo, "creado_en": local_time(obj.created_at, tz), "actualizado_en": local_time(obj.updated_at, tz)}


def product_out(p: Producto, tz: str) -> dict[str, Any]:
    return {
        "id": p.id,
        "nombre": p.nombre,
        "precio": money_str(p.precio),
        "stock": qty_str(p.stock),
        "unidad": p.unidad,
        **_times(p, tz),
    }


def ingredient_out(i: Ingrediente, tz: str) -> dict[str, Any]:
    return {
        "id": i.id,
        "nombre": i.nombre,
        "unidad": i.unidad,
        "cantidad": qty_str(i.cantidad),
        "cantidad_minima": qty_str(i.cantidad_minima),
        "bajo_minimo": i.bajo_minimo,
        **_times(i, tz),
    }


def plato_out(p: Plato, tz: str) -> dict[str, Any]:
    return {"id": p.id, "nombre": p.nombre, "precio": money_str(p.precio), "estacion": p.estacion, **_times(p, tz)}


def recipe_line_out(entry: RecipeEntry, *, with_plato: bool = True) -> dict[str, Any]:
    """A recipe line; inside a plato (GET /api/platos/:id) without the redundant plato_id."""
    ingredient = entry.ingrediente
    out = {"plato_id": entry.line.plato_id} if with_plato else {}
    return {
        **out,
        "ingrediente_id": entry.line.ingrediente_id,
        "nombre": ingredient.nombre if ingredient else None,
        "unidad": ingredient.unidad if ingredient else None,
        "cantidad": qty_str(entry.line.cantidad),
    }
