"""The sale lifecycle over HTTP (COMPAT A "Transacciones", seed 002)."""

from __future__ import annotations

from decimal import Decimal as D
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from chalicelib.container import get_services
from devstack.world import denominations
from tests.support.api import Api, TenantWorld, threaded_api
from tests.support.concurrency import concurrently
from tests.support.menu import Menu, make_menu, stock

COUNTS = denominations(b100=1)


@pytest.fixture
def cajero(api: Api, alpha: TenantWorld) -> Api:
    return api.as_(alpha.tokens["cajero"])


def new_sale(cajero: Api, **extra: Any) -> dict:
    reply = cajero.post("/api/transacciones", {"nro_reg": 1, "concepto": "Pedido mesa 5", "mesa": "Mesa 5", **extra})
    assert reply.status == 201, reply
    return reply.body


def test_the_seed_walkthrough_from_open_caja_to_automatic_close(cajero: Api, menu: Menu) -> None:
    caja = cajero.post("/api/caja/abrir", {**COUNTS, "b100": 3}).body
    sale = new_sale(cajero, cliente="Juan Pérez")
    assert sale["caja_id"] == caja["id"]
    assert (sale["estado"], sale["estado_cocina"], sale["monto_pendiente"]) == ("pendiente", "pendiente", "0.00")
    tx = sale["id"]

    item = cajero.post(f"/api/transacciones/{tx}/items", {"plato_id": menu.plato, "cantidad": 2, "notas": "Sin cebolla"})
    assert item.status == 201
    assert (item.body["precio_unitario"], item.body["subtotal"], item.body["estado"]) == ("25.00", "50.00", "pending")
    assert item.body["transaccion"]["estado"] == "abierto"
    item_id = item.body["id"]

    extras = f"/api/transacciones/{tx}/items/{item_id}/extras"
    free = cajero.post(extras, {"descripcion": "Extra queso", "precio": 5.00, "cantidad": 1})
    assert free.status == 201
    tracked = cajero.post(extras, {"ingrediente_id": menu.tomate, "precio": 3.00, "cantidad": 2})
    assert tracked.status == 201
    # (25 + 5×1 + 3×2) × 2
    assert tracked.body["transaccion"]["monto_total"] == "72.00"
    cajero.post(f"/api/transacciones/{tx}/items", {"producto_id": menu.producto, "cantidad": 3})

    done = cajero.patch(f"/api/transacciones/{tx}/cocina/completar")
    assert done.status == 200 and done.body["estado_cocina"] == "terminado" and done.body["estado"] == "abierto"

    first = cajero.post(f"/api/transacciones/{tx}/pagos", {"metodo_pago": "efectivo", "monto": 50.00, "monto_recibido": 100.00})
    assert first.status == 201
    assert (first.body["monto"], first.body["monto_recibido"], first.body["cambio"]) == ("50.00", "100.00", "50.00")
    rest = cajero.post(f"/api/transacciones/{tx}/pagos", {"metodo_pago": "qr", "monto": 52.00, "referencia_qr": "QR-1"})
    assert rest.status == 201
    assert rest.body["transaccion"]["estado"] == "cerrado"
    assert rest.body["transaccion"]["monto_pendiente"] == "0.00"

    assert stock("alpha", "producto", menu.producto) == D("47")
    assert stock("alpha", "ingrediente", menu.carne) == D("9.50")
    assert stock("alpha", "ingrediente", menu.arroz) == D("19.6")
    assert stock("alpha", "ingrediente", menu.tomate) == D("1")  # 5 − extra 2 × item 2

    summary = cajero.get("/api/caja/resumen").body["resumen"]
    assert (summary["ventas_efectivo"], summary["ventas_qr"]) == ("50.00", "52.00")
    assert summary["efectivo_esperado"] == "350.00"

    assert cajero.post(f"/api/transacciones/{tx}/reabrir").body["estado"] == "abierto"
    assert cajero.post(f"/api/transacciones/{tx}/reabrir").status == 400


