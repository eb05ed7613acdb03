"""The catalog table: one partition per tenant.

    pk = <tenant id>
    sk = PRODUCTO#<id> | INGREDIENTE#<id> | PLATO#<id> | RECETA#<platoId>#<ingredienteId>

Access patterns (no Scan anywhere):
- one producto/ingrediente/plato: GetItem (pk, sk)
- several ingredientes (a recipe's names): BatchGetItem on (pk, sk)
- list of a kind: Query pk, sk begins_with "<KIND>#" (filter: not deleted)
- a plato's recipe: Query pk, sk begins_with "RECETA#<platoId>#"

Updates write only the fields that changed, conditioned on those fields still holding their
old value, so a PATCH never overwrites stock deducted by a sale in between (that PATCH gets a
409 instead). Sales deduct stock with an atomic ADD inside their own transaction.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any, TypeVar

from pynamodb.attributes import BooleanAttribute, NumberAttribute, UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.exceptions import TransactWriteError
from pynamodb.expressions.condition import Condition
from pynamodb.transactions import TransactWrite

from chalicelib.domain.audit import AuditEntry
from chalicelib.domain.catalog import CatalogKey, Ingrediente, Plato, Producto, RecipeLine
from chalicelib.errors import Conflict, NotFound
from chalicelib.settings import Settings
from chalicelib.store.audit import AuditRepository
from chalicelib.store.base import (
    DecimalAttribute,
    Record,
    bound,
    cancellation_codes,
    conflict_on_condition,
    fields_of,
    to_record,
    transaction,
)

TABLE = "catalog"
CONCURRENT_EDIT = "El elemento del catálogo fue modificado por otra petición; vuelva a intentarlo"


class _Entity(Record):
    nombre = UnicodeAttribute()
    created_at = UTCDateTimeAttribute()
    updated_at = UTCDateTimeAttribute()
    deleted_at = UTCDateTimeAttribute(null=True)


class ProductRecord(_Entity):
    precio = DecimalAttribute()
    stock = DecimalAttribute()
    unidad = UnicodeAttribute()


class IngredientRecord(_Entity):
    unidad = UnicodeAttribute()
    cantidad = DecimalAttribute()
    cantidad_minima = DecimalAttribute()


class PlatoRecord(_Entity):
    precio = DecimalAttribute()
    estacion = UnicodeAttribute()
    curso = NumberAttribute(null=True)  # absent on platos created before courses: 1
    agotado = BooleanAttribute(null=True)  # absent: False


class RecipeLineRecord(Record):
    plato_id = UnicodeAttribute()
    ingrediente_id = UnicodeAttribute()
    cantidad = DecimalAttribute()
    created_at = UTCDateTimeAttribute()
    updated_at = UTCDateTimeAttribute()


def product_sk(product_id: str) -> str:
    return f"PRODUCTO#{product_id}"


def ingredient_sk(ingredient_id: str) -> str:
    return f"INGREDIENTE#{ingredient_id}"


def plato_sk(plato_id: str) -> str:
    return f"PLATO#{plato_id}"


def recipe_prefix(plato_id: str) -> str:
    return f"RECETA#{plato_id}#"


def recipe_sk(plato_id: str, ingredient_id: str) -> str:
    return f"{recipe_prefix(plato_id)}{ingredient_id}"


def _id_of(sk: str) -> str:
    return sk.split("#", 1)[1]


# --- record <-> domain ----------------------------------------------------------------------

# Domain field -> record attribute: same names, listed once per kind.
_PRODUCT_FIELDS = ("nombre", "precio", "stock", "unidad")
_INGREDIENT_FIELDS = ("nombre", "unidad", "cantidad", "cantidad_minima")
_PLATO_FIELDS = ("nombre", "precio", "estacion", "curso", "agotado")
# Fields added after platos were first stored: an absent attribute holds this value.
_ADDED_LATER = {"curso": 1, "agotado": False}
_TIMES = ("created_at", "updated_at", "deleted_at")


def _product_of(r: ProductRecord) -> Producto:
    return Producto(r.pk, _id_of(r.sk), **fields_of(r, (*_PRODUCT_FIELDS, *_TIMES)))


def _ingredient_of(r: IngredientRecord) -> Ingrediente:
    return Ingrediente(r.pk, _id_of(r.sk), **fields_of(r, (*_INGREDIENT_FIELDS, *_TIMES)))


def _plato(r: PlatoRecord) -> Plato:
    values = fields_of(r, (*_PLATO_FIELDS, *_TIMES))
    for name, default in _ADDED_LATER.items():
        values[name] = default if values[name] is None else type(default)(values[name])
    return Plato(r.pk, _id_of(r.sk), **values)


def _line(r: RecipeLineRecord) -> RecipeLine:
    return RecipeLine(r.pk, r.plato_id, r.ingrediente_id, r.cantidad, r.created_at, r.updated_at)


def key_of(tenant_id: str, key: CatalogKey) -> dict[str, Any]:
    """The DynamoDB key (attribute-value JSON) of a catalog entry, for batched reads."""
    kind, object_id = key
    sk = {"plato": plato_sk, "producto": product_sk, "ingrediente": ingredient_sk}[kind](object_id)
    return {"pk": {"S": tenant_id}, "sk": {"S": sk}}


def entry_from_raw(item: dict[str, Any]) -> tuple[CatalogKey, Plato | Producto | Ingrediente] | None:
    """A batched read's item (attribute-value JSON) as its key and domain object."""
    sk = item["sk"]["S"]
    if sk.startswith("PLATO#"):
        return ("plato", _id_of(sk)), _plato(PlatoRecord.from_raw_data(item))
    if sk.startswith("PRODUCTO#"):
        return ("producto", _id_of(sk)), _product_of(ProductRecord.from_raw_data(item))
    if sk.startswith("INGREDIENTE#"):
        return ("ingrediente", _id_of(sk)), _ingredient_of(IngredientRecord.from_raw_data(item))
    return None


