"""/api/caja, as COMPAT A describes it, with one open caja per branch."""

from __future__ import annotations

import re
import threading
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pytest

from chalicelib.auth import Principal
from chalicelib.errors import Conflict
from devstack.world import denominations
from tests.support.api import Api, TenantWorld

LOCAL_TIME = re.compile(r"^\d{2}:\d{2} - \d{2}/\d{2}/\d{4}$")
SEED_OPEN = denominations(b200=2, b100=3, b50=4, b20=5, b10=10, b5=10, m2=20, m1=20)
NORTE = {"X-Branch-Id": "norte"}


def _open(api: Api, world: TenantWorld, role: str = "cajero", counts: dict[str, int] | None = None, **kw: object) -> dict:
    reply = api.as_(world.tokens[role]).post("/api/caja/abrir", counts if counts is not None else {"b100": 1}, **kw)  # type: ignore[arg-type]
    assert reply.status == 201, reply
    return reply.body  # type: ignore[no-any-return]


def test_opening_returns_201_with_the_counted_initial_amount(api: Api, alpha: TenantWorld) -> None:
    reply = api.as_(alpha.tokens["cajero"]).post("/api/caja/abrir", SEED_OPEN)
    assert reply.status == 201
    body = reply.body
    assert isinstance(body["id"], int)
    assert body["monto_inicial"] == "1210.00"
    assert body["cerrada"] is False
    assert body["estado"] == "abierta"
    assert body["sucursal_id"] == "centro"
    assert body["b200"] == 2 and body["m1"] == 20 and body["m010"] == 0
    assert LOCAL_TIME.match(body["fecha_apertura"])


def test_fractional_coins_count_exactly(api: Api, alpha: TenantWorld) -> None:
    body = _open(api, alpha, counts={"b5": 1, "m050": 3, "m020": 2, "m010": 1})
    assert body["monto_inicial"] == "7.00"


def test_a_second_open_on_the_same_branch_is_409(api: Api, alpha: TenantWorld) -> None:
    _open(api, alpha)
    again = api.as_(alpha.tokens["admin"]).post("/api/caja/abrir", {"b50": 1})
    assert again.status == 409
    assert again.body["statusCode"] == 409


def test_a_negative_count_is_400_naming_the_field(api: Api, alpha: TenantWorld) -> None:
    reply = api.as_(alpha.tokens["cajero"]).post("/api/caja/abrir", {"b20": -1})
    assert reply.status == 400
    assert reply.body["message"] == ["b20 must not be less than 0"]
    assert api.as_(alpha.tokens["cajero"]).get("/api/caja/actual").body is None


def test_unknown_and_non_integer_counts_are_400(api: Api, alpha: TenantWorld) -> None:
    reply = api.as_(alpha.tokens["cajero"]).post("/api/caja/abrir", {"b300": 1, "m1": 1.5})
    assert reply.status == 400
    assert "property b300 should not exist" in reply.body["message"]
    assert "m1 must be an integer number" in reply.body["message"]


def test_actual_is_null_without_an_open_caja_and_the_caja_once_opened(api: Api, alpha: TenantWorld) -> None:
    cajero = api.as_(alpha.tokens["cajero"])
    none = cajero.get("/api/caja/actual")
    assert none.status == 200 and none.body is None
    opened = _open(api, alpha)
    current = cajero.get("/api/caja/actual")
    assert current.status == 200
    assert current.body["id"] == opened["id"]
    assert current.body["monto_inicial"] == "100.00"


def test_gastos_without_an_open_caja_are_400(api: Api, alpha: TenantWorld) -> None:
    reply = api.as_(alpha.tokens["cajero"]).post("/api/caja/gastos", {"descripcion": "hielo", "metodo_pago": "efectivo", "monto": 5})
    assert reply.status == 400


def test_gastos_validate_method_and_positive_amount(api: Api, alpha: TenantWorld) -> None:
    _open(api, alpha)
    cajero = api.as_(alpha.tokens["cajero"])
    bad_method = cajero.post("/api/caja/gastos", {"descripcion": "x", "metodo_pago": "cheque", "monto": 5})
    zero = cajero.post("/api/caja/gastos", {"descripcion": "x", "metodo_pago": "qr", "monto": 0})
    assert bad_method.status == 400 and zero.status == 400
    assert "monto must be greater than 0" in zero.body["message"]


