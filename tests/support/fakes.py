"""In-memory stand-ins for the repositories, held to the same contract tests as the real ones."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import fields, replace
from decimal import Decimal
from types import TracebackType
from typing import Any, TypeVar

from chalicelib.domain.catalog import Ingrediente, Plato, Producto, RecipeLine
from chalicelib.errors import Conflict, NotFound

T = TypeVar("T", Producto, Ingrediente, Plato)

CONCURRENT_EDIT = "El elemento del catálogo fue modificado por otra petición; vuelva a intentarlo"


class TransactionCancelled(Exception):
    """What the fake raises where DynamoDB would cancel a TransactWriteItems."""


class FakeTransaction:
    """Collects (check, apply) pairs; on a clean exit runs every check, then every apply: all
    or nothing, like TransactWriteItems."""

    def __init__(self) -> None:
        self._ops: list[tuple[Callable[[], bool], Callable[[], None]]] = []

    def add(self, check: Callable[[], bool], apply: Callable[[], None]) -> None:
        self._ops.append((check, apply))

    def __enter__(self) -> FakeTransaction:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        if kind is not None:
            return
        if not all(check() for check, _ in self._ops):
            raise TransactionCancelled("ConditionalCheckFailed")
        for _, apply in self._ops:
            apply()


class InMemoryCatalog:
    """Memory implementation of chalicelib.domain.catalog.CatalogStore."""

    def __init__(self) -> None:
        self._objects: dict[tuple[str, str, str], Any] = {}  # (tenant, kind, id) -> domain object
        self._lines: dict[tuple[str, str, str], RecipeLine] = {}  # (tenant, plato, ingrediente) -> line

    # --- generic --------------------------------------------------------------------------

    def _add(self, kind: str, obj: Any, message: str) -> None:
        key = (obj.tenant_id, kind, obj.id)
        if key in self._objects:
            raise Conflict(message)
        self._objects[key] = obj

    def _get(self, kind: str, tenant_id: str, object_id: str) -> Any:
        return self._objects.get((tenant_id, kind, object_id))

    def _list(self, kind: str, tenant_id: str) -> list[Any]:
        found = [o for (t, k, _), o in self._objects.items() if t == tenant_id and k == kind and not o.deleted]
        return sorted(found, key=lambda o: o.id)

    def _update(self, kind: str, before: T, after: T) -> None:
        if (before.tenant_id, before.id) != (after.tenant_id, after.id):
            raise ValueError("before and after must be the same catalog object")
        key = (before.tenant_id, kind, before.id)
        stored = self._objects.get(key)
        if stored is None or stored.deleted:
            raise Conflict(CONCURRENT_EDIT)
        changes: dict[str, Any] = {}
        for f in fields(before):
            if f.name in ("tenant_id", "id", "created_at", "updated_at"):
                continue
            old, new = getattr(before, f.name), getattr(after, f.name)
            if old != new:
                if f.name != "deleted_at" and getattr(stored, f.name) != old:
                    raise Conflict(CONCURRENT_EDIT)
                changes[f.name] = new
        self._objects[key] = replace(stored, updated_at=after.updated_at, **changes)

    def _live(self, kind: str, tenant_id: str, object_id: str) -> bool:
        obj = self._get(kind, tenant_id, object_id)
        return obj is not None and not obj.deleted

    # --- productos ------------------------------------------------------------------------

    def add_producto(self, producto: Producto) -> None:
        self._add("producto", producto, "El producto ya existe")

    def get_producto(self, tenant_id: str, producto_id: str) -> Producto | None:
        found: Producto | None = self._get("producto", tenant_id, producto_id)
        return found

    def list_productos(self, tenant_id: str) -> list[Producto]:
        return self._list("producto", tenant_id)

    def update_producto(self, before: Producto, after: Producto) -> None:
        self._update("producto", before, after)

    # --- ingredientes ---------------------------------------------------------------------

    def add_ingrediente(self, ingrediente: Ingrediente) -> None:
        self._add("ingrediente", ingrediente, "El ingrediente ya existe")

    def get_ingrediente(self, tenant_id: str, ingrediente_id: str) -> Ingrediente | None:
        found: Ingrediente | None = self._get("ingrediente", tenant_id, ingrediente_id)
        return found

    def get_ingredientes(self, tenant_id: str, ingrediente_ids: Iterable[str]) -> dict[str, Ingrediente]:
        found = (self.get_ingrediente(tenant_id, i) for i in ingrediente_ids)
        return {i.id: i for i in found if i is not None}

    def list_ingredientes(self, tenant_id: str) -> list[Ingrediente]:
        return self._list("ingrediente", tenant_id)

    def update_ingrediente(self, before: Ingrediente, after: Ingrediente) -> None:
        self._update("ingrediente", before, after)

    # --- platos ---------------------------------------------------------------------------

    def add_plato(self, plato: Plato) -> None:
        self._add("plato", plato, "El plato ya existe")

    def get_plato(self, tenant_id: str, plato_id: str) -> Plato | None:
        found: Plato | None = self._get("plato", tenant_id, plato_id)
        return found

    def list_platos(self, tenant_id: str) -> list[Plato]:
        return self._list("plato", tenant_id)

    def update_plato(self, before: Plato, after: Plato) -> None:
        self._update("plato", before, after)

    # --- recipes --------------------------------------------------------------------------

    def recipe(self, tenant_id: str, plato_id: str) -> list[RecipeLine]:
        lines = [line for (t, p, _), line in self._lines.items() if t == tenant_id and p == plato_id]
        return sorted(lines, key=lambda line: line.ingrediente_id)

    def get_recipe_line(self, tenant_id: str, plato_id: str, ingrediente_id: str) -> RecipeLine | None:
        return self._lines.get((tenant_id, plato_id, ingrediente_id))

    def add_recipe_line(self, line: RecipeLine) -> None:
        if not self._live("plato", line.tenant_id, line.plato_id):
            raise NotFound(f"Plato con id {line.plato_id} no encontrado")
        if not self._live("ingrediente", line.tenant_id, line.ingrediente_id):
            raise NotFound(f"Ingrediente con id {line.ingrediente_id} no encontrado")
        key = (line.tenant_id, line.plato_id, line.ingrediente_id)
        if key in self._lines:
            raise Conflict(f"El ingrediente {line.ingrediente_id} ya está en la receta del plato {line.plato_id}")
        self._lines[key] = line

    def update_recipe_line(self, before: RecipeLine, after: RecipeLine) -> None:
        key = (before.tenant_id, before.plato_id, before.ingrediente_id)
        stored = self._lines.get(key)
        if stored is None or stored.cantidad != before.cantidad:
            raise Conflict(CONCURRENT_EDIT)
        self._lines[key] = replace(stored, cantidad=after.cantidad, updated_at=after.updated_at)

    def remove_recipe_line(self, tenant_id: str, plato_id: str, ingrediente_id: str) -> None:
        if self._lines.pop((tenant_id, plato_id, ingrediente_id), None) is None:
            raise NotFound(f"El ingrediente {ingrediente_id} no está en la receta del plato {plato_id}")

    # --- stock ----------------------------------------------------------------------------

    def add_stock_deductions(
        self, tx: FakeTransaction, tenant_id: str, productos: Mapping[str, Decimal], ingredientes: Mapping[str, Decimal]
    ) -> None:
        for kind, attribute, amounts in (("producto", "stock", productos), ("ingrediente", "cantidad", ingredientes)):
            for object_id, qty in amounts.items():
                if qty:
                    self._deduction(tx, (tenant_id, kind, object_id), attribute, Decimal(qty))

    def _deduction(self, tx: FakeTransaction, key: tuple[str, str, str], attribute: str, qty: Decimal) -> None:
        def exists() -> bool:
            return key in self._objects

        def deduct() -> None:
            stored = self._objects[key]
            self._objects[key] = replace(stored, **{attribute: getattr(stored, attribute) - qty})

        tx.add(exists, deduct)
