"""Kitchen pacing on the running local stack, over real sockets: a held course fired from REST
and a dish marked sold out reach /cocina, a kds socket and a STOMP client (stomp.py) through the
tables' streams and the fan-out."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from websockets.sync.client import connect

from tests.e2e.harness import RunningStack
from tests.e2e.live import Frames, close_open_caja
from tests.e2e.test_stomp_clients import stomp_py


@contextmanager
def sockets(stack: RunningStack, token: str) -> Iterator[tuple[Frames, Frames, Any, Any]]:
    """/cocina on cocina:centro, kds on branch:centro, stomp.py on /kds and /venue of centro."""
    with connect(f"{stack.ws_url}/cocina?token={token}", open_timeout=10) as cocina, \
            connect(f"{stack.ws_url}/kds?token={token}", open_timeout=10) as kds:
        cocina_frames, kds_frames = Frames(cocina), Frames(kds)
        cocina.send(json.dumps({"action": "subscribe", "channel": "cocina:centro"}))
        cocina_frames.next("subscribed")
        kds.send(json.dumps({"action": "subscribe", "channel": "branch:centro"}))
        kds_frames.next("subscribed")
        conn, listener = stomp_py(stack)
        conn.connect(login=token, wait=True)
        try:
            for sub_id, destination in (("k", "/kds/demo/centro"), ("v", "/venue/demo/centro")):
                conn.subscribe(destination, id=sub_id, headers={"receipt": sub_id})
                assert listener.heard.next("receipt") == sub_id
            yield cocina_frames, kds_frames, listener.heard, conn
        finally:
            conn.disconnect()


def test_firing_a_held_main_reaches_cocina_kds_and_stomp(stack: RunningStack) -> None:
    admin = stack.as_(stack.login("admin", "Admin123!"))
    main = admin.post("/api/platos", {"nombre": "Pique macho (curso 2)", "precio": "45.00", "curso": 2}).body
    waiter = stack.as_(stack.login("mesero1", "Mesero123!"))
    cajero = stack.as_(stack.login("cajero1", "Cajero123!"))
    close_open_caja(cajero)
    assert cajero.post("/api/caja/abrir", {"b100": 1}).status == 201
    starter = next(p for p in waiter.get("/api/platos").body if p["nombre"] == "Silpancho")
    try:
        tx = waiter.post("/api/transacciones", {"nro_reg": 5, "concepto": "Mesa 5", "mesa": "5", "items": [
            {"plato_id": starter["id"], "cantidad": 2}, {"plato_id": main["id"], "cantidad": 1}]}).body["id"]
        with sockets(stack, stack.login("cocina1", "Cocina123!")) as (cocina, kds, stomp_heard, _):
            assert waiter.post(f"/api/transacciones/{tx}/cursos/2/marchar").status == 200

            def fired(order: dict[str, Any]) -> bool:
                return order["id"] == tx and order["held_items"] == [] and order["items"][-1]["fired_at"] is not None

            assert kds.next("order:updated", where=lambda f: fired(f["data"]))
            assert stomp_heard.next("message", lambda m: m["body"]["event"] == "order:updated" and fired(m["body"]["data"]))
            queue = cocina.next("pedidos-actualizados", where=lambda f: any(
                t["id"] == tx and not any(i["held"] for i in t["items"]) for t in f["data"]))
            assert queue
    finally:
        admin.call("DELETE", f"/api/platos/{main['id']}")
        close_open_caja(cajero)


def test_a_dish_marked_sold_out_and_back_reaches_cocina_kds_and_the_stomp_venue(stack: RunningStack) -> None:
    kitchen_token = stack.login("cocina1", "Cocina123!")
    kitchen = stack.as_(kitchen_token)
    plato = next(p for p in kitchen.get("/api/platos").body if p["nombre"] == "Silpancho")
    with sockets(stack, kitchen_token) as (cocina, kds, stomp_heard, _):
        try:
            assert kitchen.call("PATCH", f"/api/platos/{plato['id']}", {"agotado": True}).body["agotado"] is True
            for flag in (True, False):
                def about(data: dict[str, Any], flag: bool = flag) -> bool:
                    return data["id"] == plato["id"] and data["agotado"] is flag

                assert cocina.next("menu-actualizado", where=lambda f: about(f["data"]))["data"]["nombre"] == "Silpancho"
                assert kds.next("menu:updated", where=lambda f: about(f["data"]))
                assert stomp_heard.next("message", lambda m: m["headers"]["destination"] == "/venue/demo/centro"
                                        and m["body"]["event"] == "menu:updated" and about(m["body"]["data"]))
                if flag:
                    assert kitchen.call("PATCH", f"/api/platos/{plato['id']}", {"agotado": False}).status == 200
        finally:
            kitchen.call("PATCH", f"/api/platos/{plato['id']}", {"agotado": False})