def test_resumen_expects_opening_plus_cash_sales_minus_cash_expenses(api: Api, alpha: TenantWorld) -> None:
    caja = _open(api, alpha, counts={"b100": 5})
    cajero = api.as_(alpha.tokens["cajero"])
    first = cajero.post("/api/caja/gastos", {"descripcion": "hielo", "metodo_pago": "efectivo", "monto": "40.25"})
    assert first.status == 201
    assert first.body["monto"] == "40.25" and first.body["caja_id"] == caja["id"]
    assert cajero.post("/api/caja/gastos", {"descripcion": "gas", "metodo_pago": "efectivo", "monto": 9.75}).status == 201
    assert cajero.post("/api/caja/gastos", {"descripcion": "app", "metodo_pago": "qr", "monto": 20}).status == 201
    # Sales are tallied by the transactions work through the repository; simulate two payments.
    _tally(alpha.tenant, caja["id"], "efectivo", Decimal("130.50"))
    _tally(alpha.tenant, caja["id"], "qr", Decimal("80.00"))

    reply = cajero.get("/api/caja/resumen")
    assert reply.status == 200
    assert reply.body["caja"]["id"] == caja["id"]
    assert reply.body["resumen"] == {
        "monto_inicial": "500.00",
        "ventas_efectivo": "130.50",
        "ventas_qr": "80.00",
        "total_ventas": "210.50",
        "gastos_efectivo": "50.00",
        "gastos_qr": "20.00",
        "total_gastos": "70.00",
        "efectivo_esperado": "580.50",
        "total_qr": "60.00",
        "ventas_tarjeta": "0.00",
        "gastos_tarjeta": "0.00",
        "total_tarjeta": "0.00",
    }


def test_resumen_without_an_open_caja_is_400(api: Api, alpha: TenantWorld) -> None:
    assert api.as_(alpha.tokens["cajero"]).get("/api/caja/resumen").status == 400


def test_gastos_historial_lists_the_open_cajas_expenses_or_those_of_a_given_caja(api: Api, alpha: TenantWorld) -> None:
    cajero = api.as_(alpha.tokens["cajero"])
    assert cajero.get("/api/caja/gastos/historial").body == []
    first = _open(api, alpha)
    cajero.post("/api/caja/gastos", {"descripcion": "hielo", "metodo_pago": "efectivo", "monto": 5})
    cajero.post("/api/caja/gastos", {"descripcion": "pan", "metodo_pago": "qr", "monto": 7})
    listed = cajero.get("/api/caja/gastos/historial")
    assert listed.status == 200
    listed_rows = [(g["descripcion"], g["metodo_pago"], g["monto"]) for g in listed.body]
    assert listed_rows == [("hielo", "efectivo", "5.00"), ("pan", "qr", "7.00")]
    assert all(LOCAL_TIME.match(g["fecha"]) for g in listed.body)
    assert cajero.post("/api/caja/cerrar", {"b100": 1}).status == 200
    _open(api, alpha)
    assert cajero.get("/api/caja/gastos/historial").body == []
    old = cajero.get(f"/api/caja/gastos/historial?caja_id={first['id']}")
    assert [g["descripcion"] for g in old.body] == ["hielo", "pan"]


def test_cerrar_with_the_expected_cash_is_exacto(api: Api, alpha: TenantWorld) -> None:
    caja = _open(api, alpha, counts={"b100": 2})
    cajero = api.as_(alpha.tokens["cajero"])
    cajero.post("/api/caja/gastos", {"descripcion": "hielo", "metodo_pago": "efectivo", "monto": "10.50"})
    _tally(alpha.tenant, caja["id"], "efectivo", Decimal("60.00"))
    # expected: 200 + 60 - 10.50 = 249.50
    reply = cajero.post("/api/caja/cerrar", {"b200": 1, "b20": 2, "b5": 1, "m2": 2, "m050": 1, "cierre_obs": "todo bien"})
    assert reply.status == 200
    body = reply.body
    assert body["id"] == caja["id"]
    assert body["cerrada"] is True and body["estado"] == "cerrada"
    assert body["monto_final"] == "249.50"
    assert body["efectivo_esperado"] == "249.50"
    assert body["diferencia"] == "0.00"
    assert body["estado_diferencia"] == "exacto"
    assert body["cierre_obs"] == "todo bien"
    assert LOCAL_TIME.match(body["fecha_cierre"])
    assert cajero.get("/api/caja/actual").body is None


