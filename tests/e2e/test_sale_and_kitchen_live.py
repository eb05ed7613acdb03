"""The seed 002 walkthrough and the live kitchen, over real HTTP and a real WebSocket client
against the running local stack."""

from __future__ import annotations

import re
from decimal import Decimal as D

import pytest
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from devstack.world import denominations
from tests.e2e.harness import RunningStack
from tests.e2e.live import Frames, close_open_caja, provision_other_tenant

LOCAL_TIME = re.compile(r"\d{2}:\d{2} - \d{2}/\d{2}/\d{4}")


def by_name(items: list[dict], name: str) -> dict:
    return next(i for i in items if i["nombre"] == name)


def test_the_seed_002_walkthrough_with_its_own_request_bodies(stack: RunningStack) -> None:
    cajero = stack.as_(stack.login("cajero1", "Cajero123!"))
    admin = stack.as_(stack.login("admin", "Admin123!"))
    close_open_caja(cajero)
    silpancho = by_name(cajero.get("/api/platos").body, "Silpancho")
    coca = by_name(cajero.get("/api/productos").body, "Coca-Cola 500ml")
    tomate = admin.post("/api/ingredientes", {"nombre": "Tomate e2e", "unidad": "kg", "cantidad": 10, "cantidad_minima": 1}).body
    lines = cajero.get(f"/api/platos/{silpancho['id']}").body["ingredientes"]
    recipe = {line["ingrediente_id"]: D(line["cantidad"]) for line in lines}
    stock_before = {i["id"]: D(i["cantidad"]) for i in cajero.get("/api/ingredientes").body}

    # 1. open the caja (the seed's counts)
    counts = denominations(b200=2, b100=3, b50=4, b20=5, b10=10, b5=10, m2=20, m1=20)
    caja = cajero.post("/api/caja/abrir", counts)
    assert caja.status == 201 and caja.body["monto_inicial"] == "1210.00"
    # 2. create: caja_id is linked automatically
    sale = cajero.post("/api/transacciones", {"nro_reg": 1, "concepto": "Pedido mesa 5", "mesa": "Mesa 5", "cliente": "Juan Pérez"})
    assert sale.status == 201 and sale.body["caja_id"] == caja.body["id"] and sale.body["estado"] == "pendiente"
    tx = sale.body["id"]
    # 3. a plato
    item = cajero.post(f"/api/transacciones/{tx}/items", {"plato_id": silpancho["id"], "cantidad": 2, "notas": "Sin cebolla"})
    assert item.status == 201 and item.body["subtotal"] == "70.00"
    # plus a product, to check product stock
    cajero.post(f"/api/transacciones/{tx}/items", {"producto_id": coca["id"], "cantidad": 1})
    # 4. both kinds of extra
    extras = f"/api/transacciones/{tx}/items/{item.body['id']}/extras"
    assert cajero.post(extras, {"descripcion": "Extra queso", "precio": 5.00, "cantidad": 1}).status == 201
    tracked = cajero.post(extras, {"ingrediente_id": tomate["id"], "precio": 3.00, "cantidad": 2})
    assert tracked.status == 201
    total = D(tracked.body["transaccion"]["monto_total"])
    assert total == (D("35") + 5 + 3 * 2) * 2 + D("8")
    # 5. the kitchen completes it
    assert cajero.call("PATCH", f"/api/transacciones/{tx}/cocina/completar").body["estado_cocina"] == "terminado"
    # 6. pay in part, then the rest
    first = cajero.post(f"/api/transacciones/{tx}/pagos", {"metodo_pago": "efectivo", "monto": 50.00, "monto_recibido": 100.00})
    assert first.status == 201 and first.body["cambio"] == "50.00"
    assert first.body["transaccion"]["estado"] == "abierto"
    rest = cajero.post(f"/api/transacciones/{tx}/pagos", {"metodo_pago": "qr", "monto": str(total - 50)})
    assert rest.status == 201 and rest.body["transaccion"]["estado"] == "cerrado"

    stock_after = {i["id"]: D(i["cantidad"]) for i in cajero.get("/api/ingredientes").body}
    for ingrediente_id, per_plato in recipe.items():
        assert stock_after[ingrediente_id] == stock_before[ingrediente_id] - per_plato * 2
    assert stock_after[tomate["id"]] == D("10") - 2 * 2
    assert D(cajero.get(f"/api/productos/{coca['id']}").body["stock"]) == D(coca["stock"]) - 1

    summary = cajero.get("/api/caja/resumen").body["resumen"]
    assert (D(summary["ventas_efectivo"]), D(summary["ventas_qr"])) == (D("50"), total - 50)
    assert D(summary["efectivo_esperado"]) == D("1260.00")

    assert cajero.post(f"/api/transacciones/{tx}/reabrir").body["estado"] == "abierto"
    again = cajero.post(f"/api/transacciones/{tx}/reabrir")
    assert again.status == 400 and "cerrada" in again.body["message"]
    close_open_caja(cajero)


