"""Real time over the local stack: the app's own WebSocket handlers behind the emulator, and the
one flow REST -> DynamoDB -> stream poller -> fan-out -> @connections -> socket."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import pytest
from websockets.exceptions import InvalidStatus
from websockets.sync.client import ClientConnection, connect

from tests.e2e.harness import RunningStack, launch_stack


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


@pytest.fixture(scope="module")
def sharded_stack() -> Iterator[RunningStack]:
    """A local stack that shards every channel with more than one subscriber, one connection per shard."""
    running = launch_stack({"COMANDA_FANOUT_SHARD_THRESHOLD": "1", "COMANDA_FANOUT_SHARD_SIZE": "1"}, ["--lambda-concurrency", "2"])
    try:
        yield running
    finally:
        running.stop()


def test_a_big_channel_is_sent_by_send_frames_shards_running_in_the_stacks_lambda_emulation(sharded_stack: RunningStack) -> None:
    """Given three kitchen sockets on one branch (over the threshold of one), when an order is
    created, then each socket gets `nuevo-pedido` exactly once, posted by send_frames invocations
    the app made through Lambda's Invoke API on the stack (one shard per connection)."""
    stack = sharded_stack
    assert "send_frames" in stack.banner_value("Lambda Invoke")
    token = stack.banner_value("Kitchen token")
    cajero = stack.as_(stack.login("cajero1", "Cajero123!"))
    sockets = [connect(f"{stack.ws_url}/cocina?token={token}", open_timeout=10) for _ in range(3)]
    try:
        opened = cajero.post("/api/caja/abrir", {"b100": 1})
        assert opened.status in (201, 409), opened
        created = cajero.post("/api/transacciones", {"nro_reg": 1, "concepto": "Mesa 9", "mesa": "9"})
        assert created.status == 201, created
        first = [frames_until(ws, "nuevo-pedido", timeout=30) for ws in sockets]
        assert {f["data"]["id"] for f in first} == {created.body["id"]} and len({f["id"] for f in first}) == 1
        time.sleep(1.0)
        for ws in sockets:
            with pytest.raises(AssertionError):
                frames_until(ws, "nuevo-pedido", timeout=0.5)
    finally:
        for ws in sockets:
            ws.close()
    shards = [line for line in stack.output if '"message":"shard sent"' in line and '"connections":1,' in line]
    assert len(shards) >= 3, "\n".join(stack.output[-30:])
