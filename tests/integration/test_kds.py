"""The kitchen display API (COMPAT B) over the same sales as the Restaurante surface."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal as D

import pytest

from chalicelib.domain.clock import utc_now
from tests.support.api import Api, TenantWorld
from tests.support.menu import Menu, stock

ISO = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z")


def grill_and_drink(api: Api, alpha: TenantWorld, menu: Menu, mesa: str = "Mesa 4") -> tuple[int, str, str]:
    """A sale with a grill dish (station cocina) and a drink made at the bar."""
    cajero = api.as_(alpha.tokens["cajero"])
    tx = cajero.post("/api/transacciones", {"nro_reg": 1, "concepto": "Mesa", "mesa": mesa}).body["id"]
    grill = cajero.post(f"/api/transacciones/{tx}/items", {"plato_id": menu.plato, "cantidad": 1, "notas": "a punto"}).body
    drink = cajero.post(f"/api/transacciones/{tx}/items", {"plato_id": menu.plato_bar, "cantidad": 2}).body
    return tx, grill["uuid"], drink["uuid"]


def move(api: Api, token: str, item_uuid: str, status: str) -> tuple[int, dict]:
    reply = api.as_(token).patch(f"/items/{item_uuid}/status", {"status": status})
    return reply.status, reply.body


def test_the_orders_feed_lists_active_orders_with_items_in_the_success_envelope(api: Api, alpha: TenantWorld, menu: Menu) -> None:
    tx, grill, _ = grill_and_drink(api, alpha, menu)
    reply = api.as_(alpha.tokens["cocina"]).get("/orders")
    assert reply.status == 200 and reply.body["success"] is True
    [order] = reply.body["data"]
    assert (order["id"], order["status"], order["table"]) == (tx, "pending", "Mesa 4")
    assert order["waiter"] == "Cajero", "the name of who took the order"
    assert ISO.fullmatch(order["created_at"]) and isinstance(order["elapsed_seconds"], int)
    assert [(i["id"], i["status"], i["station"], i["notes"]) for i in order["items"]][0] == (grill, "pending", "cocina", "a punto")


def test_an_extra_added_by_ingredient_carries_the_ingredient_s_name_to_the_sale_and_the_display(
    api: Api, alpha: TenantWorld, menu: Menu
) -> None:
    cajero = api.as_(alpha.tokens["cajero"])
    tx, _, _ = grill_and_drink(api, alpha, menu)
    item = cajero.get(f"/api/transacciones/{tx}").body["items"][0]["id"]
    extras = f"/api/transacciones/{tx}/items/{item}/extras"
    by_ingredient = cajero.post(extras, {"ingrediente_id": menu.tomate, "precio": "2.00", "cantidad": 1})
    assert by_ingredient.status == 201, by_ingredient
    assert (by_ingredient.body["ingrediente_id"], by_ingredient.body["descripcion"], by_ingredient.body["nombre"]) == (
        menu.tomate, None, "Tomate")
    by_text = cajero.post(extras, {"descripcion": "Sin sal", "precio": "0", "cantidad": 1}).body
    assert (by_text["descripcion"], by_text["nombre"]) == ("Sin sal", "Sin sal")

    assert api.as_(alpha.tokens["admin"]).patch(f"/api/ingredientes/{menu.tomate}", {"nombre": "Tomate perita"}).status == 200
    sale = cajero.get(f"/api/transacciones/{tx}").body
    assert [e["nombre"] for e in sale["items"][0]["extras"]] == ["Tomate", "Sin sal"], "the name as it was when added"
    [order] = api.as_(alpha.tokens["cocina"]).get("/orders").body["data"]
    shown = [(e["description"], e["ingredient_id"], e["quantity"]) for e in order["items"][0]["extras"]]
    assert shown == [("Tomate", menu.tomate, "1"), ("Sin sal", None, "1")]


def test_the_feed_filters_by_status_and_station(api: Api, alpha: TenantWorld, menu: Menu) -> None:
    _, grill, _ = grill_and_drink(api, alpha, menu)
    cocina = api.as_(alpha.tokens["cocina"])
    move(api, alpha.tokens["cocina"], grill, "preparing")
    assert [o["status"] for o in cocina.get("/orders?status=preparing").body["data"]] == ["preparing"]
    assert cocina.get("/orders?status=pending").body["data"] == []
    bar = cocina.get("/orders?station=bar").body["data"]
    assert [i["station"] for i in bar[0]["items"]] == ["bar"]
    bad = cocina.get("/orders?status=cooking")
    assert bad.status == 400 and bad.body["success"] is False and "status" in bad.body["error"]["message"]


def test_items_move_pending_preparing_ready_and_the_restaurante_surface_follows(api: Api, alpha: TenantWorld, menu: Menu) -> None:
    tx, grill, drink = grill_and_drink(api, alpha, menu)
    kitchen = alpha.tokens["cocina"]
    for item in (grill, drink):
        assert move(api, kitchen, item, "preparing")[0] == 200
        status, body = move(api, kitchen, item, "ready")
        assert status == 200 and body["data"]["status"] == "ready"
    sale = api.as_(alpha.tokens["cajero"]).get(f"/api/transacciones/{tx}").body
    assert sale["estado_cocina"] == "terminado"
    assert tx not in [o["id"] for o in api.as_(kitchen).get("/api/transacciones/cocina/pendientes").body]
    paid = api.as_(alpha.tokens["cajero"]).post(f"/api/transacciones/{tx}/pagos", {"metodo_pago": "qr", "monto": 41})
    assert paid.body["transaccion"]["estado"] == "cerrado"
    assert stock("alpha", "ingrediente", menu.limon) == D("96")  # 2 limones × 2 limonadas


def test_invalid_transitions_are_refused_with_a_clear_error_and_change_nothing(api: Api, alpha: TenantWorld, menu: Menu) -> None:
    tx, grill, _ = grill_and_drink(api, alpha, menu)
    kitchen, waiter = alpha.tokens["cocina"], alpha.tokens["mesero"]
    before = api.as_(kitchen).get(f"/api/transacciones/{tx}").body
    status, body = move(api, kitchen, grill, "ready")
    assert status == 400 and "pending -> ready" in body["error"]["message"]
    move(api, kitchen, grill, "preparing")
    move(api, kitchen, grill, "ready")
    status, body = move(api, kitchen, grill, "pending")
    assert status == 400 and "ready -> pending" in body["error"]["message"]
    assert move(api, waiter, grill, "served")[0] == 200
    status, body = move(api, kitchen, grill, "ready")
    assert status == 400 and "final" in body["error"]["message"]
    assert move(api, kitchen, grill, "cooking")[0] == 400
    assert move(api, kitchen, "00000000-0000-4000-8000-000000000000", "preparing")[0] == 404
    assert move(api, kitchen, "not-a-uuid", "preparing")[0] == 400
    after = api.as_(kitchen).get(f"/api/transacciones/{tx}").body
    assert [i["estado"] for i in after["items"]] == ["served", "pending"]
    assert before["items"][1] == after["items"][1]


def test_waiters_may_not_prepare_and_the_kitchen_may_not_serve(api: Api, alpha: TenantWorld, menu: Menu) -> None:
    _, grill, _ = grill_and_drink(api, alpha, menu)
    assert move(api, alpha.tokens["mesero"], grill, "preparing")[0] == 403
    move(api, alpha.tokens["cocina"], grill, "preparing")
    move(api, alpha.tokens["cocina"], grill, "ready")
    assert move(api, alpha.tokens["cocina"], grill, "served")[0] == 403
    assert move(api, alpha.tokens["cajero"], grill, "served")[0] == 403  # cashiers only read
    assert api.as_(alpha.tokens["cajero"]).get("/orders").status == 200
    assert api.as_(alpha.tokens["repartidor"]).get("/orders").status == 403


def test_bump_takes_the_order_off_the_queue_and_recall_within_the_window_puts_it_back(
    api: Api, alpha: TenantWorld, menu: Menu
) -> None:
    tx, grill, _ = grill_and_drink(api, alpha, menu)
    cocina = api.as_(alpha.tokens["cocina"])
    move(api, alpha.tokens["cocina"], grill, "preparing")
    bumped = cocina.post(f"/orders/{tx}/bump")
    assert bumped.status == 200 and bumped.body["data"]["status"] == "ready"
    assert cocina.get("/api/transacciones/cocina/pendientes").body == []
    recalled = cocina.post(f"/orders/{tx}/recall")
    assert recalled.status == 200
    assert [i["status"] for i in recalled.body["data"]["items"]] == ["preparing", "pending"]
    assert [o["id"] for o in cocina.get("/api/transacciones/cocina/pendientes").body] == [tx]


def test_recall_after_the_window_is_refused(api: Api, alpha: TenantWorld, menu: Menu, monkeypatch: pytest.MonkeyPatch) -> None:
    tx, _, _ = grill_and_drink(api, alpha, menu)
    cocina = api.as_(alpha.tokens["cocina"])
    cocina.post(f"/orders/{tx}/bump")
    later = utc_now() + timedelta(minutes=16)
    monkeypatch.setattr("chalicelib.services.sales.utc_now", lambda: later)
    refused = cocina.post(f"/orders/{tx}/recall")
    assert refused.status == 400 and "15 minutos" in refused.body["error"]["message"]


def test_a_customer_token_is_bound_to_one_sale_and_opens_no_staff_route(api: Api, alpha: TenantWorld, menu: Menu) -> None:
    tx, _, _ = grill_and_drink(api, alpha, menu)
    minted = api.as_(alpha.tokens["mesero"]).post(f"/orders/{tx}/session-token")
    assert minted.status == 201
    session = minted.body["data"]
    assert session["channel"] == f"session:{session['session_id']}"
    customer = api.as_(session["token"])
    assert customer.get("/orders").status == 403
    assert customer.get(f"/api/transacciones/{tx}").status == 403
    assert api.as_(alpha.tokens["cocina"]).post(f"/orders/{tx}/session-token").status == 403


def test_another_tenant_gets_404_for_every_kds_object(api: Api, alpha: TenantWorld, beta: TenantWorld, menu: Menu) -> None:
    tx, grill, _ = grill_and_drink(api, alpha, menu)
    stranger = beta.tokens["admin"]
    assert move(api, stranger, grill, "preparing")[0] == 404
    for action in ("bump", "recall", "session-token"):
        assert api.as_(stranger).post(f"/orders/{tx}/{action}").status == 404, action
    assert api.as_(stranger).get("/orders").body["data"] == []
    assert api.as_(alpha.tokens["cocina"]).get("/orders").body["data"][0]["items"][0]["status"] == "pending"