def test_every_sale_shape_carries_its_creation_time_in_utc_iso_beside_the_local_one(api: Api, alpha: TenantWorld, cajero: Api,
                                                                                    menu: Menu) -> None:
    from datetime import UTC, datetime, timedelta

    api.as_(alpha.tokens["admin"]).patch("/api/sucursales/centro", {"timezone": "Asia/Tokyo"})
    sale = new_sale(cajero)
    created = datetime.fromisoformat(sale["creado_en_iso"].replace("Z", "+00:00"))
    assert sale["creado_en_iso"].endswith("Z") and abs(datetime.now(UTC) - created) < timedelta(minutes=1)
    assert sale["creado_en"] == created.astimezone(ZoneInfo("Asia/Tokyo")).strftime("%H:%M - %d/%m/%Y")
    added = cajero.post(f"/api/transacciones/{sale['id']}/items", {"producto_id": menu.producto, "cantidad": 1}).body
    assert added["transaccion"]["creado_en_iso"] == sale["creado_en_iso"]
    assert [s["creado_en_iso"] for s in cajero.get("/api/transacciones").body] == [sale["creado_en_iso"]]


def test_a_sale_is_linked_to_no_caja_when_none_is_open_and_payments_are_not_tallied(cajero: Api, menu: Menu) -> None:
    sale = new_sale(cajero)
    assert sale["caja_id"] is None


def test_a_caja_id_that_is_not_the_open_caja_is_400(cajero: Api, menu: Menu) -> None:
    caja = cajero.post("/api/caja/abrir", COUNTS).body
    reply = cajero.post("/api/transacciones", {"nro_reg": 1, "concepto": "x", "caja_id": caja["id"] + 1})
    assert reply.status == 400 and "caja_id" in reply.body["message"]


def test_item_needs_exactly_one_of_plato_or_producto_and_unknown_ids_are_404(cajero: Api, menu: Menu) -> None:
    tx = new_sale(cajero)["id"]
    assert cajero.post(f"/api/transacciones/{tx}/items", {"cantidad": 1}).status == 400
    both = cajero.post(f"/api/transacciones/{tx}/items", {"plato_id": menu.plato, "producto_id": menu.producto, "cantidad": 1})
    assert both.status == 400
    assert cajero.post(f"/api/transacciones/{tx}/items", {"plato_id": "plato_nope0000", "cantidad": 1}).status == 404
    assert cajero.post(f"/api/transacciones/{tx}/items", {"producto_id": "prod_nope0000", "cantidad": 1}).status == 404
    assert cajero.post("/api/transacciones/99999/items", {"producto_id": menu.producto, "cantidad": 1}).status == 404
    assert cajero.get(f"/api/transacciones/{tx}").body["items"] == []


def test_bad_bodies_name_the_field_and_write_nothing(cajero: Api, menu: Menu) -> None:
    tx = new_sale(cajero)["id"]
    cases = [
        ("/api/transacciones", {"nro_reg": 0, "concepto": "x"}, "nro_reg"),
        ("/api/transacciones", {"nro_reg": 1, "concepto": "x", "color": "red"}, "property color should not exist"),
        ("/api/transacciones", {"nro_reg": 1}, "concepto"),
        (f"/api/transacciones/{tx}/items", {"producto_id": menu.producto, "cantidad": -1}, "cantidad"),
        (f"/api/transacciones/{tx}/items", {"producto_id": menu.producto, "cantidad": "dos"}, "cantidad"),
        (f"/api/transacciones/{tx}/pagos", {"metodo_pago": "cheque", "monto": 1}, "metodo_pago"),
        (f"/api/transacciones/{tx}/pagos", {"metodo_pago": "qr", "monto": 1.005}, "monto"),
    ]
    for path, body, field in cases:
        reply = cajero.post(path, body)
        assert reply.status == 400, (path, body, reply)
        assert field in str(reply.body["message"]), reply
    assert cajero.get(f"/api/transacciones/{tx}").body["items"] == []
    assert cajero.get("/api/transacciones/abc").status == 400


