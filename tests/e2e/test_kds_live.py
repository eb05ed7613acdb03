"""The kitchen display over the running stack: a kitchen tablet, a bar tablet, a customer and
a /cocina client watch one order move item by item to ready and be served."""

from __future__ import annotations

import json
from contextlib import ExitStack

from websockets.sync.client import connect

from tests.e2e.harness import RunningStack
from tests.e2e.live import Frames, provision_other_tenant


def subscribe(frames: Frames, channel: str) -> None:
    frames.ws.send(json.dumps({"action": "subscribe", "channel": channel}))
    ack = frames.next("subscribed", timeout=10)
    assert ack["channel"] == channel


def mine(tx: int):  # noqa: ANN201
    return lambda f: (f["data"].get("order_id") or f["data"].get("id")) == tx


def test_each_client_receives_exactly_the_events_meant_for_it_in_order(stack: RunningStack) -> None:
    admin = stack.as_(stack.login("admin", "Admin123!"))
    cajero = stack.as_(stack.login("cajero1", "Cajero123!"))
    kitchen_token, waiter_token = stack.login("cocina1", "Cocina123!"), stack.login("mesero1", "Mesero123!")
    kitchen_api, waiter_api = stack.as_(kitchen_token), stack.as_(waiter_token)
    grill = next(p for p in cajero.get("/api/platos").body if p["estacion"] == "parrilla")
    drinks = [p for p in cajero.get("/api/platos").body if p["estacion"] == "bar"]
    drink = drinks[0] if drinks else admin.post("/api/platos", {"nombre": "Limonada", "precio": 8, "estacion": "bar"}).body

    with ExitStack() as sockets:
        def open_socket(path: str, token: str) -> Frames:
            return Frames(sockets.enter_context(connect(f"{stack.ws_url}/{path}?token={token}", open_timeout=10)))

        kitchen, bar = open_socket("kds", kitchen_token), open_socket("kds", kitchen_token)
        cocina = open_socket("cocina", kitchen_token)
        subscribe(kitchen, "branch:centro:kitchen")
        subscribe(bar, "branch:centro:kitchen:bar")

        tx = cajero.post("/api/transacciones", {"nro_reg": 3, "concepto": "Mesa 3", "mesa": "Mesa 3"}).body["id"]
        session = waiter_api.post(f"/orders/{tx}/session-token").body["data"]
        customer = open_socket("kds", session["token"])
        customer.ws.send(json.dumps({"action": "subscribe", "channel": "branch:centro"}))
        assert customer.next("error", timeout=10)["data"]["code"] == "forbidden"

        grill_item = cajero.post(f"/api/transacciones/{tx}/items", {"plato_id": grill["id"], "cantidad": 1}).body["uuid"]
        kitchen_new = kitchen.next("order:new", where=mine(tx))
        assert [i["id"] for i in kitchen_new["data"]["items"]] == [grill_item]
        drink_item = cajero.post(f"/api/transacciones/{tx}/items", {"plato_id": drink["id"], "cantidad": 2}).body["uuid"]
        assert [i["station"] for i in bar.next("order:updated", where=mine(tx))["data"]["items"]] == ["bar"]

        def move(item: str, status: str, api: RunningStack = kitchen_api) -> None:
            reply = api.call("PATCH", f"/items/{item}/status", {"status": status})
            assert reply.status == 200, reply

        move(grill_item, "preparing")
        move(grill_item, "ready")
        move(drink_item, "preparing")
        move(drink_item, "ready")

        def item_moves(frames: Frames, count: int) -> list[tuple[str, str]]:
            got = [frames.next("order:item_status", where=mine(tx)) for _ in range(count)]
            return [(f["data"]["item"]["id"], f["data"]["item"]["status"]) for f in got]

        assert item_moves(kitchen, 4) == [(grill_item, "preparing"), (grill_item, "ready"),
                                          (drink_item, "preparing"), (drink_item, "ready")]
        assert item_moves(bar, 2) == [(drink_item, "preparing"), (drink_item, "ready")]
        assert item_moves(customer, 4)[-1] == (drink_item, "ready")
        assert cocina.next("pedido-completado", where=lambda f: f["data"] == tx)["data"] == tx

        move(grill_item, "served", waiter_api)
        move(drink_item, "served", waiter_api)
        assert item_moves(customer, 2) == [(grill_item, "served"), (drink_item, "served")]
        final = kitchen.next("order:updated", where=lambda f: mine(tx)(f) and f["data"]["status"] is None)
        assert all(i["status"] == "served" for i in final["data"]["items"])

        # The bar tablet never saw the grill item, and the customer never saw kitchen-wide orders.
        bar_items = {f["data"]["item"]["id"] for f in bar.seen if f.get("event") == "order:item_status"}
        assert grill_item not in bar_items
        assert all(f.get("channel") in (None, session["channel"]) for f in customer.seen)

        assert tx not in [o["id"] for o in kitchen_api.get("/orders").body["data"]]


def test_another_tenant_cannot_subscribe_to_our_kds_channels(stack: RunningStack) -> None:
    other = provision_other_tenant(stack)
    with connect(f"{stack.ws_url}/kds?token={other['admin']}", open_timeout=10) as ws:
        frames = Frames(ws)
        ws.send(json.dumps({"action": "subscribe", "channel": "branch:norte:kitchen"}))
        assert frames.next("error", timeout=10)["data"]["code"] == "not_found"