def test_cerrar_with_more_cash_is_sobrante(api: Api, alpha: TenantWorld) -> None:
    _open(api, alpha, counts={"b100": 1})
    reply = api.as_(alpha.tokens["cajero"]).post("/api/caja/cerrar", {"b100": 1, "m020": 1, "m010": 1})
    assert reply.status == 200
    assert (reply.body["diferencia"], reply.body["estado_diferencia"]) == ("0.30", "sobrante")


def test_cerrar_with_less_cash_is_faltante_with_a_signed_difference(api: Api, alpha: TenantWorld) -> None:
    caja = _open(api, alpha, counts={"b100": 1})
    _tally(alpha.tenant, caja["id"], "efectivo", Decimal("25.00"))
    reply = api.as_(alpha.tokens["cajero"]).post("/api/caja/cerrar", {"b100": 1, "b20": 1})
    assert reply.status == 200
    assert reply.body["efectivo_esperado"] == "125.00"
    assert (reply.body["diferencia"], reply.body["estado_diferencia"]) == ("-5.00", "faltante")


def test_cerrar_without_an_open_caja_is_400_and_the_branch_can_open_again_after_closing(api: Api, alpha: TenantWorld) -> None:
    cajero = api.as_(alpha.tokens["cajero"])
    assert cajero.post("/api/caja/cerrar", {"b100": 1}).status == 400
    first = _open(api, alpha)
    assert cajero.post("/api/caja/cerrar", {"b100": 1}).status == 200
    assert cajero.post("/api/caja/cerrar", {"b100": 1}).status == 400
    second = _open(api, alpha)
    assert second["id"] != first["id"]


def test_historial_returns_at_most_limit_cajas_newest_first(api: Api, alpha: TenantWorld) -> None:
    cajero = api.as_(alpha.tokens["cajero"])
    ids = []
    for _ in range(7):
        ids.append(_open(api, alpha)["id"])
        assert cajero.post("/api/caja/cerrar", {"b100": 1}).status == 200
    reply = cajero.get("/api/caja/historial?limit=5")
    assert reply.status == 200
    assert [c["id"] for c in reply.body] == list(reversed(ids))[:5]
    assert all(c["cerrada"] for c in reply.body)
    assert len(cajero.get("/api/caja/historial").body) == 7
    assert cajero.get("/api/caja/historial?limit=0").status == 400
    assert cajero.get("/api/caja/historial?limit=abc").status == 400


def test_arqueo_records_a_count_without_closing(api: Api, alpha: TenantWorld) -> None:
    caja = _open(api, alpha, counts={"b100": 1})
    cajero = api.as_(alpha.tokens["cajero"])
    _tally(alpha.tenant, caja["id"], "efectivo", Decimal("30.00"))
    reply = cajero.patch(f"/api/caja/{caja['id']}/arqueo", {"b100": 1, "b20": 1, "b5": 1, "observacion": "medio turno"})
    assert reply.status == 200
    assert reply.body["cerrada"] is False
    arqueo = reply.body["arqueo"]
    assert arqueo["total"] == "125.00"
    assert arqueo["efectivo_esperado"] == "130.00"
    assert arqueo["diferencia"] == "-5.00"
    assert arqueo["estado_diferencia"] == "faltante"
    assert arqueo["observacion"] == "medio turno"
    assert LOCAL_TIME.match(arqueo["fecha"])
    second = cajero.patch(f"/api/caja/{caja['id']}/arqueo", {"b100": 1, "b20": 1, "b10": 1})
    assert [a["estado_diferencia"] for a in second.body["arqueos"]] == ["faltante", "exacto"]
    assert cajero.get("/api/caja/actual").body["cerrada"] is False


