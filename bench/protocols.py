"""Protocol adapters at the socket edge: what each protocol costs.

1. Encoding cost per frame: one `nuevo-pedido` (a sale with 6 items, as the fan-out renders it)
   encoded with `chalicelib.realtime.encoding.encode` for json, socketio and stomp (warm, many
   repeats), plus the one-off cost of the lazy codec imports in a fresh interpreter.
2. Time from the WebSocket handshake to the first server packet, against the local stack:
   Socket.IO: the open packet (sent from the connections table's stream, so it includes the
   stream poller's delay); STOMP: CONNECTED, the client sending CONNECT at once; JSON: the
   pong to a ping sent at once (JSON sockets never speak first). Also Socket.IO's polling
   handshake (a REST GET).
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
import urllib.request
from decimal import Decimal
from typing import Any

from bench import REPO, machine, machine_line, summary, table

PROTOCOLS = ("json", "socketio", "stomp")


def sample_sale() -> dict[str, Any]:
    item = {"id": 1, "plato_id": "plato_abc123", "producto_id": None, "nombre": "Silpancho", "cantidad": Decimal("2"),
            "precio_unitario": Decimal("35.00"), "subtotal": Decimal("70.00"), "notas": "Sin cebolla",
            "estado_cocina": "pendiente", "creado_en": "08:35 - 18/03/2026",
            "extras": [{"id": 1, "descripcion": "Extra queso", "precio": Decimal("5.00"), "cantidad": Decimal("1")}]}
    return {"id": 42, "nro_reg": 1, "concepto": "Pedido mesa 5", "mesa": "Mesa 5", "cliente": "Juan Pérez", "tipo": "venta",
            "estado": "pendiente", "estado_cocina": "pendiente", "monto_total": Decimal("420.00"), "monto_pagado": Decimal("0.00"),
            "monto_pendiente": Decimal("420.00"), "fecha": "08:35 - 18/03/2026", "hora": "08:35 - 18/03/2026",
            "creado_en": "08:35 - 18/03/2026", "actualizado_en": "08:35 - 18/03/2026",
            "items": [dict(item, id=i) for i in range(6)]}


def encoding_costs(repeats: int) -> dict[str, Any]:
    from chalicelib.realtime.channels import kitchen_channel
    from chalicelib.realtime.encoding import Outgoing, encode

    message = Outgoing("nuevo-pedido", kitchen_channel("centro"), sample_sale(), "4900000000000000001:nuevo-pedido")
    tags = {"json": None, "socketio": None, "stomp": "/kds/demo/centro|sub-0"}
    out: dict[str, Any] = {}
    for protocol in PROTOCOLS:
        frame = encode(protocol, message, tags[protocol])  # warm (lazy imports done)
        started = time.perf_counter()
        for _ in range(repeats):
            encode(protocol, message, tags[protocol])
        out[protocol] = {"us_per_frame": (time.perf_counter() - started) / repeats * 1e6, "bytes": len(frame.encode())}
    return out


def first_use_import_ms() -> dict[str, float]:
    code = ("import time;t=time.perf_counter();import {m};print((time.perf_counter()-t)*1000)")
    out = {}
    for label, module in (("socketio codecs", "engineio.packet, socketio.packet"), ("stomp codec", "stompman.serde")):
        runs = [float(subprocess.run([sys.executable, "-c", code.format(m=module)], cwd=REPO, capture_output=True, text=True,
                                     check=True).stdout) for _ in range(3)]
        out[label] = sorted(runs)[1]
    return out


def first_packets(rounds: int) -> dict[str, Any]:
    from websockets.sync.client import connect

    from devstack.launch import launch_stack

    stack = launch_stack()
    try:
        token = stack.login("cocina1", "Cocina123!")
        timings: dict[str, list[float]] = {"json": [], "socketio": [], "stomp": [], "socketio polling handshake": []}
        for _ in range(rounds):
            started = time.perf_counter()
            with connect(f"{stack.ws_url}/cocina?token={token}", open_timeout=10) as ws:
                ws.send(json.dumps({"action": "ping"}))
                ws.recv(timeout=10)
                timings["json"].append(time.perf_counter() - started)
            started = time.perf_counter()
            with connect(f"{stack.ws_url}/socket.io/?EIO=4&transport=websocket", open_timeout=10) as ws:
                assert str(ws.recv(timeout=15)).startswith("0{")
                timings["socketio"].append(time.perf_counter() - started)
            started = time.perf_counter()
            with connect(f"{stack.ws_url}/ws", open_timeout=10, subprotocols=["v12.stomp"]) as ws:  # type: ignore[list-item]
                ws.send(f"CONNECT\naccept-version:1.2\nlogin:{token}\n\n\x00")
                assert str(ws.recv(timeout=10)).startswith("CONNECTED")
                timings["stomp"].append(time.perf_counter() - started)
            started = time.perf_counter()
            with urllib.request.urlopen(f"{stack.base_url}/socket.io/?EIO=4&transport=polling", timeout=10) as reply:
                assert reply.read().startswith(b"0{")
            timings["socketio polling handshake"].append(time.perf_counter() - started)
        return {k: summary(v) for k, v in timings.items()}
    finally:
        stack.stop()


def run(quick: bool = False) -> dict[str, Any]:
    return {
        "machine": machine(),
        "encoding": encoding_costs(200 if quick else 5000),
        "first_use_import_ms": first_use_import_ms(),
        "handshake_to_first_server_packet_s": first_packets(2 if quick else 15),
    }


def render(result: dict[str, Any]) -> str:
    enc = result["encoding"]
    json_us = enc["json"]["us_per_frame"]
    rows = [[p, f"{enc[p]['us_per_frame']:.1f}", f"{enc[p]['us_per_frame'] / json_us:.2f}x", enc[p]["bytes"]] for p in PROTOCOLS]
    first = result["handshake_to_first_server_packet_s"]
    rows2 = [[k, f"{v['median'] * 1000:.0f}", f"{v['p90'] * 1000:.0f}", f"{v['max'] * 1000:.0f}", v["n"]] for k, v in first.items()]
    imports = ", ".join(f"{k} {v:.0f} ms" for k, v in result["first_use_import_ms"].items())
    return "\n".join([
        "== protocols: encoding one nuevo-pedido (6 items) per frame",
        machine_line(result["machine"]),
        table(["protocol", "us/frame", "vs json", "bytes"], rows),
        f"first use, lazy codec import in a fresh interpreter: {imports}",
        "",
        "handshake start -> first server packet (local stack)",
        table(["protocol", "median ms", "p90 ms", "max ms", "n"], rows2),
    ])