def test_the_kitchen_sees_new_updated_and_completed_orders_live(stack: RunningStack) -> None:
    kitchen_token = stack.login("cocina1", "Cocina123!")
    cajero = stack.as_(stack.login("cajero1", "Cajero123!"))
    silpancho = by_name(cajero.get("/api/platos").body, "Silpancho")
    with connect(f"{stack.ws_url}/cocina?token={kitchen_token}", open_timeout=10) as ws:
        frames = Frames(ws)
        tx = cajero.post("/api/transacciones", {"nro_reg": 7, "concepto": "Mesa 7", "mesa": "Mesa 7"}).body["id"]
        nuevo = frames.next("nuevo-pedido", where=lambda f: f["data"]["id"] == tx)
        assert nuevo["channel"] == "cocina:centro" and nuevo["id"]
        assert LOCAL_TIME.fullmatch(nuevo["data"]["hora"]) and LOCAL_TIME.fullmatch(nuevo["data"]["creado_en"])

        item = cajero.post(f"/api/transacciones/{tx}/items", {"plato_id": silpancho["id"], "cantidad": 1}).body["id"]
        cajero.post(f"/api/transacciones/{tx}/items/{item}/extras", {"descripcion": "Picante", "precio": 0, "cantidad": 1})

        def holds_extra(frame: dict) -> bool:
            mine = [o for o in frame["data"] if o["id"] == tx]
            return bool(mine) and any(e["descripcion"] == "Picante" for i in mine[0]["items"] for e in i["extras"])

        queue = frames.next("pedidos-actualizados", where=holds_extra)
        order = next(o for o in queue["data"] if o["id"] == tx)
        assert order["items"][0]["nombre"] == "Silpancho"
        assert LOCAL_TIME.fullmatch(order["hora"]) and LOCAL_TIME.fullmatch(order["items"][0]["creado_en"])

        cajero.call("PATCH", f"/api/transacciones/{tx}/cocina/completar")
        assert frames.next("pedido-completado", where=lambda f: f["data"] == tx)["data"] == tx
        frames.next("pedidos-actualizados", where=lambda f: all(o["id"] != tx for o in f["data"]))


def test_sockets_without_a_valid_token_are_refused(stack: RunningStack) -> None:
    for query in ("", "?token=not-a-jwt", "?token=eyJhbGciOiJub25lIn0.eyJzdWIiOiIxIn0."):
        with pytest.raises(InvalidStatus) as refused:
            connect(f"{stack.ws_url}/cocina{query}", open_timeout=10)
        assert refused.value.response.status_code == 401, query


def test_another_tenants_kitchen_hears_nothing_and_cannot_subscribe_to_our_branch(stack: RunningStack) -> None:
    other = provision_other_tenant(stack)
    ours = stack.login("cocina1", "Cocina123!")
    cajero = stack.as_(stack.login("cajero1", "Cajero123!"))
    with connect(f"{stack.ws_url}/cocina?token={other['cocina']}", open_timeout=10) as theirs, \
            connect(f"{stack.ws_url}/cocina?token={ours}", open_timeout=10) as mine:
        their_frames, my_frames = Frames(theirs), Frames(mine)
        theirs.send('{"action": "subscribe", "channel": "cocina:centro"}')
        # "centro" resolves inside their own tenant: it is their branch, never ours.
        assert their_frames.next("subscribed")["channel"] == "cocina:centro"
        theirs.send('{"action": "subscribe", "channel": "cocina:norte"}')
        assert their_frames.next("error")["data"]["code"] == "not_found"
        tx = cajero.post("/api/transacciones", {"nro_reg": 8, "concepto": "Mesa 8", "mesa": "Mesa 8"}).body["id"]
        my_frames.next("nuevo-pedido", where=lambda f: f["data"]["id"] == tx)
        my_frames.next("pedidos-actualizados")
        assert their_frames.quiet(2.0) == []