def test_payment_rules_overpay_paid_and_short_cash_are_400(cajero: Api, menu: Menu) -> None:
    tx = new_sale(cajero)["id"]
    assert cajero.post(f"/api/transacciones/{tx}/pagos", {"metodo_pago": "qr", "monto": 1}).status == 400  # nothing to pay
    cajero.post(f"/api/transacciones/{tx}/items", {"producto_id": menu.producto, "cantidad": 1})
    over = cajero.post(f"/api/transacciones/{tx}/pagos", {"metodo_pago": "qr", "monto": 10.01})
    assert over.status == 400 and "excede" in over.body["message"]
    short = cajero.post(f"/api/transacciones/{tx}/pagos", {"metodo_pago": "efectivo", "monto": 10, "monto_recibido": 5})
    assert short.status == 400 and "monto_recibido" in short.body["message"]
    assert cajero.post(f"/api/transacciones/{tx}/pagos", {"metodo_pago": "qr", "monto": 10}).status == 201
    paid = cajero.post(f"/api/transacciones/{tx}/pagos", {"metodo_pago": "qr", "monto": 1})
    assert paid.status == 400 and "pagada" in paid.body["message"]
    assert len(cajero.get(f"/api/transacciones/{tx}/pagos").body) == 1


def test_adding_an_item_to_a_closed_sale_reopens_it(cajero: Api, menu: Menu) -> None:
    tx = new_sale(cajero)["id"]
    cajero.post(f"/api/transacciones/{tx}/items", {"producto_id": menu.producto, "cantidad": 1})
    assert cajero.post(f"/api/transacciones/{tx}/pagos", {"metodo_pago": "qr", "monto": 10}).body["transaccion"]["estado"] == "cerrado"
    added = cajero.post(f"/api/transacciones/{tx}/items", {"producto_id": menu.producto, "cantidad": 2})
    assert added.body["transaccion"]["estado"] == "abierto"
    assert added.body["transaccion"]["monto_pendiente"] == "20.00"
    cajero.post(f"/api/transacciones/{tx}/pagos", {"metodo_pago": "qr", "monto": 20})
    # re-closing consumes only the two new bottles
    assert stock("alpha", "producto", menu.producto) == D("47")


def test_voiding_takes_payments_out_of_the_caja_and_marks_both_states_anulado(cajero: Api, menu: Menu) -> None:
    cajero.post("/api/caja/abrir", COUNTS)
    tx = new_sale(cajero)["id"]
    cajero.post(f"/api/transacciones/{tx}/items", {"plato_id": menu.plato, "cantidad": 1})
    cajero.post(f"/api/transacciones/{tx}/pagos", {"metodo_pago": "efectivo", "monto": 20, "monto_recibido": 20})
    assert cajero.get("/api/caja/resumen").body["resumen"]["ventas_efectivo"] == "20.00"
    voided = cajero.delete(f"/api/transacciones/{tx}")
    assert voided.status == 200
    assert (voided.body["estado"], voided.body["estado_cocina"]) == ("anulado", "anulado")
    assert cajero.get("/api/caja/resumen").body["resumen"]["ventas_efectivo"] == "0.00"
    assert cajero.delete(f"/api/transacciones/{tx}").status == 400
    assert cajero.get("/api/transacciones/cocina/pendientes").body == []


def test_the_kitchen_queue_holds_only_pending_sales_of_the_branch_oldest_first_with_items_and_extras(
    api: Api, alpha: TenantWorld, cajero: Api, menu: Menu
) -> None:
    first = new_sale(cajero, mesa="Mesa 1")["id"]
    second = new_sale(cajero, mesa="Mesa 2")["id"]
    item = cajero.post(f"/api/transacciones/{first}/items", {"plato_id": menu.plato, "cantidad": 1}).body["id"]
    cajero.post(f"/api/transacciones/{first}/items/{item}/extras", {"descripcion": "Sin sal", "precio": 0, "cantidad": 1})
    norte = api.as_(alpha.tokens["admin"])
    norte.post("/api/transacciones", {"nro_reg": 9, "concepto": "norte"}, headers={"X-Branch-Id": "norte"})
    done = new_sale(cajero, mesa="Mesa 3")["id"]
    cajero.patch(f"/api/transacciones/{done}/cocina/completar")

    queue = api.as_(alpha.tokens["cocina"]).get("/api/transacciones/cocina/pendientes")
    assert queue.status == 200
    assert [o["id"] for o in queue.body] == [first, second]
    assert queue.body[0]["items"][0]["extras"][0]["descripcion"] == "Sin sal"