def decode_plato_image(image: dict[str, Any]) -> Plato | None:
    """The plato in a catalog stream image, or None for any other row."""
    if not image or not image.get("sk", {}).get("S", "").startswith("PLATO#"):
        return None
    entry = entry_from_raw(image)
    return entry[1] if entry is not None and isinstance(entry[1], Plato) else None


R = TypeVar("R", bound=Record)


def _record(cls: type[R], sk: str, obj: Any, fields: tuple[str, ...]) -> R:
    return to_record(cls, obj.tenant_id, sk, obj, (*fields, *_TIMES))


def _get(cls: type[R], tenant_id: str, sk: str) -> R | None:
    try:
        return cls.get(tenant_id, sk, consistent_read=True)
    except cls.DoesNotExist:
        return None


def _live(cls: type[_Entity]) -> Condition:
    return cls.pk.exists() & cls.deleted_at.does_not_exist()


def _changes(cls: type[_Entity], before: Any, after: Any, fields: tuple[str, ...]) -> tuple[list[Any], Any]:
    """The update's actions and condition: SET the fields that differ (and updated_at), on
    condition that the object is still live and those fields still hold `before`'s values. A
    soft delete is the change of deleted_at."""
    if (before.tenant_id, before.id) != (after.tenant_id, after.id):
        raise ValueError("before and after must be the same catalog object")
    condition = _live(cls)
    actions = []
    for name in (*fields, "deleted_at"):
        old, new = getattr(before, name), getattr(after, name)
        if old == new:
            continue
        attribute = getattr(cls, name)
        actions.append(attribute.set(new) if new is not None else attribute.remove())
        if name != "deleted_at":
            condition &= (attribute == old) | attribute.does_not_exist() if _ADDED_LATER.get(name) == old else attribute == old
    actions.append(cls.updated_at.set(after.updated_at))
    return actions, condition


