"""The seed's Socket.IO kitchen client, unchanged, against the local stack: python-socketio's
client and Node's socket.io-client 4.x on `/cocina` (path /socket.io/, WebSocket transport).

The stack here runs with a 1 s ping interval (and its schedule every second), so staying
connected across several server pings takes seconds, not minutes."""

from __future__ import annotations

import json
import queue
import shutil
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.harness import RunningStack, launch_stack
from tests.e2e.live import close_open_caja

JS = Path(__file__).resolve().parent / "js"
FAST_PINGS = {"SOCKETIO_PING_INTERVAL_MS": "1000", "SOCKETIO_PING_TIMEOUT_MS": "3000", "COMANDA_LOCAL_SCHEDULE_SECONDS": "1"}


@pytest.fixture(scope="module")
def sio_stack() -> Iterator[RunningStack]:
    running = launch_stack(FAST_PINGS)
    try:
        yield running
    finally:
        running.stop()


def a_sale_is_heard(stack: RunningStack, heard: Heard) -> None:
    """Over REST: a table order with a plato (heard as new and queued), then the kitchen
    completes it (heard as completed and gone from the queue)."""
    cajero = stack.as_(stack.login("cajero1", "Cajero123!"))
    close_open_caja(cajero)
    assert cajero.post("/api/caja/abrir", {"b100": 1}).status == 201
    plato = next(p for p in cajero.get("/api/platos").body if p["nombre"] == "Silpancho")
    tx = int(cajero.post("/api/transacciones", {"nro_reg": 3, "concepto": "Mesa 3", "mesa": "Mesa 3"}).body["id"])
    assert heard.next("nuevo-pedido", lambda d: d["id"] == tx)["mesa"] == "Mesa 3"
    assert cajero.post(f"/api/transacciones/{tx}/items", {"plato_id": plato["id"], "cantidad": 1}).status == 201
    queued = heard.next("pedidos-actualizados", lambda d: any(o["id"] == tx and o["items"] for o in d))
    assert next(o for o in queued if o["id"] == tx)["items"][0]["nombre"] == "Silpancho"
    assert cajero.call("PATCH", f"/api/transacciones/{tx}/cocina/completar").status == 200
    assert heard.next("pedido-completado", lambda d: d == tx) == tx
    heard.next("pedidos-actualizados", lambda d: all(o["id"] != tx for o in d))


class Heard:
    def __init__(self) -> None:
        self.events: queue.Queue[tuple[str, Any]] = queue.Queue()

    def next(self, name: str, where: Any = lambda data: True, timeout: float = 20) -> Any:
        deadline = time.monotonic() + timeout
        seen = []
        while time.monotonic() < deadline:
            try:
                event, data = self.events.get(timeout=max(0.1, deadline - time.monotonic()))
            except queue.Empty:
                break
            seen.append(event)
            if event == name and where(data):
                return data
        raise AssertionError(f"no {name!r} within {timeout}s; heard {seen}")


def python_client(stack: RunningStack, token: str, transports: list[str]) -> tuple[Any, Heard]:
    import socketio

    heard = Heard()
    client = socketio.Client(reconnection=False)
    for name in ("nuevo-pedido", "pedidos-actualizados", "pedido-completado"):
        client.on(name, lambda data, name=name: heard.events.put((name, data)), namespace="/cocina")
    client.connect(stack.base_url, namespaces=["/cocina"], auth={"token": token}, transports=transports, wait_timeout=10)
    return client, heard


def test_python_socketio_client_hears_a_sale_driven_over_rest(sio_stack: RunningStack) -> None:
    token = sio_stack.login("cocina1", "Cocina123!")
    client, heard = python_client(sio_stack, token, ["websocket"])
    try:
        a_sale_is_heard(sio_stack, heard)
    finally:
        client.disconnect()


def test_python_socketio_client_over_long_polling_then_upgraded_hears_a_sale(sio_stack: RunningStack) -> None:
    token = sio_stack.login("cocina1", "Cocina123!")
    client, heard = python_client(sio_stack, token, ["polling", "websocket"])
    try:
        deadline = time.monotonic() + 20
        while client.transport() != "websocket" and time.monotonic() < deadline:
            time.sleep(0.1)
        assert client.transport() == "websocket"
        a_sale_is_heard(sio_stack, heard)
    finally:
        client.disconnect()


