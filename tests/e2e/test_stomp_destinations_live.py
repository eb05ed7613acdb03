"""COMPAT D's other STOMP destinations against the running local stack, with stomp.py unchanged:
one order's changes, the user's own error messages, the branch's settings; and the CONNECT
deadline, on a stack whose schedules run every second."""

from __future__ import annotations

import time

from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from tests.e2e.harness import RunningStack, launch_stack
from tests.e2e.live import close_open_caja
from tests.e2e.test_stomp_clients import stomp_py


def test_stomp_py_follows_one_order_its_own_errors_and_the_branch_settings(stack: RunningStack) -> None:
    token = stack.login("cajero1", "Cajero123!")
    cajero = stack.as_(token)
    me = str(cajero.get("/api/auth/profile").body["id"])
    close_open_caja(cajero)
    assert cajero.post("/api/caja/abrir", {"b100": 1}).status == 201
    tx = int(cajero.post("/api/transacciones", {"nro_reg": 8, "concepto": "Mesa 8", "mesa": "8"}).body["id"])

    conn, listener = stomp_py(stack)
    conn.connect(login=token, wait=True)
    admin = stack.as_(stack.login("admin", "Admin123!"))
    original = next(b for b in admin.get("/api/sucursales").body if b["id"] == "centro")
    try:
        destinations = {"order": f"/order-changes/{me}/{tx}", "mine": f"/kds/demo/{me}", "venue": "/venue/demo/centro"}
        for sub_id, destination in destinations.items():
            conn.subscribe(destination, id=sub_id, headers={"receipt": sub_id})
            assert listener.heard.next("receipt") == sub_id

        plato = next(p for p in cajero.get("/api/platos").body if p["nombre"] == "Silpancho")
        assert cajero.post(f"/api/transacciones/{tx}/items", {"plato_id": plato["id"], "cantidad": 1}).status == 201
        changed = listener.heard.next("message", lambda m: m["body"]["event"] == "order:changed")
        assert changed["headers"]["destination"] == f"/order-changes/{me}/{tx}" and changed["body"]["data"]["id"] == tx

        assert cajero.post(f"/api/transacciones/{tx}/pagos", {"metodo_pago": "qr", "monto": "-5"}).status == 400
        error = listener.heard.next("message", lambda m: m["body"]["event"] == "order:error")
        assert error["headers"]["destination"] == f"/kds/demo/{me}"
        assert error["body"]["data"]["type"] == "OrderEventError" and error["body"]["data"]["orderId"] == str(tx)

        assert admin.call("PATCH", "/api/sucursales/centro", {"nombre": "Centro (renovado)"}).status == 200
        venue = listener.heard.next("message", lambda m: m["body"]["event"] == "venue:updated")
        assert venue["headers"]["destination"] == "/venue/demo/centro" and venue["body"]["data"]["nombre"] == "Centro (renovado)"
    finally:
        admin.call("PATCH", "/api/sucursales/centro", {"nombre": original["nombre"]})
        conn.disconnect()
        close_open_caja(cajero)


def test_a_stomp_socket_that_never_sends_connect_is_closed_after_the_deadline() -> None:
    quick = launch_stack({"STOMP_CONNECT_DEADLINE_SECONDS": "2", "COMANDA_LOCAL_SCHEDULE_SECONDS": "1"})
    try:
        with connect(f"{quick.ws_url}/ws", subprotocols=["v12.stomp"], open_timeout=10) as silent:
            opened = time.monotonic()  # the deadline runs from the silent socket's open
            polite = connect(f"{quick.ws_url}/ws", subprotocols=["v12.stomp"], open_timeout=10)
            polite.send(f"CONNECT\naccept-version:1.2\nlogin:{quick.login('cocina1', 'Cocina123!')}\n\n\x00")
            assert str(polite.recv(timeout=10)).startswith("CONNECTED\n")
            heard = []
            try:
                while True:
                    heard.append(str(silent.recv(timeout=15)))
            except ConnectionClosed:
                waited = time.monotonic() - opened
            assert heard and heard[0].startswith("ERROR\n") and "no CONNECT within 2 s" in heard[0]
            # Not before the 2 s deadline as the server counts it: a connection's `connected_at` is whole
            # seconds (store/connections.py), so it may start up to 1 s before the socket opened here.
            assert 1.0 <= waited <= 12, waited
            polite.send("\n")  # a heart-beat: the logged-in connection is still open
            polite.ping().wait(5)
            polite.close()
    finally:
        quick.stop()