def test_removing_an_item_the_kitchen_has_started_is_409_with_a_message_and_removes_nothing(
    api: Api, alpha: TenantWorld, cajero: Api, menu: Menu
) -> None:
    tx = new_sale(cajero)["id"]
    started = cajero.post(f"/api/transacciones/{tx}/items", {"plato_id": menu.plato, "cantidad": 1}).body
    waiting = cajero.post(f"/api/transacciones/{tx}/items", {"plato_id": menu.plato, "cantidad": 1}).body
    assert api.as_(alpha.tokens["cocina"]).patch(f"/items/{started['uuid']}/status", {"status": "preparing"}).status == 200

    refused = cajero.delete(f"/api/transacciones/{tx}/items/{started['id']}")
    assert refused.status == 409, refused
    assert refused.body["message"] == "No se puede eliminar el item Silpancho: la cocina ya lo empezó (en preparación)"
    assert [i["id"] for i in cajero.get(f"/api/transacciones/{tx}").body["items"]] == [started["id"], waiting["id"]]

    assert cajero.delete(f"/api/transacciones/{tx}/items/{waiting['id']}").status == 200, "a pending plato may still go"
    assert cajero.patch(f"/api/transacciones/{tx}/cocina/completar").status == 200
    assert cajero.delete(f"/api/transacciones/{tx}/items/{started['id']}").status == 409, "nor once the kitchen is done"


def test_removing_items_and_extras_recalculates_totals_and_feeds_the_removed_items_report(cajero: Api, menu: Menu) -> None:
    caja = cajero.post("/api/caja/abrir", COUNTS).body["id"]
    tx = new_sale(cajero)["id"]
    item = cajero.post(f"/api/transacciones/{tx}/items", {"plato_id": menu.plato, "cantidad": 1}).body["id"]
    extras = f"/api/transacciones/{tx}/items/{item}/extras"
    extra = cajero.post(extras, {"descripcion": "Queso", "precio": 5, "cantidad": 1}).body["id"]
    assert cajero.delete(f"/api/transacciones/{tx}/items/{item}/extras/{extra}").body["monto_total"] == "25.00"
    assert cajero.get(f"/api/transacciones/{tx}/items/{item}/extras").body == []
    removed = cajero.delete(f"/api/transacciones/{tx}/items/{item}")
    assert removed.body["monto_total"] == "0.00" and removed.body["estado_cocina"] is None
    report = cajero.get(f"/api/transacciones/caja/{caja}/items-eliminados").body
    assert [r["nombre"] for r in report] == ["Silpancho"]


def test_per_caja_reports_sum_the_caja_sales(cajero: Api, menu: Menu) -> None:
    caja = cajero.post("/api/caja/abrir", COUNTS).body["id"]
    for _ in range(2):
        tx = new_sale(cajero)["id"]
        cajero.post(f"/api/transacciones/{tx}/items", {"producto_id": menu.producto, "cantidad": 2})
        cajero.post(f"/api/transacciones/{tx}/pagos", {"metodo_pago": "qr", "monto": 20})
    voided = new_sale(cajero)["id"]
    cajero.post(f"/api/transacciones/{voided}/items", {"producto_id": menu.producto, "cantidad": 1})
    cajero.delete(f"/api/transacciones/{voided}")

    assert len(cajero.get(f"/api/transacciones/caja/{caja}").body) == 3
    summary = cajero.get(f"/api/transacciones/caja/{caja}/resumen").body
    assert (summary["transacciones"], summary["cerradas"], summary["anuladas"]) == (3, 2, 1)
    assert (summary["total_ventas"], summary["pagado_qr"]) == ("40.00", "40.00")
    lines = cajero.get(f"/api/transacciones/caja/{caja}/ventas-detalladas").body
    assert lines == [{"tipo": "producto", "id": menu.producto, "nombre": "Coca-Cola", "cantidad": "4", "total": "40.00"}]
    assert cajero.get("/api/transacciones/caja/9999/resumen").status == 404


