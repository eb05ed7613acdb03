"""Catalog use cases: productos, ingredientes, platos and their recipes, per tenant.

Used by the /api catalog views and by the demo seed (which passes already-typed dicts; the
domain re-checks every field either way). Missing, deleted and other-tenant objects are all
NotFound, with the same message.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from chalicelib.domain import audit as actions
from chalicelib.domain.audit import AuditEntry
from chalicelib.domain.catalog import (
    INGREDIENT,
    PLATO,
    PRODUCT,
    Ingrediente,
    Plato,
    Producto,
    RecipeEntry,
    RecipeLine,
    by_name,
    is_id_of,
    new_id,
)
from chalicelib.domain.clock import utc_now
from chalicelib.errors import Conflict, InvalidInput, NotFound
from chalicelib.services.ports import CatalogStore

if TYPE_CHECKING:
    from chalicelib.services.audit import AuditTrail
    from chalicelib.services.catalog_cache import CatalogCache

StoreT = TypeVar("StoreT", bound=CatalogStore)
T = TypeVar("T")
_ID_ATTEMPTS = 3


class CatalogService(Generic[StoreT]):
    def __init__(self, repo: StoreT, audit: AuditTrail | None = None, cache: CatalogCache | None = None) -> None:
        """`cache`: the sale path's catalog cache in this process; every change forgets its object there."""
        self.repo = repo
        self.audit = audit
        self.cache = cache

    def _price_change(self, before: Producto | Plato, after: Producto | Plato) -> AuditEntry | None:
        """The audit entry a price change is written with (None when the price stays)."""
        if self.audit is None or before.precio == after.precio:
            return None
        kind = "producto" if isinstance(after, Producto) else "plato"
        detail = {"nombre": after.nombre, "precio_anterior": before.precio, "precio_nuevo": after.precio}
        return self.audit.entry(after.tenant_id, actions.PRICE_CHANGED, f"{kind}:{after.id}", detail)

    @staticmethod
    def _create(make: Callable[[str], T], prefix: str, add: Callable[[T], None]) -> T:
        """Random ids; a collision (about 1 in 10^12 per pair) just draws another one."""
        for attempt in range(_ID_ATTEMPTS):
            obj = make(new_id(prefix))
            try:
                add(obj)
                return obj
            except Conflict:
                if attempt == _ID_ATTEMPTS - 1:
                    raise
        raise AssertionError("unreachable")

    # --- productos ----------------------------------------------------------------------

    def create_product(self, tenant_id: str, data: Mapping[str, Any]) -> Producto:
        now = utc_now()
        return self._create(lambda i: Producto.create(tenant_id, i, data, now), PRODUCT, self.repo.add_product)

    def list_products(self, tenant_id: str) -> list[Producto]:
        return by_name(self.repo.list_products(tenant_id))

    def get_product(self, tenant_id: str, product_id: str) -> Producto:
        found = self.repo.get_product(tenant_id, product_id) if is_id_of(PRODUCT, product_id) else None
        if found is None or found.deleted:
            raise NotFound(f"Producto con id {product_id} no encontrado")
        return found

    def update_product(self, tenant_id: str, product_id: str, data: Mapping[str, Any]) -> Producto:
        before = self.get_product(tenant_id, product_id)
        after = before.changed(data, utc_now())
        entry = self._price_change(before, after)
        self._write(lambda: self.repo.update_product(before, after, entry), lambda: self.get_product(tenant_id, product_id),
                    (tenant_id, product_id))
        return after

    def delete_product(self, tenant_id: str, product_id: str) -> Producto:
        before = self.get_product(tenant_id, product_id)
        after = before.soft_deleted(utc_now())
        self._write(lambda: self.repo.update_product(before, after), lambda: self.get_product(tenant_id, product_id),
                    (tenant_id, product_id))
        return after

    # --- ingredientes -------------------------------------------------------------------

    def create_ingredient(self, tenant_id: str, data: Mapping[str, Any]) -> Ingrediente:
        now = utc_now()
        return self._create(lambda i: Ingrediente.create(tenant_id, i, data, now), INGREDIENT, self.repo.add_ingredient)

    def list_ingredients(self, tenant_id: str) -> list[Ingrediente]:
        return by_name(self.repo.list_ingredients(tenant_id))

    def get_ingredient(self, tenant_id: str, ingredient_id: str) -> Ingrediente:
        found = self.repo.get_ingredient(tenant_id, ingredient_id) if is_id_of(INGREDIENT, ingredient_id) else None
        if found is None or found.deleted:
            raise NotFound(f"Ingrediente con id {ingredient_id} no encontrado")
        return found

    def update_ingredient(self, tenant_id: str, ingredient_id: str, data: Mapping[str, Any]) -> Ingrediente:
        before = self.get_ingredient(tenant_id, ingredient_id)
        after = before.changed(data, utc_now())
        self._write(lambda: self.repo.update_ingredient(before, after), lambda: self.get_ingredient(tenant_id, ingredient_id),
                    (tenant_id, ingredient_id))
        return after

    def delete_ingredient(self, tenant_id: str, ingredient_id: str) -> Ingrediente:
        before = self.get_ingredient(tenant_id, ingredient_id)
        after = before.soft_deleted(utc_now())
        self._write(lambda: self.repo.update_ingredient(before, after), lambda: self.get_ingredient(tenant_id, ingredient_id),
                    (tenant_id, ingredient_id))
        return after

    # --- platos -------------------------------------------------------------------------

    def create_plato(self, tenant_id: str, data: Mapping[str, Any]) -> Plato:
        now = utc_now()
        return self._create(lambda i: Plato.create(tenant_id, i, data, now), PLATO, self.repo.add_plato)

    def list_platos(self, tenant_id: str) -> list[Plato]:
        return by_name(self.repo.list_platos(tenant_id))

    def get_plato(self, tenant_id: str, plato_id: str) -> Plato:
        found = self.repo.get_plato(tenant_id, plato_id) if is_id_of(PLATO, plato_id) else None
        if found is None or found.deleted:
            raise NotFound(f"Plato con id {plato_id} no encontrado")
        return found

    def get_plato_with_recipe(self, tenant_id: str, plato_id: str) -> tuple[Plato, list[RecipeEntry]]:
        return self.get_plato(tenant_id, plato_id), self._entries(tenant_id, plato_id)

    def update_plato(self, tenant_id: str, plato_id: str, data: Mapping[str, Any]) -> Plato:
        before = self.get_plato(tenant_id, plato_id)
        after = before.changed(data, utc_now())
        entry = self._price_change(before, after)
        self._write(lambda: self.repo.update_plato(before, after, entry), lambda: self.get_plato(tenant_id, plato_id),
                    (tenant_id, plato_id))
        return after

    def delete_plato(self, tenant_id: str, plato_id: str) -> Plato:
        before = self.get_plato(tenant_id, plato_id)
        after = before.soft_deleted(utc_now())
        self._write(lambda: self.repo.update_plato(before, after), lambda: self.get_plato(tenant_id, plato_id),
                    (tenant_id, plato_id))
        return after

    # --- recipes ------------------------------------------------------------------------

    def recipe(self, tenant_id: str, plato_id: str) -> list[RecipeEntry]:
        self.get_plato(tenant_id, plato_id)
        return self._entries(tenant_id, plato_id)

    def add_recipe_line(self, tenant_id: str, plato_id: str, data: Mapping[str, Any]) -> RecipeEntry:
        """A duplicate line is a 400 (as in the original), not a 409."""
        self.get_plato(tenant_id, plato_id)
        ingredient_id = str(data.get("ingrediente_id") or "")
        ingredient = self.get_ingredient(tenant_id, ingredient_id)
        line = RecipeLine.create(tenant_id, plato_id, ingredient_id, data.get("cantidad"), utc_now())
        if self.repo.get_recipe_line(tenant_id, plato_id, ingredient_id) is not None:
            raise InvalidInput(_duplicate(plato_id, ingredient_id))
        try:
            self.repo.add_recipe_line(line)
        except Conflict as exc:
            if self.repo.get_recipe_line(tenant_id, plato_id, ingredient_id) is not None:
                raise InvalidInput(_duplicate(plato_id, ingredient_id)) from exc
            raise
        return RecipeEntry(line, ingredient)

    def update_recipe_line(self, tenant_id: str, plato_id: str, ingredient_id: str, data: Mapping[str, Any]) -> RecipeEntry:
        before = self._line(tenant_id, plato_id, ingredient_id)
        after = before.with_quantity(data.get("cantidad"), utc_now())
        self._write(lambda: self.repo.update_recipe_line(before, after), lambda: self._line(tenant_id, plato_id, ingredient_id))
        return RecipeEntry(after, self.repo.get_ingredient(tenant_id, ingredient_id))

    def remove_recipe_line(self, tenant_id: str, plato_id: str, ingredient_id: str) -> RecipeLine:
        line = self._line(tenant_id, plato_id, ingredient_id)
        self.repo.remove_recipe_line(tenant_id, plato_id, ingredient_id)
        return line

    # --- helpers ------------------------------------------------------------------------

    def _line(self, tenant_id: str, plato_id: str, ingredient_id: str) -> RecipeLine:
        self.get_plato(tenant_id, plato_id)
        line = self.repo.get_recipe_line(tenant_id, plato_id, ingredient_id) if is_id_of(INGREDIENT, ingredient_id) else None
        if line is None:
            raise NotFound(f"El ingrediente {ingredient_id} no está en la receta del plato {plato_id}")
        return line

    def _entries(self, tenant_id: str, plato_id: str) -> list[RecipeEntry]:
        """The recipe with each ingrediente's name and unit: one Query + one BatchGet. A line
        whose ingrediente was deleted later is still shown (sales still deduct it)."""
        lines = self.repo.recipe(tenant_id, plato_id)
        ingredients = self.repo.get_ingredients(tenant_id, [line.ingrediente_id for line in lines])
        entries = [RecipeEntry(line, ingredients.get(line.ingrediente_id)) for line in lines]
        return sorted(entries, key=lambda e: ((e.ingrediente.nombre.casefold() if e.ingrediente else ""), e.line.ingrediente_id))

    def _write(self, write: Callable[[], None], reread: Callable[[], Any], changed: tuple[str, str] | None = None) -> None:
        """A failed condition means someone else got there first: if the object is gone now
        that is a 404 (reread raises it), otherwise a 409. `changed` (tenant, id) is forgotten
        in the catalog cache, whatever the outcome."""
        try:
            write()
        except Conflict:
            reread()
            raise
        finally:
            if changed is not None and self.cache is not None:
                self.cache.forget(*changed)


def _duplicate(plato_id: str, ingredient_id: str) -> list[str]:
    return [f"ingrediente_id {ingredient_id} ya está en la receta del plato {plato_id}"]
