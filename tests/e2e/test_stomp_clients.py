"""Ordering Stack's STOMP 1.2 clients, unchanged, against the local stack at `/ws`:
@stomp/stompjs 7 in node (with `ws`) and stomp.py's WSStompConnection.

`/kds/{tenant}/{venue}` carries the branch's kitchen orders: a MESSAGE when one appears (a plato
is added), changes (the kitchen completes it) and closes (it is paid)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.e2e.harness import RunningStack
from tests.e2e.live import close_open_caja, provision_other_tenant
from tests.e2e.test_socketio_clients import Heard, NodeClient


def an_order_appears_changes_and_closes(stack: RunningStack, heard: Heard) -> None:
    cajero = stack.as_(stack.login("cajero1", "Cajero123!"))
    close_open_caja(cajero)
    assert cajero.post("/api/caja/abrir", {"b100": 1}).status == 201
    plato = next(p for p in cajero.get("/api/platos").body if p["nombre"] == "Silpancho")
    tx = int(cajero.post("/api/transacciones", {"nro_reg": 4, "concepto": "Mesa 4", "mesa": "Mesa 4"}).body["id"])
    item = cajero.post(f"/api/transacciones/{tx}/items", {"plato_id": plato["id"], "cantidad": 1})
    assert item.status == 201
    new = heard.next("message", lambda m: m["body"]["event"] == "order:new")
    assert new["headers"]["content-type"] == "application/json" and new["headers"]["message-id"]
    order_id = new["body"]["data"]["id"]
    assert cajero.call("PATCH", f"/api/transacciones/{tx}/cocina/completar").status == 200
    heard.next("message", lambda m: m["body"]["event"] == "order:updated" and m["body"]["data"]["id"] == order_id)
    total = item.body["transaccion"]["monto_total"] if "transaccion" in item.body else "35.00"
    paid = cajero.post(f"/api/transacciones/{tx}/pagos", {"metodo_pago": "qr", "monto": total})
    assert paid.status == 201 and paid.body["transaccion"]["estado"] == "cerrado", paid
    heard.next("message", lambda m: m["body"]["event"] == "order:updated" and m["body"]["data"]["id"] == order_id)
    close_open_caja(cajero)


# --- @stomp/stompjs 7 ------------------------------------------------------------------------------


def test_stompjs_subscribes_to_the_branch_kds_and_hears_an_order_appear_change_and_close(stack: RunningStack) -> None:
    token = stack.login("cocina1", "Cocina123!")
    node = NodeClient("stomp_kds.mjs", f"{stack.ws_url}/ws", token, "/kds/demo/centro")
    try:
        connected = node.heard.next("connected", timeout=30)
        assert connected["version"] == "1.2" and connected["heart-beat"] == "0,240000"
        assert node.heard.next("receipt") == "subscribed"
        an_order_appears_changes_and_closes(stack, node.heard)
    finally:
        node.stop()


def test_stompjs_with_a_bad_token_gets_an_error_frame(stack: RunningStack) -> None:
    node = NodeClient("stomp_kds.mjs", f"{stack.ws_url}/ws", "not-a-jwt", "/kds/demo/centro")
    try:
        assert node.heard.next("error", timeout=30) == "invalid token"
        node.heard.next("close")
    finally:
        node.stop()


def test_stompjs_is_refused_another_tenants_destination(stack: RunningStack) -> None:
    other = provision_other_tenant(stack)
    node = NodeClient("stomp_kds.mjs", f"{stack.ws_url}/ws", other["cocina"], "/kds/demo/centro")
    try:
        node.heard.next("connected", timeout=30)
        assert node.heard.next("error") == "not allowed to subscribe to /kds/demo/centro"
    finally:
        node.stop()


# --- stomp.py --------------------------------------------------------------------------------------


class Listener:
    def __init__(self) -> None:
        self.heard = Heard()

    def on_message(self, frame: Any) -> None:
        self.heard.events.put(("message", {"headers": frame.headers, "body": json.loads(frame.body)}))

    def on_error(self, frame: Any) -> None:
        self.heard.events.put(("error", frame.headers.get("message")))

    def on_receipt(self, frame: Any) -> None:
        self.heard.events.put(("receipt", frame.headers.get("receipt-id")))

    def on_disconnected(self) -> None:
        self.heard.events.put(("disconnected", None))


def stomp_py(stack: RunningStack) -> tuple[Any, Listener]:
    import stomp

    conn = stomp.WSStompConnection([("127.0.0.1", stack.port)], ws_path="/ws", reconnect_attempts_max=1)
    listener = Listener()
    conn.set_listener("test", listener)
    return conn, listener


def test_stomp_py_subscribes_to_the_branch_kds_and_hears_an_order_appear_change_and_close(stack: RunningStack) -> None:
    conn, listener = stomp_py(stack)
    conn.connect(login=stack.login("cocina1", "Cocina123!"), wait=True)
    try:
        conn.subscribe("/kds/demo/centro", id="kds", headers={"receipt": "subscribed"})
        assert listener.heard.next("receipt") == "subscribed"
        an_order_appears_changes_and_closes(stack, listener.heard)
    finally:
        conn.disconnect()


def test_stomp_py_with_a_bad_token_gets_an_error_frame(stack: RunningStack) -> None:
    import stomp

    conn, listener = stomp_py(stack)
    with pytest.raises(stomp.exception.ConnectFailedException):
        conn.connect(login="not-a-jwt", wait=True)
    assert listener.heard.next("error") == "invalid token"


def test_stomp_py_is_refused_another_tenants_destination(stack: RunningStack) -> None:
    other = provision_other_tenant(stack)
    conn, listener = stomp_py(stack)
    conn.connect(login=other["cocina"], wait=True)
    conn.subscribe("/kds/demo/centro", id="theirs")
    assert listener.heard.next("error") == "not allowed to subscribe to /kds/demo/centro"
    listener.heard.next("disconnected")