def test_patch_changes_the_header_only(cajero: Api, menu: Menu) -> None:
    tx = new_sale(cajero)["id"]
    reply = cajero.patch(f"/api/transacciones/{tx}", {"mesa": "Mesa 9", "concepto": "Cambio"})
    assert (reply.body["mesa"], reply.body["concepto"]) == ("Mesa 9", "Cambio")
    assert cajero.patch(f"/api/transacciones/{tx}", {"estado": "cerrado"}).status == 400


def test_dates_render_as_hh_mm_dd_mm_yyyy(cajero: Api, menu: Menu) -> None:
    import re

    sale = new_sale(cajero)
    for field in ("hora", "fecha", "creado_en", "actualizado_en"):
        assert re.fullmatch(r"\d{2}:\d{2} - \d{2}/\d{2}/\d{4}", sale[field]), field


def test_another_tenant_cannot_see_or_change_a_sale(api: Api, beta: TenantWorld, cajero: Api, menu: Menu) -> None:
    tx = new_sale(cajero)["id"]
    stranger = api.as_(beta.tokens["admin"])
    assert stranger.get(f"/api/transacciones/{tx}").status == 404
    assert stranger.post(f"/api/transacciones/{tx}/items", {"producto_id": menu.producto, "cantidad": 1}).status == 404
    assert stranger.post(f"/api/transacciones/{tx}/pagos", {"metodo_pago": "qr", "monto": 1}).status == 404
    assert stranger.delete(f"/api/transacciones/{tx}").status == 404
    assert stranger.patch(f"/api/transacciones/{tx}/cocina/completar").status == 404
    assert cajero.get(f"/api/transacciones/{tx}").body["estado"] == "pendiente"


# --- concurrency and idempotency ---------------------------------------------------------------


def test_fifty_concurrent_item_adds_leave_fifty_items_and_a_consistent_total(
    alpha: TenantWorld, cajero: Api, menu: Menu, atomic_requests: None
) -> None:
    tx = new_sale(cajero)["id"]
    client = threaded_api(alpha.tokens["cajero"])
    body = {"producto_id": menu.producto, "cantidad": 1}
    replies = concurrently([lambda: client().post(f"/api/transacciones/{tx}/items", body)] * 50)
    assert [r.status for r in replies] == [201] * 50
    sale = cajero.get(f"/api/transacciones/{tx}").body
    assert len(sale["items"]) == 50
    assert len({i["id"] for i in sale["items"]}) == 50
    assert sale["monto_total"] == "500.00" == str(sum(D(i["subtotal"]) for i in sale["items"]))


def test_final_payment_and_completar_at_the_same_moment_close_once_and_deduct_once(
    alpha: TenantWorld, cajero: Api, menu: Menu, atomic_requests: None
) -> None:
    client = threaded_api(alpha.tokens["cajero"])
    for round_ in range(20):
        tx = new_sale(cajero)["id"]
        cajero.post(f"/api/transacciones/{tx}/items", {"plato_id": menu.plato, "cantidad": 1})
        before = stock("alpha", "ingrediente", menu.carne)

        def race(i: int, tx: int = tx) -> Any:
            if i == 0:
                return client().post(f"/api/transacciones/{tx}/pagos", {"metodo_pago": "qr", "monto": 25})
            return client().patch(f"/api/transacciones/{tx}/cocina/completar")

        replies = concurrently([lambda: race(0), lambda: race(1)])
        assert sorted(r.status for r in replies) == [200, 201], (round_, replies)
        sale = cajero.get(f"/api/transacciones/{tx}").body
        assert sale["estado"] == "cerrado", round_
        assert stock("alpha", "ingrediente", menu.carne) == before - D("0.25"), round_


