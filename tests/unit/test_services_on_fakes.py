"""The service layer on the in-memory repositories (held to the DynamoDB contract in
tests/integration/test_repository_contracts.py): retry on a conflicting write, giving up with
409, closing a sale with its stock and caja tally in one unit of work, the one-open-caja
lock, and the branch time zone. Pure and fast: no AWS."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from chalicelib.auth import Principal
from chalicelib.domain.audit import AuditEntry
from chalicelib.domain.caja import Caja, Gasto
from chalicelib.domain.catalog import Ingrediente, Plato, RecipeLine
from chalicelib.domain.sales import Sale
from chalicelib.domain.tenancy import Branch
from chalicelib.errors import Conflict, InvalidInput, NotFound, StaleCaja, VersionConflict
from chalicelib.services.caja import CajaService
from chalicelib.services.catalog import CatalogService
from chalicelib.services.catalog_cache import CACHE_SECONDS, CatalogCache
from chalicelib.services.sales import MAX_ATTEMPTS, SaleService
from chalicelib.services.zones import BranchTimezones
from tests.support.fakes import FakeUnitOfWork, InMemoryCajas, InMemoryCatalog, InMemorySaleReads, InMemorySales, InMemoryTenants

WHEN = datetime(2026, 3, 18, 12, 35, tzinfo=UTC)
CAJERO = Principal("2", "alpha", "centro", "cajero")


class RacingSales(InMemorySales):
    """Another request writes the sale just before each of our first `races` writes."""

    def __init__(self, races: int) -> None:
        super().__init__()
        self.races = races

    def _race(self, sale: Sale) -> None:
        if self.races > 0:
            self.races -= 1
            other = self.get(sale.tenant_id, sale.id)
            assert other is not None
            other.concepto = f"{other.concepto} (otra petición)"
            super().save(other)

    def save(self, sale: Sale) -> None:
        self._race(sale)
        super().save(sale)

    def stage_save(self, tx: Any, sale: Sale) -> None:
        self._race(sale)
        super().stage_save(tx, sale)


@dataclass
class Shop:
    sales: InMemorySales = field(default_factory=InMemorySales)
    catalog: InMemoryCatalog = field(default_factory=InMemoryCatalog)
    cajas: InMemoryCajas = field(default_factory=InMemoryCajas)
    tenants: InMemoryTenants = field(default_factory=InMemoryTenants)
    sleeps: list[float] = field(default_factory=list)
    commits: list[FakeUnitOfWork] = field(default_factory=list)
    clock: list[float] = field(default_factory=lambda: [1000.0])
    cache: CatalogCache = field(init=False)
    reads: InMemorySaleReads = field(init=False)

    def __post_init__(self) -> None:
        self.cache = CatalogCache(clock=lambda: self.clock[0])
        self.reads = InMemorySaleReads(self.sales, self.catalog)

    def service(self) -> SaleService:
        def unit_of_work() -> FakeUnitOfWork:
            uow = FakeUnitOfWork(self.sales, self.catalog, self.cajas)
            self.commits.append(uow)
            return uow

        service = SaleService(self.sales, self.catalog, self.cajas, self.tenants, None,  # type: ignore[arg-type]
                              BranchTimezones(self.tenants, "America/La_Paz"), unit_of_work, reads=self.reads,
                              catalog_cache=self.cache)
        service.sleep = self.sleeps.append
        return service

    def caja_service(self) -> CajaService:
        service = CajaService(self.cajas, self.tenants, BranchTimezones(self.tenants, "America/Bogota"))
        service.sleep = self.sleeps.append
        return service


def shop_with_a_silpancho(sales: InMemorySales | None = None) -> Shop:
    shop = Shop(sales=sales or InMemorySales())
    shop.catalog.add_plato(Plato("alpha", "plato_1", "Silpancho", Decimal("25.00"), "cocina", WHEN, WHEN))
    shop.catalog.add_ingredient(Ingrediente("alpha", "ing_1", "Carne", "kg", Decimal("10"), Decimal("1"), WHEN, WHEN))
    shop.catalog.add_recipe_line(RecipeLine("alpha", "plato_1", "ing_1", Decimal("0.250"), WHEN, WHEN))
    shop.tenants.add_branch(Branch("alpha", "centro", "Centro"))
    shop.cajas.open(Caja.open("alpha", 1, "centro", {"b100": 1}, "2", "2026-03-18T12:00:00.000000Z"))
    return shop


def a_sale_with_a_silpancho(shop: Shop) -> int:
    sale = shop.service().create(CAJERO, "centro", {"nro_reg": 1, "concepto": "Mesa 4", "mesa": "4",
                                                    "items": [{"plato_id": "plato_1", "cantidad": Decimal(2)}]})
    return sale.id


# --- retry and give-up --------------------------------------------------------------------------


def test_a_conflicting_write_is_retried_on_fresh_state_and_both_changes_survive() -> None:
    shop = shop_with_a_silpancho(RacingSales(races=0))
    sale_id = a_sale_with_a_silpancho(shop)
    assert isinstance(shop.sales, RacingSales)
    shop.sales.races = 2
    updated = shop.service().update(CAJERO, sale_id, {"mesa": "9"})
    assert updated.mesa == "9" and updated.concepto == "Mesa 4 (otra petición) (otra petición)"
    assert len(shop.sleeps) == 2 and all(0 <= s <= 0.2 for s in shop.sleeps)


def test_a_sale_that_never_stops_changing_gives_up_with_409_and_writes_nothing_of_ours() -> None:
    shop = shop_with_a_silpancho(RacingSales(races=0))
    sale_id = a_sale_with_a_silpancho(shop)
    assert isinstance(shop.sales, RacingSales)
    shop.sales.races = MAX_ATTEMPTS
    with pytest.raises(Conflict) as refused:
        shop.service().update(CAJERO, sale_id, {"mesa": "9"})
    assert not isinstance(refused.value, VersionConflict) and "muy solicitada" in refused.value.message
    stored = shop.sales.get("alpha", sale_id)
    assert stored is not None and stored.mesa == "4"
    assert len(shop.sleeps) == MAX_ATTEMPTS - 1


# --- close with stock ---------------------------------------------------------------------------


def test_paying_a_sale_in_full_closes_it_consuming_recipe_stock_and_tallying_the_caja_in_one_unit() -> None:
    shop = shop_with_a_silpancho()
    sale_id = a_sale_with_a_silpancho(shop)
    shop.service().complete_kitchen(CAJERO, sale_id)  # a sale closes once paid and out of the kitchen
    shop.commits.clear()
    sale, payment = shop.service().pay(CAJERO, sale_id, {"metodo_pago": "qr", "monto": Decimal("50.00")})
    assert sale.estado == "cerrado" and payment.monto == Decimal("50.00")
    assert [u.commits for u in shop.commits] == [1]
    ingrediente = shop.catalog.get_ingredient("alpha", "ing_1")
    assert ingrediente is not None and ingrediente.cantidad == Decimal("9.500")
    caja = shop.cajas.get("alpha", 1)
    assert caja is not None and caja.ventas_qr == Decimal("50.00")


def test_a_close_that_loses_a_race_is_retried_and_consumes_stock_exactly_once() -> None:
    shop = shop_with_a_silpancho(RacingSales(races=0))
    sale_id = a_sale_with_a_silpancho(shop)
    assert isinstance(shop.sales, RacingSales)
    shop.service().complete_kitchen(CAJERO, sale_id)
    shop.sales.races = 3
    sale, _ = shop.service().pay(CAJERO, sale_id, {"metodo_pago": "efectivo", "monto": Decimal("50.00")})
    assert sale.estado == "cerrado"
    assert shop.catalog.get_ingredient("alpha", "ing_1").cantidad == Decimal("9.500")  # type: ignore[union-attr]
    assert shop.cajas.get("alpha", 1).ventas_efectivo == Decimal("50.00")  # type: ignore[union-attr]
    with pytest.raises(InvalidInput):
        shop.service().pay(CAJERO, sale_id, {"metodo_pago": "efectivo", "monto": Decimal("1.00")})
    assert shop.catalog.get_ingredient("alpha", "ing_1").cantidad == Decimal("9.500")  # type: ignore[union-attr]


# --- the caja lock ------------------------------------------------------------------------------


def test_a_second_open_caja_on_a_branch_is_refused_with_409() -> None:
    shop = Shop()
    service = shop.caja_service()
    service.open(CAJERO, "centro", {"b100": 1})
    with pytest.raises(Conflict):
        service.open(CAJERO, "centro", {"b100": 1})
    assert service.open(CAJERO, "norte", {"b50": 1}).branch_id == "norte"


class RacingCajas(InMemoryCajas):
    """An expense lands between our read and our close, `races` times."""

    races = 0

    def close(self, before: Caja, after: Caja, audit: AuditEntry | None = None) -> None:
        if self.races > 0:
            self.races -= 1
            current = self.get(before.tenant_id, before.id)
            assert current is not None
            self.add_gasto(Gasto.create("alpha", 100 + self.races, current, "Hielo", "efectivo", Decimal("1.00"), "2", "now"))
        super().close(before, after, audit)


def test_closing_a_caja_that_changes_underneath_is_recomputed_with_the_new_expenses() -> None:
    shop = Shop(cajas=RacingCajas())
    service = shop.caja_service()
    service.open(CAJERO, "centro", {"b100": 1})
    shop.cajas.races = 2  # type: ignore[attr-defined]
    closed = service.close(CAJERO, "centro", {"b50": 2}, None)
    assert not closed.is_open and closed.gastos_efectivo == Decimal("2.00") and len(shop.sleeps) == 2
    assert shop.cajas.get_open("alpha", "centro") is None


def test_an_expense_on_a_caja_closed_meanwhile_says_there_is_no_open_caja() -> None:
    shop = Shop()
    service = shop.caja_service()
    service.open(CAJERO, "centro", {"b100": 1})
    real_add_gasto = shop.cajas.add_gasto

    def closed_meanwhile(gasto: Gasto) -> None:
        raise StaleCaja("closed")

    shop.cajas.add_gasto = closed_meanwhile  # type: ignore[method-assign]
    with pytest.raises(InvalidInput):
        service.add_gasto(CAJERO, "centro", {"descripcion": "x", "metodo_pago": "qr", "monto": Decimal("1.00")})
    shop.cajas.add_gasto = real_add_gasto  # type: ignore[method-assign]


# --- the branch time zone -----------------------------------------------------------------------


def test_the_caja_service_uses_the_configured_default_time_zone_for_a_branch_without_one() -> None:
    shop = Shop()
    assert shop.caja_service().timezone("alpha", "unknown") == "America/Bogota"


def test_a_branch_time_zone_change_is_seen_after_the_cache_minute() -> None:
    tenants = InMemoryTenants()
    tenants.add_branch(Branch("alpha", "centro", "Centro", "America/La_Paz"))
    now = [0.0]
    zones = BranchTimezones(tenants, "UTC", clock=lambda: now[0])
    assert zones("alpha", "centro") == "America/La_Paz"
    tenants.replace_branch(Branch("alpha", "centro", "Centro", "America/Lima"))
    now[0] = 59.0
    assert zones("alpha", "centro") == "America/La_Paz"
    now[0] = 61.0
    assert zones("alpha", "centro") == "America/Lima"


# --- catalog entries read with the sale, and cached -----------------------------------------------


def test_adding_an_item_reads_the_sale_and_its_plato_together_once_then_the_plato_from_the_cache() -> None:
    shop = shop_with_a_silpancho()
    tx = a_sale_with_a_silpancho(shop)
    shop.cache.forget("alpha", "plato_1")  # the create above cached it
    shop.service().add_item(CAJERO, tx, {"plato_id": "plato_1", "cantidad": Decimal(1)})
    assert shop.reads.calls == 1
    _, item = shop.service().add_item(CAJERO, tx, {"plato_id": "plato_1", "cantidad": Decimal(1)})
    assert shop.reads.calls == 1, "the plato was fresh in the cache: the sale alone was read"
    assert item.precio_unitario == Decimal("25.00")


def test_a_price_changed_in_this_process_is_charged_at_once() -> None:
    shop = shop_with_a_silpancho()
    tx = a_sale_with_a_silpancho(shop)
    catalog = CatalogService(shop.catalog, cache=shop.cache)
    catalog.update_plato("alpha", "plato_1", {"precio": Decimal("30.00")})
    _, item = shop.service().add_item(CAJERO, tx, {"plato_id": "plato_1", "cantidad": Decimal(1)})
    assert item.precio_unitario == Decimal("30.00")


def test_a_price_changed_by_another_process_is_charged_once_the_cache_entry_expires_and_not_later() -> None:
    shop = shop_with_a_silpancho()
    tx = a_sale_with_a_silpancho(shop)  # caches the plato at 25.00
    plato = shop.catalog.get_plato("alpha", "plato_1")
    assert plato is not None
    shop.catalog.update_plato(plato, plato.changed({"precio": Decimal("30.00")}, WHEN))  # another container's write
    shop.clock[0] += CACHE_SECONDS - 0.1
    _, stale = shop.service().add_item(CAJERO, tx, {"plato_id": "plato_1", "cantidad": Decimal(1)})
    assert stale.precio_unitario == Decimal("25.00"), "within the documented window the cached price may be charged"
    shop.clock[0] += 0.1
    _, fresh = shop.service().add_item(CAJERO, tx, {"plato_id": "plato_1", "cantidad": Decimal(1)})
    assert fresh.precio_unitario == Decimal("30.00")


def test_a_read_in_flight_while_this_process_changes_the_price_is_not_cached() -> None:
    cache = CatalogCache(clock=lambda: 0.0)
    generation = cache.generation()
    cache.forget("alpha", "plato_1")  # the price changed while the old one was being read
    cache.put("alpha", ("plato", "plato_1"), "old price", generation)
    assert cache.get("alpha", ("plato", "plato_1")) is None


def test_an_extra_of_a_deleted_ingrediente_is_refused_and_a_live_one_is_checked_with_the_sale_read() -> None:
    shop = shop_with_a_silpancho()
    tx = a_sale_with_a_silpancho(shop)
    sale = shop.sales.get("alpha", tx)
    assert sale is not None
    extra = {"ingrediente_id": "ing_1", "precio": Decimal("3.00"), "cantidad": Decimal(1)}
    shop.service().add_extra(CAJERO, tx, sale.items[0].id, extra)
    assert shop.reads.calls == 1
    CatalogService(shop.catalog, cache=shop.cache).delete_ingredient("alpha", "ing_1")
    with pytest.raises(NotFound):
        shop.service().add_extra(CAJERO, tx, sale.items[0].id, extra)


def test_creating_a_sale_takes_the_open_caja_from_the_branchs_lock() -> None:
    shop = shop_with_a_silpancho()
    sale = shop.sales.get("alpha", a_sale_with_a_silpancho(shop))
    assert sale is not None and sale.caja_id == 1
    with pytest.raises(InvalidInput):
        shop.service().create(CAJERO, "centro", {"nro_reg": 1, "concepto": "Mesa 5", "caja_id": 2})


def test_the_catalog_cache_drops_expired_entries_and_never_grows_past_its_bound() -> None:
    from chalicelib.services import catalog_cache

    now = [0.0]
    cache = CatalogCache(seconds=5, clock=lambda: now[0])
    cache.put("alpha", ("plato", "p1"), "entry", cache.generation())
    now[0] = 6.0
    assert cache.get("alpha", ("plato", "p1")) is None and cache.size() == 0, "an expired entry is dropped when met"
    for n in range(catalog_cache.MAX_ENTRIES + 50):
        now[0] = 6.0 + n * 0.001
        cache.put("alpha", ("plato", f"p{n}"), n, cache.generation())
    assert cache.size() <= catalog_cache.MAX_ENTRIES
    assert cache.get("alpha", ("plato", f"p{catalog_cache.MAX_ENTRIES + 49}")) == catalog_cache.MAX_ENTRIES + 49