def test_python_socketio_client_on_long_polling_only_hears_a_sale(sio_stack: RunningStack) -> None:
    token = sio_stack.login("cocina1", "Cocina123!")
    client, heard = python_client(sio_stack, token, ["polling"])
    try:
        assert client.transport() == "polling"
        a_sale_is_heard(sio_stack, heard)
    finally:
        client.disconnect()


def test_python_socketio_client_with_a_bad_token_gets_a_connect_error(sio_stack: RunningStack) -> None:
    import socketio

    client = socketio.Client(reconnection=False)
    errors: list[Any] = []
    client.on("connect_error", errors.append, namespace="/cocina")
    with pytest.raises(socketio.exceptions.ConnectionError):
        client.connect(sio_stack.base_url, namespaces=["/cocina"], auth={"token": "not-a-jwt"}, transports=["websocket"],
                       wait_timeout=10)
    assert errors == [{"message": "invalid token"}]
    client.disconnect()


def test_python_socketio_client_stays_connected_across_server_pings(sio_stack: RunningStack) -> None:
    token = sio_stack.login("cocina1", "Cocina123!")
    client, _ = python_client(sio_stack, token, ["websocket"])
    pings: list[float] = []
    engine = client.eio
    original = engine._receive_packet

    def counting(packet: Any) -> None:
        if packet.packet_type == 2:  # Engine.IO PING
            pings.append(time.monotonic())
        original(packet)

    engine._receive_packet = counting
    try:
        deadline = time.monotonic() + 30
        while len(pings) < 4 and time.monotonic() < deadline:
            time.sleep(0.2)
        assert len(pings) >= 4, pings
        assert client.connected and "/cocina" in client.namespaces
    finally:
        client.disconnect()


# --- Node socket.io-client 4.x ---------------------------------------------------------------------


def npm_clients() -> Path:
    if shutil.which("npm") is None:
        pytest.fail("npm is needed for the third-party JavaScript clients")
    if not (JS / "node_modules" / ".package-lock.json").exists():
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=JS, check=True, timeout=300)
    return JS


class NodeClient:
    """Runs tests/e2e/js/<script> and reads its JSON lines ({"event", "data"})."""

    def __init__(self, script: str, *args: str) -> None:
        self.process = subprocess.Popen(["node", str(npm_clients() / script), *args], stdout=subprocess.PIPE,
                                        stderr=subprocess.STDOUT, text=True, bufsize=1)
        self.heard = Heard()
        self.lines: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append(line.rstrip())
            try:
                message = json.loads(line)
            except ValueError:
                continue
            self.heard.events.put((message["event"], message.get("data")))

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(10)


@pytest.mark.parametrize("transports", ["default", "websocket"])
def test_node_socket_io_client_hears_a_sale_driven_over_rest(sio_stack: RunningStack, transports: str) -> None:
    token = sio_stack.login("cocina1", "Cocina123!")
    node = NodeClient("socketio_kitchen.mjs", sio_stack.base_url, token, transports)
    try:
        node.heard.next("connect", timeout=30)
        # by default the client starts with long-polling and then upgrades to the WebSocket
        node.heard.next("ping", lambda transport: transport == "websocket")
        a_sale_is_heard(sio_stack, node.heard)
        for _ in range(3):
            node.heard.next("ping")
        assert not any('"disconnect"' in line for line in node.lines), node.lines
    finally:
        node.stop()


@pytest.mark.parametrize("transports", ["default", "websocket"])
def test_node_socket_io_client_with_a_bad_token_gets_connect_error(sio_stack: RunningStack, transports: str) -> None:
    node = NodeClient("socketio_kitchen.mjs", sio_stack.base_url, "not-a-jwt", transports)
    try:
        assert node.heard.next("connect_error", timeout=30) == "invalid token"
    finally:
        node.stop()