def test_the_same_idempotency_key_records_one_payment_sequentially_and_concurrently(
    alpha: TenantWorld, cajero: Api, menu: Menu, atomic_requests: None
) -> None:
    tx = new_sale(cajero)["id"]
    cajero.post(f"/api/transacciones/{tx}/items", {"producto_id": menu.producto, "cantidad": 10})
    body = {"metodo_pago": "qr", "monto": 10}
    headers = {"Idempotency-Key": "pay-1"}
    sequential = [cajero.post(f"/api/transacciones/{tx}/pagos", body, headers=headers) for _ in range(10)]
    assert {r.status for r in sequential} == {201}
    assert len({r.body["id"] for r in sequential}) == 1

    client = threaded_api(alpha.tokens["cajero"])
    parallel = concurrently([lambda: client().post(f"/api/transacciones/{tx}/pagos", body, headers={"Idempotency-Key": "pay-2"})] * 10)
    assert {r.status for r in parallel} == {201}, parallel
    assert len({r.body["id"] for r in parallel}) == 1
    assert len(cajero.get(f"/api/transacciones/{tx}/pagos").body) == 2


def test_an_item_and_its_extra_sent_again_with_their_idempotency_keys_are_added_once(cajero: Api, menu: Menu) -> None:
    """A tablet whose answer was lost sends the same line again with the same key."""
    tx = new_sale(cajero)["id"]
    line = {"plato_id": menu.plato, "cantidad": 1, "notas": "sin sal"}
    first, again = (cajero.post(f"/api/transacciones/{tx}/items", line, headers={"Idempotency-Key": "line-1"}) for _ in range(2))
    assert (first.status, again.status) == (201, 201) and again.body["id"] == first.body["id"]
    extra = {"ingrediente_id": menu.tomate, "precio": "2.00", "cantidad": 1}
    path = f"/api/transacciones/{tx}/items/{first.body['id']}/extras"
    added = [cajero.post(path, extra, headers={"Idempotency-Key": "line-1:extra:0"}) for _ in range(2)]
    assert {r.status for r in added} == {201} and len({r.body["id"] for r in added}) == 1
    sale = cajero.get(f"/api/transacciones/{tx}").body
    assert len(sale["items"]) == 1 and len(sale["items"][0]["extras"]) == 1
    other = cajero.post(f"/api/transacciones/{tx}/items", {**line, "cantidad": 2}, headers={"Idempotency-Key": "line-1"})
    assert other.status == 422, "the same key for another line"
    elsewhere = cajero.post(f"/api/transacciones/{tx}/pagos", {"metodo_pago": "qr", "monto": 1}, headers={"Idempotency-Key": "line-1"})
    assert elsewhere.status == 422, "the same key for another action"


def test_reusing_an_idempotency_key_with_another_body_is_422(cajero: Api, menu: Menu) -> None:
    tx = new_sale(cajero)["id"]
    cajero.post(f"/api/transacciones/{tx}/items", {"producto_id": menu.producto, "cantidad": 10})
    headers = {"Idempotency-Key": "k"}
    assert cajero.post(f"/api/transacciones/{tx}/pagos", {"metodo_pago": "qr", "monto": 10}, headers=headers).status == 201
    again = cajero.post(f"/api/transacciones/{tx}/pagos", {"metodo_pago": "qr", "monto": 11}, headers=headers)
    assert again.status == 422
    assert len(cajero.get(f"/api/transacciones/{tx}/pagos").body) == 1


def test_idempotency_keys_are_scoped_to_the_tenant(api: Api, alpha: TenantWorld, beta: TenantWorld, cajero: Api, menu: Menu) -> None:
    make_menu("beta")
    tx_alpha = new_sale(cajero)["id"]
    cajero.post(f"/api/transacciones/{tx_alpha}/items", {"producto_id": menu.producto, "cantidad": 1})
    beta_cajero = api.as_(beta.tokens["cajero"])
    beta_menu = get_services().catalog.list_products("beta")[0].id
    tx_beta = new_sale(beta_cajero)["id"]
    beta_cajero.post(f"/api/transacciones/{tx_beta}/items", {"producto_id": beta_menu, "cantidad": 1})
    body, headers = {"metodo_pago": "qr", "monto": 10}, {"Idempotency-Key": "same"}
    assert cajero.post(f"/api/transacciones/{tx_alpha}/pagos", body, headers=headers).status == 201
    assert beta_cajero.post(f"/api/transacciones/{tx_beta}/pagos", body, headers=headers).status == 201
