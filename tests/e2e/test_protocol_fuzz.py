"""Frame fuzz at the socket edge: malformed packets, unknown types, oversized and binary frames,
and frames before CONNECT or the namespace connect each get an error frame or a close, never a
crash, while well-behaved clients of the same protocol keep receiving."""

from __future__ import annotations

import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

from tests.e2e.harness import RunningStack
from tests.e2e.test_socketio_clients import a_sale_is_heard, python_client
from tests.e2e.test_stomp_clients import an_order_appears_changes_and_closes, stomp_py

TOO_BIG_FOR_API_GATEWAY = 130 * 1024


def answers(ws: ClientConnection, payload: str | bytes, timeout: float = 5) -> tuple[list[str | bytes], bool]:
    """What the server sends back until it goes quiet, and whether it closed the socket."""
    try:
        ws.send(payload)
    except ConnectionClosed:
        return [], True
    heard: list[str | bytes] = []
    while True:
        try:
            heard.append(ws.recv(timeout=timeout))
        except TimeoutError:
            return heard, False
        except ConnectionClosed:
            return heard, True


SOCKETIO_FUZZ = {
    "malformed socket.io packet": "4garbage",
    "unknown engine.io type": "9hello",
    "event before the namespace connect": '42/cocina,["subscribe","cocina:centro"]',
    "unknown namespace": '40/nope,{"token":"x"}',
    "token of the wrong type": '40/cocina,{"token":123}',
    "binary frame": b"\x04\x00\xff",
    "oversized for a frame": "4" + "a" * 40_000,
    "oversized for API Gateway": "4" + "a" * TOO_BIG_FOR_API_GATEWAY,
    "empty frame": "",
}


@pytest.mark.parametrize("case", SOCKETIO_FUZZ)
def test_socketio_fuzz_gets_an_error_packet_or_a_close(stack: RunningStack, case: str) -> None:
    with connect(f"{stack.ws_url}/socket.io/?EIO=4&transport=websocket", open_timeout=10, max_size=None) as ws:
        assert str(ws.recv(timeout=15)).startswith("0{")
        heard, closed = answers(ws, SOCKETIO_FUZZ[case])
    assert closed or any(str(h).startswith("44/") for h in heard), (heard, closed)


STOMP_FUZZ = {
    "unknown command": "HELLO\n\n\x00",
    "header without a colon": "CONNECT\nlogin\n\n\x00",
    "subscribe before CONNECT": "SUBSCRIBE\nid:0\ndestination:/kds/demo/centro\n\n\x00",
    "binary frame": b"CONNECT\n\n\x00",
    "unterminated oversized frame": "CONNECT\nx:" + "y" * 40_000,
    "oversized for API Gateway": "CONNECT\nx:" + "y" * TOO_BIG_FOR_API_GATEWAY,
    "CONNECT without login": "CONNECT\naccept-version:1.2\n\n\x00",
}


@pytest.mark.parametrize("case", STOMP_FUZZ)
def test_stomp_fuzz_gets_an_error_frame_or_a_close(stack: RunningStack, case: str) -> None:
    with connect(f"{stack.ws_url}/ws", open_timeout=10, max_size=None) as ws:
        heard, closed = answers(ws, STOMP_FUZZ[case])
    assert closed or any(str(h).startswith("ERROR\n") for h in heard), (heard, closed)
    assert all(isinstance(h, str) for h in heard), "only text frames"


def test_stomp_send_after_connect_is_refused_with_an_error_frame(stack: RunningStack) -> None:
    token = stack.login("cocina1", "Cocina123!")
    with connect(f"{stack.ws_url}/ws", open_timeout=10) as ws:
        heard, _ = answers(ws, f"CONNECT\nlogin:{token}\n\n\x00SEND\ndestination:/kds/demo/centro\n\nhola\x00")
    assert str(heard[0]).startswith("CONNECTED\n") and str(heard[1]).startswith("ERROR\n")


def test_well_behaved_clients_keep_receiving_while_others_fuzz(stack: RunningStack) -> None:
    token = stack.login("cocina1", "Cocina123!")
    sio, sio_heard = python_client(stack, token, ["websocket"])
    conn, listener = stomp_py(stack)
    conn.connect(login=token, wait=True)
    conn.subscribe("/kds/demo/centro", id="kds")
    try:
        for payload in (*SOCKETIO_FUZZ.values(),):
            with connect(f"{stack.ws_url}/socket.io/?EIO=4&transport=websocket", open_timeout=10, max_size=None) as ws:
                answers(ws, payload, timeout=0.5)
        for payload in STOMP_FUZZ.values():
            with connect(f"{stack.ws_url}/ws", open_timeout=10, max_size=None) as ws:
                answers(ws, payload, timeout=0.5)
        a_sale_is_heard(stack, sio_heard)
        listener.heard.next("message", lambda m: m["body"]["event"] == "order:new")
        an_order_appears_changes_and_closes(stack, listener.heard)
    finally:
        sio.disconnect()
        conn.disconnect()
