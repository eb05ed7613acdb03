"""The Socket.IO and STOMP codecs at the socket edge (no AWS)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from chalicelib.realtime import socketio, stomp
from chalicelib.store.connections import parse_subscription_key, subscription_key


def test_socketio_open_packet_carries_the_engine_io_handshake() -> None:
    packet = socketio.open_packet("abc", 240000, 120000)
    assert packet == '0{"sid":"abc","upgrades":[],"pingInterval":240000,"pingTimeout":120000,"maxPayload":32768}'


def test_socketio_namespace_answers_and_events_are_engine_io_messages() -> None:
    assert socketio.connected("cocina", "abc") == '40/cocina,{"sid":"abc"}'
    assert socketio.connect_error("cocina", "invalid token") == '44/cocina,{"message":"invalid token"}'
    assert socketio.event("cocina", "pedido-completado", 7) == '42/cocina,["pedido-completado",7]'
    money = socketio.event("cocina", "x", {"monto": Decimal("5.00"), "nombre": "Ñandú"})
    assert money == '42/cocina,["x",{"monto":"5.00","nombre":"Ñandú"}]'
    assert socketio.ping_packet() == "2"


def test_socketio_decodes_a_namespace_connect_with_its_auth() -> None:
    packet = socketio.decode('40/cocina,{"token":"t"}')
    assert (packet.kind, packet.namespace, packet.sio_type, packet.data) == ("message", "cocina", 0, {"token": "t"})
    assert socketio.decode('42/kds,1["subscribe","branch:centro"]').ack_id == 1
    assert socketio.decode("3").kind == "pong"
    assert socketio.decode("2probe").kind == "probe"
    assert socketio.decode("5").kind == "upgrade"


@pytest.mark.parametrize("body", ["", "x", "9", "4", "4{", "45/cocina,", "451-/cocina,", "0", "4" + "a" * 40000, "b4AAA="])
def test_socketio_refuses_malformed_or_unsupported_packets(body: str) -> None:
    with pytest.raises(socketio.BadPacket):
        socketio.decode(body)


def test_stomp_subprotocol_is_the_best_one_offered_or_none() -> None:
    assert stomp.choose_subprotocol("v10.stomp, v12.stomp") == "v12.stomp"
    assert stomp.choose_subprotocol("v11.stomp") == "v11.stomp"
    assert stomp.choose_subprotocol(None) is None
    assert stomp.choose_subprotocol("mqtt") is None


def test_stomp_server_frames_have_escaped_headers_and_a_content_length() -> None:
    assert stomp.connected("s1") == "CONNECTED\nheart-beat:0,240000\nserver:comanda/1\nsession:s1\nversion:1.2\n\n\x00"
    frame = stomp.message("/kds/demo/centro", "sub:1\n", "m1", '{"a":"é"}')
    assert "subscription:sub\\c1\\n\n" in frame
    assert "content-length:10\n" in frame and frame.endswith('\n\n{"a":"é"}\x00')
    assert stomp.receipt("r1") == "RECEIPT\nreceipt-id:r1\n\n\x00"
    assert stomp.error("bad", "r2").startswith("ERROR\ncontent-length:3\ncontent-type:text/plain\nmessage:bad\nreceipt-id:r2\n")


def test_stomp_parses_batched_frames_and_heart_beats_and_unescapes_headers() -> None:
    text = "\nCONNECT\nlogin:a\\cb\naccept-version:1.2\n\n\x00\r\nSUBSCRIBE\nid:0\ndestination:/kds/t/v\n\n\x00\n"
    frames = stomp.parse(text)
    assert [(c, h.get("login") or h.get("id")) for c, h, _ in frames] == [("CONNECT", "a:b"), ("SUBSCRIBE", "0")]


def test_stomp_keeps_the_unfinished_tail_of_a_split_frame() -> None:
    assert stomp.split_complete("SUBSCRIBE\nid:0\n") == ("", "SUBSCRIBE\nid:0\n")
    assert stomp.split_complete("DISCONNECT\n\n\x00\n\n") == ("DISCONNECT\n\n\x00\n\n", "")
    assert stomp.split_complete("A\n\n\x00SUB") == ("A\n\n\x00", "SUB")


@pytest.mark.parametrize("text", ["HELLO\n\n\x00", "SUBSCRIBE\nno-colon\n\n\x00", "connect\n\n\x00"])
def test_stomp_refuses_unknown_commands_and_headers_without_a_colon(text: str) -> None:
    with pytest.raises(stomp.BadFrame):
        stomp.parse(text)


def test_stomp_destinations_name_their_tenant_user_and_target() -> None:
    assert stomp.destination("/kds/demo/centro") == stomp.Destination("kds", "centro", tenant="demo")
    assert stomp.destination("/order-changes/7/42") == stomp.Destination("order", "42", user="7")
    assert stomp.destination("/venue/demo/centro") == stomp.Destination("venue", "centro", tenant="demo")


def test_stomp_destinations_outside_compat_d_are_unknown() -> None:
    for text in ("/kds/demo", "/kds/demo/centro/x", "/order-changes/7/abc", "/order-changes/7", "/venue/demo", "/topic/x",
                 "/kds/Demo/centro", "/order-changes/-1/2"):
        assert stomp.destination(text) is None, text


def test_subscription_sort_keys_carry_protocol_and_tag_and_json_rows_keep_their_old_key() -> None:
    assert subscription_key("t/cocina/cocina:centro") == "SUB#t/cocina/cocina:centro"
    assert parse_subscription_key("SUB#t/cocina/cocina:centro") == ("json", None)
    key = subscription_key("t/kds/branch:centro", "stomp", "/kds/t/centro|sub-0")
    assert parse_subscription_key(key) == ("stomp", "/kds/t/centro|sub-0")
    assert parse_subscription_key(subscription_key("k", "socketio")) == ("socketio", None)