def test_arqueo_of_a_closed_caja_is_400_and_of_an_unknown_one_404(api: Api, alpha: TenantWorld) -> None:
    caja = _open(api, alpha)
    cajero = api.as_(alpha.tokens["cajero"])
    cajero.post("/api/caja/cerrar", {"b100": 1})
    assert cajero.patch(f"/api/caja/{caja['id']}/arqueo", {"b100": 1}).status == 400
    assert cajero.patch("/api/caja/999999/arqueo", {"b100": 1}).status == 404
    assert cajero.patch("/api/caja/abc/arqueo", {"b100": 1}).status == 400


def test_detalle_gives_the_caja_its_summary_gastos_and_arqueos(api: Api, alpha: TenantWorld) -> None:
    caja = _open(api, alpha, counts={"b100": 1})
    cajero = api.as_(alpha.tokens["cajero"])
    cajero.post("/api/caja/gastos", {"descripcion": "hielo", "metodo_pago": "efectivo", "monto": 10})
    cajero.patch(f"/api/caja/{caja['id']}/arqueo", {"b50": 1, "b20": 2})
    cajero.post("/api/caja/cerrar", {"b50": 1, "b20": 2})
    reply = cajero.get(f"/api/caja/{caja['id']}/detalle")
    assert reply.status == 200
    body = reply.body
    assert body["caja"]["id"] == caja["id"] and body["caja"]["estado_diferencia"] == "exacto"
    assert body["resumen"]["efectivo_esperado"] == "90.00"
    assert [g["descripcion"] for g in body["gastos"]] == ["hielo"]
    assert [a["total"] for a in body["arqueos"]] == ["90.00"]
    assert cajero.get("/api/caja/424242/detalle").status == 404


def test_mesero_and_cocina_may_not_touch_the_caja(api: Api, alpha: TenantWorld) -> None:
    caja = _open(api, alpha)
    for role in ("mesero", "cocina", "repartidor"):
        client = api.as_(alpha.tokens[role])
        assert client.post("/api/caja/abrir", {}).status == 403
        assert client.get("/api/caja/actual").status == 403
        assert client.get("/api/caja/resumen").status == 403
        assert client.post("/api/caja/cerrar", {}).status == 403
        assert client.get(f"/api/caja/{caja['id']}/detalle").status == 403
    assert api.as_(None).get("/api/caja/actual").status == 401


def test_another_tenant_cannot_see_or_count_the_caja_and_has_its_own(api: Api, alpha: TenantWorld, beta: TenantWorld) -> None:
    caja = _open(api, alpha)
    other = api.as_(beta.tokens["admin"])
    assert other.get(f"/api/caja/{caja['id']}/detalle").status == 404
    assert other.patch(f"/api/caja/{caja['id']}/arqueo", {"b100": 1}).status == 404
    assert other.get(f"/api/caja/gastos/historial?caja_id={caja['id']}").status == 404
    assert other.get("/api/caja/actual").body is None
    own = _open(api, beta, role="admin")
    assert own["sucursal_id"] == "sur"
    assert api.as_(alpha.tokens["cajero"]).get("/api/caja/actual").body["id"] == caja["id"]


def test_two_branches_of_one_tenant_each_have_their_own_open_caja(api: Api, alpha: TenantWorld) -> None:
    centro = _open(api, alpha)
    norte = _open(api, alpha, role="admin", counts={"b50": 1}, headers=NORTE)
    assert norte["sucursal_id"] == "norte" and norte["id"] != centro["id"]
    admin = api.as_(alpha.tokens["admin"])
    assert admin.get("/api/caja/actual", headers=NORTE).body["id"] == norte["id"]
    assert admin.get("/api/caja/actual").body["id"] == centro["id"]
    assert admin.post("/api/caja/abrir", {}, headers=NORTE).status == 409
    # A cajero of centro cannot read norte's caja by id.
    assert api.as_(alpha.tokens["cajero"]).get(f"/api/caja/{norte['id']}/detalle").status == 404
    assert admin.post("/api/caja/cerrar", {"b50": 1}, headers=NORTE).body["estado_diferencia"] == "exacto"
    assert admin.get("/api/caja/actual").body["id"] == centro["id"]


