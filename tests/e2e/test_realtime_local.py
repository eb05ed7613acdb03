"""Real time over the local stack: the app's own WebSocket handlers behind the emulator, and the
one flow REST -> DynamoDB -> stream poller -> fan-out -> @connections -> socket."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from websockets.exceptions import InvalidStatus
from websockets.sync.client import ClientConnection, connect

from tests.e2e.harness import RunningStack


def frames_until(ws: ClientConnection, event: str, timeout: float = 15) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    seen = []
    while time.monotonic() < deadline:
        try:
            frame = json.loads(ws.recv(timeout=max(0.1, deadline - time.monotonic())))
        except TimeoutError:
            break
        seen.append(frame.get("event"))
        if frame.get("event") == event:
            return dict(frame)
    raise AssertionError(f"no {event!r} frame within {timeout}s; saw {seen}")


def test_a_socket_without_a_token_is_refused_before_the_upgrade(stack: RunningStack) -> None:
    with pytest.raises(InvalidStatus) as refused:
        connect(f"{stack.ws_url}/cocina", open_timeout=10)
    assert refused.value.response.status_code == 401


def test_the_kitchen_token_opens_cocina_and_ping_gets_pong(stack: RunningStack) -> None:
    token = stack.banner_value("Kitchen token")
    with connect(f"{stack.ws_url}/cocina?token={token}", open_timeout=10) as ws:
        ws.send(json.dumps({"action": "ping"}))
        assert frames_until(ws, "pong", timeout=10)["event"] == "pong"


def test_a_new_table_order_reaches_the_kitchen_socket_through_the_stream(stack: RunningStack) -> None:
    """Given the kitchen connected to /cocina, when the cajero opens a caja and creates an order
    for a mesa over REST, then `nuevo-pedido` arrives on the socket with the transaction."""
    token = stack.banner_value("Kitchen token")
    cajero = stack.as_(stack.login("cajero1", "Cajero123!"))
    with connect(f"{stack.ws_url}/cocina?token={token}", open_timeout=10) as ws:
        opened = cajero.post("/api/caja/abrir", {"b100": 1})
        assert opened.status in (201, 409), opened
        created = cajero.post("/api/transacciones", {"nro_reg": 1, "concepto": "Mesa 4", "mesa": "4"})
        assert created.status == 201, created
        frame = frames_until(ws, "nuevo-pedido")
    assert frame["data"]["id"] == created.body["id"]
    assert frame["id"], "the message id is derived from the stream record"
