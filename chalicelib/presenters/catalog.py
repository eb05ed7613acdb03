"""Output shapes of the catalog (COMPAT A): productos, ingredientes, platos and recipe lines."""

from __future__ import annotations

from chalicelib.domain import catalog as domain
from chalicelib.domain.catalog import RecipeEntry
from chalicelib.domain.money import money_str, qty_str
from chalicelib.presenters.shapes import LocalTime, Money, Quantity, Shape
from chalicelib.presenters.time import local_time


class _Catalogued(Shape):
    activo: bool
    creado_en: LocalTime | None
    actualizado_en: LocalTime | None


class Producto(_Catalogued):
    id: str
    nombre: str
    precio: Money
    stock: Quantity
    unidad: str


class Ingrediente(_Catalogued):
    id: str
    nombre: str
    unidad: str
    cantidad: Quantity
    cantidad_minima: Quantity
    bajo_minimo: bool


class Plato(_Catalogued):
    id: str
    nombre: str
    precio: Money
    estacion: str
    curso: int
    agotado: bool


class LineaDeReceta(Shape):
    ingrediente_id: str
    nombre: str | None
    unidad: str | None
    cantidad: Quantity


class LineaDeRecetaDePlato(LineaDeReceta):
    plato_id: str


class PlatoConReceta(Plato):
    ingredientes: list[LineaDeReceta]


def _times(obj: domain.Producto | domain.Ingrediente | domain.Plato, tz: str) -> _Catalogued:
    return {"activo": obj.activo, "creado_en": local_time(obj.created_at, tz), "actualizado_en": local_time(obj.updated_at, tz)}


def product_out(p: domain.Producto, tz: str) -> Producto:
    return {
        "id": p.id,
        "nombre": p.nombre,
        "precio": money_str(p.precio),
        "stock": qty_str(p.stock),
        "unidad": p.unidad,
        **_times(p, tz),
    }


def ingredient_out(i: domain.Ingrediente, tz: str) -> Ingrediente:
    return {
        "id": i.id,
        "nombre": i.nombre,
        "unidad": i.unidad,
        "cantidad": qty_str(i.cantidad),
        "cantidad_minima": qty_str(i.cantidad_minima),
        "bajo_minimo": i.bajo_minimo,
        **_times(i, tz),
    }


def plato_out(p: domain.Plato, tz: str) -> Plato:
    return {"id": p.id, "nombre": p.nombre, "precio": money_str(p.precio), "estacion": p.estacion, "curso": p.curso,
            "agotado": p.agotado, **_times(p, tz)}


def recipe_line(entry: RecipeEntry) -> LineaDeReceta:
    """A recipe line inside its plato (GET /api/platos/:id): without the redundant plato_id."""
    ingredient = entry.ingrediente
    return {
        "ingrediente_id": entry.line.ingrediente_id,
        "nombre": ingredient.nombre if ingredient else None,
        "unidad": ingredient.unidad if ingredient else None,
        "cantidad": qty_str(entry.line.cantidad),
    }


def recipe_line_out(entry: RecipeEntry) -> LineaDeRecetaDePlato:
    return {"plato_id": entry.line.plato_id, **recipe_line(entry)}


def plato_with_recipe(p: domain.Plato, recipe: list[RecipeEntry], tz: str) -> PlatoConReceta:
    return {**plato_out(p, tz), "ingredientes": [recipe_line(e) for e in recipe]}


class PlatoDelMenu(Shape):
    """A plato as `menu:updated` (`menu-actualizado`) frames carry it."""

    id: str
    nombre: str
    precio: Money
    estacion: str
    curso: int
    agotado: bool
    activo: bool


MENU_FIELDS = ("nombre", "precio", "estacion", "curso", "agotado", "deleted_at")


def menu_changed(before: domain.Plato | None, after: domain.Plato) -> bool:
    """Did a change touch what a menu or a kitchen display shows of the plato?"""
    return before is None or any(getattr(before, name) != getattr(after, name) for name in MENU_FIELDS)


def menu_plato(p: domain.Plato) -> PlatoDelMenu:
    return {"id": p.id, "nombre": p.nombre, "precio": money_str(p.precio), "estacion": p.estacion, "curso": p.curso,
            "agotado": p.agotado, "activo": p.activo}
