"""/api/productos, /api/ingredientes, /api/platos and recipe lines (COMPAT A, Catalog).

Writes need catalog:write (admin); reads need catalog:read (any logged-in staff). Always
within the caller's tenant: another tenant's id is a 404, like a missing one.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

from chalicelib.api import schemas as v
from chalicelib.api.http import LIMIT, RequestContext, Surface
from chalicelib.api.responses import Eliminado, LineaQuitada
from chalicelib.container import get_services
from chalicelib.domain.catalog import (
    DEFAULT_STATION,
    MAX_COURSE,
    MIN_RECIPE_QTY,
    NAME_MAX,
    STATION_PATTERN,
    UNIT_MAX,
)
from chalicelib.errors import Forbidden
from chalicelib.presenters.catalog import (
    Ingrediente,
    LineaDeRecetaDePlato,
    Plato,
    PlatoConReceta,
    Producto,
    ingredient_out,
    plato_out,
    plato_with_recipe,
    product_out,
    recipe_line_out,
)

if TYPE_CHECKING:
    from chalicelib.services.catalog import CatalogService

surface = Surface("catalog")

READ, WRITE, SOLD_OUT = "catalog:read", "catalog:write", "catalog:sold_out"
QTY_PLACES = 3  # kg/l to the gram/millilitre

_NAME = v.text(min_length=1, max_length=NAME_MAX)
_UNIT = v.text(min_length=1, max_length=UNIT_MAX)

PRODUCT_FIELDS = {
    "nombre": _NAME,
    "precio": v.money(minimum=Decimal(0)),
    "stock": v.integer(required=False, minimum=0, default=0),
    "unidad": _UNIT,
}
INGREDIENT_FIELDS = {
    "nombre": _NAME,
    "unidad": _UNIT,
    "cantidad": v.decimal(minimum=Decimal(0), places=QTY_PLACES),
    "cantidad_minima": v.decimal(required=False, minimum=Decimal(0), places=QTY_PLACES, default=Decimal(0)),
}
PLATO_FIELDS = {
    "nombre": _NAME,
    "precio": v.money(minimum=Decimal(0)),
    "estacion": v.text(required=False, pattern=STATION_PATTERN, default=DEFAULT_STATION),
    "curso": v.integer(required=False, minimum=0, maximum=MAX_COURSE, default=1),
    "agotado": v.boolean(required=False, default=False),
}
_RECIPE_QTY = v.decimal(minimum=MIN_RECIPE_QTY, places=QTY_PLACES)
RECIPE_LINE_FIELDS = {"ingrediente_id": v.text(min_length=1, max_length=64), "cantidad": _RECIPE_QTY}
RECIPE_QTY_FIELDS = {"cantidad": _RECIPE_QTY}


def _tz() -> str:
    return get_services().settings.default_timezone


def _catalog() -> CatalogService[Any]:
    return get_services().catalog


def _deleted(kind: str, object_id: str) -> Eliminado:
    return {"message": f"{kind} {object_id} eliminado", "id": object_id}


# --- productos --------------------------------------------------------------------------------


@surface.route("/api/productos", ["POST"], permission=WRITE, status=201, body=PRODUCT_FIELDS, response=Producto)
def create_product(ctx: RequestContext) -> Producto:
    return product_out(_catalog().create_product(ctx.tenant, ctx.body()), _tz())


@surface.route("/api/productos", ["GET"], permission=READ, query=LIMIT, response=list[Producto])
def list_products(ctx: RequestContext) -> list[Producto]:
    return [product_out(p, _tz()) for p in ctx.limited(_catalog().list_products(ctx.tenant))]


@surface.route("/api/productos/{producto_id}", ["GET"], permission=READ, response=Producto)
def get_product(ctx: RequestContext, producto_id: str) -> Producto:
    return product_out(_catalog().get_product(ctx.tenant, producto_id), _tz())


@surface.route("/api/productos/{producto_id}", ["PATCH"], permission=WRITE, body=PRODUCT_FIELDS, partial=True, response=Producto)
def update_product(ctx: RequestContext, producto_id: str) -> Producto:
    data = ctx.body()
    return product_out(_catalog().update_product(ctx.tenant, producto_id, data), _tz())


@surface.route("/api/productos/{producto_id}", ["DELETE"], permission=WRITE, response=Eliminado)
def delete_product(ctx: RequestContext, producto_id: str) -> Eliminado:
    return _deleted("Producto", _catalog().delete_product(ctx.tenant, producto_id).id)


# --- ingredientes -----------------------------------------------------------------------------


@surface.route("/api/ingredientes", ["POST"], permission=WRITE, status=201, body=INGREDIENT_FIELDS, response=Ingrediente)
def create_ingredient(ctx: RequestContext) -> Ingrediente:
    return ingredient_out(_catalog().create_ingredient(ctx.tenant, ctx.body()), _tz())


@surface.route("/api/ingredientes", ["GET"], permission=READ, query=LIMIT, response=list[Ingrediente])
def list_ingredients(ctx: RequestContext) -> list[Ingrediente]:
    return [ingredient_out(i, _tz()) for i in ctx.limited(_catalog().list_ingredients(ctx.tenant))]


@surface.route("/api/ingredientes/{ingrediente_id}", ["GET"], permission=READ, response=Ingrediente)
def get_ingredient(ctx: RequestContext, ingrediente_id: str) -> Ingrediente:
    return ingredient_out(_catalog().get_ingredient(ctx.tenant, ingrediente_id), _tz())


@surface.route(
    "/api/ingredientes/{ingrediente_id}", ["PATCH"], permission=WRITE, body=INGREDIENT_FIELDS, partial=True, response=Ingrediente
)
def update_ingredient(ctx: RequestContext, ingrediente_id: str) -> Ingrediente:
    data = ctx.body()
    return ingredient_out(_catalog().update_ingredient(ctx.tenant, ingrediente_id, data), _tz())


@surface.route("/api/ingredientes/{ingrediente_id}", ["DELETE"], permission=WRITE, response=Eliminado)
def delete_ingredient(ctx: RequestContext, ingrediente_id: str) -> Eliminado:
    return _deleted("Ingrediente", _catalog().delete_ingredient(ctx.tenant, ingrediente_id).id)


# --- platos -----------------------------------------------------------------------------------


@surface.route("/api/platos", ["POST"], permission=WRITE, status=201, body=PLATO_FIELDS, response=Plato)
def create_plato(ctx: RequestContext) -> Plato:
    return plato_out(_catalog().create_plato(ctx.tenant, ctx.body()), _tz())


@surface.route("/api/platos", ["GET"], permission=READ, query=LIMIT, response=list[Plato])
def list_platos(ctx: RequestContext) -> list[Plato]:
    return [plato_out(p, _tz()) for p in ctx.limited(_catalog().list_platos(ctx.tenant))]


@surface.route("/api/platos/{plato_id}", ["GET"], permission=READ, response=PlatoConReceta)
def get_plato(ctx: RequestContext, plato_id: str) -> PlatoConReceta:
    plato, recipe = _catalog().get_plato_with_recipe(ctx.tenant, plato_id)
    return plato_with_recipe(plato, recipe, _tz())


@surface.route("/api/platos/{plato_id}", ["PATCH"], permission=SOLD_OUT, body=PLATO_FIELDS, partial=True, response=Plato)
def update_plato(ctx: RequestContext, plato_id: str) -> Plato:
    """The kitchen may mark a plato sold out (or not); any other change needs catalog:write."""
    data = ctx.body()
    if set(data) - {"agotado"} and not ctx.principal.can(WRITE):
        raise Forbidden(f"El rol {ctx.principal.role} solo puede marcar platos como agotados")
    return plato_out(_catalog().update_plato(ctx.tenant, plato_id, data), _tz())


@surface.route("/api/platos/{plato_id}", ["DELETE"], permission=WRITE, response=Eliminado)
def delete_plato(ctx: RequestContext, plato_id: str) -> Eliminado:
    return _deleted("Plato", _catalog().delete_plato(ctx.tenant, plato_id).id)


# --- recipe lines -----------------------------------------------------------------------------


@surface.route(
    "/api/platos/{plato_id}/ingredientes",
    ["POST"],
    permission=WRITE,
    status=201,
    body=RECIPE_LINE_FIELDS,
    response=LineaDeRecetaDePlato,
)
def add_recipe_line(ctx: RequestContext, plato_id: str) -> LineaDeRecetaDePlato:
    return recipe_line_out(_catalog().add_recipe_line(ctx.tenant, plato_id, ctx.body()))


@surface.route("/api/platos/{plato_id}/ingredientes", ["GET"], permission=READ, response=list[LineaDeRecetaDePlato])
def list_recipe(ctx: RequestContext, plato_id: str) -> list[LineaDeRecetaDePlato]:
    return [recipe_line_out(e) for e in _catalog().recipe(ctx.tenant, plato_id)]


@surface.route(
    "/api/platos/{plato_id}/ingredientes/{ingrediente_id}",
    ["PATCH"],
    permission=WRITE,
    body=RECIPE_QTY_FIELDS,
    response=LineaDeRecetaDePlato,
)
def update_recipe_line(ctx: RequestContext, plato_id: str, ingrediente_id: str) -> LineaDeRecetaDePlato:
    data = ctx.body()
    return recipe_line_out(_catalog().update_recipe_line(ctx.tenant, plato_id, ingrediente_id, data))


@surface.route("/api/platos/{plato_id}/ingredientes/{ingrediente_id}", ["DELETE"], permission=WRITE, response=LineaQuitada)
def remove_recipe_line(ctx: RequestContext, plato_id: str, ingrediente_id: str) -> LineaQuitada:
    line = _catalog().remove_recipe_line(ctx.tenant, plato_id, ingrediente_id)
    return {
        "message": f"Ingrediente {line.ingrediente_id} quitado de la receta del plato {line.plato_id}",
        "plato_id": line.plato_id,
        "ingrediente_id": line.ingrediente_id,
    }
