"""The catalog's pure rules, and the Catalog service run over the in-memory fake."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from chalicelib.domain.audit import AuditEntry
from chalicelib.domain.catalog import (
    Ingrediente,
    Plato,
    Producto,
    RecipeLine,
    by_name,
    check_money,
    is_id_of,
    new_id,
)
from chalicelib.errors import InvalidInput, NotFound
from chalicelib.services.catalog import CatalogService
from tests.support.fakes import InMemoryCatalog

T0 = datetime(2026, 3, 18, 12, 35, tzinfo=UTC)
T1 = T0 + timedelta(hours=1)


def _message(exc: pytest.ExceptionInfo[InvalidInput]) -> str:
    message = exc.value.message
    return " | ".join(message) if isinstance(message, list) else message


# --- ids ------------------------------------------------------------------------------------


def test_ids_are_a_prefix_and_8_random_base36_characters() -> None:
    ids = {new_id("plato") for _ in range(200)}
    assert len(ids) == 200
    assert all(re.fullmatch(r"plato_[a-z0-9]{8}", i) for i in ids)
    assert re.fullmatch(r"prod_[a-z0-9]{8}", new_id("prod"))
    assert re.fullmatch(r"ing_[a-z0-9]{8}", new_id("ing"))
    with pytest.raises(ValueError):
        new_id("usuario")


def test_an_id_of_the_wrong_kind_or_shape_is_recognised_as_impossible() -> None:
    assert is_id_of("plato", "plato_abc123")  # the original's own example
    assert is_id_of("ing", "ing_tomato01")
    assert not is_id_of("plato", "prod_abc12345")
    assert not is_id_of("prod", "prod_ABC")
    assert not is_id_of("prod", "prod_a#b")
    assert not is_id_of("prod", "prod_")
    assert not is_id_of("prod", "")


# --- money and quantities -------------------------------------------------------------------


def test_money_is_non_negative_with_at_most_two_decimals() -> None:
    assert check_money("8.5") == Decimal("8.5")
    assert check_money(0) == Decimal(0)
    for bad, message in ((Decimal("-0.01"), "must not be less than 0"), ("1.005", "must have at most 2 decimal places"),
                         (True, "must be a number"), (1.5, "must be a number"), ("NaN", "must be a number")):
        with pytest.raises(InvalidInput) as exc:
            check_money(bad)
        assert f"precio {message}" in _message(exc), bad


# --- productos ------------------------------------------------------------------------------


def test_a_new_producto_has_zero_stock_unless_given_and_trims_its_name() -> None:
    p = Producto.create("alpha", "prod_00000001", {"nombre": "  Agua  ", "precio": Decimal("6"), "unidad": "botella"}, T0)
    assert (p.nombre, p.precio, p.stock, p.activo, p.deleted) == ("Agua", Decimal(6), Decimal(0), True, False)
    assert p.created_at == p.updated_at == T0


def test_producto_stock_entered_by_hand_is_a_whole_non_negative_number() -> None:
    base = {"nombre": "Agua", "precio": 6, "unidad": "botella"}
    for stock, message in ((Decimal("1.5"), "stock must be an integer number"), (-1, "stock must not be less than 0")):
        with pytest.raises(InvalidInput) as exc:
            Producto.create("alpha", "prod_00000001", {**base, "stock": stock}, T0)
        assert message in _message(exc)


def test_producto_names_are_1_to_100_characters() -> None:
    base = {"precio": 6, "unidad": "botella"}
    with pytest.raises(InvalidInput, match="nombre should not be empty"):
        Producto.create("alpha", "prod_00000001", {**base, "nombre": "   "}, T0)
    with pytest.raises(InvalidInput, match="nombre must be shorter than or equal to 100"):
        Producto.create("alpha", "prod_00000001", {**base, "nombre": "x" * 101}, T0)
    assert Producto.create("alpha", "prod_00000001", {**base, "nombre": "x" * 100}, T0).nombre == "x" * 100


def test_changing_a_producto_touches_only_the_given_fields_and_updated_at() -> None:
    p = Producto.create("alpha", "prod_00000001", {"nombre": "Agua", "precio": 6, "stock": 10, "unidad": "botella"}, T0)
    q = p.changed({"precio": Decimal("7.50"), "nombre": None}, T1)
    assert (q.nombre, q.precio, q.stock, q.created_at, q.updated_at) == ("Agua", Decimal("7.50"), Decimal(10), T0, T1)
    with pytest.raises(InvalidInput):
        p.changed({"precio": -1}, T1)


def test_soft_delete_marks_the_time_and_deactivates() -> None:
    p = Producto.create("alpha", "prod_00000001", {"nombre": "Agua", "precio": 6, "unidad": "botella"}, T0)
    gone = p.soft_deleted(T1)
    assert (gone.deleted, gone.activo, gone.deleted_at, gone.updated_at) == (True, False, T1, T1)


# --- ingredientes ---------------------------------------------------------------------------


def test_an_ingrediente_is_below_minimum_only_when_strictly_under_it() -> None:
    i = Ingrediente.create("alpha", "ing_00000001", {"nombre": "Papa", "unidad": "kg", "cantidad": "8"}, T0)
    assert i.cantidad_minima == Decimal(0) and not i.bajo_minimo
    assert not replace(i, cantidad_minima=Decimal("8.000")).bajo_minimo
    assert replace(i, cantidad_minima=Decimal("8.001")).bajo_minimo


def test_ingrediente_quantities_are_non_negative_and_required() -> None:
    with pytest.raises(InvalidInput, match="cantidad must not be less than 0"):
        Ingrediente.create("alpha", "ing_00000001", {"nombre": "Papa", "unidad": "kg", "cantidad": -1}, T0)
    with pytest.raises(InvalidInput, match="cantidad must be a number"):
        Ingrediente.create("alpha", "ing_00000001", {"nombre": "Papa", "unidad": "kg"}, T0)
    i = Ingrediente.create("alpha", "ing_00000001", {"nombre": "Papa", "unidad": "kg", "cantidad": 1}, T0)
    with pytest.raises(InvalidInput, match="cantidad_minima must not be less than 0"):
        i.changed({"cantidad_minima": Decimal("-0.1")}, T1)


# --- platos ---------------------------------------------------------------------------------


def test_a_plato_goes_to_the_cocina_station_unless_told_otherwise() -> None:
    assert Plato.create("alpha", "plato_00000001", {"nombre": "Silpancho", "precio": 35}, T0).estacion == "cocina"
    churrasco = Plato.create("alpha", "plato_00000002", {"nombre": "Churrasco", "precio": 55, "estacion": "parrilla"}, T0)
    assert churrasco.estacion == "parrilla"
    assert churrasco.changed({"estacion": "bar"}, T1).estacion == "bar"


def test_a_station_is_a_lowercase_slug() -> None:
    for bad in ("Parrilla", "bar caliente", "", "1cocina", "x" * 31, 7):
        with pytest.raises(InvalidInput, match="estacion must match"):
            Plato.create("alpha", "plato_00000001", {"nombre": "Silpancho", "precio": 35, "estacion": bad}, T0)


# --- recipes and lists ----------------------------------------------------------------------


def test_a_recipe_line_uses_at_least_one_hundredth() -> None:
    line = RecipeLine.create("alpha", "plato_00000001", "ing_00000001", "0.01", T0)
    assert line.cantidad == Decimal("0.01")
    for bad in (0, "0.009", -1):
        with pytest.raises(InvalidInput, match="cantidad must not be less than 0.01"):
            RecipeLine.create("alpha", "plato_00000001", "ing_00000001", bad, T0)
    changed = line.with_quantity(Decimal("0.25"), T1)
    assert (changed.cantidad, changed.updated_at, changed.created_at) == (Decimal("0.25"), T1, T0)


def test_catalog_lists_sort_by_name_ignoring_case_then_by_id() -> None:
    def p(pid: str, nombre: str) -> Producto:
        return Producto("alpha", pid, nombre, Decimal(1), Decimal(0), "u", T0, T0)

    items = [p("prod_3", "banana"), p("prod_2", "Agua"), p("prod_1", "agua")]
    assert [(x.nombre, x.id) for x in by_name(items)] == [("agua", "prod_1"), ("Agua", "prod_2"), ("banana", "prod_3")]


# --- the service over the fake --------------------------------------------------------------


@pytest.fixture
def catalog() -> CatalogService[Any]:
    return CatalogService(InMemoryCatalog())


def test_the_seeds_calls_create_a_usable_catalog(catalog: CatalogService[Any]) -> None:
    papa = catalog.create_ingredient(
        "demo", {"nombre": "Papa", "unidad": "kg", "cantidad": Decimal("30.000"), "cantidad_minima": Decimal("8")}
    )
    plato = catalog.create_plato("demo", {"nombre": "Churrasco", "precio": Decimal("55.00"), "estacion": "parrilla"})
    catalog.add_recipe_line("demo", plato.id, {"ingrediente_id": papa.id, "cantidad": Decimal("0.250")})
    catalog.create_product("demo", {"nombre": "Agua", "precio": Decimal("6.00"), "stock": 36, "unidad": "botella"})
    assert [p.nombre for p in catalog.list_products("demo")] == ["Agua"]
    _, recipe = catalog.get_plato_with_recipe("demo", plato.id)
    assert [(e.ingrediente.nombre if e.ingrediente else None, e.line.cantidad) for e in recipe] == [("Papa", Decimal("0.250"))]
    assert catalog.repo.recipe("demo", plato.id)[0].cantidad == Decimal("0.250")


def test_a_duplicate_recipe_line_is_invalid_input_naming_ingrediente_id(catalog: CatalogService[Any]) -> None:
    papa = catalog.create_ingredient("demo", {"nombre": "Papa", "unidad": "kg", "cantidad": 1})
    plato = catalog.create_plato("demo", {"nombre": "Silpancho", "precio": 35})
    catalog.add_recipe_line("demo", plato.id, {"ingrediente_id": papa.id, "cantidad": 1})
    with pytest.raises(InvalidInput) as exc:
        catalog.add_recipe_line("demo", plato.id, {"ingrediente_id": papa.id, "cantidad": 2})
    assert "ingrediente_id" in _message(exc)


def test_deleted_and_foreign_objects_are_not_found_alike(catalog: CatalogService[Any]) -> None:
    p = catalog.create_product("alpha", {"nombre": "Agua", "precio": 6, "unidad": "botella"})
    catalog.delete_product("alpha", p.id)
    with pytest.raises(NotFound) as deleted:
        catalog.get_product("alpha", p.id)
    q = catalog.create_product("alpha", {"nombre": "Agua", "precio": 6, "unidad": "botella"})
    with pytest.raises(NotFound) as foreign:
        catalog.get_product("beta", q.id)
    assert deleted.value.message == f"Producto con id {p.id} no encontrado"
    assert foreign.value.message == f"Producto con id {q.id} no encontrado"


def test_an_update_racing_a_delete_is_not_found(catalog: CatalogService[Any]) -> None:
    p = catalog.create_product("alpha", {"nombre": "Agua", "precio": 6, "unidad": "botella"})
    original_update = catalog.repo.update_product

    def delete_first(before: Producto, after: Producto, audit: AuditEntry | None = None) -> None:
        original_update(before, before.soft_deleted(T1))  # someone else deletes it in between
        original_update(before, after, audit)

    catalog.repo.update_product = delete_first
    with pytest.raises(NotFound):
        catalog.update_product("alpha", p.id, {"precio": 7})