class CatalogRepository:
    """DynamoDB implementation of chalicelib.services.ports.CatalogStore."""

    def __init__(self, settings: Settings, audit: AuditRepository) -> None:
        """`audit`: the process's one audit repository, whose entries this one writes with its changes."""
        self._settings = settings
        self.ProductRecord = bound(ProductRecord, TABLE, settings)
        self.IngredientRecord = bound(IngredientRecord, TABLE, settings)
        self.PlatoRecord = bound(PlatoRecord, TABLE, settings)
        self.RecipeLineRecord = bound(RecipeLineRecord, TABLE, settings)
        self._audit = audit

    def _update(self, cls: type[_Entity], sk: str, before: Any, after: Any, fields: tuple[str, ...],
                audit: AuditEntry | None = None) -> None:
        """Write `_changes`; with an audit entry, the update and the entry are one transaction."""
        actions, condition = _changes(cls, before, after, fields)
        with conflict_on_condition(CONCURRENT_EDIT):
            if audit is None:
                cls(before.tenant_id, sk).update(actions=actions, condition=condition)
                return
            with transaction(self._settings) as tx:
                tx.update(cls(before.tenant_id, sk), actions=actions, condition=condition)
                self._audit.stage(tx, audit)

    # --- productos ----------------------------------------------------------------------

    def add_product(self, product: Producto) -> None:
        with conflict_on_condition("El producto ya existe"):
            _record(self.ProductRecord, product_sk(product.id), product, _PRODUCT_FIELDS).save(
                condition=self.ProductRecord.pk.does_not_exist()
            )

    def get_product(self, tenant_id: str, product_id: str) -> Producto | None:
        r = _get(self.ProductRecord, tenant_id, product_sk(product_id))
        return None if r is None else _product_of(r)

    def list_products(self, tenant_id: str) -> list[Producto]:
        query = self.ProductRecord.query(
            tenant_id, self.ProductRecord.sk.startswith("PRODUCTO#"), filter_condition=self.ProductRecord.deleted_at.does_not_exist()
        )
        return [_product_of(r) for r in query]

    def update_product(self, before: Producto, after: Producto, audit: AuditEntry | None = None) -> None:
        self._update(self.ProductRecord, product_sk(before.id), before, after, _PRODUCT_FIELDS, audit)

    # --- ingredientes -------------------------------------------------------------------

    def add_ingredient(self, ingredient: Ingrediente) -> None:
        with conflict_on_condition("El ingrediente ya existe"):
            _record(self.IngredientRecord, ingredient_sk(ingredient.id), ingredient, _INGREDIENT_FIELDS).save(
                condition=self.IngredientRecord.pk.does_not_exist()
            )

    def get_ingredient(self, tenant_id: str, ingredient_id: str) -> Ingrediente | None:
        r = _get(self.IngredientRecord, tenant_id, ingredient_sk(ingredient_id))
        return None if r is None else _ingredient_of(r)

    def get_ingredients(self, tenant_id: str, ingredient_ids: Iterable[str]) -> dict[str, Ingrediente]:
        keys = [(tenant_id, ingredient_sk(i)) for i in dict.fromkeys(ingredient_ids)]
        if not keys:
            return {}
        found = (_ingredient_of(r) for r in self.IngredientRecord.batch_get(keys, consistent_read=True))
        return {i.id: i for i in found}

    def list_ingredients(self, tenant_id: str) -> list[Ingrediente]:
        query = self.IngredientRecord.query(
            tenant_id,
            self.IngredientRecord.sk.startswith("INGREDIENTE#"),
            filter_condition=self.IngredientRecord.deleted_at.does_not_exist(),
        )
        return [_ingredient_of(r) for r in query]

    def update_ingredient(self, before: Ingrediente, after: Ingrediente) -> None:
        self._update(self.IngredientRecord, ingredient_sk(before.id), before, after, _INGREDIENT_FIELDS)

    # --- platos -------------------------------------------------------------------------

    def add_plato(self, plato: Plato) -> None:
        with conflict_on_condition("El plato ya existe"):
            _record(self.PlatoRecord, plato_sk(plato.id), plato, _PLATO_FIELDS).save(condition=self.PlatoRecord.pk.does_not_exist())

    def get_plato(self, tenant_id: str, plato_id: str) -> Plato | None:
        r = _get(self.PlatoRecord, tenant_id, plato_sk(plato_id))
        return None if r is None else _plato(r)

    def list_platos(self, tenant_id: str) -> list[Plato]:
        query = self.PlatoRecord.query(
            tenant_id, self.PlatoRecord.sk.startswith("PLATO#"), filter_condition=self.PlatoRecord.deleted_at.does_not_exist()
        )
        return [_plato(r) for r in query]

    def update_plato(self, before: Plato, after: Plato, audit: AuditEntry | None = None) -> None:
        self._update(self.PlatoRecord, plato_sk(before.id), before, after, _PLATO_FIELDS, audit)

    # --- recipes ------------------------------------------------------------------------

    def recipe(self, tenant_id: str, plato_id: str) -> list[RecipeLine]:
        """One Query: the plato's lines, ordered by ingrediente id."""
        return [_line(r) for r in self.RecipeLineRecord.query(tenant_id, self.RecipeLineRecord.sk.startswith(recipe_prefix(plato_id)))]

    def get_recipe_line(self, tenant_id: str, plato_id: str, ingredient_id: str) -> RecipeLine | None:
        r = _get(self.RecipeLineRecord, tenant_id, recipe_sk(plato_id, ingredient_id))
        return None if r is None else _line(r)

    def add_recipe_line(self, line: RecipeLine) -> None:
        """The line is written only if the plato and the ingrediente are live at that moment
        (ConditionChecks in the same transaction) and the line does not exist yet."""
        record = self.RecipeLineRecord(
            line.tenant_id,
            recipe_sk(line.plato_id, line.ingrediente_id),
            plato_id=line.plato_id,
            ingrediente_id=line.ingrediente_id,
            cantidad=line.cantidad,
            created_at=line.created_at,
            updated_at=line.updated_at,
        )
        try:
            with transaction(self._settings) as tx:
                tx.condition_check(self.PlatoRecord, line.tenant_id, plato_sk(line.plato_id), condition=_live(self.PlatoRecord))
                ingredients = self.IngredientRecord
                tx.condition_check(ingredients, line.tenant_id, ingredient_sk(line.ingrediente_id), condition=_live(ingredients))
                tx.save(record, condition=self.RecipeLineRecord.pk.does_not_exist())
        except TransactWriteError as exc:
            codes = cancellation_codes(exc) + [None, None, None]
            if codes[0] == "ConditionalCheckFailed":
                raise NotFound(f"Plato con id {line.plato_id} no encontrado") from exc
            if codes[1] == "ConditionalCheckFailed":
                raise NotFound(f"Ingrediente con id {line.ingrediente_id} no encontrado") from exc
            if codes[2] == "ConditionalCheckFailed":
                raise Conflict(f"El ingrediente {line.ingrediente_id} ya está en la receta del plato {line.plato_id}") from exc
            if "TransactionConflict" in codes:
                raise Conflict(CONCURRENT_EDIT) from exc
            raise

    def update_recipe_line(self, before: RecipeLine, after: RecipeLine) -> None:
        sk = recipe_sk(before.plato_id, before.ingrediente_id)
        with conflict_on_condition(CONCURRENT_EDIT):
            self.RecipeLineRecord(before.tenant_id, sk).update(
                actions=[self.RecipeLineRecord.cantidad.set(after.cantidad), self.RecipeLineRecord.updated_at.set(after.updated_at)],
                condition=self.RecipeLineRecord.pk.exists() & (self.RecipeLineRecord.cantidad == before.cantidad),
            )

    def remove_recipe_line(self, tenant_id: str, plato_id: str, ingredient_id: str) -> None:
        try:
            with conflict_on_condition("missing"):
                line = self.RecipeLineRecord(tenant_id, recipe_sk(plato_id, ingredient_id))
                line.delete(condition=self.RecipeLineRecord.pk.exists())
        except Conflict as exc:
            raise NotFound(f"El ingrediente {ingredient_id} no está en la receta del plato {plato_id}") from exc

    # --- stock (used by the sale close, inside its transaction) --------------------------

    def add_stock_deductions(
        self, tx: TransactWrite, tenant_id: str, products: Mapping[str, Decimal], ingredients: Mapping[str, Decimal],
        crossing: Mapping[str, bool] | None = None,
    ) -> None:
        """One atomic ADD of -qty per id, conditioned only on the item existing: stock may go
        negative, a sale never fails for stock. A soft-deleted item is still deducted (the sale
        did consume it). Zero quantities are skipped. The caller keeps the transaction within
        DynamoDB's 100-item limit."""
        for product_id, qty in products.items():
            if qty:
                tx.update(
                    self.ProductRecord(tenant_id, product_sk(product_id)),
                    actions=[self.ProductRecord.stock.add(-Decimal(qty))],
                    condition=self.ProductRecord.pk.exists(),
                )
        stock = self.IngredientRecord.cantidad
        for ingredient_id, qty in ingredients.items():
            if qty:
                condition = self.IngredientRecord.pk.exists()
                if crossing is not None and ingredient_id in crossing:
                    takes_below = (stock >= 0) & (stock < Decimal(qty))
                    condition &= takes_below if crossing[ingredient_id] else ~takes_below
                tx.update(
                    self.IngredientRecord(tenant_id, ingredient_sk(ingredient_id)),
                    actions=[stock.add(-Decimal(qty))],
                    condition=condition,
                )

    def stage_sold_out(self, tx: TransactWrite, tenant_id: str, plato_id: str, now: datetime) -> None:
        record = self.PlatoRecord
        tx.update(record(tenant_id, plato_sk(plato_id)), actions=[record.agotado.set(True), record.updated_at.set(now)],
                  condition=record.pk.exists() & (record.agotado.does_not_exist() | (record.agotado == False)))  # noqa: E712

    def platos_using(self, tenant_id: str, ingredient_ids: Iterable[str]) -> set[str]:
        """The platos whose recipe uses any of the ingredients: one Query of the tenant's recipe
        lines (bounded by the menu, not by sales)."""
        wanted = set(ingredient_ids)
        lines = self.RecipeLineRecord.query(tenant_id, self.RecipeLineRecord.sk.startswith("RECETA#"))
        return {line.plato_id for line in lines if line.ingrediente_id in wanted}
