"""One contract, two implementations: the DynamoDB CatalogRepository and the in-memory fake
must behave the same, so tests written against the fake say something true about DynamoDB."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from chalicelib.domain.catalog import Ingrediente, Plato, Producto, RecipeLine
from chalicelib.errors import Conflict, NotFound
from chalicelib.services.ports import CatalogStore
from tests.support.fakes import FakeTransaction, InMemoryCatalog, TransactionCancelled

T0 = datetime(2026, 3, 18, 12, 35, tzinfo=UTC)
T1 = T0 + timedelta(minutes=5)


@dataclass
class Subject:
    repo: CatalogStore
    transaction: Callable[[], AbstractContextManager[Any]]
    cancelled: type[Exception]


@pytest.fixture(params=["dynamodb", "memory"])
def subject(request: pytest.FixtureRequest) -> Subject:
    if request.param == "memory":
        return Subject(InMemoryCatalog(), FakeTransaction, TransactionCancelled)
    request.getfixturevalue("aws")
    from pynamodb.exceptions import TransactWriteError

    from chalicelib.container import get_services
    from chalicelib.store.audit import AuditRepository
    from chalicelib.store.base import transaction
    from chalicelib.store.catalog import CatalogRepository

    settings = get_services().settings
    return Subject(CatalogRepository(settings, AuditRepository(settings)), lambda: transaction(settings), TransactWriteError)


def producto(tenant: str = "alpha", pid: str = "prod_00000001", **kw: Any) -> Producto:
    base = Producto(tenant, pid, "Coca-Cola", Decimal("8.00"), Decimal(10), "botella", T0, T0)
    return replace(base, **kw)


def ingrediente(tenant: str = "alpha", iid: str = "ing_00000001", **kw: Any) -> Ingrediente:
    base = Ingrediente(tenant, iid, "Papa", "kg", Decimal("30.000"), Decimal("8"), T0, T0)
    return replace(base, **kw)


def plato(tenant: str = "alpha", pid: str = "plato_00000001", **kw: Any) -> Plato:
    base = Plato(tenant, pid, "Silpancho", Decimal("35.00"), "cocina", T0, T0)
    return replace(base, **kw)


def line(plato_id: str = "plato_00000001", ing_id: str = "ing_00000001", cantidad: str = "0.150") -> RecipeLine:
    return RecipeLine("alpha", plato_id, ing_id, Decimal(cantidad), T0, T0)


class TestCatalogStoreContract:
    def test_what_is_added_is_read_back_exactly(self, subject: Subject) -> None:
        p, i, d = producto(), ingrediente(), plato(estacion="parrilla")
        subject.repo.add_product(p)
        subject.repo.add_ingredient(i)
        subject.repo.add_plato(d)
        assert subject.repo.get_product("alpha", p.id) == p
        assert subject.repo.get_ingredient("alpha", i.id) == i
        assert subject.repo.get_plato("alpha", d.id) == d
        assert subject.repo.get_plato("alpha", d.id).estacion == "parrilla"  # type: ignore[union-attr]

    def test_decimals_keep_their_exact_value(self, subject: Subject) -> None:
        subject.repo.add_ingredient(ingrediente(cantidad=Decimal("0.1"), cantidad_minima=Decimal("0.2")))
        stored = subject.repo.get_ingredient("alpha", "ing_00000001")
        assert stored is not None and stored.cantidad == Decimal("0.1") and stored.cantidad_minima == Decimal("0.2")

    def test_adding_an_existing_id_is_a_conflict(self, subject: Subject) -> None:
        subject.repo.add_product(producto())
        with pytest.raises(Conflict):
            subject.repo.add_product(producto(nombre="Otro"))
        assert subject.repo.get_product("alpha", "prod_00000001").nombre == "Coca-Cola"  # type: ignore[union-attr]

    def test_an_unknown_id_or_another_tenants_object_reads_as_none(self, subject: Subject) -> None:
        subject.repo.add_product(producto(tenant="alpha"))
        assert subject.repo.get_product("alpha", "prod_zzzzzzzz") is None
        assert subject.repo.get_product("beta", "prod_00000001") is None
        assert subject.repo.list_products("beta") == []

    def test_lists_hold_only_the_live_objects_of_one_kind_and_tenant(self, subject: Subject) -> None:
        subject.repo.add_product(producto(pid="prod_00000001"))
        subject.repo.add_product(producto(pid="prod_00000002", deleted_at=T1))
        subject.repo.add_product(producto(tenant="beta", pid="prod_00000003"))
        subject.repo.add_plato(plato())
        subject.repo.add_ingredient(ingrediente())
        assert [p.id for p in subject.repo.list_products("alpha")] == ["prod_00000001"]
        assert [p.id for p in subject.repo.list_platos("alpha")] == ["plato_00000001"]
        assert [i.id for i in subject.repo.list_ingredients("alpha")] == ["ing_00000001"]

    def test_update_writes_the_changed_fields_and_updated_at(self, subject: Subject) -> None:
        before = producto()
        subject.repo.add_product(before)
        after = replace(before, precio=Decimal("9.50"), nombre="Coca-Cola 2L", updated_at=T1)
        subject.repo.update_product(before, after)
        assert subject.repo.get_product("alpha", before.id) == after

    def test_an_update_from_stale_data_is_a_conflict_and_changes_nothing(self, subject: Subject) -> None:
        before = producto()
        subject.repo.add_product(before)
        subject.repo.update_product(before, replace(before, stock=Decimal(7), updated_at=T1))
        with pytest.raises(Conflict):
            subject.repo.update_product(before, replace(before, stock=Decimal(50), updated_at=T1))
        assert subject.repo.get_product("alpha", before.id).stock == Decimal(7)  # type: ignore[union-attr]

    def test_an_update_of_other_fields_keeps_a_stock_changed_meanwhile(self, subject: Subject) -> None:
        before = producto()
        subject.repo.add_product(before)
        with subject.transaction() as tx:
            subject.repo.add_stock_deductions(tx, "alpha", {before.id: Decimal(3)}, {})
        subject.repo.update_product(before, replace(before, precio=Decimal("10.00"), updated_at=T1))
        stored = subject.repo.get_product("alpha", before.id)
        assert stored is not None and stored.stock == Decimal(7) and stored.precio == Decimal("10.00")

    def test_soft_delete_keeps_the_object_readable_by_id_but_out_of_lists(self, subject: Subject) -> None:
        before = plato()
        subject.repo.add_plato(before)
        subject.repo.update_plato(before, before.soft_deleted(T1))
        stored = subject.repo.get_plato("alpha", before.id)
        assert stored is not None and stored.deleted and stored.deleted_at == T1
        assert subject.repo.list_platos("alpha") == []

    def test_a_deleted_object_cannot_be_updated_or_deleted_again(self, subject: Subject) -> None:
        before = ingrediente()
        subject.repo.add_ingredient(before)
        subject.repo.update_ingredient(before, before.soft_deleted(T1))
        with pytest.raises(Conflict):
            subject.repo.update_ingredient(before, replace(before, nombre="Camote", updated_at=T1))
        with pytest.raises(Conflict):
            subject.repo.update_ingredient(before, before.soft_deleted(T1))

    def test_recipe_lines_are_added_listed_updated_and_removed(self, subject: Subject) -> None:
        subject.repo.add_plato(plato())
        subject.repo.add_ingredient(ingrediente(iid="ing_00000001"))
        subject.repo.add_ingredient(ingrediente(iid="ing_00000002", nombre="Arroz"))
        subject.repo.add_recipe_line(line(ing_id="ing_00000002", cantidad="0.2"))
        subject.repo.add_recipe_line(line(ing_id="ing_00000001", cantidad="0.150"))
        recipe = subject.repo.recipe("alpha", "plato_00000001")
        expected = [("ing_00000001", Decimal("0.150")), ("ing_00000002", Decimal("0.2"))]
        assert [(r.ingrediente_id, r.cantidad) for r in recipe] == expected

        first = recipe[0]
        subject.repo.update_recipe_line(first, replace(first, cantidad=Decimal("0.5"), updated_at=T1))
        assert subject.repo.get_recipe_line("alpha", "plato_00000001", "ing_00000001").cantidad == Decimal("0.5")  # type: ignore[union-attr]
        with pytest.raises(Conflict):
            subject.repo.update_recipe_line(first, replace(first, cantidad=Decimal("9"), updated_at=T1))

        subject.repo.remove_recipe_line("alpha", "plato_00000001", "ing_00000001")
        assert [r.ingrediente_id for r in subject.repo.recipe("alpha", "plato_00000001")] == ["ing_00000002"]
        with pytest.raises(NotFound):
            subject.repo.remove_recipe_line("alpha", "plato_00000001", "ing_00000001")

    def test_a_recipe_holds_only_its_own_platos_lines(self, subject: Subject) -> None:
        subject.repo.add_plato(plato(pid="plato_00000001"))
        subject.repo.add_plato(plato(pid="plato_000000011"))  # shares a prefix with the first
        subject.repo.add_ingredient(ingrediente())
        subject.repo.add_recipe_line(line(plato_id="plato_000000011"))
        assert subject.repo.recipe("alpha", "plato_00000001") == []
        assert len(subject.repo.recipe("alpha", "plato_000000011")) == 1
        assert subject.repo.recipe("beta", "plato_000000011") == []

    def test_a_duplicate_recipe_line_is_a_conflict(self, subject: Subject) -> None:
        subject.repo.add_plato(plato())
        subject.repo.add_ingredient(ingrediente())
        subject.repo.add_recipe_line(line(cantidad="0.150"))
        with pytest.raises(Conflict):
            subject.repo.add_recipe_line(line(cantidad="0.300"))
        assert subject.repo.get_recipe_line("alpha", "plato_00000001", "ing_00000001").cantidad == Decimal("0.150")  # type: ignore[union-attr]

    def test_a_recipe_line_needs_a_live_plato_and_a_live_ingrediente(self, subject: Subject) -> None:
        d, i = plato(), ingrediente()
        subject.repo.add_plato(d)
        subject.repo.add_ingredient(i)
        subject.repo.add_ingredient(ingrediente(tenant="beta", iid="ing_00000009"))
        with pytest.raises(NotFound, match="Plato"):
            subject.repo.add_recipe_line(line(plato_id="plato_zzzzzzzz"))
        with pytest.raises(NotFound, match="Ingrediente"):
            subject.repo.add_recipe_line(line(ing_id="ing_00000009"))  # beta's
        subject.repo.update_ingredient(i, i.soft_deleted(T1))
        with pytest.raises(NotFound, match="Ingrediente"):
            subject.repo.add_recipe_line(line())
        subject.repo.update_plato(d, d.soft_deleted(T1))
        with pytest.raises(NotFound, match="Plato"):
            subject.repo.add_recipe_line(line())
        assert subject.repo.recipe("alpha", d.id) == []

    def test_ingredientes_are_fetched_together_by_id(self, subject: Subject) -> None:
        subject.repo.add_ingredient(ingrediente(iid="ing_00000001"))
        subject.repo.add_ingredient(ingrediente(iid="ing_00000002", nombre="Arroz"))
        found = subject.repo.get_ingredients("alpha", ["ing_00000002", "ing_00000001", "ing_00000002", "ing_zzzzzzzz"])
        assert {k: v.nombre for k, v in found.items()} == {"ing_00000001": "Papa", "ing_00000002": "Arroz"}
        assert subject.repo.get_ingredients("alpha", []) == {}

    def test_stock_deductions_subtract_atomically_and_may_go_negative(self, subject: Subject) -> None:
        subject.repo.add_product(producto(stock=Decimal(2)))
        subject.repo.add_ingredient(ingrediente(cantidad=Decimal("1.000")))
        with subject.transaction() as tx:
            subject.repo.add_stock_deductions(tx, "alpha", {"prod_00000001": Decimal(3)}, {"ing_00000001": Decimal("0.450")})
        with subject.transaction() as tx:
            subject.repo.add_stock_deductions(tx, "alpha", {}, {"ing_00000001": Decimal("0.300")})
        assert subject.repo.get_product("alpha", "prod_00000001").stock == Decimal(-1)  # type: ignore[union-attr]
        assert subject.repo.get_ingredient("alpha", "ing_00000001").cantidad == Decimal("0.250")  # type: ignore[union-attr]

    def test_stock_deductions_apply_to_soft_deleted_items(self, subject: Subject) -> None:
        p = producto(stock=Decimal(5))
        subject.repo.add_product(p)
        subject.repo.update_product(p, p.soft_deleted(T1))
        with subject.transaction() as tx:
            subject.repo.add_stock_deductions(tx, "alpha", {p.id: Decimal(1)}, {})
        assert subject.repo.get_product("alpha", p.id).stock == Decimal(4)  # type: ignore[union-attr]

    def test_a_deduction_for_a_missing_item_cancels_the_whole_transaction(self, subject: Subject) -> None:
        subject.repo.add_product(producto(stock=Decimal(5)))
        with pytest.raises(subject.cancelled), subject.transaction() as tx:
            subject.repo.add_stock_deductions(tx, "alpha", {"prod_00000001": Decimal(1)}, {"ing_zzzzzzzz": Decimal(1)})
        assert subject.repo.get_product("alpha", "prod_00000001").stock == Decimal(5)  # type: ignore[union-attr]
        assert subject.repo.get_ingredient("alpha", "ing_zzzzzzzz") is None

    def test_deductions_are_per_tenant(self, subject: Subject) -> None:
        subject.repo.add_product(producto(tenant="alpha", stock=Decimal(5)))
        with pytest.raises(subject.cancelled), subject.transaction() as tx:
            subject.repo.add_stock_deductions(tx, "beta", {"prod_00000001": Decimal(1)}, {})
        assert subject.repo.get_product("alpha", "prod_00000001").stock == Decimal(5)  # type: ignore[union-attr]


def audit_of(subject: Subject) -> Any:
    if isinstance(subject.repo, InMemoryCatalog):
        return subject.repo.audit
    from chalicelib.container import get_services
    from chalicelib.store.audit import AuditRepository

    return AuditRepository(get_services().settings)


def test_a_price_change_and_its_audit_entry_are_written_together_or_not_at_all(subject: Subject) -> None:
    from tests.integration.test_repository_contracts import WHEN, an_entry

    repo, audit = subject.repo, audit_of(subject)
    repo.add_product(producto())
    before = repo.get_product("alpha", "prod_00000001")
    assert before is not None
    cheaper = replace(before, precio=Decimal("9.00"), updated_at=T1)
    repo.update_product(before, cheaper, an_entry(1, action="precio.cambiado"))
    with pytest.raises(Conflict):
        repo.update_product(before, replace(before, precio=Decimal("7.00"), updated_at=T1), an_entry(2, action="precio.cambiado"))
    found = audit.between("alpha", WHEN.replace(minute=0), WHEN.replace(minute=59), 10)
    assert [e.at.minute for e in found] == [1]
    assert repo.get_product("alpha", "prod_00000001").precio == Decimal("9.00")
