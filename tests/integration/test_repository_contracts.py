"""One contract per repository port, two implementations each: DynamoDB (moto) and the
in-memory fake. Service tests written against the fakes say something true about DynamoDB
only while both pass the same checks here (the catalog has its own contract file)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from chalicelib.domain.audit import AuditEntry
from chalicelib.domain.caja import Caja, Gasto
from chalicelib.domain.catalog import Ingrediente, Plato, Producto
from chalicelib.domain.clock import iso
from chalicelib.domain.connections import Connection, Subscriber
from chalicelib.domain.tenancy import User
from chalicelib.errors import Conflict, StaleCaja, VersionConflict
from tests.support.fakes import (
    FakeUnitOfWork,
    InMemoryAttempts,
    InMemoryAudit,
    InMemoryCajas,
    InMemoryCatalog,
    InMemoryConnections,
    InMemorySaleReads,
    InMemorySales,
    InMemoryUsers,
)
from tests.support.sales import a_sale, with_plato

T0 = "2026-03-18T12:35:00.000000Z"
WHEN = datetime(2026, 3, 18, 12, 35, tzinfo=UTC)


def kinds(request: pytest.FixtureRequest) -> str:
    if request.param == "dynamodb":
        request.getfixturevalue("aws")
    return str(request.param)


def settings() -> Any:
    from chalicelib.container import get_services

    return get_services().settings


# --- sales ------------------------------------------------------------------------------------


@pytest.fixture(params=["dynamodb", "memory"])
def sales(request: pytest.FixtureRequest) -> Any:
    if kinds(request) == "memory":
        return InMemorySales()
    from chalicelib.store.sales import SaleRepository

    return SaleRepository(settings())


def test_a_sale_reads_back_as_written_and_only_in_its_tenant(sales: Any) -> None:
    sale = with_plato(a_sale())
    sales.add(sale)
    stored = sales.get("alpha", 7)
    assert stored is not None and stored.items[0].nombre == "Silpancho" and stored.version == 1
    assert sales.get("beta", 7) is None and sales.get("alpha", 8) is None


def test_adding_a_sale_id_twice_is_a_conflict(sales: Any) -> None:
    sales.add(a_sale())
    with pytest.raises(Conflict):
        sales.add(a_sale())


def test_saving_over_a_newer_version_is_a_version_conflict_and_changes_nothing(sales: Any) -> None:
    sales.add(a_sale())
    first, second = sales.get("alpha", 7), sales.get("alpha", 7)
    first.concepto = "primero"
    sales.save(first)
    assert first.version == 2
    second.concepto = "segundo"
    with pytest.raises(VersionConflict):
        sales.save(second)
    assert sales.get("alpha", 7).concepto == "primero"


def test_the_kitchen_queue_and_kds_lists_hold_only_their_sales_of_the_branch_oldest_first(sales: Any) -> None:
    sales.add(with_plato(a_sale(2, created_at="2026-03-18T12:40:00.000000Z")))
    sales.add(with_plato(a_sale(1, created_at=T0)))
    sales.add(a_sale(3))  # a table's sale with nothing for the kitchen display yet
    sales.add(with_plato(a_sale(4, branch="norte")))
    sales.add(a_sale(5, estado_cocina=None))  # no kitchen work at all
    assert [s.id for s in sales.kitchen_queue("alpha", "centro")] == [1, 3, 2]
    assert [s.id for s in sales.kds_active("alpha", "centro")] == [1, 2]
    assert sales.kitchen_queue("beta", "centro") == [] and [s.id for s in sales.kitchen_queue("alpha", "norte")] == [4]


def test_a_branchs_sales_come_newest_first_and_a_cajas_sales_by_caja(sales: Any) -> None:
    for n, minute in ((1, 35), (2, 36), (3, 37)):
        sales.add(a_sale(n, created_at=f"2026-03-18T12:{minute}:00.000000Z", caja_id=9 if n != 2 else None))
    assert [s.id for s in sales.by_branch("alpha", "centro", 2)] == [3, 2]
    assert [s.id for s in sales.by_caja("alpha", 9)] == [1, 3]
    assert sales.by_caja("beta", 9) == []


# --- cajas ------------------------------------------------------------------------------------


@pytest.fixture(params=["dynamodb", "memory"])
def cajas(request: pytest.FixtureRequest) -> Any:
    if kinds(request) == "memory":
        return InMemoryCajas()
    from chalicelib.store.audit import AuditRepository
    from chalicelib.store.cajas import CajaRepository

    return CajaRepository(settings(), AuditRepository(settings()))


def a_caja(caja_id: int = 1, branch: str = "centro", opened_at: str = T0) -> Caja:
    return Caja.open("alpha", caja_id, branch, {"b100": 2}, "2", opened_at)


def test_one_open_caja_per_branch(cajas: Any) -> None:
    cajas.open(a_caja(1))
    with pytest.raises(Conflict):
        cajas.open(a_caja(2))
    cajas.open(a_caja(3, branch="norte"))
    assert cajas.get_open("alpha", "centro").id == 1 and cajas.get_open("alpha", "norte").id == 3
    assert cajas.get_open("beta", "centro") is None


def test_closing_frees_the_branch_and_a_stale_close_is_refused(cajas: Any) -> None:
    cajas.open(a_caja(1))
    before = cajas.get("alpha", 1)
    cajas.add_gasto(Gasto.create("alpha", 1, before, "Hielo", "efectivo", Decimal("5.00"), "2", T0))
    with pytest.raises(StaleCaja):
        cajas.close(before, before.close({"b100": 2}, None, "2", T0))  # a gasto landed since the read
    fresh = cajas.get("alpha", 1)
    assert fresh.gastos_efectivo == Decimal("5.00") and [g.descripcion for g in cajas.gastos("alpha", 1)] == ["Hielo"]
    cajas.close(fresh, fresh.close({"b100": 2}, None, "2", T0))
    assert cajas.get_open("alpha", "centro") is None and not cajas.get("alpha", 1).is_open
    with pytest.raises(StaleCaja):
        cajas.add_gasto(Gasto.create("alpha", 2, fresh, "Tarde", "qr", Decimal("1.00"), "2", T0))
    cajas.open(a_caja(2, opened_at="2026-03-18T13:00:00.000000Z"))
    assert [c.id for c in cajas.history("alpha", "centro", 5)] == [2, 1]


def test_the_open_caja_id_comes_from_the_branchs_lock_and_is_gone_once_the_caja_closes(cajas: Any) -> None:
    assert cajas.open_caja_id("alpha", "centro") is None
    cajas.open(a_caja(4))
    assert cajas.open_caja_id("alpha", "centro") == 4
    assert cajas.open_caja_id("alpha", "norte") is None and cajas.open_caja_id("beta", "centro") is None
    before = cajas.get("alpha", 4)
    cajas.close(before, before.close({"b100": 2}, None, "2", T0))
    assert cajas.open_caja_id("alpha", "centro") is None


def test_an_arqueo_over_a_stale_read_is_refused(cajas: Any) -> None:
    cajas.open(a_caja(1))
    before = cajas.get("alpha", 1)
    after, _ = before.arqueo({"b100": 2}, None, "2", T0)
    cajas.add_arqueo(before, after)
    with pytest.raises(StaleCaja):
        cajas.add_arqueo(before, after)
    assert len(cajas.get("alpha", 1).arqueos) == 1


# --- audit ------------------------------------------------------------------------------------


@pytest.fixture(params=["dynamodb", "memory"])
def audit(request: pytest.FixtureRequest) -> Any:
    if kinds(request) == "memory":
        return InMemoryAudit()
    from chalicelib.store.audit import AuditRepository

    return AuditRepository(settings())


def an_entry(minute: int, tenant: str = "alpha", action: str = "caja.cerrada") -> AuditEntry:
    at = WHEN.replace(minute=minute)
    return AuditEntry(tenant, f"{iso(at)}#{minute:04d}", at, action, "caja:1", "2", "Cajero", "req-1", 2_000_000_000,
                      {"diferencia": "0.00"})


@pytest.fixture(params=["dynamodb", "memory"])
def cajas_with_audit(request: pytest.FixtureRequest) -> tuple[Any, Any]:
    if kinds(request) == "memory":
        cajas = InMemoryCajas()
        return cajas, cajas.audit
    from chalicelib.store.audit import AuditRepository
    from chalicelib.store.cajas import CajaRepository

    audit = AuditRepository(settings())
    return CajaRepository(settings(), audit), audit


def test_a_caja_close_and_its_audit_entry_are_written_together_or_not_at_all(cajas_with_audit: tuple[Any, Any]) -> None:
    cajas, audit = cajas_with_audit
    cajas.open(a_caja(1))
    before = cajas.get("alpha", 1)
    cajas.add_gasto(Gasto.create("alpha", 1, before, "Hielo", "efectivo", Decimal("5.00"), "2", T0))
    with pytest.raises(StaleCaja):
        cajas.close(before, before.close({"b100": 2}, None, "2", T0), an_entry(1))
    everything = (WHEN.replace(minute=0), WHEN.replace(minute=59), 10)
    assert audit.between("alpha", *everything) == []
    fresh = cajas.get("alpha", 1)
    cajas.close(fresh, fresh.close({"b100": 2}, None, "2", T0), an_entry(2))
    assert [e.entry_id for e in audit.between("alpha", *everything)] == [an_entry(2).entry_id]


def test_an_arqueo_and_its_audit_entry_are_written_together_or_not_at_all(cajas_with_audit: tuple[Any, Any]) -> None:
    cajas, audit = cajas_with_audit
    cajas.open(a_caja(1))
    before = cajas.get("alpha", 1)
    after, _ = before.arqueo({"b100": 2}, None, "2", T0)
    cajas.add_arqueo(before, after, an_entry(1))
    with pytest.raises(StaleCaja):
        cajas.add_arqueo(before, after, an_entry(2))
    assert [e.entry_id for e in audit.between("alpha", WHEN.replace(minute=0), WHEN.replace(minute=59), 10)] == [an_entry(1).entry_id]


def test_audit_entries_come_back_newest_first_within_the_range_and_the_tenant(audit: Any) -> None:
    for minute in (1, 2, 3, 4):
        audit.add(an_entry(minute))
    audit.add(an_entry(2, tenant="beta"))
    found = audit.between("alpha", WHEN.replace(minute=2), WHEN.replace(minute=3), 10)
    assert [e.at.minute for e in found] == [3, 2]
    assert found[0] == an_entry(3)
    assert [e.at.minute for e in audit.between("alpha", WHEN.replace(minute=0), WHEN.replace(minute=59), 2)] == [4, 3]
    assert [e.tenant_id for e in audit.between("beta", WHEN.replace(minute=0), WHEN.replace(minute=59), 10)] == ["beta"]


# --- login attempts ---------------------------------------------------------------------------


@pytest.fixture(params=["dynamodb", "memory"])
def attempts(request: pytest.FixtureRequest) -> Any:
    if kinds(request) == "memory":
        return InMemoryAttempts()
    from chalicelib.store.throttle import AttemptRepository

    return AttemptRepository(settings())


def test_failures_count_up_within_the_window_that_the_first_one_opened(attempts: Any) -> None:
    assert attempts.get("alpha", "admin") is None
    assert attempts.add_failure("alpha", "admin", 1_000, 900).failures == 1
    counted = attempts.add_failure("alpha", "admin", 1_500, 900)
    assert (counted.failures, counted.window_ends) == (2, 1_900)
    assert attempts.get("alpha", "admin") == counted
    assert attempts.get("alpha", "ghost") is None and attempts.get("beta", "admin") is None


def test_a_failure_after_the_window_opens_a_new_one_and_clear_forgets(attempts: Any) -> None:
    attempts.add_failure("alpha", "admin", 1_000, 900)
    attempts.add_failure("alpha", "admin", 1_001, 900)
    fresh = attempts.add_failure("alpha", "admin", 1_900, 900)
    assert (fresh.failures, fresh.window_ends) == (1, 2_800)
    attempts.clear("alpha", "admin")
    assert attempts.get("alpha", "admin") is None
    attempts.clear("alpha", "nobody")


# --- users ------------------------------------------------------------------------------------


@pytest.fixture(params=["dynamodb", "memory"])
def users(request: pytest.FixtureRequest) -> Any:
    if kinds(request) == "memory":
        return InMemoryUsers()
    from chalicelib.store.audit import AuditRepository
    from chalicelib.store.users import UserRepository

    return UserRepository(settings(), AuditRepository(settings()))


@pytest.fixture(params=["dynamodb", "memory"])
def users_with_audit(request: pytest.FixtureRequest) -> tuple[Any, Any]:
    if kinds(request) == "memory":
        users = InMemoryUsers()
        return users, users.audit
    from chalicelib.store.audit import AuditRepository
    from chalicelib.store.users import UserRepository

    audit = AuditRepository(settings())
    return UserRepository(settings(), audit), audit


def test_a_user_change_and_its_audit_entry_are_written_together_or_not_at_all(users_with_audit: tuple[Any, Any]) -> None:
    users, audit = users_with_audit
    users.add(a_user(1, "ana"), an_entry(1, action="usuario.creado"))
    users.add(a_user(2, "bea"))
    before = users.get("alpha", 1)
    with pytest.raises(Conflict):
        users.update(before, replace(before, nombre_usuario="bea"), an_entry(2, action="usuario.cambiado"))  # name taken
    users.update(before, replace(before, rol="cocina"), an_entry(3, action="usuario.cambiado"))
    with pytest.raises(Conflict):
        users.update(before, replace(before, rol="admin"), an_entry(4, action="usuario.cambiado"))  # stale read
    found = audit.between("alpha", WHEN.replace(minute=0), WHEN.replace(minute=59), 10)
    assert [e.at.minute for e in found] == [3, 1] and users.get("alpha", 1).rol == "cocina"


def a_user(user_id: int = 1, username: str = "ana", tenant: str = "alpha") -> User:
    return User(tenant, user_id, "Ana", username, "cajero", "centro", "scrypt$x", True, WHEN, WHEN)


def test_usernames_are_unique_per_tenant(users: Any) -> None:
    users.add(a_user(1, "ana"))
    with pytest.raises(Conflict):
        users.add(a_user(2, "ana"))
    users.add(a_user(1, "ana", tenant="beta"))
    assert users.get_by_username("alpha", "ana").user_id == 1 and users.get_by_username("alpha", "bob") is None
    assert [u.user_id for u in users.list("alpha")] == [1]


def test_a_user_update_over_a_stale_read_is_refused_and_a_rename_moves_the_username(users: Any) -> None:
    users.add(a_user(1, "ana"))
    users.add(a_user(2, "bob"))
    before = users.get("alpha", 1)
    users.update(before, replace(before, nombre_usuario="anita"))
    assert users.get_by_username("alpha", "anita").user_id == 1 and users.get_by_username("alpha", "ana") is None
    with pytest.raises(Conflict):
        users.update(before, replace(before, nombre="Otra"))
    current = users.get("alpha", 1)
    with pytest.raises(Conflict):
        users.update(current, replace(current, nombre_usuario="bob"))
    assert users.get("alpha", 1).nombre_usuario == "anita"


def test_a_user_s_token_version_and_revoked_tokens_read_back_as_written(users: Any) -> None:
    users.add(a_user(1, "ana"))
    fresh = users.get("alpha", 1)
    assert fresh.token_version == 0 and fresh.revoked_tokens == frozenset()
    revoked = fresh.with_token_revoked("jti-1", 2_000_000_000, 1_000)
    users.update(fresh, revoked)
    assert users.get("alpha", 1).has_revoked("jti-1")
    bumped = revoked.revoking_sessions()
    users.update(revoked, bumped)
    assert users.get("alpha", 1) == bumped and bumped.token_version == 1 and bumped.revoked_tokens == frozenset()


# --- connections ------------------------------------------------------------------------------


@pytest.fixture(params=["dynamodb", "memory"])
def connections(request: pytest.FixtureRequest) -> Any:
    if kinds(request) == "memory":
        return InMemoryConnections()
    from chalicelib.store.connections import ConnectionRepository

    return ConnectionRepository(settings())


def a_connection(cid: str, protocol: str = "json") -> Connection:
    return Connection(cid, "alpha", "kds", "3", "cocina", "centro", "staff", None, protocol)


def test_subscribers_of_a_channel_carry_their_protocol_and_tag(connections: Any) -> None:
    connections.add(a_connection("c1"))
    connections.add(a_connection("c2", "stomp"))
    connections.subscribe("c1", "alpha/kds/branch:centro")
    connections.subscribe("c2", "alpha/kds/branch:centro", "stomp", "/kds/alpha/centro|0")
    connections.subscribe("c2", "alpha/kds/branch:norte", "stomp", "/kds/alpha/norte|1")
    assert connections.subscribers_of("alpha/kds/branch:centro") == [
        Subscriber("c1", "json", None), Subscriber("c2", "stomp", "/kds/alpha/centro|0")]
    assert connections.tagged_subscriptions("c2") == [("alpha/kds/branch:centro", "/kds/alpha/centro|0"),
                                                      ("alpha/kds/branch:norte", "/kds/alpha/norte|1")]
    connections.unsubscribe("c2", "alpha/kds/branch:centro", "stomp", "/kds/alpha/centro|0")
    assert connections.subscribers("alpha/kds/branch:centro") == ["c1"]


def test_a_connection_keeps_the_id_of_the_token_that_opened_it(connections: Any) -> None:
    connections.add(replace(a_connection("c1"), token_id="jti-1"))
    connections.add(a_connection("c2"))
    assert connections.get("c1").token_id == "jti-1" and connections.get("c2").token_id == ""


def test_messages_are_counted_per_connection_and_second(connections: Any) -> None:
    assert [connections.count_message("c1", 100) for _ in range(3)] == [1, 2, 3]
    assert connections.count_message("c1", 101) == 1
    assert connections.count_message("c2", 100) == 1


def test_removing_a_connection_removes_its_subscriptions_and_queue(connections: Any) -> None:
    connections.add(a_connection("c1"))
    connections.subscribe("c1", "alpha/kds/branch:centro")
    connections.enqueue("c1", ["a", "b"])
    connections.remove("c1")
    assert connections.get("c1") is None and connections.subscribers("alpha/kds/branch:centro") == []
    assert connections.take_queued("c1") == []
    connections.remove("c1")  # twice is no error


def test_queued_packets_come_back_once_oldest_first(connections: Any) -> None:
    connections.enqueue("poll:s1", ["1"])
    connections.enqueue("poll:s1", ["2", "3"])
    assert connections.take_queued("poll:s1") == ["1", "2", "3"]
    assert connections.take_queued("poll:s1") == []


def test_an_unfinished_frame_is_kept_on_a_live_connection_only(connections: Any) -> None:
    connections.add(a_connection("c1", "stomp"))
    connections.keep_tail("c1", "SUBSCRIBE\nid:0")
    assert connections.get("c1").tail == "SUBSCRIBE\nid:0"
    with pytest.raises(Exception):  # noqa: B017 (DynamoDB's UpdateError or the fake's Conflict: either way, not kept)
        connections.keep_tail("gone", "x")
    assert connections.get("gone") is None


# --- the unit of work -------------------------------------------------------------------------


@dataclass
class World:
    sales: Any
    catalog: Any
    cajas: Any
    unit_of_work: Callable[[], Any]
    audit: Any = None
    reads: Any = None


@pytest.fixture(params=["dynamodb", "memory"])
def world(request: pytest.FixtureRequest) -> World:
    if kinds(request) == "memory":
        sales, catalog, cajas, audit = InMemorySales(), InMemoryCatalog(), InMemoryCajas(), InMemoryAudit()
        return World(sales, catalog, cajas, lambda: FakeUnitOfWork(sales, catalog, cajas, audit=audit), audit,
                     InMemorySaleReads(sales, catalog))
    from chalicelib.store.audit import AuditRepository
    from chalicelib.store.cajas import CajaRepository
    from chalicelib.store.catalog import CatalogRepository
    from chalicelib.store.delivery import DriverRepository
    from chalicelib.store.reads import SaleReadRepository
    from chalicelib.store.sales import SaleRepository
    from chalicelib.store.unit_of_work import DynamoUnitOfWork

    s = settings()
    audit = AuditRepository(s)
    sales, catalog, cajas = SaleRepository(s), CatalogRepository(s, audit), CajaRepository(s, audit)
    return World(sales, catalog, cajas, lambda: DynamoUnitOfWork(s, sales, catalog, cajas, DriverRepository(s), audit), audit,
                 SaleReadRepository(s, sales, catalog))


def test_a_sale_and_its_catalog_entries_are_read_together_with_deleted_ones_and_without_missing_or_foreign_ones(
    world: World,
) -> None:
    world.sales.add(with_plato(a_sale()))
    world.catalog.add_plato(Plato("alpha", "plato_1", "Silpancho", Decimal("25.00"), "cocina", WHEN, WHEN))
    world.catalog.add_product(Producto("alpha", "prod_1", "Cola", Decimal("8.00"), Decimal(10), "u", WHEN, WHEN))
    tomate = Ingrediente("alpha", "ing_1", "Tomate", "kg", Decimal("5"), Decimal("1"), WHEN, WHEN)
    world.catalog.add_ingredient(tomate)
    world.catalog.update_ingredient(tomate, tomate.soft_deleted(WHEN))
    world.catalog.add_plato(Plato("beta", "plato_2", "Sopa", Decimal("9.00"), "cocina", WHEN, WHEN))

    keys = [("plato", "plato_1"), ("producto", "prod_1"), ("ingrediente", "ing_1"), ("plato", "plato_2"), ("plato", "nope")]
    sale, entries = world.reads.sale_and_catalog("alpha", 7, keys)
    assert sale is not None and sale == world.sales.get("alpha", 7) and [i.nombre for i in sale.items] == ["Silpancho"]
    assert set(entries) == {("plato", "plato_1"), ("producto", "prod_1"), ("ingrediente", "ing_1")}
    assert entries[("plato", "plato_1")].precio == Decimal("25.00") and entries[("producto", "prod_1")].precio == Decimal("8.00")
    assert entries[("ingrediente", "ing_1")].deleted
    missing, none = world.reads.sale_and_catalog("beta", 7, [("plato", "plato_1")])
    assert missing is None and none == {}
    alone, nothing = world.reads.sale_and_catalog("alpha", 7, [])
    assert alone == sale and nothing == {}


def test_a_unit_of_work_commits_an_audit_entry_with_the_sale_or_neither(world: World) -> None:
    world.sales.add(a_sale())
    stale, fresh = world.sales.get("alpha", 7), world.sales.get("alpha", 7)
    fresh.concepto = "anulada"
    uow = world.unit_of_work()
    uow.save_sale(fresh)
    uow.record(an_entry(5, action="transaccion.anulada"))
    uow.commit()
    everything = (WHEN.replace(minute=0), WHEN.replace(minute=59))
    assert [e.action for e in world.audit.between("alpha", *everything, 10)] == ["transaccion.anulada"]
    late = world.unit_of_work()
    late.save_sale(stale)
    late.record(an_entry(6, action="transaccion.reabierta"))
    with pytest.raises(VersionConflict):
        late.commit()
    assert [e.action for e in world.audit.between("alpha", *everything, 10)] == ["transaccion.anulada"]


def test_a_unit_of_work_commits_the_sale_stock_and_tally_together(world: World) -> None:
    world.catalog.add_product(Producto("alpha", "prod_1", "Cola", Decimal("8.00"), Decimal(10), "u", WHEN, WHEN))
    world.cajas.open(a_caja(1))
    world.sales.add(a_sale(caja_id=1))
    sale = world.sales.get("alpha", 7)
    sale.concepto = "pagada"
    uow = world.unit_of_work()
    uow.save_sale(sale)
    uow.deduct_stock("alpha", {"prod_1": Decimal(2)}, {})
    uow.tally_sale("alpha", 1, "qr", Decimal("16.00"))
    uow.commit()
    assert world.sales.get("alpha", 7).concepto == "pagada" and sale.version == 2
    assert world.catalog.get_product("alpha", "prod_1").stock == Decimal(8)
    assert world.cajas.get("alpha", 1).ventas_qr == Decimal("16.00")


def test_a_unit_of_work_over_a_stale_sale_writes_nothing(world: World) -> None:
    world.catalog.add_product(Producto("alpha", "prod_1", "Cola", Decimal("8.00"), Decimal(10), "u", WHEN, WHEN))
    world.cajas.open(a_caja(1))
    world.sales.add(a_sale(caja_id=1))
    stale, fresh = world.sales.get("alpha", 7), world.sales.get("alpha", 7)
    fresh.concepto = "otra petición"
    world.sales.save(fresh)
    uow = world.unit_of_work()
    uow.save_sale(stale)
    uow.deduct_stock("alpha", {"prod_1": Decimal(2)}, {})
    uow.tally_sale("alpha", 1, "qr", Decimal("16.00"))
    with pytest.raises(VersionConflict):
        uow.commit()
    assert world.catalog.get_product("alpha", "prod_1").stock == Decimal(10)
    assert world.cajas.get("alpha", 1).ventas_qr == Decimal(0)
    assert world.sales.get("alpha", 7).concepto == "otra petición"


def test_a_tally_for_a_missing_caja_cancels_the_whole_unit(world: World) -> None:
    world.sales.add(a_sale())
    sale = world.sales.get("alpha", 7)
    sale.concepto = "x"
    uow = world.unit_of_work()
    uow.save_sale(sale)
    uow.tally_sale("alpha", 404, "efectivo", Decimal("1.00"))
    with pytest.raises(VersionConflict):
        uow.commit()
    assert world.sales.get("alpha", 7).concepto == a_sale().concepto == "Pedido"


def test_a_connection_answered_gone_is_kept_while_it_may_still_be_connecting_and_removed_after(connections: Any) -> None:
    import time

    connections.add(a_connection("c1"))
    connections.subscribe("c1", "alpha/kds/branch:centro")
    now = time.time()
    assert connections.remove_gone("c1", now, settle_seconds=10) is False
    assert connections.get("c1") is not None and connections.subscribers("alpha/kds/branch:centro") == ["c1"]
    assert connections.remove_gone("c1", now + 11, settle_seconds=10) is True
    assert connections.get("c1") is None and connections.subscribers("alpha/kds/branch:centro") == []
    assert connections.remove_gone("never-there", now, settle_seconds=10) is True