def test_twenty_concurrent_opens_on_one_branch_leave_exactly_one_open_caja(
    api: Api, alpha: TenantWorld, atomic_requests: None
) -> None:
    from chalicelib.container import get_services

    service = get_services().caja
    who = Principal(user_id="1", tenant=alpha.tenant, branch="centro", role="cajero")
    start = threading.Barrier(20)

    def attempt(_: int) -> str:
        start.wait()
        try:
            service.open(who, "centro", {"b100": 1})
            return "opened"
        except Conflict:
            return "conflict"

    with ThreadPoolExecutor(max_workers=20) as pool:
        outcomes = list(pool.map(attempt, range(20)))

    assert outcomes.count("opened") == 1
    assert outcomes.count("conflict") == 19
    history = service.history(who, "centro", 100)
    assert len([c for c in history if c.is_open]) == 1
    assert service.current(who, "centro") is not None


def test_the_conditional_write_alone_admits_one_open_caja_when_every_caller_passed_the_check(
    api: Api, alpha: TenantWorld, atomic_requests: None
) -> None:
    """Given twenty cajas that all believe the branch is free (the read-side check is skipped),
    when they are written concurrently, then the lock's attribute_not_exists admits exactly one."""
    from chalicelib.container import get_services
    from chalicelib.domain.caja import Caja

    repo = get_services().caja.repo
    cajas = [Caja.open(alpha.tenant, 1000 + n, "centro", {"b10": n}, "1", "2026-03-18T12:00:00.000Z") for n in range(20)]
    start = threading.Barrier(20)

    def attempt(caja: Caja) -> int | None:
        start.wait()
        try:
            repo.open(caja)
            return caja.id
        except Conflict:
            return None

    with ThreadPoolExecutor(max_workers=20) as pool:
        winners = [i for i in pool.map(attempt, cajas) if i is not None]

    assert len(winners) == 1
    assert len(repo.history(alpha.tenant, "centro", 100)) == 1
    current = repo.get_open(alpha.tenant, "centro")
    assert current is not None and current.id == winners[0]


def _tally(tenant: str, caja_id: int, method: str, monto: Decimal) -> None:
    """What a payment does to the caja: an atomic ADD inside the sale's transaction."""
    from chalicelib.container import get_services
    from chalicelib.store.base import transaction

    services = get_services()
    with transaction(services.settings) as tx:
        services.caja.repo.add_sale_tally(tx, tenant, caja_id, method, monto)


def test_a_close_computed_before_a_sale_landed_is_rejected_not_lost(api: Api, alpha: TenantWorld) -> None:
    """Given a close computed from a read, when a payment is tallied before it is written, then
    the write fails its version condition (the service re-reads and recomputes)."""
    from chalicelib.container import get_services
    from chalicelib.errors import StaleCaja

    caja = _open(api, alpha, counts={"b100": 1})
    repo = get_services().caja.repo
    before = repo.get(alpha.tenant, caja["id"])
    assert before is not None
    stale = before.close({"b100": 1}, None, "1", "2026-03-18T23:00:00.000Z")
    _tally(alpha.tenant, caja["id"], "efectivo", Decimal("15.00"))
    with pytest.raises(StaleCaja):
        repo.close(before, stale)
    reply = api.as_(alpha.tokens["cajero"]).post("/api/caja/cerrar", {"b100": 1})
    closed = reply.body
    assert (closed["efectivo_esperado"], closed["diferencia"], closed["estado_diferencia"]) == ("115.00", "-15.00", "faltante")


def test_a_branch_without_a_stored_zone_uses_the_configured_default_time_zone(aws: None) -> None:
    """COMANDA_DEFAULT_TIMEZONE is the fallback for every service (CajaService used to hard-code La Paz)."""
    from dataclasses import replace as with_changes

    from chalicelib.container import Services, get_services

    services = Services(with_changes(get_services().settings, default_timezone="America/Bogota"))
    assert services.caja.timezone("alpha", "no-such-branch") == "America/Bogota"
    assert services.sales.timezone("alpha", "no-such-branch") == "America/Bogota"
